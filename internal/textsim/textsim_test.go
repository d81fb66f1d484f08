package textsim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// letter is a text of well over MinWords words.
const letter = `Dear hiring manager,

I am writing to apply for the position of warehouse operator at Northwind
Logistics. Over the past six years I have managed inventory, trained new
staff and kept a forklift safety record without a single incident. I would
welcome the chance to bring the same care to your team in Denver.

Thank you for your time and consideration.
`

func TestSumNormalizes(t *testing.T) {
	t.Parallel()
	want, wantWords := Sum(letter)
	if want == 0 {
		t.Fatalf("Sum(letter) = 0, want a hash (%d words)", wantWords)
	}
	tests := []struct {
		name string
		text string
	}{
		{"upper case", strings.ToUpper(letter)},
		{"whitespace", strings.Join(strings.Fields(letter), "  \t ")},
		{"one line", strings.Join(strings.Fields(letter), " ")},
		{"CRLF", strings.ReplaceAll(letter, "\n", "\r\n")},
		{"punctuation", strings.NewReplacer(",", " ;; ", ".", "!!!", " ", " - ").Replace(letter)},
		{"quoted reply", letter + "\n> Please send your CV\n>> and your references, with the dates of each position you held in the last ten years.\n  > indented quote too\n"},
		{"quoted reply between", strings.Replace(letter, "Over the past", "\n> quoted words here and there, many of them\nOver the past", 1)},
		{"signature", letter + "-- \nJohn Smith\nSenior forklift operator, certified, available immediately, call me any time\n"},
		{"signature without space", letter + "--\r\nJohn Smith, five hundred more words of signature that do not count at all\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, words := Sum(tt.text)
			if got != want || words != wantWords {
				t.Errorf("Sum() = %v, %d words; want %v, %d words", got, words, want, wantWords)
			}
		})
	}
}

func TestSumWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		text      string
		wantWords int
		wantZero  bool
	}{
		{"empty", "", 0, true},
		{"short", "Thanks, see you tomorrow!", 4, true},
		{"one short", strings.Repeat("word ", MinWords-1), MinWords - 1, true},
		{"just enough", strings.Repeat("word ", MinWords), MinWords, false},
		{"unicode", strings.Repeat("Größe ΑΒΓ naïve 東京 ", 5), 20, false},
		{"digits join letters", strings.Repeat("a1b2 3c ", 10), 20, false},
		{"only punctuation", strings.Repeat("-- ... !!! ", 100), 0, true},
		{"only quotes", strings.Repeat("> quoted text here\n", 20), 0, true},
		{"invalid UTF-8", strings.Repeat("ab\xffcd ", 10), 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, words := Sum(tt.text)
			if words != tt.wantWords || (got == 0) != tt.wantZero {
				t.Errorf("Sum(%.30q) = %v, %d words; want %d words, zero hash %v", tt.text, got, words, tt.wantWords, tt.wantZero)
			}
		})
	}
}

func TestSumMaxBytes(t *testing.T) {
	t.Parallel()
	head := strings.Repeat(letter, MaxBytes/len(letter)+1)[:MaxBytes]
	want, wantWords := Sum(head)
	got, words := Sum(head + strings.Repeat("tail words that must not count ", 1000))
	if got != want || words != wantWords {
		t.Errorf("Sum(text over MaxBytes) = %v, %d words; want %v, %d (its first MaxBytes)", got, words, want, wantWords)
	}
}

// TestSumStable pins one hash: hashes are stored, so a change in the
// algorithm must be deliberate.
func TestSumStable(t *testing.T) {
	t.Parallel()
	got, _ := Sum(letter)
	if want := Hash(0xee22d4894276e327); got != want {
		t.Errorf("Sum(letter) = %#x, want %#x", uint64(got), uint64(want))
	}
}

func TestSumTemplates(t *testing.T) {
	t.Parallel()
	a, _ := Sum(letter)
	tests := []struct {
		name string
		text string
		near bool
	}{
		{"other name and place", strings.NewReplacer("Northwind", "Contoso", "Denver", "Austin", "six", "nine").Replace(letter), true},
		{"sentence moved", strings.Replace(letter, "Thank you for your time and consideration.\n", "", 1) + "\nThank you for your time and consideration.\n", true},
		{"unrelated", "Hi all, the quarterly numbers are in and the team beat its target by a wide margin; drinks on Friday at the usual place, bring your partners and do not forget the raffle tickets.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, _ := Sum(tt.text)
			if got := Distance(a, b) <= Near; got != tt.near {
				t.Errorf("Distance = %d, near %v; want near %v", Distance(a, b), got, tt.near)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b Hash
		want int
	}{
		{0, 0, 0},
		{1, 0, 1},
		{0xf0f0, 0x0f0f, 16},
		{^Hash(0), 0, 64},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%x-%x", uint64(tt.a), uint64(tt.b)), func(t *testing.T) {
			t.Parallel()
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%#x, %#x) = %d, want %d", uint64(tt.a), uint64(tt.b), got, tt.want)
			}
		})
	}
}

// Sizes of the measurement: instances of each template, and unrelated
// random texts.
const (
	templates = 200
	instances = 5
	randoms   = 200
)

// nearRates are the distances between letters of one template (same) and
// between letters of different templates and random texts (diff), sorted.
func nearRates(t *testing.T, e editing) (same, diff []int) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	v := newVocab(r, 3000)
	type text struct {
		h        Hash
		template int // -1 for random texts
	}
	var texts []text
	for i := range templates {
		tpl := newTemplate(r, v, e)
		for range instances {
			h, words := Sum(tpl.instance(r, v, e))
			if words < MinWords {
				t.Fatalf("template %d: instance of %d words", i, words)
			}
			texts = append(texts, text{h, i})
		}
	}
	for range randoms {
		h, _ := Sum(randomText(r, v))
		texts = append(texts, text{h, -1})
	}
	for i := range texts {
		for j := i + 1; j < len(texts); j++ {
			d := Distance(texts[i].h, texts[j].h)
			if texts[i].template >= 0 && texts[i].template == texts[j].template {
				same = append(same, d)
			} else {
				diff = append(diff, d)
			}
		}
	}
	slices.Sort(same)
	slices.Sort(diff)
	return same, diff
}

// rate returns the share of sorted distances ds at or under thr.
func rate(ds []int, thr int) float64 {
	n, _ := slices.BinarySearch(ds, thr+1)
	return float64(n) / float64(len(ds))
}

// pct returns the p-th percentile (0 to 100) of sorted ds, nearest rank.
func pct(ds []int, p float64) int {
	return ds[min(int(p/100*float64(len(ds))), len(ds)-1)]
}

// TestNearRates measures how often letters of one template stay within
// Near and how often unrelated texts come within it, and logs the figures
// BENCH-imagehash.md reports: go test ./internal/textsim -run TestNearRates
// -v. Near is held to the light edits; the heavy ones are reported.
func TestNearRates(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%d templates x %d letters, %d random texts\n", templates, instances, randoms)
	sb.WriteString("\n| threshold | found, light edits | false, light edits | found, heavy edits | false, heavy edits |\n|---|---|---|---|---|\n")
	lightSame, lightDiff := nearRates(t, lightEdits)
	heavySame, heavyDiff := nearRates(t, heavyEdits)
	for thr := 10; thr <= 22; thr++ {
		mark := ""
		if thr == Near {
			mark = " (Near)"
		}
		fmt.Fprintf(&sb, "| %d%s | %.4f | %.5f | %.4f | %.5f |\n", thr, mark,
			rate(lightSame, thr), rate(lightDiff, thr), rate(heavySame, thr), rate(heavyDiff, thr))
	}
	for _, c := range []struct {
		e          editing
		same, diff []int
	}{{lightEdits, lightSame, lightDiff}, {heavyEdits, heavySame, heavyDiff}} {
		fmt.Fprintf(&sb, "\n%s: same template, %d pairs: p50 %d, p90 %d, p95 %d, p99 %d, max %d\n", c.e.name,
			len(c.same), pct(c.same, 50), pct(c.same, 90), pct(c.same, 95), pct(c.same, 99), c.same[len(c.same)-1])
		fmt.Fprintf(&sb, "%s: unrelated, %d pairs: min %d, p0.1 %d, p1 %d, p5 %d, p50 %d\n", c.e.name,
			len(c.diff), c.diff[0], pct(c.diff, 0.1), pct(c.diff, 1), pct(c.diff, 5), pct(c.diff, 50))
	}
	t.Log(sb.String())

	if got := rate(lightSame, Near); got < 0.95 {
		t.Errorf("near-duplicates found at Near = %d: %.4f, want at least 0.95", Near, got)
	}
	for _, diff := range [][]int{lightDiff, heavyDiff} {
		if got := rate(diff, Near); got > 0.001 {
			t.Errorf("false near-matches at Near = %d: %.5f, want at most 0.001", Near, got)
		}
	}
}
