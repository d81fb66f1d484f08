package disposable

import (
	"os"
	"strings"
	"testing"
)

func FuzzContains(f *testing.F) {
	l := mustDefault(f)
	for _, s := range []string{"mailinator.com", "A.B.Mailinator.COM.", "gmail.com", "", ".", "..", "instágram.com", "\xff.com", strings.Repeat("a.", 130)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, domain string) {
		got := l.Contains(domain)
		// A subdomain of a listed domain is listed.
		if got && !l.Contains("x."+domain) && len(domain) < maxDomain-2 {
			t.Fatalf("Contains(%q) but not Contains(x.%q)", domain, domain)
		}
		// Case does not matter for ASCII.
		if up := strings.ToUpper(domain); isASCII(domain) && l.Contains(up) != got {
			t.Fatalf("Contains(%q) = %v, Contains(%q) differs", domain, got, up)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func FuzzLoad(f *testing.F) {
	f.Add("a.test\n# c\n*.b.test\n")
	f.Add("[\"a.test\", \"b.test\"]")
	f.Add("[1]")
	f.Fuzz(func(t *testing.T, content string) {
		path := t.TempDir() + "/list"
		if err := writeErr(path, content); err != nil {
			t.Skip(err)
		}
		l, err := Load(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("Load() error %q does not name the file", err)
			}
			return
		}
		if l.Len() == 0 {
			t.Fatal("Load() gave an empty list without an error")
		}
		for d := range l.All() {
			if !l.Contains(d) || !l.Contains("sub."+d) && len(d) < maxDomain-4 {
				t.Fatalf("listed %q not found", d)
			}
		}
	})
}

func writeErr(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}
