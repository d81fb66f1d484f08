package imagehash

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailtrust/abusescan/internal/synth/photo"
)

// Sizes of the match-rate measurement: TestMatchRates hashes every variant
// of every base picture, and every pair of base pictures. The figures in
// BENCH-imagehash.md are of the full run; -short and the race detector
// measure a twentieth of the pictures.
const (
	portraits   = 200
	scenes      = 100
	randomEdits = 4
)

// variant is one kind of light edit measured by TestMatchRates.
type variant struct {
	name string
	edit photo.Edit
}

var variants = []variant{
	{"png", photo.Edit{}},
	{"jpeg q95", photo.Edit{Quality: 95}},
	{"jpeg q75", photo.Edit{Quality: 75}},
	{"jpeg q50", photo.Edit{Quality: 50}},
	{"jpeg q30", photo.Edit{Quality: 30}},
	{"resize 50%", photo.Edit{Scale: 0.5}},
	{"resize 75%", photo.Edit{Scale: 0.75}},
	{"resize 150%", photo.Edit{Scale: 1.5}},
	{"crop 2%", photo.Edit{Crop: 0.02}},
	{"crop 5%", photo.Edit{Crop: 0.05}},
	{"brightness +10%", photo.Edit{Brightness: 0.1}},
	{"brightness -10%", photo.Edit{Brightness: -0.1}},
	{"brightness +20%", photo.Edit{Brightness: 0.2}},
	{"brightness -20%", photo.Edit{Brightness: -0.2}},
	{"resize 50% + q75", photo.Edit{Scale: 0.5, Quality: 75}},
	{"resize 150% + q60", photo.Edit{Scale: 1.5, Quality: 60}},
	{"crop 2% + resize 75% + q75", photo.Edit{Crop: 0.02, Scale: 0.75, Quality: 75}},
	{"crop 5% + resize 50% + q50", photo.Edit{Crop: 0.05, Scale: 0.5, Quality: 50}},
	{"brightness -10% + q50", photo.Edit{Brightness: -0.1, Quality: 50}},
}

// randomKind names the variants made with photo.RandomEdit.
const randomKind = "RandomEdit"

// base is one original picture: the hash of its first upload (JPEG at
// quality 90, as photos circulate), and the distances of its variants to it.
type base struct {
	ref   Hash
	dists map[string][]int
}

func measureBase(t *testing.T, seed uint64, portrait bool) base {
	t.Helper()
	img := photo.Scene(seed, 320, 240)
	if portrait {
		img = photo.Portrait(seed, 256, 256)
	}
	hashOf := func(e photo.Edit) Hash {
		edited := photo.Apply(img, e)
		if e.Quality == 0 {
			// PNG is lossless, so its file would hash as the pixels do
			// (TestSumFormats); skipping the round trip halves the run.
			return hash(edited)
		}
		data, err := photo.Encode(edited, e)
		if err != nil {
			t.Fatal(err)
		}
		h, err := Sum(data, testLimit)
		if err != nil {
			t.Fatalf("Sum(seed %d, %+v): %v", seed, e, err)
		}
		return h
	}
	ref, err := photo.Encode(img, photo.Edit{Quality: 90})
	if err != nil {
		t.Fatal(err)
	}
	b := base{ref: mustSum(t, ref), dists: map[string][]int{}}
	for _, v := range variants {
		b.dists[v.name] = append(b.dists[v.name], Distance(b.ref, hashOf(v.edit)))
	}
	r := rand.New(rand.NewPCG(seed, 1))
	for range randomEdits {
		b.dists[randomKind] = append(b.dists[randomKind], Distance(b.ref, hashOf(photo.RandomEdit(r))))
	}
	return b
}

// percentile returns the p-th percentile (0 to 100) of sorted values,
// nearest rank.
func percentile(sorted []int, p float64) int {
	i := int(p / 100 * float64(len(sorted)))
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// TestMatchRates measures how often edits of one picture stay within Match
// and how often unrelated pictures come within it, and logs the figures
// BENCH-imagehash.md reports: go test ./internal/imagehash -run
// TestMatchRates -v.
func TestMatchRates(t *testing.T) {
	t.Parallel()
	portraits, scenes := portraits, scenes
	if testing.Short() || raceEnabled {
		portraits, scenes = portraits/20, scenes/20
	}
	bases := make([]base, portraits+scenes)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				if i < portraits {
					bases[i] = measureBase(t, uint64(i), true)
				} else {
					bases[i] = measureBase(t, uint64(i-portraits), false)
				}
			}
		})
	}
	for i := range bases {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		return
	}

	kinds := make([]string, 0, len(variants)+1)
	for _, v := range variants {
		kinds = append(kinds, v.name)
	}
	kinds = append(kinds, randomKind)
	var same []int
	perKind := map[string][]int{}
	for _, b := range bases {
		for k, ds := range b.dists {
			same = append(same, ds...)
			perKind[k] = append(perKind[k], ds...)
		}
	}

	// Unrelated pairs: portrait-portrait is the hard case, since every
	// portrait has a head in the middle.
	var diffPortraits, diffAll []int
	for i := range bases {
		for j := i + 1; j < len(bases); j++ {
			d := Distance(bases[i].ref, bases[j].ref)
			diffAll = append(diffAll, d)
			if j < portraits {
				diffPortraits = append(diffPortraits, d)
			}
		}
	}
	slices.Sort(same)
	slices.Sort(diffPortraits)
	slices.Sort(diffAll)

	rate := func(ds []int, thr int) float64 {
		n := 0
		for _, d := range ds {
			if d <= thr {
				n++
			}
		}
		return float64(n) / float64(len(ds))
	}

	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%d portraits (256x256) and %d scenes (320x240); reference: JPEG q90 of the original\n", portraits, scenes)
	fmt.Fprintf(&sb, "same picture, %d variants: p50 %d, p90 %d, p95 %d, p99 %d, max %d\n",
		len(same), percentile(same, 50), percentile(same, 90), percentile(same, 95), percentile(same, 99), same[len(same)-1])
	for _, d := range []struct {
		name string
		ds   []int
	}{{"unrelated portraits", diffPortraits}, {"unrelated, all", diffAll}} {
		fmt.Fprintf(&sb, "%s, %d pairs: min %d, p0.1 %d, p1 %d, p5 %d, p50 %d\n",
			d.name, len(d.ds), d.ds[0], percentile(d.ds, 0.1), percentile(d.ds, 1), percentile(d.ds, 5), percentile(d.ds, 50))
	}
	sb.WriteString("\n| threshold | match rate | false matches, portraits | false matches, all |\n|---|---|---|---|\n")
	for thr := 6; thr <= 18; thr++ {
		mark := ""
		if thr == Match {
			mark = " (Match)"
		}
		fmt.Fprintf(&sb, "| %d%s | %.4f | %.5f | %.5f |\n", thr, mark, rate(same, thr), rate(diffPortraits, thr), rate(diffAll, thr))
	}
	sb.WriteString("\n| variant | n | match rate at Match | p50 | p95 | max |\n|---|---|---|---|---|---|\n")
	for _, k := range kinds {
		ds := perKind[k]
		slices.Sort(ds)
		fmt.Fprintf(&sb, "| %s | %d | %.3f | %d | %d | %d |\n", k, len(ds), rate(ds, Match), percentile(ds, 50), percentile(ds, 95), ds[len(ds)-1])
	}
	t.Log(sb.String())

	if got := rate(same, Match); got < 0.95 {
		t.Errorf("match rate at Match = %d: %.4f, want at least 0.95", Match, got)
	}
	if got := rate(diffAll, Match); got > 0.001 {
		t.Errorf("false-match rate at Match = %d: %.5f, want at most 0.001", Match, got)
	}
}
