package mail

import (
	"bytes"
	"fmt"
	"io"
	"mime"
)

// The pre-scan models enmime's own reading of a message closely enough to
// bound the work enmime will do, and errs towards counting more parts and
// deeper nesting than enmime will see, never fewer:
//
//   - enmime ends a part's body at a line that holds "--boundary" at offset 0
//     or 1 followed by white space, and the outer boundary wins because each
//     nested reader reads through its parent's. Those are the "strict" matches
//     that change the structure here.
//   - In a preamble, and on the line after a bare CR, enmime looks for the
//     boundary anywhere in the line ("loose" matches).
//   - A closing "--boundary--" pops a level only where enmime surely pops it
//     too, so a level is at worst kept open too long (more counted), never
//     closed too early (fewer counted).
//   - Header blocks are unfolded as enmime does: lines starting with white
//     space, and lines with no colon, continue the field before them; lines
//     whose name has a byte enmime refuses are skipped.
//   - Every way enmime may read the boundary parameter (first by quotes, first
//     ignoring quotes, RFC 2047 encoded names) becomes a candidate; a part
//     boundary read only in part is matched as a prefix.
//
// FuzzParse holds this model to enmime's actual part tree.

// maxBoundary bounds the boundary bytes compared per line; a longer one is
// matched by its prefix, which only counts more.
const maxBoundary = 256

// maxCandidates is how many readings of one boundary parameter are kept.
const maxCandidates = 3

// candidate is one reading of a boundary parameter.
type candidate struct {
	delim []byte // "--" + boundary
	exact bool   // the whole boundary; otherwise a prefix of it
}

// level is one open multipart.
type level struct {
	cands    [maxCandidates]candidate
	n        int
	preamble bool // no delimiter seen yet
}

// match results.
const (
	noMatch = iota
	delimMatch
	closeMatch
)

// scanner is the state of one pre-scan.
type scanner struct {
	lim   Limits
	parts int
	depth int // deepest nesting seen
	stack []level

	inHeader   bool
	blockBytes int
	totalBytes int
	field      int // the field the current header line continues
	seenCT     bool
	ct         []byte // unfolded value of the block's first Content-Type
	base64     bool   // the current part is base64, so enmime cleans it byte by byte
	badBase64  int
	afterCR    bool
}

// header fields the scanner follows.
const (
	fieldOther = iota
	fieldCT
	fieldCTE
)

// base64Junk marks the bytes enmime's base64 cleaner reports one error each
// for (it looks at the low 7 bits only).
var base64Junk = func() (t [256]bool) {
	for c := range 256 {
		b := byte(c & 0x7f)
		ok := b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' ||
			b == '+' || b == '/' || b == '=' || b == ' ' || b == '\t' || b == '\n' || b == '\r'
		t[c] = !ok
	}
	return t
}()

// Prescan returns nil or a *Rejection: the one pass over raw that bounds
// enmime's work (size, header bytes, parts, nesting, line length and bytes
// that enmime's base64 cleaner reports one by one) before enmime sees it.
func Prescan(raw []byte, lim Limits) error {
	_, err := prescan(raw, lim.withDefaults())
	return err
}

// prescan returns the number of parts counted, the root included.
func prescan(raw []byte, lim Limits) (int, error) {
	if len(raw) > lim.MaxBytes {
		return 0, reject(ReasonTooLarge, "%d bytes, limit %d", len(raw), lim.MaxBytes)
	}
	s := scanner{lim: lim, parts: 1, stack: make([]level, 0, 4)}
	s.startHeader()
	for pos := 0; pos < len(raw); {
		end := bytes.IndexByte(raw[pos:], '\n')
		next := len(raw)
		if end >= 0 {
			next = pos + end + 1
		}
		n := next - pos
		line := raw[pos:next]
		pos = next
		if n > lim.MaxLineBytes {
			return 0, reject(ReasonLineTooLong, "%d bytes, limit %d", n, lim.MaxLineBytes)
		}
		line = trimEOL(line)
		if len(s.stack) > 0 {
			handled, err := s.boundaries(line)
			if err != nil {
				return 0, err
			}
			if handled {
				continue
			}
		}
		if s.inHeader {
			if err := s.headerLine(line, n); err != nil {
				return 0, err
			}
			continue
		}
		if s.base64 {
			for _, c := range line {
				if base64Junk[c] {
					s.badBase64++
				}
			}
			if s.badBase64 > lim.MaxBadBase64 {
				return 0, reject(ReasonUnparseable, "%d bytes outside base64, limit %d", s.badBase64, lim.MaxBadBase64)
			}
		}
	}
	return s.parts, nil
}

func reject(reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// trimEOL drops "\n" and one "\r" before it, as bufio.Reader.ReadLine does.
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

func (s *scanner) startHeader() {
	s.inHeader = true
	s.blockBytes = 0
	s.field = fieldOther
	s.seenCT = false
	s.ct = s.ct[:0]
	s.base64 = false
	s.afterCR = false
}

// boundaries reports whether line is a delimiter or close of an open level,
// and applies it.
func (s *scanner) boundaries(line []byte) (bool, error) {
	top := len(s.stack) - 1
	afterCR := s.afterCR
	loose := afterCR || s.stack[top].preamble
	if len(line) > 0 {
		// enmime skips blank lines before it looks again.
		s.afterCR = bytes.IndexByte(line, '\r') >= 0
	}
	if len(line) >= 3 && (line[0] == '-' && line[1] == '-' || line[1] == '-' && line[2] == '-') {
		for i := range s.stack {
			if m := s.stack[i].strict(line); m != noMatch {
				return true, s.apply(i, m)
			}
		}
	}
	if !loose || !bytes.Contains(line, dashes) {
		return false, nil
	}
	from := top
	if afterCR {
		from = 0
	}
	for i := from; i <= top; i++ {
		if m := s.stack[i].loose(line); m != noMatch {
			return true, s.apply(i, m)
		}
	}
	return false, nil
}

var dashes = []byte("--")

func (s *scanner) apply(i, m int) error {
	s.afterCR = false
	if m == closeMatch {
		s.stack = s.stack[:i]
		s.inHeader = false
		s.base64 = false
		return nil
	}
	s.parts++
	if s.parts > s.lim.MaxParts {
		return reject(ReasonTooManyParts, "over %d parts", s.lim.MaxParts)
	}
	s.stack = s.stack[:i+1]
	s.stack[i].preamble = false
	s.startHeader()
	return nil
}

// strict matches enmime's boundary reader where it ends a body: the
// delimiter at offset 0 or 1 followed by white space, or the close at 0.
func (l *level) strict(line []byte) int {
	for _, c := range l.cands[:l.n] {
		for off := 0; off <= 1; off++ {
			if len(line) < off+len(c.delim) || !bytes.Equal(line[off:off+len(c.delim)], c.delim) {
				continue
			}
			rest := line[off+len(c.delim):]
			switch {
			case !c.exact:
				return delimMatch
			case off == 0 && len(rest) >= 2 && rest[0] == '-' && rest[1] == '-':
				return closeMatch
			case len(rest) == 0 || isSpace(rest[0]):
				return delimMatch
			}
		}
	}
	return noMatch
}

// loose matches enmime's boundary reader where it burns a preamble: the
// close or delimiter anywhere in the line.
func (l *level) loose(line []byte) int {
	for _, c := range l.cands[:l.n] {
		for i := 0; ; {
			j := bytes.Index(line[i:], c.delim)
			if j < 0 {
				break
			}
			k := i + j + len(c.delim)
			rest := line[k:]
			if c.exact && len(rest) >= 2 && rest[0] == '-' && rest[1] == '-' {
				return closeMatch
			}
			if !c.exact || len(rest) == 0 || isSpace(rest[0]) {
				return delimMatch
			}
			i = i + j + 1
		}
	}
	return noMatch
}

// isSpace is unicode.IsSpace of one byte taken as a rune, as enmime tests it.
func isSpace(c byte) bool {
	switch c {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xa0:
		return true
	}
	return false
}

// headerLine takes one line of a header block; n is its length with the
// line end.
func (s *scanner) headerLine(line []byte, n int) error {
	s.blockBytes += n
	s.totalBytes += n
	if s.blockBytes > s.lim.MaxHeaderBytes {
		return reject(ReasonHeadersTooLarge, "header block over %d bytes", s.lim.MaxHeaderBytes)
	}
	if s.totalBytes > s.lim.MaxTotalHeaderBytes {
		return reject(ReasonHeadersTooLarge, "headers over %d bytes in all", s.lim.MaxTotalHeaderBytes)
	}
	if len(line) == 0 {
		return s.endHeader()
	}
	colon := bytes.IndexByte(line, ':')
	switch c := line[0]; {
	case c == ' ' || c == '\t' || c == '\r':
		s.continueField(bytes.TrimSpace(line))
	case colon == 0:
		// enmime skips the line.
	case colon < 0:
		s.continueField(line)
	default:
		name := line[:colon]
		for _, c := range name {
			if c != ' ' && (c <= ' ' || c >= 0x7f) {
				return nil // enmime skips the line, so the field before goes on
			}
		}
		name = bytes.TrimSpace(name)
		s.field = fieldOther
		switch {
		case !s.seenCT && bytes.EqualFold(name, []byte("content-type")):
			s.seenCT = true
			s.field = fieldCT
			s.ct = append(s.ct, bytes.TrimSpace(line[colon+1:])...)
		case bytes.EqualFold(name, []byte("content-transfer-encoding")):
			s.field = fieldCTE
			s.cte(line[colon+1:])
		}
	}
	return nil
}

func (s *scanner) continueField(v []byte) {
	switch s.field {
	case fieldCT:
		s.ct = append(s.ct, ' ')
		s.ct = append(s.ct, v...)
	case fieldCTE:
		s.cte(v)
	}
}

// cte flags the part as base64 when any of its Content-Transfer-Encoding
// text says so, which is at least every time enmime decodes base64.
func (s *scanner) cte(v []byte) {
	if indexFold(v, "base64") >= 0 {
		s.base64 = true
	}
}

// endHeader closes a header block and opens a level when it declares a
// boundary.
func (s *scanner) endHeader() error {
	s.inHeader = false
	var l level
	l.preamble = true
	boundaryParams(s.ct, &l)
	if l.n == 0 {
		return nil
	}
	if len(s.stack)+1 > s.lim.MaxDepth {
		return reject(ReasonTooDeep, "over %d nested multiparts", s.lim.MaxDepth)
	}
	s.stack = append(s.stack, l)
	s.depth = max(s.depth, len(s.stack))
	return nil
}

// boundaryParams adds to l every reading of the boundary parameter of the
// Content-Type value v.
func boundaryParams(v []byte, l *level) {
	l.add(findBoundary(v, true))
	l.add(findBoundary(v, false))
	if bytes.Contains(v, []byte("=?")) {
		// enmime decodes RFC 2047 words in parameters, names included.
		dec := mime.WordDecoder{CharsetReader: passCharset}
		if d, err := dec.DecodeHeader(string(v)); err == nil && d != string(v) {
			l.add(findBoundary([]byte(d), true))
		}
	}
}

func (l *level) add(c candidate, ok bool) {
	if !ok || l.n == maxCandidates {
		return
	}
	for _, o := range l.cands[:l.n] {
		if o.exact == c.exact && bytes.Equal(o.delim, c.delim) {
			return
		}
	}
	c.delim = append([]byte("--"), c.delim...)
	l.cands[l.n] = c
	l.n++
}

// findBoundary finds the first boundary parameter of v, skipping quoted
// strings when quotes is set. The value it returns is the boundary or, when
// not exact, a prefix of it.
func findBoundary(v []byte, quotes bool) (candidate, bool) {
	inQuote := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if quotes && inQuote {
			switch c {
			case '\\':
				i++
			case '"':
				inQuote = false
			}
			continue
		}
		if c == '"' {
			inQuote = true
			continue
		}
		if c|0x20 != 'b' || len(v)-i < 8 || !bytes.EqualFold(v[i:i+8], []byte("boundary")) {
			continue
		}
		j := i + 8
		ext := false // RFC 2231: boundary*, boundary*0, boundary*0*
		for j < len(v) && (v[j] == '*' || v[j] >= '0' && v[j] <= '9') {
			ext = true
			j++
		}
		j = skipWS(v, j)
		if j >= len(v) || v[j] != '=' {
			continue
		}
		if c, ok := boundaryValue(v[skipWS(v, j+1):], ext); ok {
			return c, true
		}
	}
	return candidate{}, false
}

func skipWS(v []byte, j int) int {
	for j < len(v) && (v[j] == ' ' || v[j] == '\t') {
		j++
	}
	return j
}

func boundaryValue(v []byte, ext bool) (candidate, bool) {
	var c candidate
	if len(v) > 0 && v[0] == '"' {
		v = v[1:]
		k := bytes.IndexAny(v, "\"\\")
		c.exact = k >= 0 && v[k] == '"'
		if k >= 0 {
			v = v[:k]
		}
	} else {
		k := bytes.IndexAny(v, "; \t\"")
		c.exact = k < 0 || v[k] == ';'
		if k >= 0 {
			v = v[:k]
		}
	}
	if ext {
		c.exact = false
		if k := bytes.Index(v, []byte("''")); k >= 0 {
			v = v[k+2:]
		}
		if k := bytes.IndexByte(v, '%'); k >= 0 {
			v = v[:k]
		}
	}
	if len(v) > maxBoundary {
		v, c.exact = v[:maxBoundary], false
	}
	c.delim = v
	return c, len(v) > 0
}

// passCharset reads any charset as it stands: boundary names and values are
// ASCII in every charset enmime knows.
func passCharset(_ string, r io.Reader) (io.Reader, error) { return r, nil }

// indexFold is a case-insensitive bytes.Index for an ASCII lowercase needle.
func indexFold(s []byte, needle string) int {
next:
	for i := 0; i+len(needle) <= len(s); i++ {
		for j := range len(needle) {
			if c := s[i+j]; c != needle[j] && c|0x20 != needle[j] {
				continue next
			}
		}
		return i
	}
	return -1
}
