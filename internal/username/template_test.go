package username

import (
	"fmt"
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		local, want string
	}{
		{"james.miller1987", "l4.l6d4"},
		{"James.Miller1987", "l4.l6d4"},
		{"jsmith4821", "l6d4"},
		{"kdavis9310", "l6d4"},
		{"mbrown0023", "l6d4"},
		{"j_smith_07", "l1_l4_d2"},
		{"john.smith+newsletters", "l4.l4"},
		{"john.smith+", "l4.l4"},
		{"+only", ""},
		{"", ""},
		{"a", "l1"},
		{"ab", "l2"},
		{"abc", "l3"},
		{"abcd", "l4"},
		{"abcde", "l4"},
		{"abcdef", "l6"},
		{"abcdefgh", "l8"},
		{"abcdefghij", "l10"},
		{"abcdefghijklm", "l13"},
		{"abcdefghijklmnopq", "l17"},
		{strings.Repeat("x", 200), "l17"},
		{"1234567890123", "d13"},
		{strings.Repeat("9", 5000), "d999"},
		{"o'brien", "l1'l4"},
		{"mary-jane.o'neil", "l4-l4.l1'l4"},
		{"josé.garcía", "l4.l6"},
		{"李伟1990", "l2d4"},
		{"user\x00name", "l4?l4"},
		{"tab\tname", "l3?l4"},
		{"bad\xffutf8", "l3?l3d1"},
		{"x¹y", "l1?l1"},  // superscript one is a number but not a decimal digit
		{"٣٤abc", "d2l3"}, // Arabic-Indic digits
	}
	for _, tt := range tests {
		t.Run(tt.local, func(t *testing.T) {
			t.Parallel()
			if got := Template(tt.local); got != tt.want {
				t.Errorf("Template(%q) = %q, want %q", tt.local, got, tt.want)
			}
			if got := string(AppendTemplate([]byte("prefix:"), tt.local)); got != "prefix:"+tt.want {
				t.Errorf("AppendTemplate(prefix:, %q) = %q, want %q", tt.local, got, "prefix:"+tt.want)
			}
		})
	}
}

func TestTemplateTruncates(t *testing.T) {
	t.Parallel()
	tests := []string{
		strings.Repeat("a.", 100),
		strings.Repeat("a1", 100),
		strings.Repeat("abcdefghijklmnopq1234567890123.", 10),
		strings.Repeat(".", 200),
		strings.Repeat("\xff", 200),
	}
	for _, local := range tests {
		t.Run(local[:8], func(t *testing.T) {
			t.Parallel()
			got := Template(local)
			if len(got) > MaxTemplate {
				t.Errorf("len(Template(%q)) = %d, want <= %d", local, len(got), MaxTemplate)
			}
			if !strings.HasSuffix(got, "*") {
				t.Errorf("Template(%q) = %q, want a trailing * for the cut", local, got)
			}
		})
	}
}

// TestTemplateWaves checks what the template is for: each bot wave, built
// by one generator from varied names and random numbers, collapses into one
// or two templates, while genuine usernames spread over many.
func TestTemplateWaves(t *testing.T) {
	t.Parallel()
	firsts := []string{"james", "mary", "robert", "linda", "michael", "sarah", "david", "karen", "thomas", "nancy"}
	lasts := []string{"smith", "davis", "brown", "miller", "wilson", "moore", "taylor", "jones", "clark", "lewis"}
	waves := []struct {
		name string
		make func(i int, f, l string) string
		max  int
	}{
		{"initial+surname+4 digits", func(i int, f, l string) string { return fmt.Sprintf("%c%s%04d", f[0], l, i*37%10000) }, 2},
		{"first.last+2 digits", func(i int, f, l string) string { return fmt.Sprintf("%s.%s%02d", f, l, i%100) }, 4},
		{"first_last_3 digits", func(i int, f, l string) string { return fmt.Sprintf("%s_%s_%03d", f, l, i*7%1000) }, 4},
		{"8 random letters+6 digits", func(i int, f, l string) string { return fmt.Sprintf("%.8s%06d", l+f+"xq", i*7919%1000000) }, 2},
	}
	for _, w := range waves {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]int{}
			for i := range 100 {
				seen[Template(w.make(i, firsts[i%len(firsts)], lasts[i/len(firsts)]))]++
			}
			if len(seen) > w.max {
				t.Errorf("100 usernames of one wave gave %d templates, want <= %d: %v", len(seen), w.max, seen)
			}
		})
	}

	genuine := []string{
		"james.miller", "jmiller1987", "mary_jones", "thesarahclark", "dave",
		"lindamoore72", "rob.wilson.nyc", "k.taylor", "nancylewis", "michael.d.brown",
		"tom", "smithfamily", "j.s.davis", "karen-moore", "mjones99",
		"davidtaylor2001", "sarah.j.clark", "lewis.n", "bobbyb", "mary.smith.1955",
		"priya.sharma92", "nguyen.thanh.hai", "oluwaseun.adeyemi", "li.wei1990", "o'brien",
	}
	seen := map[string]bool{}
	for _, g := range genuine {
		seen[Template(g)] = true
	}
	if len(seen) < len(genuine)*2/3 {
		t.Errorf("%d genuine usernames gave only %d templates, want >= %d", len(genuine), len(seen), len(genuine)*2/3)
	}
}

func TestAppendTemplateAllocs(t *testing.T) {
	buf := make([]byte, 0, MaxTemplate)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendTemplate(buf[:0], "James.Miller1987+promo")
	})
	if allocs != 0 {
		t.Errorf("AppendTemplate allocs = %v, want 0", allocs)
	}
}
