package mail

import (
	"errors"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// fuzzLimits are small, so the fuzzer reaches them.
func fuzzLimits() Limits {
	lim := DefaultLimits()
	lim.MaxParts = 20
	lim.MaxDepth = 4
	lim.MaxHeaderBytes = 4096
	lim.MaxTotalHeaderBytes = 8192
	lim.MaxLineBytes = 8192
	lim.MaxBadBase64 = 64
	lim.MaxImages = 2
	lim.MaxRecipients = 3
	return lim
}

func addSeeds(f *testing.F) {
	for _, m := range hostileSamples(f) {
		f.Add(m.raw)
	}
	for _, m := range enmimeMail(f) {
		f.Add(m.raw)
	}
	f.Add(multipart("multipart/mixed; boundary=b", parts("b", 3)))
	f.Add(nested(5))
}

// FuzzPrescan holds Prescan to its limits: what it accepts is within them.
func FuzzPrescan(f *testing.F) {
	addSeeds(f)
	lim := fuzzLimits()
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, err := prescan(raw, lim)
		if err != nil {
			var r *Rejection
			if !errors.As(err, &r) {
				t.Fatalf("error %v is not a *Rejection", err)
			}
			return
		}
		if n < 1 || n > lim.MaxParts || len(raw) > lim.MaxBytes {
			t.Fatalf("accepted %d bytes, %d parts", len(raw), n)
		}
	})
}

// FuzzParse holds Parse to its contract, and the pre-scan's model to
// enmime's: what the pre-scan accepts, enmime builds no more parts of, nor
// deeper.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	lim := fuzzLimits()
	f.Fuzz(func(t *testing.T, raw []byte) {
		if n, err := prescan(raw, lim); err == nil {
			if env, err := readEnvelope(raw); err == nil {
				if got := countParts(env.Root); got > n {
					t.Fatalf("enmime built %d parts, pre-scan counted %d", got, n)
				}
				if got := treeDepth(env.Root); got > lim.MaxDepth {
					t.Fatalf("enmime nested %d deep, limit %d", got, lim.MaxDepth)
				}
			}
		}
		fs, err := Parse(raw, lim)
		checkOutcome(t, "input", raw, lim, fs, err)
	})
}

// treeDepth counts the multipart levels of enmime's tree.
func treeDepth(p *enmime.Part) int {
	d := 0
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		d = max(d, 1+treeDepth(c))
	}
	return d
}
