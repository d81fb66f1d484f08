package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error about the content of an event. Such
// an event will never succeed on retry: it goes to the dead-letter path, not
// back to the source.
var ErrMalformed = errors.New("malformed event")

// FieldError says which field of an event is wrong and why.
type FieldError struct {
	Field  string // JSON path, e.g. "detail.recoveryPhone"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes every FieldError an ErrMalformed.
func (e *FieldError) Unwrap() error { return ErrMalformed }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// envelope is the wire form; unknown fields are ignored, as the contract
// says. The detail is decoded in the same pass into the union of the three
// kinds' fields (they agree on the names they share), and checked by kind.
type envelope struct {
	Version    string      `json:"version"`
	ID         text        `json:"id"`
	DetailType text        `json:"detail-type"`
	Source     text        `json:"source"`
	Time       text        `json:"time"`
	Detail     *detailWire `json:"detail"`
}

// detailWire keeps times and IPs as text so that a bad value is reported
// with its field name rather than as a generic JSON error.
type detailWire struct {
	AccountID text `json:"accountId"`
	IP        text `json:"ip"`
	UserAgent text `json:"userAgent"`
	DeviceID  text `json:"deviceId"`

	// Mailbox Signup
	Address        text     `json:"address"`
	DisplayName    text     `json:"displayName"`
	CreatedAt      text     `json:"createdAt"`
	AcceptLanguage text     `json:"acceptLanguage"`
	Timezone       text     `json:"timezone"`
	Country        text     `json:"country"`
	RecoveryEmail  text     `json:"recoveryEmail"`
	RecoveryPhone  text     `json:"recoveryPhone"`
	FormFillMs     *int64   `json:"formFillMs"`
	CaptchaScore   *float64 `json:"captchaScore"`
	Channel        text     `json:"channel"`

	// Mailbox Login
	At       text `json:"at"`
	Protocol text `json:"protocol"`
	Result   text `json:"result"`

	// Mailbox Message Sent
	MessageID text        `json:"messageId"`
	SentAt    text        `json:"sentAt"`
	Object    *objectWire `json:"object"`
}

type objectWire struct {
	Bucket text `json:"bucket"`
	Key    text `json:"key"`
}

// namedText pairs a decoded string with its JSON path, for checkTexts.
type namedText struct {
	field string
	t     *text
}

// checkTexts reports the first string, in the order given, that is not
// acceptable text (see text). Every string field of a kind is listed, so
// that none can carry hostile text past Decode.
func checkTexts(fields ...namedText) error {
	for _, f := range fields {
		if f.t.problem != "" {
			return fieldErr(f.field, "%s", f.t.problem)
		}
	}
	return nil
}

// Decode parses and validates one envelope.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, fieldErr("(event)", "%d bytes, more than the limit of %d", len(data), MaxEventBytes)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Event{}, jsonErr("", err)
	}
	if err := checkTexts(namedText{"id", &env.ID}, namedText{"detail-type", &env.DetailType},
		namedText{"source", &env.Source}, namedText{"time", &env.Time}); err != nil {
		return Event{}, err
	}
	e := Event{ID: env.ID.s, Kind: Kind(env.DetailType.s), Source: env.Source.s}
	if err := checkID("id", e.ID); err != nil {
		return Event{}, err
	}
	if e.Kind == "" {
		return Event{}, fieldErr("detail-type", "missing")
	}
	if e.Source == "" {
		return Event{}, fieldErr("source", "missing")
	}
	if len(e.Source) > maxShortText {
		return Event{}, fieldErr("source", "longer than %d bytes", maxShortText)
	}
	t, err := parseTime("time", env.Time.s)
	if err != nil {
		return Event{}, err
	}
	e.Time = t
	detail := env.Detail
	if detail == nil {
		return Event{}, fieldErr("detail", "missing")
	}
	var field string
	var at time.Time
	switch e.Kind {
	case KindSignup:
		e.Signup, err = decodeSignup(detail)
		if err == nil {
			field, at = "detail.createdAt", e.Signup.CreatedAt
		}
	case KindLogin:
		e.Login, err = decodeLogin(detail)
		if err == nil {
			field, at = "detail.at", e.Login.At
		}
	case KindMessage:
		e.Message, err = decodeMessage(detail)
		if err == nil {
			field, at = "detail.sentAt", e.Message.SentAt
		}
	default:
		return Event{}, fieldErr("detail-type", "unknown kind %q", truncate(string(e.Kind), 64))
	}
	if err != nil {
		return Event{}, err
	}
	// What happened cannot be later than the producer's report of it; a
	// clock far ahead would otherwise age out the history of every key the
	// event shares.
	if at.Sub(e.Time) > MaxSkew {
		return Event{}, fieldErr(field, "%s is after the event's time %s", at.Format(time.RFC3339), e.Time.Format(time.RFC3339))
	}
	return e, nil
}

// MaxSkew is how far a detail's time may run ahead of the envelope's time,
// and the envelope's time ahead of the receiver's clock, before the event is
// malformed.
const MaxSkew = time.Hour

func decodeSignup(w *detailWire) (*Signup, error) {
	err := checkTexts(
		namedText{"detail.accountId", &w.AccountID}, namedText{"detail.address", &w.Address},
		namedText{"detail.displayName", &w.DisplayName}, namedText{"detail.createdAt", &w.CreatedAt},
		namedText{"detail.ip", &w.IP}, namedText{"detail.userAgent", &w.UserAgent},
		namedText{"detail.acceptLanguage", &w.AcceptLanguage}, namedText{"detail.timezone", &w.Timezone},
		namedText{"detail.country", &w.Country}, namedText{"detail.recoveryEmail", &w.RecoveryEmail},
		namedText{"detail.recoveryPhone", &w.RecoveryPhone}, namedText{"detail.deviceId", &w.DeviceID},
		namedText{"detail.channel", &w.Channel},
	)
	if err != nil {
		return nil, err
	}
	s := &Signup{
		AccountID: w.AccountID.s, DisplayName: w.DisplayName.s, UserAgent: w.UserAgent.s,
		AcceptLanguage: w.AcceptLanguage.s, Timezone: w.Timezone.s, DeviceID: w.DeviceID.s,
		FormFillMs: w.FormFillMs, CaptchaScore: w.CaptchaScore, Channel: w.Channel.s,
	}
	if err = checkID("detail.accountId", s.AccountID); err != nil {
		return nil, err
	}
	if s.Address, err = checkAddress("detail.address", w.Address.s, true); err != nil {
		return nil, err
	}
	if s.CreatedAt, err = parseTime("detail.createdAt", w.CreatedAt.s); err != nil {
		return nil, err
	}
	if s.IP, err = parseIP("detail.ip", w.IP.s); err != nil {
		return nil, err
	}
	if s.RecoveryEmail, err = checkAddress("detail.recoveryEmail", w.RecoveryEmail.s, false); err != nil {
		return nil, err
	}
	if s.RecoveryPhone, err = checkPhone("detail.recoveryPhone", w.RecoveryPhone.s); err != nil {
		return nil, err
	}
	if s.Country, err = checkCountry("detail.country", w.Country.s); err != nil {
		return nil, err
	}
	texts := []struct {
		field, value string
		max          int
	}{
		{"detail.displayName", s.DisplayName, maxShortText},
		{"detail.userAgent", s.UserAgent, maxLongText},
		{"detail.acceptLanguage", s.AcceptLanguage, maxShortText},
		{"detail.timezone", s.Timezone, 64},
		{"detail.deviceId", s.DeviceID, maxShortText},
		{"detail.channel", s.Channel, 32},
	}
	for _, f := range texts {
		if err := checkText(f.field, f.value, f.max); err != nil {
			return nil, err
		}
	}
	if s.FormFillMs != nil && *s.FormFillMs < 0 {
		return nil, fieldErr("detail.formFillMs", "negative (%d)", *s.FormFillMs)
	}
	if s.CaptchaScore != nil && (*s.CaptchaScore < 0 || *s.CaptchaScore > 1) {
		return nil, fieldErr("detail.captchaScore", "%g is outside 0..1", *s.CaptchaScore)
	}
	return s, nil
}

func decodeLogin(w *detailWire) (*Login, error) {
	err := checkTexts(
		namedText{"detail.accountId", &w.AccountID}, namedText{"detail.at", &w.At},
		namedText{"detail.ip", &w.IP}, namedText{"detail.userAgent", &w.UserAgent},
		namedText{"detail.deviceId", &w.DeviceID}, namedText{"detail.protocol", &w.Protocol},
		namedText{"detail.result", &w.Result},
	)
	if err != nil {
		return nil, err
	}
	l := &Login{AccountID: w.AccountID.s, UserAgent: w.UserAgent.s, DeviceID: w.DeviceID.s, Protocol: w.Protocol.s, Result: w.Result.s}
	if err = checkID("detail.accountId", l.AccountID); err != nil {
		return nil, err
	}
	if l.At, err = parseTime("detail.at", w.At.s); err != nil {
		return nil, err
	}
	if l.IP, err = parseIP("detail.ip", w.IP.s); err != nil {
		return nil, err
	}
	switch l.Result {
	case "":
		l.Result = "success"
	case "success", "failure", "challenge":
	default:
		return nil, fieldErr("detail.result", "%q is not success, failure or challenge", truncate(l.Result, 32))
	}
	for _, f := range [][2]string{{"detail.userAgent", l.UserAgent}, {"detail.deviceId", l.DeviceID}, {"detail.protocol", l.Protocol}} {
		if err := checkText(f[0], f[1], maxLongText); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func decodeMessage(w *detailWire) (*Message, error) {
	err := checkTexts(namedText{"detail.accountId", &w.AccountID}, namedText{"detail.messageId", &w.MessageID},
		namedText{"detail.sentAt", &w.SentAt})
	if err != nil {
		return nil, err
	}
	m := &Message{AccountID: w.AccountID.s, MessageID: w.MessageID.s}
	if err = checkID("detail.accountId", m.AccountID); err != nil {
		return nil, err
	}
	if err = checkText("detail.messageId", m.MessageID, 998); err != nil {
		return nil, err
	}
	if m.SentAt, err = parseTime("detail.sentAt", w.SentAt.s); err != nil {
		return nil, err
	}
	if w.Object == nil {
		return nil, fieldErr("detail.object", "missing")
	}
	if err = checkTexts(namedText{"detail.object.bucket", &w.Object.Bucket}, namedText{"detail.object.key", &w.Object.Key}); err != nil {
		return nil, err
	}
	o := Object{Bucket: w.Object.Bucket.s, Key: w.Object.Key.s}
	if o.Bucket == "" {
		return nil, fieldErr("detail.object.bucket", "missing")
	}
	if o.Key == "" {
		return nil, fieldErr("detail.object.key", "missing")
	}
	if len(o.Bucket) > 63 {
		return nil, fieldErr("detail.object.bucket", "longer than 63 bytes")
	}
	if err := checkText("detail.object.key", o.Key, maxLongText); err != nil {
		return nil, err
	}
	if strings.Contains(o.Key, "..") || strings.Contains(o.Bucket, "/") || strings.Contains(o.Bucket, "..") {
		return nil, fieldErr("detail.object", "bucket or key escapes its folder")
	}
	m.Object = o
	return m, nil
}

// jsonErr turns encoding/json errors into FieldErrors that name the field
// where the library tells us which one it was.
func jsonErr(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := te.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		return fieldErr(field, "expected %s, got JSON %s", te.Type, te.Value)
	}
	field := prefix
	if field == "" {
		field = "(event)"
	}
	return fieldErr(field, "not valid JSON: %v", err)
}

// checkID and checkText need not look at the characters: every string was
// checked as it was decoded (see text).
func checkID(field, v string) error {
	switch {
	case v == "":
		return fieldErr(field, "missing")
	case len(v) > maxIDLen:
		return fieldErr(field, "longer than %d bytes", maxIDLen)
	}
	return nil
}

func checkText(field, v string, max int) error {
	if len(v) > max {
		return fieldErr(field, "longer than %d bytes", max)
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fieldErr(field, "missing")
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fieldErr(field, "%q is not an RFC 3339 time", truncate(v, 64))
	}
	return t.UTC(), nil
}

func parseIP(field, v string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, fieldErr(field, "missing")
	}
	ip, err := netip.ParseAddr(v)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fieldErr(field, "%q is not an IPv4 or IPv6 address", truncate(v, 64))
	}
	return ip.Unmap(), nil
}

// checkAddress validates a mailbox address loosely (RFC 5321 lengths, one @,
// a dotted domain of sane labels) and returns it lowercased. Mail platforms
// accept odd but valid local parts; the scanner only needs them as keys.
func checkAddress(field, v string, required bool) (string, error) {
	if v == "" {
		if required {
			return "", fieldErr(field, "missing")
		}
		return "", nil
	}
	if len(v) > 254 {
		return "", fieldErr(field, "longer than 254 bytes")
	}
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", fieldErr(field, "%q is not an address of the form local@domain", truncate(v, 64))
	}
	local, domain := v[:at], v[at+1:]
	if len(local) > 64 {
		return "", fieldErr(field, "local part longer than 64 bytes")
	}
	if strings.ContainsFunc(local, func(r rune) bool { return isControl(r) || r == ' ' || r == '@' || r == '<' || r == '>' }) {
		return "", fieldErr(field, "local part has characters a mailbox cannot have")
	}
	if !validDomain(domain) {
		return "", fieldErr(field, "domain %q is not a valid host name", truncate(domain, 64))
	}
	return strings.ToLower(v), nil
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

// checkPhone accepts E.164: a plus sign and 8 to 15 digits, the first not 0.
func checkPhone(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) < 8 || len(v) > 16 || v[0] != '+' || v[1] == '0' {
		return "", fieldErr(field, "%q is not an E.164 number (+ and 7 to 15 digits)", truncate(v, 32))
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return "", fieldErr(field, "%q is not an E.164 number (+ and 7 to 15 digits)", truncate(v, 32))
		}
	}
	return v, nil
}

func checkCountry(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) != 2 || !isUpperAlpha(v[0]) || !isUpperAlpha(v[1]) {
		return "", fieldErr(field, "%q is not an ISO 3166-1 alpha-2 code", truncate(v, 16))
	}
	return v, nil
}

func isUpperAlpha(c byte) bool { return c >= 'A' && c <= 'Z' }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// text is a JSON string of an event, checked on its raw bytes as it is
// decoded. encoding/json would silently turn invalid UTF-8 and unpaired
// surrogate escapes (\ud800) into U+FFFD, so a check of the decoded string
// could not see them; and a string that a terminal or a review page would
// render misleadingly (control and bidi characters) is hostile, not data.
//
// A bad string is recorded in problem rather than returned as an error, so
// that checkTexts reports it under its field's name, and only for the
// fields of the event's kind (the others are unknown fields, ignored).
type text struct {
	s       string
	problem string // "" if s is acceptable text
}

var stringType = reflect.TypeFor[string]()

// UnmarshalJSON decodes a JSON string in one pass over its raw bytes; b is
// syntactically valid JSON, as encoding/json checks a document before it
// decodes any of it.
func (t *text) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		if string(b) == "null" {
			return nil // as for a string field: left empty
		}
		// encoding/json adds the field's path to this error.
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: stringType}
	}
	t.s, t.problem = unquote(b[1 : len(b)-1])
	return nil
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "value"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case '"':
		return "string"
	}
	return "number"
}

// unquote returns the content of a JSON string literal (without its quotes)
// and, if it is not acceptable text, why not (and an empty string).
func unquote(raw []byte) (s, problem string) {
	// Most strings have no escapes: check them in place and copy once.
	i, problem := scanPlain(raw, 0)
	switch {
	case problem != "":
		return "", problem
	case i == len(raw):
		return string(raw), ""
	}
	buf := make([]byte, 0, len(raw))
	buf = append(buf, raw[:i]...)
	for i < len(raw) {
		if raw[i] != '\\' {
			j, problem := scanPlain(raw, i)
			if problem != "" {
				return "", problem
			}
			buf = append(buf, raw[i:j]...)
			i = j
			continue
		}
		if i+1 >= len(raw) {
			return "", "not a valid JSON string"
		}
		var r rune
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			buf = append(buf, c)
			i += 2
			continue
		case 'b':
			r = '\b'
		case 'f':
			r = '\f'
		case 'n':
			r = '\n'
		case 'r':
			r = '\r'
		case 't':
			r = '\t'
		case 'u':
			if r = hex4(raw[i+2:]); r < 0 {
				return "", "not a valid JSON string"
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A pair is one rune; anything else would decode to U+FFFD.
				lo := rune(-1)
				if r < 0xdc00 && i+8 <= len(raw) && raw[i+2] == '\\' && raw[i+3] == 'u' {
					lo = hex4(raw[i+4:])
				}
				if lo < 0xdc00 || lo > 0xdfff {
					return "", fmt.Sprintf("contains an unpaired surrogate escape \\u%04x", r)
				}
				r = utf16.DecodeRune(r, lo)
				i += 6
			}
		default:
			return "", "not a valid JSON string"
		}
		if problem := runeProblem(r); problem != "" {
			return "", problem
		}
		buf = utf8.AppendRune(buf, r)
		i += 2
	}
	return string(buf), ""
}

// scanPlain checks raw from i up to the next backslash (or its end) and
// returns where it stopped.
func scanPlain(raw []byte, i int) (int, string) {
	for i < len(raw) {
		c := raw[i]
		if c == '\\' {
			return i, ""
		}
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i, runeProblem(rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			return i, fmt.Sprintf("not valid UTF-8 (byte %#02x)", c)
		}
		if problem := runeProblem(r); problem != "" {
			return i, problem
		}
		i += size
	}
	return i, ""
}

// hex4 returns the value of the four hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// runeProblem says why r may not appear in event text: control characters
// (C0, DEL, C1) have no place in a name or a header value and drive
// terminals, and bidi controls make text display other than it reads
// ("moc.elgoog" shown as "google.com"). Other scripts, emoji and joiners
// are ordinary text.
func runeProblem(r rune) string {
	switch {
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return fmt.Sprintf("contains a control character %U", r)
	case isBidiControl(r):
		return fmt.Sprintf("contains a bidi control character %U", r)
	}
	return ""
}

// isBidiControl reports whether r is one of the Unicode bidirectional
// formatting characters (embeddings, overrides, isolates and marks), which
// reorder how the text around them is displayed.
func isBidiControl(r rune) bool {
	switch r {
	case 0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069:
		return true
	}
	return false
}
