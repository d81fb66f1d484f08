package synth

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"time"
)

// blob is an attachment's bytes, made on first use and then shared by every
// message that carries it (a persona's photo, an operation's résumé).
type blob struct {
	once sync.Once
	make func() ([]byte, error)
	data []byte
	err  error
}

func lazyBlob(f func() ([]byte, error)) *blob { return &blob{make: f} }

func (b *blob) bytes() ([]byte, error) {
	b.once.Do(func() { b.data, b.err = b.make() })
	return b.data, b.err
}

// attachment is a file a message carries.
type attachment struct {
	name  string // file name
	ctype string // e.g. "application/pdf", "image/jpeg"
	// inline: shown in the HTML body (Content-ID cid), in a
	// multipart/related part.
	inline bool
	data   *blob
}

// Body encodings of a text part.
const (
	enc7bit   = "7bit"
	encQP     = "quoted-printable"
	encBase64 = "base64"
)

// mailDraft is one outbound message as the sender's client composed it and
// the platform received it; render writes it out. Everything it needs is
// here, so that rendering is a pure function of the draft.
type mailDraft struct {
	// tag seeds the boundaries and relay ids, unique to the message.
	tag     uint64
	from    mail.Address
	to, cc  []mail.Address
	subject string
	// date is the client's clock, in the client's zone; received is when
	// the platform took it (UTC).
	date, received time.Time
	// ip is the client's address; xOrig, whether the platform wrote it in
	// X-Originating-IP too. helo is what the client said it was.
	ip    netip.Addr
	xOrig bool
	helo  string
	// msgID is the Message-ID, angle brackets included.
	msgID  string
	mailer string // User-Agent header, "" none
	text   string
	// html adds an HTML alternative of text; textEnc is the text parts'
	// transfer encoding.
	html    bool
	textEnc string
	attach  []attachment
}

// relays are the platform's internal hosts a message passes after its
// submission server.
var relays = [...]string{"mx-out-1.mail.example", "mx-out-2.mail.example", "mx-out-3.mail.example", "mx-out-4.mail.example"}

// render writes the message in RFC 5322 form with CRLF line ends.
func (m *mailDraft) render() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(2048 + len(m.text)*3)
	rfc := func(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }
	h := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	relay := relays[m.tag%uint64(len(relays))]
	// The chain is read bottom up: the submission hop first, the relay's
	// hop above it.
	h("Received", fmt.Sprintf("from smtp.mail.example (smtp-%d.mail.example [10.40.%d.%d])\r\n\tby %s with ESMTPS id %s;\r\n\t%s",
		m.tag>>8%12+1, m.tag>>16%8, m.tag>>24%250+2, relay, relayID(m.tag, 1), rfc(m.received.Add(time.Duration(m.tag%900+100)*time.Millisecond).UTC())))
	rcpt := ""
	if len(m.to) == 1 && len(m.cc) == 0 {
		rcpt = "\r\n\tfor <" + m.to[0].Address + ">"
	}
	h("Received", fmt.Sprintf("from %s (%s [%s])\r\n\tby smtp.mail.example with ESMTPSA id %s%s;\r\n\t%s",
		m.helo, reverseName(m.ip), m.ip, relayID(m.tag, 2), rcpt, rfc(m.received.UTC())))
	if m.xOrig {
		h("X-Originating-IP", "["+m.ip.String()+"]")
	}
	h("Date", rfc(m.date))
	h("From", m.from.String())
	h("To", addressList(m.to))
	if len(m.cc) > 0 {
		h("Cc", addressList(m.cc))
	}
	h("Subject", mime.QEncoding.Encode("utf-8", m.subject))
	h("Message-ID", m.msgID)
	if m.mailer != "" {
		h("User-Agent", m.mailer)
	}
	h("MIME-Version", "1.0")

	body, err := m.bodyPart()
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition"} {
		if v := body.header.Get(k); v != "" {
			h(k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(body.content)
	return b.Bytes(), nil
}

// entity is one MIME entity: its header and encoded content.
type entity struct {
	header  textproto.MIMEHeader
	content []byte
}

// bodyPart builds the message's top entity: the text (with its HTML
// alternative), the inline pictures related to the HTML, and the
// attachments around them.
func (m *mailDraft) bodyPart() (entity, error) {
	var n int // boundaries made so far
	boundary := func() string {
		n++
		return fmt.Sprintf("=_%016x%02d", mix64(m.tag+uint64(n)), n)
	}
	var inline, attached []attachment
	for _, a := range m.attach {
		if a.inline && m.html {
			inline = append(inline, a)
		} else {
			attached = append(attached, a)
		}
	}
	cids := make([]string, len(inline))
	for i := range inline {
		cids[i] = fmt.Sprintf("img%d.%016x@mail.example", i+1, mix64(m.tag^uint64(i+1)<<56))
	}
	body := m.textPart("plain", m.text)
	if m.html {
		alt, err := multi("alternative", boundary(), []entity{body, m.textPart("html", toHTML(m.text, cids))})
		if err != nil {
			return entity{}, err
		}
		body = alt
	}
	if len(inline) > 0 {
		parts := []entity{body}
		for i, a := range inline {
			e, err := fileEntity(a, cids[i])
			if err != nil {
				return entity{}, err
			}
			parts = append(parts, e)
		}
		rel, err := multi("related", boundary(), parts)
		if err != nil {
			return entity{}, err
		}
		body = rel
	}
	if len(attached) == 0 {
		return body, nil
	}
	parts := []entity{body}
	for _, a := range attached {
		e, err := fileEntity(a, "")
		if err != nil {
			return entity{}, err
		}
		parts = append(parts, e)
	}
	return multi("mixed", boundary(), parts)
}

// textPart is a text/plain or text/html entity in the draft's encoding.
func (m *mailDraft) textPart(sub, text string) entity {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", "text/"+sub+"; charset=utf-8")
	enc := m.textEnc
	if enc == enc7bit && !is7bit(text) {
		enc = encQP
	}
	h.Set("Content-Transfer-Encoding", enc)
	crlf := strings.ReplaceAll(text, "\n", "\r\n")
	var b bytes.Buffer
	switch enc {
	case encQP:
		w := quotedprintable.NewWriter(&b)
		w.Write([]byte(crlf)) //nolint:errcheck // a bytes.Buffer does not fail
		w.Close()             //nolint:errcheck // a bytes.Buffer does not fail
	case encBase64:
		wrap76(&b, []byte(crlf))
	default:
		b.WriteString(crlf)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return entity{header: h, content: b.Bytes()}
}

// is7bit reports whether s is ASCII with short lines, sendable as it is.
func is7bit(s string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		if len(line) > 900 {
			return false
		}
	}
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// fileEntity is an attachment, base64 in lines of 76 columns.
func fileEntity(a attachment, cid string) (entity, error) {
	data, err := a.data.bytes()
	if err != nil {
		return entity{}, fmt.Errorf("attachment %s: %w", a.name, err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mime.FormatMediaType(a.ctype, map[string]string{"name": a.name}))
	h.Set("Content-Transfer-Encoding", encBase64)
	disp := "attachment"
	if cid != "" {
		disp = "inline"
		h.Set("Content-ID", "<"+cid+">")
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": a.name}))
	var b bytes.Buffer
	wrap76(&b, data)
	return entity{header: h, content: b.Bytes()}, nil
}

// wrap76 writes data in base64, 76 columns a line, CRLF after each.
func wrap76(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
}

// multi is a multipart entity of parts.
func multi(sub, boundary string, parts []entity) (entity, error) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(boundary); err != nil {
		return entity{}, fmt.Errorf("multipart/%s: %w", sub, err)
	}
	for _, p := range parts {
		pw, err := w.CreatePart(p.header)
		if err != nil {
			return entity{}, fmt.Errorf("multipart/%s: %w", sub, err)
		}
		if _, err := pw.Write(p.content); err != nil {
			return entity{}, fmt.Errorf("multipart/%s: %w", sub, err)
		}
	}
	if err := w.Close(); err != nil {
		return entity{}, fmt.Errorf("multipart/%s: %w", sub, err)
	}
	b.WriteString("\r\n")
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", mime.FormatMediaType("multipart/"+sub, map[string]string{"boundary": boundary}))
	return entity{header: h, content: b.Bytes()}, nil
}

// toHTML renders text as simple HTML, paragraph by paragraph, showing the
// inline pictures cids after the text.
func toHTML(text string, cids []string) string {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n")
	for para := range strings.SplitSeq(strings.TrimSpace(text), "\n\n") {
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n"))
		b.WriteString("</p>\n")
	}
	for _, c := range cids {
		b.WriteString(`<p><img src="cid:` + c + `" alt="photo"></p>` + "\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// addressList formats addresses for a To or Cc header, folded after each
// comma so that long lists stay within the line limit.
func addressList(as []mail.Address) string {
	ss := make([]string, len(as))
	for i, a := range as {
		ss[i] = a.String()
	}
	return strings.Join(ss, ",\r\n\t")
}

// relayID is a queue id of a relay, as Postfix writes them.
func relayID(tag uint64, hop int) string {
	const chars = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
	x := mix64(tag + uint64(hop)<<60)
	out := make([]byte, 12)
	for i := range out {
		out[i] = chars[x%uint64(len(chars))]
		x /= uint64(len(chars))
		if x == 0 {
			x = mix64(tag ^ uint64(i))
		}
	}
	return string(out)
}

// reverseName is the reverse DNS name a relay would show for ip: a
// provider-style name for IPv4, "unknown" for IPv6.
func reverseName(ip netip.Addr) string {
	if !ip.Is4() {
		return "unknown"
	}
	b := ip.As4()
	return fmt.Sprintf("host-%d-%d-%d-%d.client.example", b[0], b[1], b[2], b[3])
}
