package window

import (
	"slices"
	"testing"
	"time"
)

func TestInspectBuckets(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 20, 10, 7, 30, 0, time.UTC)
	var r Record
	if f, h, d := r.Buckets(); len(f)+len(h)+len(d) != 0 || f == nil {
		t.Errorf("empty Record: Buckets = %v, %v, %v, want three empty lists", f, h, d)
	}
	// Out of order, as events of a batch may be.
	for _, at := range []time.Duration{0, 2 * time.Minute, 61 * time.Minute, -10 * time.Minute, 26 * time.Hour} {
		r.Add(t0.Add(at), "")
	}
	fine, hourly, daily := r.Buckets()
	want := func(name string, got []Bucket, w ...Bucket) {
		t.Helper()
		if !slices.Equal(got, w) {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	at := func(h, m int, n int64) Bucket { return Bucket{time.Date(2026, 11, 20, h, m, 0, 0, time.UTC), n} }
	want("fine", fine, at(9, 55, 1), at(10, 5, 2), at(11, 5, 1), Bucket{time.Date(2026, 11, 21, 12, 5, 0, 0, time.UTC), 1})
	want("hourly", hourly, at(9, 0, 1), at(10, 0, 2), at(11, 0, 1), Bucket{time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), 1})
	want("daily", daily, at(0, 0, 4), Bucket{time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), 1})

	// What Buckets shows survives storing: Parse of the applied deltas.
	stored := Attrs{}
	for _, at := range []time.Duration{0, 2 * time.Minute, 61 * time.Minute, -10 * time.Minute, 26 * time.Hour} {
		var d Delta
		d.Add(t0.Add(at), "")
		stored = Apply(stored, d)
	}
	f2, h2, d2 := Parse(stored).Buckets()
	want("fine, parsed", f2, fine...)
	want("hourly, parsed", h2, hourly...)
	want("daily, parsed", d2, daily...)
}

func TestInspectFirstSeen(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var r Record
	if got := r.FirstSeen(); got == nil || len(got) != 0 {
		t.Errorf("empty Record: FirstSeen = %v, want an empty list", got)
	}
	r.Add(t0.Add(time.Minute), "acc-b")
	r.Add(t0, "acc-c")
	r.Add(t0.Add(time.Minute), "acc-a")
	r.Add(t0.Add(time.Hour), "acc-c") // seen again: first seen stays
	got := r.FirstSeen()
	want := []Member{{"acc-c", t0}, {"acc-a", t0.Add(time.Minute)}, {"acc-b", t0.Add(time.Minute)}}
	if !slices.Equal(got, want) {
		t.Errorf("FirstSeen = %v, want %v", got, want)
	}
	// The same accounts, in the same order, as Members.
	var accounts []string
	for _, m := range got {
		accounts = append(accounts, m.Account)
	}
	if ms := r.Members(); !slices.Equal(accounts, ms) {
		t.Errorf("FirstSeen accounts %v, Members %v: not the same order", accounts, ms)
	}
	// The list is a copy.
	got[0].Account = "changed"
	if r.FirstSeen()[0].Account != "acc-c" {
		t.Error("changing FirstSeen's result changed the Record")
	}
}
