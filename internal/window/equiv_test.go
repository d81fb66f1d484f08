package window

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// randAttrs returns stored attributes around center: mostly well-formed
// buckets and members, with odd spellings of bucket names, unknown names and
// zero or negative counts mixed in.
func randAttrs(rng *rand.Rand, center time.Time, pool []string) Attrs {
	a := Attrs{}
	f, h, d := buckets(center)
	prefixes := []struct {
		p    string
		base int64
		span int64
	}{{finePrefix, f, 40}, {hourPrefix, h, 60}, {dayPrefix, d, 40}}
	for range rng.IntN(120) {
		p := prefixes[rng.IntN(len(prefixes))]
		idx := p.base - rng.Int64N(p.span) + 2
		name := p.p + strconv.FormatInt(idx, 10)
		switch rng.IntN(20) {
		case 0:
			name = p.p + "0" + strconv.FormatInt(idx, 10)
		case 1:
			name = p.p + "+" + strconv.FormatInt(idx, 10)
		case 2:
			name = p.p + strconv.FormatInt(-idx, 10)
		}
		v := rng.Int64N(20)
		if rng.IntN(10) == 0 {
			v -= 25
		}
		a[name] = v
	}
	for range rng.IntN(3 * MaxMembers) {
		a[memberPrefix+pool[rng.IntN(len(pool))]] = center.Unix() - rng.Int64N(3*86400)
	}
	odd := []string{
		"", "f", "h", "d", "m", "m_", "fx", "h1.5", "d1e3", "z123", "accountId", "version", "expires",
		"f-0", "f00", "h-01", "d" + "9223372036854775807", "f-9223372036854775808",
		"h9223372036854775808", "d-9223372036854775809", "f99999999999999999999", "h+", "d-",
	}
	for range rng.IntN(6) {
		a[odd[rng.IntN(len(odd))]] = rng.Int64N(100)
	}
	return a
}

func randTime(rng *rand.Rand, center time.Time) time.Time {
	switch rng.IntN(8) {
	case 0: // a bucket boundary
		return center.Truncate(FineStep).Add(-time.Duration(rng.IntN(30)) * FineStep)
	case 1:
		return center.Add(-time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
	case 2:
		return center.Add(time.Duration(rng.Int64N(int64(2 * 24 * time.Hour))))
	default:
		return center.Add(-time.Duration(rng.Int64N(int64(3 * time.Hour))))
	}
}

// TestRecordMatchesReference holds Record to the map-based implementation it
// replaced, over random stored items and random sequences of operations.
func TestRecordMatchesReference(t *testing.T) {
	t.Parallel()
	centers := []time.Time{
		now,
		time.Unix(0, 0),                          // indexes change sign and length
		time.Unix(0, 0).Add(-3 * 24 * time.Hour), // before the epoch
		time.Unix(99999*300, 0),                  // fine indexes gain a digit
		time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pool := make([]string, 3*MaxMembers)
	for i := range pool {
		pool[i] = fmt.Sprintf("acc-%x", rng.Uint32())
	}
	// Accounts that agree on their first 8 bytes or more, and the empty one.
	copy(pool, []string{"", "ab", "ab\x00", "ab\x00c", "abcdefgh", "abcdefghi", "abcdefgg", "abcdefg\xff"})
	for i := 8; i < 20; i++ {
		pool[i] = fmt.Sprintf("acc-shared-prefix-%d", i)
	}
	for trial := range 600 {
		center := centers[trial%len(centers)]
		stored := randAttrs(rng, center, pool)
		if trial%7 == 0 {
			stored = nil
		}
		got, want := Parse(stored), refParse(stored)
		// alt sees the same events through AddTo, altWant through
		// Delta.Merge of the reference's Add.
		alt, altWant := Parse(stored), refParse(stored)
		altDelta := Delta{Expires: rng.Int64N(100) - 50}
		if rng.IntN(2) == 0 {
			altDelta.Incr = Attrs{"f1": 2}
			altDelta.SetOnce = Attrs{memberPrefix + pool[1]: 5}
			altDelta.Remove = []string{"h1"}
		}
		wantDelta := Delta{Expires: altDelta.Expires, Incr: maps.Clone(altDelta.Incr), SetOnce: maps.Clone(altDelta.SetOnce), Remove: slices.Clone(altDelta.Remove)}
		var log []string
		check := func(what string, g, w any) {
			t.Helper()
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("trial %d, after %q:\n%s: got  %#v\n%s: want %#v", trial, log, what, g, what, w)
			}
		}
		for range 60 {
			switch op := rng.IntN(10); {
			case op < 5:
				at, acct := randTime(rng, center), pool[rng.IntN(len(pool))]
				log = append(log, fmt.Sprintf("Add(%d, %q)", at.Unix(), acct))
				check("Has", got.Has(acct), want.Has(acct))
				check("Add", got.Add(at, acct), want.Add(at, acct))
				wantDelta.Merge(altWant.Add(at, acct))
				alt.AddTo(&altDelta, at, acct)
				check("AddTo", altDelta, wantDelta)
			case op < 7:
				at := randTime(rng, center)
				log = append(log, fmt.Sprintf("Counts(%d)", at.Unix()))
				check("Counts", got.Counts(at), want.Counts(at))
				check("AddTo Counts", alt.Counts(at), altWant.Counts(at))
			case op < 8:
				at := randTime(rng, center)
				log = append(log, fmt.Sprintf("Stale(%d)", at.Unix()))
				check("Stale", got.Stale(at), want.Stale(at))
				check("AddTo Stale", alt.Stale(at), altWant.Stale(at))
			case op < 9:
				at := randTime(rng, center)
				log = append(log, fmt.Sprintf("Prune(%d)", at.Unix()))
				check("Stale before Prune", got.Stale(at), want.Stale(at))
				got.Prune(at)
				want.Prune(at)
				alt.Prune(at)
				altWant.Prune(at)
				check("Stale after Prune", got.Stale(at), want.Stale(at))
			default:
				log = append(log, "Members")
				check("Members", got.Members(), want.Members())
				check("AddTo Members", alt.Members(), altWant.Members())
				for _, a := range pool[:24] {
					check("Has "+a, got.Has(a), want.Has(a))
				}
			}
		}
		for _, q := range centers {
			check("final Counts", got.Counts(q), want.Counts(q))
			check("final AddTo Counts", alt.Counts(q), altWant.Counts(q))
		}
		check("final Members", got.Members(), want.Members())
		check("final AddTo Members", alt.Members(), altWant.Members())
	}
}
