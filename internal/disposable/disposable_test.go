package disposable

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// defaultList is shared by the tests that only read it; building it is the
// slow part.
var defaultList = sync.OnceValues(Default)

func mustDefault(t testing.TB) *List {
	t.Helper()
	l, err := defaultList()
	if err != nil {
		t.Fatalf("Default() error: %v", err)
	}
	return l
}

func TestDefault(t *testing.T) {
	t.Parallel()
	l := mustDefault(t)
	if got, want := l.Len(), 121581; got != want {
		t.Errorf("Len() = %d, want %d (index.json 121570 + 11 wildcard-only)", got, want)
	}
	tests := []struct {
		domain string
		want   bool
	}{
		{"mailinator.com", true},
		{"guerrillamail.com", true},
		{"10minutemail.com", true},
		{"yopmail.com", true},
		{"MAILINATOR.COM", true},
		{"Mailinator.Com.", true},
		{"a.b.mailinator.com", true},
		{"x.33mail.com", true},   // a wildcard entry
		{"freeml.net", true},     // only in wildcard.json
		{"sub.freeml.net", true}, // and its subdomains
		{"instágram.com", true},  // an internationalized entry
		{"INSTÁGRAM.COM", true},  // in upper case
		{"gmail.com", false},
		{"outlook.com", false},
		{"yahoo.com", false},
		{"icloud.com", false},
		{"proton.me", false},
		{"mail.example", false},
		{"com", false},
		{"", false},
		{".", false},
		{"mailinator.com.evil.example", false},
		{"notmailinator.com", true}, // listed itself
		{"otmailinator.com", false},
		{"ailinator.com", false},
		{"xn--instgram-b2a.com", false}, // punycode is not matched
		{strings.Repeat("a.", 200) + "mailinator.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			if got := l.Contains(tt.domain); got != tt.want {
				t.Errorf("Contains(%q) = %v, want %v", tt.domain, got, tt.want)
			}
		})
	}
}

func TestContainsAllocs(t *testing.T) {
	l := mustDefault(t)
	for _, d := range []string{"a.b.mailinator.com", "gmail.com", "GMAIL.COM", "mail.example"} {
		if allocs := testing.AllocsPerRun(100, func() { l.Contains(d) }); allocs != 0 {
			t.Errorf("Contains(%q) allocs = %v, want 0", d, allocs)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		in, out       []string
		wantLen       int
	}{
		{
			name:    "text",
			content: "# our own list\n\nTrash.Example   # shouting\n  *.burner.test \nspam.test.\n\ttrash.example\n",
			in:      []string{"trash.example", "x.burner.test", "burner.test", "spam.test"},
			out:     []string{"example", "test", "gmail.com"},
			wantLen: 3,
		},
		{
			name:    "text with CRLF and BOM",
			content: "\uFEFFa.test\r\nb.test\r\n",
			in:      []string{"a.test", "b.test"},
			wantLen: 2,
		},
		{
			name:    "json",
			content: "[\n  \"a.test\",\n  \"B.TEST\",\n  \"instágram.com\"\n]\n",
			in:      []string{"a.test", "b.test", "x.instágram.com"},
			out:     []string{"c.test"},
			wantLen: 3,
		},
		{
			name:    "json on one line",
			content: `["a.test","b.test"]`,
			in:      []string{"a.test"},
			wantLen: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, err := Load(writeFile(t, "list", tt.content))
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			if got := l.Len(); got != tt.wantLen {
				t.Errorf("Len() = %d, want %d", got, tt.wantLen)
			}
			for _, d := range tt.in {
				if !l.Contains(d) {
					t.Errorf("Contains(%q) = false, want true", d)
				}
			}
			for _, d := range tt.out {
				if l.Contains(d) {
					t.Errorf("Contains(%q) = true, want false", d)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		want          string
		wantDomain    bool
	}{
		{"bad character", "a.test\nb test.example\n", "list:2: ", true},
		{"address", "a.test\n\nuser@b.test\n", "list:3: ", true},
		{"empty label", "a..test\n", "list:1: ", true},
		{"leading dot", ".a.test\n", "list:1: ", true},
		{"long label", strings.Repeat("a", 64) + ".test\n", "list:1: ", true},
		{"long domain", strings.Repeat("abcdefghi.", 26) + "test\n", "list:1: ", true},
		{"not UTF-8", "a.test\n\xff.test\n", "list:2: ", true},
		{"only comments", "# nothing\n\n", "list: no domains", false},
		{"json not strings", "[\n  \"a.test\",\n  42\n]", "list:3: ", false},
		{"json bad domain", "[\n  \"a.test\",\n\n  \"b_c d\"\n]", "list:4: ", true},
		{"json syntax", "[\n  \"a.test\",\n  \"b.test\"\n  \"c.test\"\n]", "list:4: ", false},
		{"json unterminated", "[\n  \"a.test\",\n", "list:", false},
		{"json trailing data", "[\"a.test\"]\n[\"b.test\"]", "list:2: ", false},
		{"json empty", "[]", "list: no domains", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, "list", tt.content)
			_, err := Load(path)
			if err == nil {
				t.Fatal("Load() = nil error, want one")
			}
			if !strings.Contains(err.Error(), filepath.Dir(path)+string(filepath.Separator)+tt.want) {
				t.Errorf("Load() error = %q, want it to contain %q", err, tt.want)
			}
			if got := errors.Is(err, ErrDomain); got != tt.wantDomain {
				t.Errorf("errors.Is(err, ErrDomain) = %v, want %v (%v)", got, tt.wantDomain, err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want os.ErrNotExist", err)
	}
}

// TestDefaultMatchesUpstream checks the embedded list against the npm
// package when NAMEDATA_DIR names a node_modules directory holding it.
func TestDefaultMatchesUpstream(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("NAMEDATA_DIR")
	if dir == "" {
		t.Skip("NAMEDATA_DIR not set: the node_modules directory with disposable-email-domains")
	}
	want := map[string]bool{}
	for _, f := range []string{"index.json", "wildcard.json"} {
		l, err := Load(filepath.Join(dir, "disposable-email-domains", f))
		if err != nil {
			t.Fatal(err)
		}
		for d := range l.All() {
			want[d] = true
		}
	}
	got := mustDefault(t)
	if got.Len() != len(want) {
		t.Errorf("Default().Len() = %d, upstream has %d", got.Len(), len(want))
	}
	for d := range got.All() {
		if !want[d] {
			t.Errorf("embedded %q not upstream", d)
		}
	}
}

// TestEmbedded makes on domains.txt the checks Default skips: every entry is
// a valid, lowercase domain, and the fast index finds the same set as the
// checked one.
func TestEmbedded(t *testing.T) {
	t.Parallel()
	checked, err := parseText("domains.txt", []byte(embedded))
	if err != nil {
		t.Fatalf("domains.txt does not pass Load's checks: %v", err)
	}
	fast := mustDefault(t)
	if checked.Len() != fast.Len() {
		t.Fatalf("checked Len() = %d, Default().Len() = %d", checked.Len(), fast.Len())
	}
	for d := range checked.All() {
		if !fast.has([]byte(d)) {
			t.Errorf("Default() misses %q", d)
		}
	}
	for line := range strings.Lines(embedded) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if line != strings.ToLower(line) || !strings.HasSuffix(line, "\n") {
			t.Fatalf("domains.txt line %q not lowercase and newline-terminated", line)
		}
	}
}
