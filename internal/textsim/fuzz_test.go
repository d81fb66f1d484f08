package textsim

import (
	"strings"
	"testing"
)

func FuzzSum(f *testing.F) {
	for _, s := range []string{
		"",
		letter,
		strings.ToUpper(letter),
		"> quoted\n-- \nsig",
		strings.Repeat("Größe ΑΒΓ naïve 東京 ", 10),
		strings.Repeat("ab\xffcd ", 30),
		"--\r\n" + letter,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		h, words := Sum(text)
		if words < 0 {
			t.Fatalf("Sum() = %v, %d words", h, words)
		}
		if words < MinWords && h != 0 {
			t.Fatalf("Sum() = %v for %d words, want 0 under MinWords", h, words)
		}
		// Case does not matter.
		if up, upWords := Sum(strings.ToUpper(text)); len(text) < MaxBytes/4 && isSimple(text) && (up != h || upWords != words) {
			t.Fatalf("Sum(upper) = %v, %d; Sum() = %v, %d", up, upWords, h, words)
		}
		if again, againWords := Sum(text); again != h || againWords != words {
			t.Fatalf("Sum() = %v, %d, then %v, %d", h, words, again, againWords)
		}
	})
}

// isSimple reports whether text is ASCII, where upper-casing maps each
// letter to one letter whose lower case is the original (in full Unicode
// it need not: 'ß' upper-cases to "SS", and the Kelvin sign lower-cases to
// 'k').
func isSimple(text string) bool {
	for i := range len(text) {
		if text[i] >= 0x80 {
			return false
		}
	}
	return true
}
