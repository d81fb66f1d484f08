// Package wire reads and writes the compact binary records the scanner
// keeps for every login and message (login histories, peer sets, outbound
// histories, content records): little-endian fixed-width numbers, varints,
// and counts and strings of at most 255. Binary, because these records are
// read and written on the hot paths, where JSON was most of the cost.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by the error of a record that does not decode:
// short, over a limit, or with bytes left over.
var ErrCorrupt = errors.New("corrupt record")

// AppendStr appends s, cut to 255 bytes, after its length byte.
func AppendStr(b []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

// Bool is 1 for true, 0 for false.
func Bool(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// Reader reads a record, remembering its first fault: after one, every
// read returns zero, so a decoder reads on and checks Done once.
type Reader struct {
	b   []byte
	err error
	// From NewStringReader: the record as one string, and its length;
	// strings are cut from it.
	s     string
	total int
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// NewStringReader reads b, copied once into a string that every string
// read is cut from: one allocation for a record of many strings instead
// of one each. The strings keep the whole record alive, so it is for
// records that are small and short-lived.
func NewStringReader(b []byte) *Reader { return &Reader{b: b, s: string(b), total: len(b)} }

func (r *Reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
	r.b = nil
}

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if len(r.b) < 1 {
		r.fail("truncated at a byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

// Count reads a count byte, refusing one over limit.
func (r *Reader) Count(limit int) int {
	n := int(r.Byte())
	if n > limit {
		r.fail("%d entries, more than %d", n, limit)
		return 0
	}
	return n
}

// U32 reads a little-endian uint32.
func (r *Reader) U32() uint32 {
	if len(r.b) < 4 {
		r.fail("truncated at a uint32")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// U64 reads a little-endian uint64.
func (r *Reader) U64() uint64 {
	if len(r.b) < 8 {
		r.fail("truncated at a uint64")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("truncated at a varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("truncated at a uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Str reads a string AppendStr wrote.
func (r *Reader) Str() string {
	n := int(r.Byte())
	if len(r.b) < n {
		r.fail("truncated in a string")
		return ""
	}
	var v string
	if r.s != "" {
		off := r.total - len(r.b)
		v = r.s[off : off+n]
	} else {
		v = string(r.b[:n])
	}
	r.b = r.b[n:]
	return v
}

// Code reads a string written by AppendStr that is usually a country code:
// a two-letter one in capitals comes from a table, without an allocation
// (logins read an account's countries on every sign-in); any other string
// reads as Str reads it.
func (r *Reader) Code() string {
	if len(r.b) >= 3 && r.b[0] == 2 && isCap(r.b[1]) && isCap(r.b[2]) {
		v := codes[int(r.b[1]-'A')*26+int(r.b[2]-'A')]
		r.b = r.b[3:]
		return v
	}
	return r.Str()
}

func isCap(c byte) bool { return c >= 'A' && c <= 'Z' }

// codes holds every two-capital string, "AA" to "ZZ".
var codes = func() []string {
	out := make([]string, 26*26)
	for i := range out {
		out[i] = string([]byte{byte('A' + i/26), byte('A' + i%26)})
	}
	return out
}()

// Done returns the first fault, or one for bytes left over, or nil.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes left over", len(r.b))
	}
	return r.err
}
