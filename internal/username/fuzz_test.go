package username

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	"", "james.miller1987", "jsmith4821", "roblesxyfi", "TruesdaleebwEli",
	"nguyễn.thanh.hải", "o'brien+tag", "李伟1990", "\xff\xfe", "a.b.c.d.e.f",
	strings.Repeat("z", 100), strings.Repeat("ab1.", 40),
}

func FuzzTemplate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, local string) {
		got := Template(local)
		if len(got) > MaxTemplate {
			t.Fatalf("len(Template(%q)) = %d > %d", local, len(got), MaxTemplate)
		}
		for i := range len(got) {
			if c := got[i]; c < ' ' || c >= utf8.RuneSelf {
				t.Fatalf("Template(%q) = %q holds byte %#x", local, got, c)
			}
		}
		if app := AppendTemplate([]byte("x"), local); string(app) != "x"+got {
			t.Fatalf("AppendTemplate(x, %q) = %q, want x%q", local, app, got)
		}
		if again := Template(local); again != got {
			t.Fatalf("Template(%q) not stable: %q then %q", local, got, again)
		}
		if before, _, ok := strings.Cut(local, "+"); ok && Template(before) != got {
			t.Fatalf("Template(%q) = %q, differs from its part before +", local, got)
		}
		if Template(strings.ToUpper(local)) != got && local == strings.ToLower(local) && utf8.ValidString(local) && isASCII(local) {
			t.Fatalf("Template(%q) depends on case", local)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzRandomness(f *testing.F) {
	m := defaultModel(f)
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		score, judged := m.Randomness(s)
		if score < 0 || score > 1 || score != score {
			t.Fatalf("Randomness(%q) = %v, want within [0, 1]", s, score)
		}
		if judged < 0 || judged > len(s) {
			t.Fatalf("Randomness(%q) judged %d of %d bytes", s, judged, len(s))
		}
		if judged == 0 && score != 0 {
			t.Fatalf("Randomness(%q) = %v with nothing judged", s, score)
		}
		if bits := m.Surprisal(s); bits < 0 {
			t.Fatalf("Surprisal(%q) = %v < 0", s, bits)
		}
		bits, n := m.Excess(s)
		if n != judged || bits != bits || n == 0 && bits != 0 {
			t.Fatalf("Excess(%q) = %v, %d; Randomness judged %d", s, bits, n, judged)
		}
		// Excess is a per-run maximum: never below the cheapest encoding
		// minus the uniform cost of the letters judged.
		if n > 0 && bits < -float64(n)*uniformBits {
			t.Fatalf("Excess(%q) = %v below -%d*log2(26)", s, bits, n)
		}
	})
}

func FuzzNameMismatch(f *testing.F) {
	m := defaultModel(f)
	for _, s := range fuzzSeeds {
		f.Add(s, "Margarite Robles")
		f.Add(s, "Robles, Margarite Ann")
	}
	f.Add("truesdaleebweli", "Elin Truesdale")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, local, display string) {
		got := m.NameMismatch(local, display)
		if got.Randomness < 0 || got.Randomness > 1 {
			t.Fatalf("Randomness = %v, want within [0, 1]", got.Randomness)
		}
		if got.Pattern > PatternNameRandom {
			t.Fatalf("Pattern = %v", got.Pattern)
		}
		var letters, filler strings.Builder
		for _, p := range got.Parts {
			if p.Kind < PartFirst || p.Kind > PartFiller || p.Text == "" {
				t.Fatalf("bad part %+v", p)
			}
			letters.WriteString(p.Text)
			if p.Kind == PartFiller {
				filler.WriteString(p.Text)
			}
		}
		if filler.String() != got.Filler {
			t.Fatalf("Filler = %q, parts' filler %q", got.Filler, filler.String())
		}
		if got.Suspicious() && len(got.Filler) < minFiller {
			t.Fatalf("suspicious with filler %q", got.Filler)
		}
		if letters.Len() > maxLetters {
			t.Fatalf("%d letters in parts", letters.Len())
		}
		_ = got.String()
	})
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(embedded))
	f.Add([]byte("UNM1\x02\x10\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		s, _ := m.Randomness("xkqzvbrw.jamesmiller")
		if s < 0 || s > 1 {
			t.Fatalf("Randomness = %v", s)
		}
		m.NameMismatch("roblesxyfi", "Margarite Robles")
	})
}

func FuzzTrain(f *testing.F) {
	f.Add("Anne-Marie", "O'Brien")
	f.Add("", "\xff")
	f.Fuzz(func(t *testing.T, a, b string) {
		m, err := Train([]string{a, b}, 3)
		if err != nil {
			t.Fatal(err)
		}
		data, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse(MarshalBinary()) error: %v", err)
		}
		if got, want := m2.Surprisal(a), m.Surprisal(a); got != want || got < 0 {
			t.Fatalf("Surprisal(%q) = %v after a round trip, want %v", a, got, want)
		}
	})
}
