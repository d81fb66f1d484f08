package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/mailtrust/abusescan/internal/username"
)

// seed fixes the random strings and name pairs of the evaluation, so the
// report is the same on every run.
const seed = 20250101

// report is how well a model separates held-out names from random letters.
type report struct {
	rows []row
}

// row is one measured rate: the share of a set the score calls random (at
// or over the threshold), or NameMismatch calls suspicious.
type row struct {
	set       string
	n         int
	threshold float64
	flagged   float64
}

func (r *report) add(set string, scores []float64, threshold float64) {
	k := 0
	for _, s := range scores {
		if s >= threshold {
			k++
		}
	}
	r.rows = append(r.rows, row{set: set, n: len(scores), threshold: threshold, flagged: float64(k) / float64(len(scores))})
}

// addFlags records a set judged yes or no (NameMismatch's Suspicious) at
// threshold.
func (r *report) addFlags(set string, flags []bool, threshold float64) {
	k := 0
	for _, f := range flags {
		if f {
			k++
		}
	}
	r.rows = append(r.rows, row{set: set, n: len(flags), threshold: threshold, flagged: float64(k) / float64(len(flags))})
}

// rate returns the flagged share of set at threshold, or -1.
func (r *report) rate(set string, threshold float64) float64 {
	for _, x := range r.rows {
		if x.set == set && x.threshold == threshold {
			return x.flagged
		}
	}
	return -1
}

func (r *report) write(w io.Writer) {
	fmt.Fprintf(w, "%-44s %7s %9s %9s\n", "set", "n", "threshold", "flagged")
	for _, x := range r.rows {
		fmt.Fprintf(w, "%-44s %7d %9.2f %8.2f%%\n", x.set, x.n, x.threshold, 100*x.flagged)
	}
}

// Evaluation sets.
const (
	setNames       = "held-out names (>= 4 letters)"
	setComposites  = "held-out username forms"
	setRandomNames = "random letters, name lengths"
	setRandomComp  = "random letters, username-form lengths"
	setRandom4to5  = "random letters, 4-5"
	setRandom6to7  = "random letters, 6-7"
	setRandom8plus = "random letters, 8+"
	setGenuine     = "mismatch: genuine forms"
	setExtraName   = "mismatch: surname + other name"
	setBought      = "mismatch: name + random 3-5 letters"
	setBought3     = "mismatch: name + random 3 letters"
	setBought4     = "mismatch: name + random 4 letters"
	setBought5     = "mismatch: name + random 5 letters"
)

// evaluate scores the held-out names, username forms built from them
// (first+last, initial+last, first+initial, last+first: "jamesmiller",
// "jmiller", "jamesm", "millerjames") and uniformly random letter strings of
// the same lengths, at the recommended thresholds; and NameMismatch on
// genuine and bought-account usernames built from held-out names.
func evaluate(m *username.Model, held nameSet) *report {
	rng := rand.New(rand.NewPCG(seed, seed))
	randomLetters := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('a' + rng.IntN(26))
		}
		return string(b)
	}
	score := func(s string) float64 {
		v, _ := m.Randomness(s)
		return v
	}
	var names []string
	for _, n := range slices.Concat(held.first, held.last) {
		if len(n) >= 4 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	var forms []string
	for i := range 20000 {
		f, l := pick(held.first), pick(held.last)
		switch i % 4 {
		case 0:
			forms = append(forms, f+l)
		case 1:
			forms = append(forms, f[:1]+l)
		case 2:
			forms = append(forms, f+l[:1])
		case 3:
			forms = append(forms, l+f)
		}
	}
	var sNames, sForms, rNames, rForms, r45, r67, r8 []float64
	for _, n := range names {
		sNames = append(sNames, score(n))
		r := score(randomLetters(len(n)))
		rNames = append(rNames, r)
		switch {
		case len(n) <= 5:
			r45 = append(r45, r)
		case len(n) <= 7:
			r67 = append(r67, r)
		default:
			r8 = append(r8, r)
		}
	}
	for _, f := range forms {
		sForms = append(sForms, score(f))
		rForms = append(rForms, score(randomLetters(len(f))))
	}
	rep := &report{}
	for _, t := range []float64{0.5, username.RandomThreshold} {
		rep.add(setNames, sNames, t)
		rep.add(setComposites, sForms, t)
		rep.add(setRandomNames, rNames, t)
		rep.add(setRandomComp, rForms, t)
		rep.add(setRandom4to5, r45, t)
		rep.add(setRandom6to7, r67, t)
		rep.add(setRandom8plus, r8, t)
	}

	// NameMismatch: display "First Last"; genuine usernames from the usual
	// forms, surname plus another held-out first name (a second real
	// name), and bought-account forms with 3 to 5 random letters.
	suspicious := func(local, display string) bool {
		return m.NameMismatch(local, display).Suspicious()
	}
	var genuine, extra, bought []bool
	var boughtByLen [6][]bool
	for i := range 20000 {
		f, l := pick(held.first), pick(held.last)
		display := strings.ToUpper(f[:1]) + f[1:] + " " + strings.ToUpper(l[:1]) + l[1:]
		var local string
		switch i % 6 {
		case 0:
			local = f + "." + l
		case 1:
			local = f[:1] + l
		case 2:
			local = f + l + fmt.Sprint(1950+rng.IntN(60))
		case 3:
			local = l + f[:1]
		case 4:
			local = f + "_" + l[:1]
		case 5:
			local = l + "." + f
		}
		genuine = append(genuine, suspicious(local, display))
		other := pick(held.first)
		for other == f || len(other) < 3 {
			other = pick(held.first)
		}
		extra = append(extra, suspicious(l+other, display))
		filler := randomLetters(3 + rng.IntN(3))
		switch i % 3 {
		case 0:
			local = l + filler
		case 1:
			local = l + filler + f[:min(len(f), 3)]
		case 2:
			local = f + filler
		}
		b := suspicious(local, display)
		bought = append(bought, b)
		boughtByLen[len(filler)] = append(boughtByLen[len(filler)], b)
	}
	ft := username.FillerThreshold
	rep.addFlags(setGenuine, genuine, ft)
	rep.addFlags(setExtraName, extra, ft)
	rep.addFlags(setBought, bought, ft)
	rep.addFlags(setBought3, boughtByLen[3], ft)
	rep.addFlags(setBought4, boughtByLen[4], ft)
	rep.addFlags(setBought5, boughtByLen[5], ft)
	return rep
}
