package window

import (
	"fmt"
	"testing"
	"time"
)

// busyKey returns the stored attributes of a key that has been busy for five
// weeks: every fine, hourly and daily bucket in retention is present, with
// MaxMembers members, as Prune leaves it after each batch.
func busyKey() Attrs {
	var mem Record
	var stored Attrs
	start := now.Add(-35 * 24 * time.Hour)
	i := 0
	for t := start; !t.After(now); i++ {
		d := mem.Add(t, fmt.Sprintf("old-%07d", i))
		if i%50 == 0 {
			d.Remove = mem.Stale(t)
			mem.Prune(t)
		}
		stored = Apply(stored, d)
		if now.Sub(t) > 3*time.Hour {
			t = t.Add(17 * time.Minute)
		} else {
			t = t.Add(time.Minute)
		}
	}
	stored = Apply(stored, Delta{Remove: mem.Stale(now)})
	return stored
}

// batchAccounts is one batch of signups on a busy key: new accounts, in no
// particular order of their names, over the ten minutes to now.
func batchAccounts(n int) ([]string, []time.Time) {
	accounts := make([]string, n)
	times := make([]time.Time, n)
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	for i := range n {
		// Like the synthetic traffic's: "acc-" and 10 random characters.
		h := uint64(i+1) * 0x9E3779B97F4A7C15
		b := []byte("acc-")
		for j := range 10 {
			b = append(b, crockford[(h>>(64-5*(j+1)))&31])
		}
		accounts[i] = string(b)
		times[i] = now.Add(-10*time.Minute + time.Duration(i)*10*time.Minute/time.Duration(n))
	}
	return accounts, times
}

// BenchmarkRecord is one pipeline batch on one busy key: Parse, 500 events
// (Has, Add, merge into the key's delta, Counts), then Stale and Prune.
// "Merge" builds a Delta per event and merges it, "AddTo" merges in place.
func BenchmarkRecord(b *testing.B) {
	stored := busyKey()
	accounts, times := batchAccounts(500)
	if n := len(Parse(stored).Members()); n != MaxMembers {
		b.Fatalf("busy key has %d members, want %d", n, MaxMembers)
	}
	for _, bm := range []struct {
		name string
		add  func(r *Record, d *Delta, t time.Time, account string)
	}{
		{"Merge", func(r *Record, d *Delta, t time.Time, account string) { d.Merge(r.Add(t, account)) }},
		{"AddTo", func(r *Record, d *Delta, t time.Time, account string) { r.AddTo(d, t, account) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Parse(stored)
				var d Delta
				var c Counts
				for i, a := range accounts {
					if !r.Has(a) {
						bm.add(&r, &d, times[i], a)
					}
					c = r.Counts(times[i])
				}
				d.Remove = r.Stale(now)
				r.Prune(now)
				if c.Members == 0 || len(d.Remove) == 0 {
					b.Fatalf("counts %+v, %d stale", c, len(d.Remove))
				}
			}
		})
	}
}

// BenchmarkCounts is Counts of a busy key.
func BenchmarkCounts(b *testing.B) {
	r := Parse(busyKey())
	b.ReportAllocs()
	var c Counts
	for b.Loop() {
		c = r.Counts(now)
	}
	if c.Last7d == 0 {
		b.Fatal("no counts")
	}
}

// BenchmarkNewKeys is what most keys of a batch cost: one event on a key
// never seen before, or seen once, then Stale and Prune.
func BenchmarkNewKeys(b *testing.B) {
	var once Record
	seen := Apply(nil, once.Add(now.Add(-time.Hour), "acc-first"))
	for _, bm := range []struct {
		name   string
		stored Attrs
	}{{"new", nil}, {"seen", seen}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := Parse(bm.stored)
				var d Delta
				if !r.Has("acc-second") {
					r.AddTo(&d, now, "acc-second")
				}
				_ = r.Counts(now)
				d.Remove = r.Stale(now)
				r.Prune(now)
			}
		})
	}
}
