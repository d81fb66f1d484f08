package keyhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

var testKey = []byte("0123456789abcdef-test-key")

func mustNew(t *testing.T, key []byte) *Hasher {
	t.Helper()
	h, err := New(key)
	if err != nil {
		t.Fatalf("New(%d bytes): %v", len(key), err)
	}
	return h
}

func TestNewKeyLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		key     []byte
		wantErr bool
	}{
		{"nil", nil, true},
		{"empty", []byte{}, true},
		{"one short", randomKey(MinKeyBytes - 1), true},
		{"minimum", randomKey(MinKeyBytes), false},
		{"long", randomKey(64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := New(tt.key)
			if tt.wantErr {
				if !errors.Is(err, ErrShortKey) || h != nil {
					t.Errorf("New = %v, %v, want nil, ErrShortKey", h, err)
				}
				return
			}
			if err != nil || h == nil {
				t.Fatalf("New = %v, %v", h, err)
			}
		})
	}
}

// randomKey returns n bytes of a fixed pseudo-random sequence: a key as a
// generator makes one.
func randomKey(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	key := make([]byte, n)
	for i := range key {
		key[i] = byte(r.Uint32())
	}
	return key
}

func TestCheckRefusesLowEntropy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
	}{
		{"spaces", strings.Repeat(" ", 16)},
		{"zeros", string(make([]byte, 32))},
		{"one letter", strings.Repeat("a", 64)},
		{"two letters", strings.Repeat("ab", 16)},
		{"counting, repeated", strings.Repeat("1234", 4)},
		{"a word, repeated", "changeme-changeme"},
		{"a longer pattern, repeated", "0123456789abcdef0123456789abcdef"},
		{"seven distinct bytes", "abcdefggfedcbaabcdefg"},
		{"padded", "key-1234" + strings.Repeat("0", 12)},
		{"mostly one byte", "abcdefgh" + strings.Repeat("x", 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if len(tt.key) < MinKeyBytes {
				t.Fatalf("test key of %d bytes: the length check would refuse it first", len(tt.key))
			}
			err := Check([]byte(tt.key))
			if !errors.Is(err, ErrWeakKey) {
				t.Fatalf("Check(%q) = %v, want ErrWeakKey", tt.key, err)
			}
			if h, err := New([]byte(tt.key)); h != nil || !errors.Is(err, ErrWeakKey) {
				t.Errorf("New(%q) = %v, %v, want nil, ErrWeakKey", tt.key, h, err)
			}
			// The message may reach a log: it describes the key, never shows it.
			if strings.Contains(err.Error(), tt.key) || strings.Contains(err.Error(), tt.key[:8]) {
				t.Errorf("Check error %q shows the key", err)
			}
		})
	}
}

func TestCheckAcceptsGeneratedKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
	}{
		{"openssl rand -base64 32", "b7Qw0m3Zx9T4pL2vR8sK1nC6yH5uJ0aE3fG9dW2qX4M="},
		{"openssl rand -hex 16", "3f9a1c2b7e4d8a0f6c5b2e1d9a8f7c3e"},
		{"openssl rand -base64 12", "Zk3pQ9xL2vB7sT1m"},
		{"raw bytes", string(randomKey(MinKeyBytes))},
		// Keys the project's own tests and tools use.
		{"development key", "abusectl-local-development-key"},
		{"sixteen distinct", "0123456789abcdef"},
		{"words and dashes", "a-key-of-enough-bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := Check([]byte(tt.key)); err != nil {
				t.Errorf("Check(%q) = %v, want nil", tt.key, err)
			}
		})
	}
}

// TestCheckRandomKeysPass draws keys as generators encode them: a rule that
// refused a fair share of random keys would teach operators to ignore it.
func TestCheckRandomKeysPass(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	encodings := []struct {
		name   string
		encode func([]byte) string
		bytes  int
	}{
		{"hex of 16 bytes", hex.EncodeToString, 16},
		{"base64 of 16 bytes", base64.StdEncoding.EncodeToString, 16},
		{"base64 of 32 bytes", base64.StdEncoding.EncodeToString, 32},
		{"raw 16 bytes", func(b []byte) string { return string(b) }, 16},
	}
	for _, enc := range encodings {
		refused := 0
		const draws = 20000
		for range draws {
			b := make([]byte, enc.bytes)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if Check([]byte(enc.encode(b))) != nil {
				refused++
			}
		}
		// Measured: 34 in a million for hex of 16 bytes, none for the rest.
		if refused > 2 {
			t.Errorf("%s: %d of %d random keys refused", enc.name, refused, draws)
		}
	}
}

func TestSumDeterministic(t *testing.T) {
	t.Parallel()
	a, b := mustNew(t, testKey), mustNew(t, testKey)
	for _, v := range []string{"d1f0c4e2a9", "jm.backup@othermail.example", "+13125550123", "", "ünïcode"} {
		if x, y := a.Sum("dev", v), a.Sum("dev", v); x != y {
			t.Errorf("Sum(%q) twice: %q, %q", v, x, y)
		}
		if x, y := a.Sum("dev", v), b.Sum("dev", v); x != y {
			t.Errorf("Sum(%q) by two hashers of one key: %q, %q", v, x, y)
		}
	}
}

func TestSumShape(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	for _, v := range []string{"", "x", strings.Repeat("long value ", 100)} {
		got := h.Sum("rem", v)
		raw, err := base64.RawURLEncoding.DecodeString(got)
		if err != nil {
			t.Errorf("Sum(%q) = %q is not unpadded URL-safe base64: %v", v, got, err)
		}
		if len(raw) != 16 {
			t.Errorf("Sum(%q) carries %d bytes, want 16", v, len(raw))
		}
		if strings.ContainsAny(got, "#+/=") {
			t.Errorf("Sum(%q) = %q has a character unsafe in a key", v, got)
		}
	}
}

func TestSumNormalises(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"case", "JM.Backup@OtherMail.Example", "jm.backup@othermail.example", true},
		{"surrounding space", "  jm.backup@othermail.example\t\n", "jm.backup@othermail.example", true},
		{"case and space", " D1F0C4E2A9 ", "d1f0c4e2a9", true},
		{"inner space matters", "d1f0 c4e2a9", "d1f0c4e2a9", false},
		{"different values", "d1f0c4e2a9", "d1f0c4e2a8", false},
		{"prefix", "+1312555012", "+13125550123", false},
		{"empty and space", "", "   ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x, y := h.Sum("rem", tt.a), h.Sum("rem", tt.b)
			if (x == y) != tt.same {
				t.Errorf("Sum(%q) = %q, Sum(%q) = %q: equal %v, want %v", tt.a, x, tt.b, y, x == y, tt.same)
			}
		})
	}
}

func TestSumDomainSeparation(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	tests := []struct {
		name   string
		d1, v1 string
		d2, v2 string
	}{
		{"dev vs rem", "dev", "same", "rem", "same"},
		{"rem vs rph", "rem", "+13125550123", "rph", "+13125550123"},
		// Without a separator these would hash the same bytes.
		{"boundary shift", "dev", "xvalue", "devx", "value"},
		{"empty domain", "", "devvalue", "dev", "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if x, y := h.Sum(tt.d1, tt.v1), h.Sum(tt.d2, tt.v2); x == y {
				t.Errorf("Sum(%q, %q) == Sum(%q, %q) = %q", tt.d1, tt.v1, tt.d2, tt.v2, x)
			}
		})
	}
}

func TestSumKeyed(t *testing.T) {
	t.Parallel()
	a := mustNew(t, testKey)
	b := mustNew(t, []byte("another-key-of-sufficient-length"))
	almost := append([]byte(nil), testKey...)
	almost[len(almost)-1] ^= 1
	c := mustNew(t, almost)
	for _, v := range []string{"d1f0c4e2a9", "", "+13125550123"} {
		x, y, z := a.Sum("dev", v), b.Sum("dev", v), c.Sum("dev", v)
		if x == y || x == z {
			t.Errorf("Sum(%q) same under different keys: %q %q %q", v, x, y, z)
		}
	}
}

func TestNewCopiesKey(t *testing.T) {
	t.Parallel()
	key := append([]byte(nil), testKey...)
	h := mustNew(t, key)
	before := h.Sum("dev", "v")
	for i := range key {
		key[i] = 0
	}
	if after := h.Sum("dev", "v"); after != before {
		t.Errorf("changing the caller's key slice changed the hash: %q -> %q", before, after)
	}
}

func TestSumHidesInput(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	seen := map[string]string{}
	for i := range 2000 {
		v := fmt.Sprintf("+1312555%04d", i)
		got := h.Sum("rph", v)
		for _, part := range []string{v, v[1:]} {
			if strings.Contains(got, part) {
				t.Errorf("Sum(%q) = %q contains %q", v, got, part)
			}
		}
		if prev, ok := seen[got]; ok {
			t.Fatalf("Sum(%q) == Sum(%q) = %q", v, prev, got)
		}
		seen[got] = v
	}
	for _, v := range []string{"d1f0c4e2a9", "jm.backup@othermail.example", "JM.Backup@OtherMail.Example"} {
		if got := h.Sum("dev", v); strings.Contains(strings.ToLower(got), strings.ToLower(v)) {
			t.Errorf("Sum(%q) = %q contains the input", v, got)
		}
	}
}

func TestSumConcurrent(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	want := h.Sum("dev", "d1f0c4e2a9")
	other := h.Sum("rem", "x@y.example")
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 16 {
		wg.Go(func() {
			for range 500 {
				// Interleave domains so a pooled hash reused without Reset
				// would show.
				if i%2 == 0 {
					if got := h.Sum("dev", "d1f0c4e2a9"); got != want {
						errs <- got
						return
					}
				} else if got := h.Sum("rem", "x@y.example"); got != other {
					errs <- got
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Sum gave %q", got)
	}
}

// TestSumStable holds Sum to its construction: HMAC-SHA256 over domain,
// a zero byte and the trimmed, lowercased value, its first 16 bytes in
// unpadded URL base64. Stored keys and queue items carry these hashes, so
// a faster Sum must give the same ones.
func TestSumStable(t *testing.T) {
	t.Parallel()
	h := mustNew(t, testKey)
	long := strings.Repeat("Ab", 3000) // past the scratch buffer kept
	for _, c := range []struct{ domain, value, norm string }{
		{"dev", "d1f0c4e2a9", "d1f0c4e2a9"},
		{"rem", "  JM.Backup@OtherMail.example ", "jm.backup@othermail.example"},
		{"rph", "+13125550123", "+13125550123"},
		{"dev", "ÜNÏCODE", "ünïcode"},
		{"dev", long, strings.ToLower(long)},
		{"rem", "", ""},
	} {
		m := hmac.New(sha256.New, testKey)
		m.Write([]byte(c.domain + "\x00" + c.norm))
		want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
		for range 2 { // a pooled summer's second use too
			if got := h.Sum(c.domain, c.value); got != want {
				t.Errorf("Sum(%q, %.20q) = %q, want %q", c.domain, c.value, got, want)
			}
		}
	}
}

func BenchmarkSum(b *testing.B) {
	h, err := New(testKey)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h.Sum("rem", "jm.backup@othermail.example")
	}
}
