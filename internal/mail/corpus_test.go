package mail

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Allocation bound of one Parse: allocK bytes per message byte plus allocC.
// enmime copies each part a few times (boundary buffer, decoding, charset,
// the Envelope's text); a message past it is the superlinear growth the
// pre-scan exists to stop.
const (
	allocK = 40
	allocC = 4 << 20
	// allocRaceC replaces allocC under the race detector (see raceEnabled).
	allocRaceC = 64 << 20
)

// TestCorpus parses every message of the SpamAssassin public corpus and
// every file of enmime's own test mail: each is parsed or turned away with
// a known reason, none allocates past allocK × size + allocC.
func TestCorpus(t *testing.T) {
	msgs := loadSpamAssassin(t)
	msgs = append(slices.Clip(msgs), enmimeMail(t)...)
	lim := DefaultLimits()
	counts := map[string]int{}
	worst, worstName := 0.0, ""
	overC := 0
	c := allocC
	if raceEnabled {
		c = allocRaceC
	}
	var before, after runtime.MemStats
	for _, m := range msgs {
		runtime.ReadMemStats(&before)
		f, err := Parse(m.raw, lim)
		runtime.ReadMemStats(&after)
		reason := checkOutcome(t, m.name, m.raw, lim, f, err)
		group, _, _ := strings.Cut(m.name, "/")
		if reason == "" {
			counts[group+" parsed"]++
		} else {
			counts[group+" "+reason]++
		}
		alloc := after.TotalAlloc - before.TotalAlloc
		overC = max(overC, int(alloc)-allocK*len(m.raw))
		if bound := uint64(allocK*len(m.raw) + c); alloc > bound {
			t.Errorf("%s: %d bytes allocated for %d bytes, bound %d", m.name, alloc, len(m.raw), bound)
		}
		if r := float64(alloc) / float64(len(m.raw)+1); r > worst && len(m.raw) > 64<<10 {
			worst, worstName = r, m.name
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	})
	total := 0
	for _, k := range keys {
		t.Logf("%-28s %5d", k, counts[k])
		total += counts[k]
	}
	t.Logf("%d messages; most allocated per byte among those over 64 KiB: %.1f (%s); most over %d × size: %d bytes (bound %d)",
		total, worst, worstName, allocK, overC, c)
	if total != len(msgs) {
		t.Fatalf("counted %d of %d", total, len(msgs))
	}
}
