package wire

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := []byte{7}
	b = AppendStr(b, "acc-1")
	b = AppendStr(b, strings.Repeat("x", 300))
	b = binary.LittleEndian.AppendUint32(b, 0xDEADBEEF)
	b = binary.LittleEndian.AppendUint64(b, 1<<60+5)
	b = binary.AppendVarint(b, -42)
	b = binary.AppendUvarint(b, 1<<40)
	b = append(b, 3, Bool(true))
	r := NewReader(b)
	if v := r.Byte(); v != 7 {
		t.Errorf("Byte = %d", v)
	}
	if s := r.Str(); s != "acc-1" {
		t.Errorf("Str = %q", s)
	}
	if s := r.Str(); len(s) != 255 {
		t.Errorf("a 300-byte string came back as %d bytes, want 255", len(s))
	}
	if v := r.U32(); v != 0xDEADBEEF {
		t.Errorf("U32 = %x", v)
	}
	if v := r.U64(); v != 1<<60+5 {
		t.Errorf("U64 = %d", v)
	}
	if v := r.Varint(); v != -42 {
		t.Errorf("Varint = %d", v)
	}
	if v := r.Uvarint(); v != 1<<40 {
		t.Errorf("Uvarint = %d", v)
	}
	if n := r.Count(3); n != 3 {
		t.Errorf("Count = %d", n)
	}
	if v := r.Byte(); v != 1 {
		t.Errorf("Bool byte = %d", v)
	}
	if err := r.Done(); err != nil {
		t.Errorf("Done = %v", err)
	}
	// Every truncation, a count over its limit and bytes left over are
	// corrupt, and the first fault is the one reported.
	for n := range len(b) {
		r := NewReader(b[:n])
		r.Byte()
		r.Str()
		r.Str()
		r.U32()
		r.U64()
		r.Varint()
		r.Uvarint()
		r.Count(3)
		r.Byte()
		if err := r.Done(); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("first %d bytes: %v, want ErrCorrupt", n, err)
		}
	}
	if err := func() error { r := NewReader([]byte{9}); r.Count(3); return r.Done() }(); err == nil || !strings.Contains(err.Error(), "more than 3") {
		t.Errorf("count over the limit: %v", err)
	}
	if err := func() error { r := NewReader([]byte{1, 2}); r.Byte(); return r.Done() }(); err == nil || !strings.Contains(err.Error(), "left over") {
		t.Errorf("bytes left over: %v", err)
	}
}

func TestCode(t *testing.T) {
	in := []string{"US", "ZZ", "AA", "us", "U", "", "USA", "U\x00", "ÜS"}
	var b []byte
	for _, s := range in {
		b = AppendStr(b, s)
	}
	r := NewReader(b)
	for _, want := range in {
		if got := r.Code(); got != want {
			t.Errorf("Code() = %q, want %q", got, want)
		}
	}
	if err := r.Done(); err != nil {
		t.Fatal(err)
	}
	if r := NewReader([]byte{2, 'U'}); r.Code() != "" || r.Done() == nil {
		t.Error("a truncated code read without a fault")
	}
	de := []byte{2, 'D', 'E'}
	if n := testing.AllocsPerRun(100, func() { r := Reader{b: de}; _ = r.Code() }); n > 0 {
		t.Errorf("Code allocates %.0f times for a country code", n)
	}
}

// TestStringReader reads strings, truncations included, as NewReader does,
// and the strings outlive a change to the bytes they were read from.
func TestStringReader(t *testing.T) {
	t.Parallel()
	var b []byte
	for _, s := range []string{"acc-1", "", "US", strings.Repeat("y", 40)} {
		b = AppendStr(b, s)
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	for cut := len(b); cut >= 0; cut-- {
		x, y := NewReader(b[:cut]), NewStringReader(b[:cut])
		for range 4 {
			if sx, sy := x.Str(), y.Str(); sx != sy {
				t.Fatalf("cut %d: Str %q, string reader %q", cut, sx, sy)
			}
			if ux, uy := x.Uvarint(), y.Uvarint(); ux != uy {
				t.Fatalf("cut %d: Uvarint %d, string reader %d", cut, ux, uy)
			}
		}
		if (x.Done() == nil) != (y.Done() == nil) {
			t.Fatalf("cut %d: Done %v, string reader %v", cut, x.Done(), y.Done())
		}
	}
	c := slices.Clone(b)
	r := NewStringReader(c)
	s := r.Str()
	clear(c)
	if s != "acc-1" {
		t.Errorf("a string read changed with its record's bytes: %q", s)
	}
}
