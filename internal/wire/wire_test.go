package wire

import (
	"encoding/binary"
	"errors"
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
