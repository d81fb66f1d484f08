package embedded

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/window"
)

func TestAttrsEncoding(t *testing.T) {
	tests := []struct {
		name    string
		a       window.Attrs
		expires int64
	}{
		{"empty", window.Attrs{}, 0},
		{"one", window.Attrs{"f1": 1}, 1_800_000_000},
		{"extremes", window.Attrs{"": 0, "min": -1 << 63, "max": 1<<63 - 1, "ü m_x#y": -5}, 1},
		{"many", func() window.Attrs {
			a := window.Attrs{}
			for i := range 300 {
				a[fmt.Sprint("m_acc-", i)] = int64(i * 1000)
			}
			return a
		}(), 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, _ := encodeAttrs(nil, nil, tc.a, tc.expires)
			e, err := parseAttrs(enc)
			if err != nil {
				t.Fatalf("parseAttrs: %v", err)
			}
			if got := e.decode(); !maps.Equal(got, tc.a) || e.expires != tc.expires {
				t.Errorf("decoded %v expiring %d, want %v expiring %d", got, e.expires, tc.a, tc.expires)
			}
			// Every truncation is detected.
			for n := range len(enc) {
				if _, err := parseAttrs(enc[:n]); err == nil {
					t.Fatalf("parseAttrs(first %d of %d bytes) succeeded", n, len(enc))
				}
			}
		})
	}
}

// TestAccountEncodingOlder: records written before Claimed and Anonymous
// (version 1), and before Zone and NameHash (version 2), still read.
func TestAccountEncodingOlder(t *testing.T) {
	a := account.Account{ID: "acc-1", SignupEventID: "evt", Country: "DE", ASN: 64500, Score: 7, Expires: 9}
	enc := appendAccount(nil, a)
	v2 := append([]byte(nil), enc[:len(enc)-2]...) // no Zone, no NameHash (one length byte each)
	v2[0] = 2
	v1 := append([]byte(nil), v2[:len(v2)-2]...) // no Claimed, no Anonymous
	v1[0] = 1
	for v, b := range map[int][]byte{1: v1, 2: v2} {
		got, err := decodeAccount(b)
		if err != nil || got != a {
			t.Errorf("version %d record = %+v, %v; want %+v", v, got, err, a)
		}
	}
}

func TestAccountEncoding(t *testing.T) {
	for _, a := range []account.Account{
		{},
		{ID: "acc-1", SignupEventID: "evt", CreatedAt: time.Date(2025, 3, 1, 1, 2, 3, 4, time.UTC), Country: "DE",
			ASN: 1<<32 - 1, Prefix: "2001:db8::/48", DeviceHash: "k1:ff", Score: -3, Expires: 1_800_000_000,
			Claimed: "FR", Anonymous: true, Zone: "Europe/Paris", NameHash: "k1:0a"},
	} {
		enc := appendAccount(nil, a)
		got, err := decodeAccount(enc)
		if err != nil || got != a {
			t.Errorf("decodeAccount = %+v, %v; want %+v", got, err, a)
		}
		for n := range len(enc) {
			if _, err := decodeAccount(enc[:n]); err == nil {
				t.Fatalf("decodeAccount(first %d of %d bytes) succeeded", n, len(enc))
			}
		}
	}
}

// FuzzStoredValues holds the decoders to never panicking on a damaged
// file, and the encoded merge to agree with window.Apply.
func FuzzStoredValues(f *testing.F) {
	enc, _ := encodeAttrs(nil, nil, window.Attrs{"f1": 3, "m_a": 9}, 5)
	f.Add(enc, "f1", int64(2), "m_b")
	f.Add(appendAccount(nil, account.Account{ID: "x", CreatedAt: time.Unix(5, 6)}), "", int64(0), "")
	f.Add([]byte{1, 0, 0}, "m_a", int64(-1), "f1")
	f.Fuzz(func(t *testing.T, b []byte, name string, v int64, remove string) {
		_, _ = decodeAccount(b)
		old, err := decodeAttrs(b)
		d := window.Delta{Incr: window.Attrs{name: v}, SetOnce: window.Attrs{remove: v}, Remove: []string{remove, name}}
		var m merger
		out, mergeErr := m.apply(nil, b, d)
		if (err == nil) != (mergeErr == nil) {
			t.Fatalf("decode error %v, merge error %v", err, mergeErr)
		}
		if err != nil {
			return
		}
		got, err := decodeAttrs(out)
		if err != nil {
			t.Fatalf("merge output does not decode: %v", err)
		}
		if want := window.Apply(maps.Clone(old), d); !maps.Equal(got, want) {
			t.Fatalf("merge = %v, window.Apply = %v", got, want)
		}
	})
}

func BenchmarkMerge100(b *testing.B) {
	a := window.Attrs{}
	for i := range 100 {
		a[fmt.Sprintf("f%d", 5870000+i)] = int64(i)
	}
	enc, _ := encodeAttrs(nil, nil, a, 0)
	d := window.Delta{Incr: window.Attrs{"f5870001": 1, "h489000": 1, "d20400": 1}, SetOnce: window.Attrs{"m_acc-1": 5}}
	var m merger
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = m.apply(dst[:0], enc, d)
	}
}

func BenchmarkDecode100(b *testing.B) {
	a := window.Attrs{}
	for i := range 100 {
		a[fmt.Sprintf("f%d", 5870000+i)] = int64(i)
	}
	enc, _ := encodeAttrs(nil, nil, a, 0)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = decodeAttrs(enc)
	}
}

// TestExpiresReaders: the expiry readers Expire uses read what the full
// decoders read.
func TestExpiresReaders(t *testing.T) {
	for _, a := range []account.Account{
		{ID: "acc-1", SignupEventID: "e", Country: "US", Prefix: "10.0.0.0/24", DeviceHash: "d", CreatedAt: time.Unix(1_800_000_000, 5), ASN: 7, Score: 55, Expires: 1_800_100_000, Claimed: "DE", Zone: "z"},
		{ID: "acc-2", Expires: -3},
	} {
		v := appendAccount(nil, a)
		if exp, err := accountExpires(v); err != nil || exp != a.Expires {
			t.Errorf("accountExpires = %d, %v; want %d", exp, err, a.Expires)
		}
		if _, err := accountExpires(v[:len(v)/2]); err == nil {
			t.Error("accountExpires read a truncated record")
		}
	}
	s := &Store{}
	v := appendClaim(nil, claim.Claim{ID: "c", EventID: "e", Hash: "h", Owner: "o", LeaseUntil: 9, Expires: 1_800_000_000, Done: true}, "ep")
	c, err := s.decodeClaim(v)
	if exp, xerr := claimExpires(v); err != nil || xerr != nil || exp != c.Expires {
		t.Errorf("claimExpires = %d, %v; decodeClaim = %d, %v", exp, xerr, c.Expires, err)
	}
}
