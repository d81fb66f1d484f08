// Package disposable tells whether a mail domain belongs to a disposable
// (throwaway) mail service, from a list of such domains: by default the one
// published on npm as disposable-email-domains (see NOTICE), embedded here
// as domains.txt; or a replacement the operator provides.
//
// A listed domain covers its subdomains too ("a.b.mailinator.com" is covered
// by "mailinator.com"), which is what the upstream wildcard list asks for and
// what disposable services that hand out random subdomains need.
package disposable

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultSource names the list Default returns.
const DefaultSource = "npm disposable-email-domains 1.0.62 (index.json and wildcard.json)"

// ErrDomain reports an entry of a list that is not a domain name.
var ErrDomain = errors.New("not a domain name")

const (
	maxDomain = 253 // bytes in a domain name, without the trailing dot
	maxLabel  = 63
)

// embedded is the default list. It is kept as plain text, not gzip'd: in
// Go, gunzipping it takes longer (about 13 ms) than indexing it, against a
// cold-start budget of 50 ms for a whole function, and Lambda deployment
// packages are zipped anyway. Plain text also makes list updates reviewable
// as diffs.
//
//go:embed domains.txt
var embedded string

// List is a set of disposable mail domains. It is immutable and safe for
// concurrent use.
type List struct {
	// text holds the domains, each followed by '\n'; it may hold other
	// lines too (the embedded file's comments).
	text string
	// slots is an open-addressing hash table, linear probing, of the
	// domains in text: 0 for an empty slot, else the domain's offset + 1
	// in the low 32 bits, its length in the next 8 and the top 24 bits of
	// its hash above, so that a probe reads text only when these match.
	slots []uint64
	mask  uint64
	n     int
}

// Default returns the embedded list (DefaultSource). It indexes about
// 120,000 domains in place, a few milliseconds of work: call it once at
// start-up and pass the list on.
func Default() (*List, error) {
	return indexNormalized(embedded)
}

// indexNormalized indexes text written by gen.go: lowercase, valid, one
// domain a line, comment lines starting with '#'. It skips the checks Load
// makes (TestEmbedded makes them on the same file) and indexes the text in
// place, which makes it several times faster than Load.
func indexNormalized(text string) (*List, error) {
	if len(text) >= 1<<32-1 {
		return nil, errors.New("embedded domains.txt: too large")
	}
	n := strings.Count(text, "\n")
	l := newList(text, n)
	for off := 0; off < len(text); {
		end := strings.IndexByte(text[off:], '\n')
		if end < 0 {
			return nil, errors.New("embedded domains.txt: no newline at the end")
		}
		if end > 0 && text[off] != '#' {
			l.insert(off, text[off:off+end])
		}
		off += end + 1
	}
	if l.n == 0 {
		return nil, errors.New("embedded domains.txt: no domains")
	}
	return l, nil
}

// newList returns an empty table for n domains of text, at most half full.
func newList(text string, n int) *List {
	size := 1
	for size < 2*n {
		size <<= 1
	}
	return &List{text: text, slots: make([]uint64, size), mask: uint64(size - 1)}
}

// insert adds the domain d found at offset off of l.text, unless it is
// already there.
func (l *List) insert(off int, d string) {
	h := hash(d)
	key := tag(h, len(d))
	i := h & l.mask
	for ; l.slots[i] != 0; i = (i + 1) & l.mask {
		if l.slots[i]&^0xffffffff == key && l.text[l.slots[i]&0xffffffff-1:][:len(d)] == d {
			return
		}
	}
	l.slots[i] = key | uint64(off+1)
	l.n++
}

// tag returns the high 32 bits of a slot: hash bits and length. Domains are
// at most 253 bytes.
func tag(h uint64, n int) uint64 {
	return h>>40<<40 | uint64(n)<<32
}

// Load reads a list from a file: either one domain a line, with blank lines
// and everything from a '#' ignored, or a JSON array of strings like the
// upstream index.json. Entries are case-insensitive; a leading "*." (a
// wildcard, which every entry is anyway) and a trailing dot are dropped.
// Errors name the file and line of the first bad entry.
func Load(path string) (*List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return parseJSON(path, data)
	}
	return parseText(path, data)
}

// builder collects normalized domains.
type builder struct {
	text []byte
	offs []int
}

// add normalizes entry and appends it, or says what is wrong with it.
func (b *builder) add(entry []byte) error {
	d := bytes.TrimSuffix(bytes.TrimPrefix(entry, []byte("*.")), []byte("."))
	start := len(b.text)
	var err error
	b.text, err = appendLower(b.text, d)
	if err == nil {
		err = checkDomain(b.text[start:])
	}
	if err != nil {
		b.text = b.text[:start]
		return fmt.Errorf("%w: %q: %v", ErrDomain, entry, err)
	}
	b.offs = append(b.offs, start)
	b.text = append(b.text, '\n')
	return nil
}

func (b *builder) list(path string) (*List, error) {
	if len(b.offs) == 0 {
		return nil, fmt.Errorf("%s: no domains", path)
	}
	if len(b.text) >= 1<<32-1 {
		return nil, fmt.Errorf("%s: too large", path)
	}
	l := newList(string(b.text), len(b.offs))
	for _, off := range b.offs {
		end := off + strings.IndexByte(l.text[off:], '\n')
		l.insert(off, l.text[off:end])
	}
	return l, nil
}

func parseText(path string, data []byte) (*List, error) {
	b := builder{text: make([]byte, 0, len(data)), offs: make([]int, 0, bytes.Count(data, []byte{'\n'})+1)}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	for line := 1; len(data) > 0; line++ {
		var l []byte
		l, data, _ = bytes.Cut(data, []byte{'\n'})
		if i := bytes.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if err := b.add(l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	return b.list(path)
}

func parseJSON(path string, data []byte) (*List, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	skipped := len(data) - len(bytes.TrimPrefix(data, []byte("\uFEFF")))
	lineAt := func(offset int64) int {
		return 1 + bytes.Count(data[:min(int(offset)+skipped, len(data))], []byte{'\n'})
	}
	fail := func(err error) error {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("%s:%d: %w", path, lineAt(syn.Offset), err)
		}
		return fmt.Errorf("%s:%d: %w", path, lineAt(dec.InputOffset()), err)
	}
	if tok, err := dec.Token(); err != nil {
		return nil, fail(err)
	} else if tok != json.Delim('[') {
		return nil, fail(fmt.Errorf("want a JSON array of domains"))
	}
	b := builder{text: make([]byte, 0, len(data)/2)}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fail(err)
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fail(fmt.Errorf("want a string, got %v", tok))
		}
		if err := b.add([]byte(s)); err != nil {
			return nil, fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(fmt.Errorf("data after the array"))
	}
	return b.list(path)
}

// checkDomain checks a lowercase domain name: labels of letters, digits,
// '-' and '_' (some mail domains have them), or non-ASCII letters as in
// "instágram.com", separated by dots.
func checkDomain(d []byte) error {
	if len(d) == 0 {
		return errors.New("empty")
	}
	if len(d) > maxDomain {
		return fmt.Errorf("longer than %d bytes", maxDomain)
	}
	if !utf8.Valid(d) {
		return errors.New("not UTF-8")
	}
	label := 0
	for i := 0; i < len(d); {
		c := d[i]
		switch {
		case c == '.':
			if label == 0 {
				return errors.New("empty label")
			}
			label = 0
			i++
			continue
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d[i:])
			if !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) {
				return fmt.Errorf("character %q", r)
			}
			i += size
			label += size - 1
		default:
			return fmt.Errorf("character %q", c)
		}
		label++
		if label > maxLabel {
			return fmt.Errorf("label longer than %d bytes", maxLabel)
		}
	}
	if label == 0 {
		return errors.New("empty label")
	}
	return nil
}

// appendLower appends s lowercased to dst.
func appendLower[S ~string | ~[]byte](dst []byte, s S) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			return dst, errors.New("not UTF-8")
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += size
	}
	return dst, nil
}

// Len returns how many distinct domains the list holds.
func (l *List) Len() int { return l.n }

// All returns the listed domains, lowercase, in no particular order.
func (l *List) All() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, slot := range l.slots {
			if slot == 0 {
				continue
			}
			off := int(slot&0xffffffff - 1)
			if !yield(l.text[off : off+int(slot>>32&0xff)]) {
				return
			}
		}
	}
}

// Contains reports whether domain, or a domain it is a subdomain of, is
// listed. It ignores case and a trailing dot. Internationalized domains
// match in their Unicode form, not as "xn--" punycode. It does not
// allocate.
func (l *List) Contains(domain string) bool {
	domain = strings.TrimSuffix(domain, ".")
	if domain == "" || len(domain) > maxDomain {
		return false
	}
	var buf [2 * maxDomain]byte
	b, err := appendLower(buf[:0], domain)
	if err != nil || len(b) > len(buf) {
		return false
	}
	for {
		if l.has(b) {
			return true
		}
		i := bytes.IndexByte(b, '.')
		if i < 0 {
			return false
		}
		b = b[i+1:]
	}
}

// has reports whether d itself is listed.
func (l *List) has(d []byte) bool {
	h := hashBytes(d)
	key := tag(h, len(d))
	for i := h & l.mask; l.slots[i] != 0; i = (i + 1) & l.mask {
		if s := l.slots[i]; s&^0xffffffff == key && l.text[s&0xffffffff-1:][:len(d)] == string(d) {
			return true
		}
	}
	return false
}

// hash is 64-bit FNV-1a. The table is built from a trusted list and never
// grows from input, so a keyed hash would buy nothing.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := range len(s) {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
