// Package mail turns one raw outbound RFC 5322 message into the facts the
// scanner needs: sender, date, origin address, recipient domains, a SimHash
// of the text and hashes of the attachments. It is the only package that
// imports enmime.
//
// Input is hostile and enmime bounds nothing itself: its cost grows faster
// than the message with nesting and part count. So every message first
// passes a one-pass pre-scan (Prescan) that turns away, with a stable reason,
// whatever would make enmime work too hard, and only then is parsed.
package mail

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/mailtrust/abusescan/internal/imagehash"
	"github.com/mailtrust/abusescan/internal/textsim"
)

// ErrRejected is the sentinel of every *Rejection: a message turned away
// before or while parsing. It is a fault of the input, never transient, so
// it is not retried.
var ErrRejected = errors.New("message turned away")

// Reasons of a Rejection, stable codes the caller may count and store.
const (
	ReasonTooLarge        = "too_large"
	ReasonHeadersTooLarge = "headers_too_large"
	ReasonTooManyParts    = "too_many_parts"
	ReasonTooDeep         = "too_deep"
	ReasonLineTooLong     = "line_too_long"
	ReasonUnparseable     = "unparseable"
)

// Rejection is the error of a message turned away before or while parsing.
type Rejection struct {
	Reason string // one of the Reason constants
	Detail string // numbers only, e.g. "over 500 parts", never text of the message
}

// Error returns "message turned away: <Reason>: <Detail>".
func (r *Rejection) Error() string {
	return ErrRejected.Error() + ": " + r.Reason + ": " + r.Detail
}

// Unwrap returns ErrRejected, so errors.Is(err, ErrRejected) holds.
func (r *Rejection) Unwrap() error { return ErrRejected }

// Limits bound the work on one message. A zero field takes its default.
type Limits struct {
	MaxBytes            int // whole message (default 10 MiB)
	MaxHeaderBytes      int // one header block, the message's or a part's (default 64 KiB)
	MaxTotalHeaderBytes int // all header blocks together (default 256 KiB)
	MaxParts            int // MIME parts, the message itself included (default 500)
	MaxDepth            int // nested multiparts (default 16)
	MaxLineBytes        int // one line with its line end (default 1 MiB)
	MaxBadBase64        int // bytes in base64 parts outside the alphabet (default 4096): enmime builds an error for each
	MaxImagePixels      int // width × height an image may declare to be hashed (default 40,000,000)
	MaxImages           int // images hashed per message (default 16)
	MaxRecipients       int // recipient domains kept (default 200)
}

// DefaultLimits returns the limits for mail of ordinary users: generous for
// real mail, tight enough to bound enmime's time and memory.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:            10 << 20,
		MaxHeaderBytes:      64 << 10,
		MaxTotalHeaderBytes: 256 << 10,
		MaxParts:            500,
		MaxDepth:            16,
		MaxLineBytes:        1 << 20,
		MaxBadBase64:        4096,
		MaxImagePixels:      40_000_000,
		MaxImages:           16,
		MaxRecipients:       200,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	def := func(v *int, dv int) {
		if *v <= 0 {
			*v = dv
		}
	}
	def(&l.MaxBytes, d.MaxBytes)
	def(&l.MaxHeaderBytes, d.MaxHeaderBytes)
	def(&l.MaxTotalHeaderBytes, d.MaxTotalHeaderBytes)
	def(&l.MaxParts, d.MaxParts)
	def(&l.MaxDepth, d.MaxDepth)
	def(&l.MaxLineBytes, d.MaxLineBytes)
	def(&l.MaxBadBase64, d.MaxBadBase64)
	def(&l.MaxImagePixels, d.MaxImagePixels)
	def(&l.MaxImages, d.MaxImages)
	def(&l.MaxRecipients, d.MaxRecipients)
	return l
}

// Facts are what the scanner learns from one message. They hold hashes and
// numbers, never bodies or attachments; FromName alone is message text.
type Facts struct {
	From       string     // From address, lowercased ("" when none or unparseable)
	FromName   string     // From display name, decoded; the caller compares it and never stores it
	Date       time.Time  // Date header in its own offset (zero when missing or unparseable)
	HasDate    bool       // Date is valid
	DateOffset int        // seconds east of UTC written in the Date header
	OriginIP   netip.Addr // X-Originating-IP, else the client address of the earliest Received header; not valid when none

	Recipients       int      // recipient addresses in To, Cc and Bcc
	RecipientDomains []string // their distinct lowercase domains, sorted, at most MaxRecipients

	Text      textsim.Hash // SimHash of the text (enmime's rendering of the HTML when there is no text part)
	TextWords int          // words hashed into Text

	Attachments []Attachment // attachments, inline parts and other non-text parts, in enmime's order
	Findings    []string     // non-fatal problems as stable codes, sorted: "code" or "code:count"
	Size        int          // raw bytes
	Parts       int          // parts counted by the pre-scan, the message itself included
}

// Attachment is what is kept of one attachment or inline part.
type Attachment struct {
	ContentType string         // lowercased media type, at most 100 bytes
	Size        int            // decoded bytes
	SHA256      [32]byte       // of the decoded content
	Image       bool           // JPEG, PNG, GIF or WebP by its bytes, whatever it declares
	Hashed      bool           // ImageHash is valid
	ImageHash   imagehash.Hash // perceptual hash of the image
}

// Findings codes. Parse reports enmime's complaints as "mime_<kind>:<n>"
// with their total as "mime_errors:<n>".
const (
	FindingImageTooLarge       = "image_too_large"       // an image declares more than MaxImagePixels
	FindingImageUndecodable    = "image_undecodable"     // an image's bytes do not decode
	FindingImagesOverLimit     = "images_over_limit"     // ":n" images left unhashed past MaxImages
	FindingRecipientsOverLimit = "recipients_over_limit" // ":n" recipient domains dropped past MaxRecipients
	FindingBadFrom             = "from_unparseable"
	FindingBadDate             = "date_unparseable"
	FindingBadRecipients       = "recipients_unparseable" // domains were read leniently
)

// maxPartErrors bounds the complaints enmime stores per part.
const maxPartErrors = 64

// maxContentType bounds Attachment.ContentType.
const maxContentType = 100

// Parse pre-scans raw, parses it with enmime, and returns its facts. A
// message turned away returns a *Rejection (errors.Is(err, ErrRejected)); no
// other error is returned for bad input: enmime's own complaints become
// Findings. Parse never keeps bodies or attachments: only hashes and facts.
func Parse(raw []byte, lim Limits) (Facts, error) {
	lim = lim.withDefaults()
	parts, err := prescan(raw, lim)
	if err != nil {
		return Facts{}, err
	}
	env, err := readEnvelope(raw)
	if err != nil {
		return Facts{}, err
	}
	if n := countParts(env.Root); n > parts {
		// The pre-scan counts at least what enmime builds; this is its net.
		return Facts{}, reject(ReasonTooManyParts, "%d parts built, %d counted", n, parts)
	}
	f := Facts{Size: len(raw), Parts: parts}
	var fs findings
	headerFacts(env, &f, &fs, lim)
	f.Text, f.TextWords = textsim.Sum(env.Text)
	attachments(env, &f, &fs, lim)
	for _, e := range env.Errors {
		fs.add("mime_" + mimeKind(e.Name))
	}
	if len(env.Errors) > 0 {
		fs.addN("mime_errors", len(env.Errors))
	}
	f.Findings = fs.list()
	return f, nil
}

// newParser is enmime as Parse runs it.
func newParser() *enmime.Parser {
	return enmime.NewParser(
		// Charset detection (gogs/chardet) was four fifths of enmime's time
		// on the SpamAssassin corpus, and grows with every text part: trust
		// the declared charset and detect only where none is declared.
		enmime.DisableCharacterDetection(true),
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.MaxStoredPartErrors(maxPartErrors),
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	)
}

// readEnvelope runs enmime, turning its failure (or, should it ever, its
// panic) into a Rejection: the message is then beyond use, not the caller.
func readEnvelope(raw []byte) (env *enmime.Envelope, err error) {
	defer func() {
		if recover() != nil {
			env, err = nil, reject(ReasonUnparseable, "parser failed at %d bytes", len(raw))
		}
	}()
	env, err = newParser().ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		return nil, reject(ReasonUnparseable, "structure unreadable at %d bytes", len(raw))
	}
	return env, nil
}

// countParts counts the nodes of enmime's part tree.
func countParts(p *enmime.Part) int {
	n := 0
	for ; p != nil; p = p.NextSibling {
		n += 1 + countParts(p.FirstChild)
	}
	return n
}

// mimeKind names an enmime error kind by a stable code.
func mimeKind(name string) string {
	switch name {
	case enmime.ErrorMalformedBase64:
		return "bad_base64"
	case enmime.ErrorMalformedHeader:
		return "bad_header"
	case enmime.ErrorMissingBoundary:
		return "missing_boundary"
	case enmime.ErrorMissingContentType:
		return "missing_content_type"
	case enmime.ErrorCharsetConversion:
		return "bad_charset"
	case enmime.ErrorContentEncoding:
		return "bad_transfer_encoding"
	case enmime.ErrorPlainTextFromHTML:
		return "html_only"
	case enmime.ErrorCharsetDeclaration:
		return "charset_mismatch"
	case enmime.ErrorMalformedChildPart:
		return "bad_part"
	case enmime.ErrorDataHasBoundary:
		return "data_has_boundary"
	}
	return "other"
}

// attachments hashes every non-body part, and the images among them.
func attachments(env *enmime.Envelope, f *Facts, fs *findings, lim Limits) {
	n := len(env.Attachments) + len(env.Inlines) + len(env.OtherParts)
	if n == 0 {
		return
	}
	seen := make(map[*enmime.Part]bool, n)
	f.Attachments = make([]Attachment, 0, n)
	images, skipped := 0, 0
	for _, list := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, p := range list {
			if seen[p] {
				continue // an inline octet-stream is in both lists
			}
			seen[p] = true
			a := Attachment{
				ContentType: boundedType(p.ContentType),
				Size:        len(p.Content),
				SHA256:      sha256.Sum256(p.Content),
				Image:       isImage(p.Content),
			}
			if a.Image {
				if images++; images > lim.MaxImages {
					skipped++
				} else {
					h, err := imagehash.Sum(p.Content, lim.MaxImagePixels)
					switch {
					case err == nil:
						a.Hashed, a.ImageHash = true, h
					case errors.Is(err, imagehash.ErrTooLarge):
						fs.add(FindingImageTooLarge)
					default:
						fs.add(FindingImageUndecodable)
					}
				}
			}
			f.Attachments = append(f.Attachments, a)
		}
	}
	if skipped > 0 {
		fs.addN(FindingImagesOverLimit, skipped)
	}
}

func boundedType(t string) string {
	t = strings.ToLower(t)
	if len(t) > maxContentType {
		t = strings.ToValidUTF8(t[:maxContentType], "")
	}
	return t
}

var (
	magicPNG  = []byte("\x89PNG\r\n\x1a\n")
	magicJPEG = []byte{0xff, 0xd8, 0xff}
	magicGIF7 = []byte("GIF87a")
	magicGIF9 = []byte("GIF89a")
)

// isImage sniffs the formats imagehash decodes.
func isImage(b []byte) bool {
	return bytes.HasPrefix(b, magicPNG) || bytes.HasPrefix(b, magicJPEG) ||
		bytes.HasPrefix(b, magicGIF7) || bytes.HasPrefix(b, magicGIF9) ||
		len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
}

// findings counts codes; codes given once stay bare unless counted.
type findings struct {
	n      map[string]int
	counts map[string]bool
}

func (fs *findings) add(code string) { fs.addCount(code, 1, false) }

func (fs *findings) addN(code string, n int) { fs.addCount(code, n, true) }

func (fs *findings) addCount(code string, n int, counted bool) {
	if fs.n == nil {
		fs.n, fs.counts = map[string]int{}, map[string]bool{}
	}
	fs.n[code] += n
	if counted || strings.HasPrefix(code, "mime_") {
		fs.counts[code] = true
	}
}

// list returns "code" for presence codes and "code:n" for counted ones.
func (fs *findings) list() []string {
	if len(fs.n) == 0 {
		return nil
	}
	out := make([]string, 0, len(fs.n))
	for code, n := range fs.n {
		if fs.counts[code] {
			out = append(out, fmt.Sprintf("%s:%d", code, n))
		} else {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

// validUTF8 keeps decoded names printable as JSON without surprises.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
