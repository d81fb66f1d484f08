package window

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"
)

// now is mid-way through a 5-minute bucket (10:05..10:10) of 22 Nov 2026.
var now = time.Date(2026, 11, 22, 10, 7, 30, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func windows(c Counts) [4]int64 { return [4]int64{c.Last10m, c.Last1h, c.Last24h, c.Last7d} }

func TestCountsWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		events []time.Time
		now    time.Time
		want   [4]int64 // 10m, 1h, 24h, 7d
	}{
		{"none", nil, now, [4]int64{0, 0, 0, 0}},
		{"one now", []time.Time{now}, now, [4]int64{1, 1, 1, 1}},
		{"later in the current bucket", []time.Time{at("2026-11-22T10:09:59Z")}, now, [4]int64{1, 1, 1, 1}},
		{"start of previous 5-min bucket", []time.Time{at("2026-11-22T10:00:00Z")}, now, [4]int64{1, 1, 1, 1}},
		{"just before previous 5-min bucket", []time.Time{at("2026-11-22T09:59:59Z")}, now, [4]int64{0, 1, 1, 1}},
		{"start of 12th 5-min bucket back", []time.Time{at("2026-11-22T09:10:00Z")}, now, [4]int64{0, 1, 1, 1}},
		{"just before the hour window", []time.Time{at("2026-11-22T09:09:59Z")}, now, [4]int64{0, 0, 1, 1}},
		{"start of 24th hour back", []time.Time{at("2026-11-21T11:00:00Z")}, now, [4]int64{0, 0, 1, 1}},
		{"just before the day window", []time.Time{at("2026-11-21T10:59:59Z")}, now, [4]int64{0, 0, 0, 1}},
		{"start of 7th day back", []time.Time{at("2026-11-16T00:00:00Z")}, now, [4]int64{0, 0, 0, 1}},
		{"just before the week window", []time.Time{at("2026-11-15T23:59:59Z")}, now, [4]int64{0, 0, 0, 0}},
		{"tomorrow is not counted", []time.Time{at("2026-11-23T00:00:00Z")}, now, [4]int64{0, 0, 0, 0}},
		{"next fine bucket is not in 10m", []time.Time{at("2026-11-22T10:10:00Z")}, now, [4]int64{0, 0, 1, 1}},
		{"now at a bucket start", []time.Time{at("2026-11-22T10:00:00Z"), at("2026-11-22T09:59:59Z")}, at("2026-11-22T10:05:00Z"), [4]int64{1, 2, 2, 2}},
		{"now at the last second of a bucket", []time.Time{at("2026-11-22T10:00:00Z"), at("2026-11-22T09:59:59Z")}, at("2026-11-22T10:09:59Z"), [4]int64{1, 2, 2, 2}},
		{"same bucket many times", slices.Repeat([]time.Time{now}, 7), now, [4]int64{7, 7, 7, 7}},
		{"spread", []time.Time{
			now,                                // all
			at("2026-11-22T10:01:00Z"),         // all
			at("2026-11-22T09:30:00Z"),         // 1h, 24h, 7d
			at("2026-11-22T02:00:00Z"),         // 24h, 7d
			at("2026-11-21T12:00:00Z"),         // 24h, 7d
			at("2026-11-20T10:00:00Z"),         // 7d
			at("2026-11-16T08:00:00Z"),         // 7d
			at("2026-11-10T08:00:00Z"),         // none
			now.Add(-30 * 24 * time.Hour),      // none
			now.Add(-365 * 24 * time.Hour),     // none
			at("1969-12-31T23:59:59Z"),         // before the epoch: none
			at("2026-11-22T10:05:00.5+00:00")}, // all
			now, [4]int64{3, 4, 6, 8}},
		{"before the epoch", []time.Time{at("1969-12-31T23:59:59Z"), at("1969-12-31T23:55:00Z"), at("1969-12-31T23:54:59Z")},
			at("1970-01-01T00:00:00Z"), [4]int64{2, 3, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Record
			for i, e := range tt.events {
				r.Add(e, fmt.Sprintf("acc-%d", i))
			}
			if got := windows(r.Counts(tt.now)); got != tt.want {
				t.Errorf("10m, 1h, 24h, 7d = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCountsBaseline(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return now.AddDate(0, 0, -d) }
	// Usual1h averages over the days before today that had events.
	tests := []struct {
		name      string
		events    []time.Time
		wantUsual float64
		wantDays  int
	}{
		{"new key", nil, 0, 0},
		{"only today", []time.Time{now, now.Add(-time.Hour), at("2026-11-22T00:00:00Z")}, 0, 0},
		{"yesterday", []time.Time{day(1), day(1), day(1)}, 3.0 / 24, 1},
		{"last second of yesterday", []time.Time{at("2026-11-21T23:59:59Z")}, 1.0 / 24, 1},
		{"28 days back", []time.Time{day(28)}, 1.0 / 24, 1},
		{"29 days back is beyond", []time.Time{day(29)}, 0, 0},
		{"every day of the baseline", func() []time.Time {
			var ts []time.Time
			for d := 1; d <= 28; d++ {
				ts = append(ts, day(d), day(d))
			}
			return ts
		}(), 2.0 / 24, 28},
		{"busy and quiet days", []time.Time{day(1), day(1), day(1), day(1), day(1), day(1), day(2), day(9)}, 8.0 / (3 * 24), 3},
		{"mixed", []time.Time{now, now, day(1), day(1), day(3), day(28), day(29), day(40)}, 4.0 / (3 * 24), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Record
			for i, e := range tt.events {
				r.Add(e, fmt.Sprintf("acc-%d", i))
			}
			got := r.Counts(now)
			if math.Abs(got.Usual1h-tt.wantUsual) > 1e-12 {
				t.Errorf("Usual1h = %v, want %v", got.Usual1h, tt.wantUsual)
			}
			if got.DaysSeen != tt.wantDays {
				t.Errorf("DaysSeen = %d, want %d", got.DaysSeen, tt.wantDays)
			}
		})
	}
}

func TestAddMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		accounts    []string
		wantMembers []string
		wantSetOnce []bool // whether each Add's delta sets a member
	}{
		{"one", []string{"a"}, []string{"a"}, []bool{true}},
		{"two", []string{"a", "b"}, []string{"a", "b"}, []bool{true, true}},
		{"repeat is counted, not re-added", []string{"a", "a"}, []string{"a"}, []bool{true, false}},
		{"no account", []string{""}, []string{}, []bool{false}},
		{"mixed", []string{"b", "", "a", "b"}, []string{"b", "a"}, []bool{true, false, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Record
			for i, a := range tt.accounts {
				if a != "" && r.Has(a) != slices.Contains(tt.accounts[:i], a) {
					t.Errorf("before Add %d: Has(%q) = %v", i, a, r.Has(a))
				}
				d := r.Add(now.Add(time.Duration(i)*time.Second), a)
				if got := len(d.SetOnce) > 0; got != tt.wantSetOnce[i] {
					t.Errorf("Add %d (%q): SetOnce %v, want set=%v", i, a, d.SetOnce, tt.wantSetOnce[i])
				}
				if len(d.Incr) != 3 {
					t.Errorf("Add %d: Incr has %d counters, want 3 (fine, hour, day): %v", i, len(d.Incr), d.Incr)
				}
				for name, v := range d.Incr {
					if v != 1 {
						t.Errorf("Add %d: Incr[%s] = %d, want 1", i, name, v)
					}
				}
				if a != "" && !r.Has(a) {
					t.Errorf("after Add %d: Has(%q) = false", i, a)
				}
			}
			if r.Has("stranger") {
				t.Error(`Has("stranger") = true`)
			}
			if got := r.Members(); !slices.Equal(got, tt.wantMembers) {
				t.Errorf("Members() = %q, want %q", got, tt.wantMembers)
			}
			c := r.Counts(now.Add(time.Minute))
			if c.Members != len(tt.wantMembers) {
				t.Errorf("Counts.Members = %d, want %d", c.Members, len(tt.wantMembers))
			}
			if c.Last10m != int64(len(tt.accounts)) {
				t.Errorf("Last10m = %d, want every Add counted (%d)", c.Last10m, len(tt.accounts))
			}
		})
	}
}

func TestMembersOrder(t *testing.T) {
	t.Parallel()
	var r Record
	// Added out of time order; ties broken by name.
	r.Add(now.Add(2*time.Minute), "late")
	r.Add(now, "b-tie")
	r.Add(now, "a-tie")
	r.Add(now.Add(-time.Hour), "early")
	want := []string{"early", "a-tie", "b-tie", "late"}
	if got := r.Members(); !slices.Equal(got, want) {
		t.Errorf("Members() = %q, want %q", got, want)
	}
}

// history is a mix of events over five weeks, with more accounts than
// MaxMembers.
func history() []struct {
	t       time.Time
	account string
} {
	var h []struct {
		t       time.Time
		account string
	}
	offsets := []time.Duration{
		0, 2 * time.Minute, 9 * time.Minute, 50 * time.Minute, 3 * time.Hour, 20 * time.Hour,
		2 * 24 * time.Hour, 6 * 24 * time.Hour, 10 * 24 * time.Hour, 27 * 24 * time.Hour, 29 * 24 * time.Hour, 35 * 24 * time.Hour,
	}
	for i := range 3 * MaxMembers {
		off := offsets[i%len(offsets)] + time.Duration(i)*time.Second
		acct := fmt.Sprintf("acc-%03d", i%(MaxMembers+10))
		h = append(h, struct {
			t       time.Time
			account string
		}{now.Add(-off), acct})
	}
	return h
}

func sameRecord(t *testing.T, got, want Record) {
	t.Helper()
	for _, q := range []time.Time{now, now.Add(-time.Hour), now.Add(-3 * 24 * time.Hour), now.Add(-20 * 24 * time.Hour), now.Add(24 * time.Hour)} {
		if g, w := got.Counts(q), want.Counts(q); g != w {
			t.Errorf("Counts(%v) = %+v, want %+v", q, g, w)
		}
	}
	if g, w := got.Members(), want.Members(); !slices.Equal(g, w) {
		t.Errorf("Members() = %q, want %q", g, w)
	}
}

func TestParseApplyReproducesRecord(t *testing.T) {
	t.Parallel()
	var mem Record
	var stored Attrs
	for _, e := range history() {
		d := mem.Add(e.t, e.account)
		stored = Apply(stored, d)
	}
	sameRecord(t, Parse(stored), mem)
	if c := Parse(stored).Counts(now); c.Last7d == 0 || c.Usual1h == 0 || c.Members == 0 {
		t.Fatalf("history too thin to test anything: %+v", c)
	}
}

func TestParseIgnoresUnknownNames(t *testing.T) {
	t.Parallel()
	var mem Record
	stored := Apply(nil, mem.Add(now, "a"))
	noisy := maps.Clone(stored)
	for _, name := range []string{"", "f", "h", "d", "fx", "h1.5", "z123", "accountId", "version", "expires"} {
		noisy[name] = 99
	}
	sameRecord(t, Parse(noisy), mem)
}

func TestMergeEqualsSequence(t *testing.T) {
	t.Parallel()
	adds := func(events []struct {
		t       time.Time
		account string
	}) []Delta {
		var r Record
		var ds []Delta
		for _, e := range events {
			ds = append(ds, r.Add(e.t, e.account))
		}
		return ds
	}
	base := Attrs{"f1": 4, "h1": 4, "d1": 4, "m_old": 1, "x": 7}
	tests := []struct {
		name   string
		start  Attrs
		deltas []Delta
	}{
		{"adds from empty", nil, adds(history())},
		{"adds onto stored", base, adds(history()[:10])},
		{"first SetOnce wins", base, []Delta{
			{SetOnce: Attrs{"m_a": 10}},
			{SetOnce: Attrs{"m_a": 20, "m_b": 30}},
			{SetOnce: Attrs{"m_old": 99}},
		}},
		{"removes", base, []Delta{
			{Remove: []string{"f1"}},
			{Remove: []string{"f1", "h1", "absent"}, Incr: Attrs{"f2": 1}},
			{Incr: Attrs{"f2": 2, "d1": 1}},
		}},
		{"increments add up", nil, []Delta{
			{Incr: Attrs{"f1": 1, "h1": 1}},
			{Incr: Attrs{"f1": 2}},
			{Incr: Attrs{"h1": -1, "d1": 5}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := maps.Clone(tt.start)
			for _, d := range tt.deltas {
				want = Apply(want, d)
			}
			var merged Delta
			for _, d := range tt.deltas {
				merged.Merge(d)
			}
			got := Apply(maps.Clone(tt.start), merged)
			if !maps.Equal(got, want) {
				t.Errorf("Apply(merged) = %v\n      in sequence = %v", got, want)
			}
			names := map[string]bool{}
			for _, n := range merged.Remove {
				if names[n] {
					t.Errorf("merged Remove lists %q twice: %q", n, merged.Remove)
				}
				names[n] = true
			}
		})
	}
}

func TestMergeExpires(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []int64
		want int64
	}{
		{"rises", []int64{10, 20}, 20},
		{"never falls", []int64{20, 10}, 20},
		{"zero keeps", []int64{20, 0}, 20},
		{"from zero", []int64{0, 5}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d Delta
			for _, e := range tt.in {
				d.Merge(Delta{Expires: e})
			}
			if d.Expires != tt.want {
				t.Errorf("Expires = %d, want %d", d.Expires, tt.want)
			}
		})
	}
}

func TestMergeDoesNotAlias(t *testing.T) {
	t.Parallel()
	var d Delta
	src := Delta{Incr: Attrs{"f1": 1}, SetOnce: Attrs{"m_a": 1}}
	d.Merge(src)
	d.Merge(Delta{Incr: Attrs{"f1": 1}, SetOnce: Attrs{"m_b": 2}})
	if src.Incr["f1"] != 1 || len(src.SetOnce) != 1 {
		t.Errorf("Merge changed its argument: %+v", src)
	}
}

func TestApplyRemoveAndIncrSameName(t *testing.T) {
	t.Parallel()
	// A store cannot both remove and add to one attribute in a write; the
	// increment wins (Apply is the reference the adapters follow).
	got := Apply(Attrs{"f1": 5, "f2": 1}, Delta{Incr: Attrs{"f1": 1}, Remove: []string{"f1", "f2"}})
	want := Attrs{"f1": 6}
	if !maps.Equal(got, want) {
		t.Errorf("Apply = %v, want %v", got, want)
	}
}

func TestStaleAndPrune(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		events    []time.Duration // before now
		wantStale int
	}{
		{"fresh", []time.Duration{0, time.Minute, 59 * time.Minute}, 0},
		// 2 h of fine buckets are kept: the one 2 h back is dropped, its
		// hour and day are not.
		{"fine bucket past 2h", []time.Duration{2*time.Hour + 10*time.Minute}, 1},
		{"fine bucket within 2h", []time.Duration{time.Hour + 50*time.Minute}, 0},
		{"hour bucket past 2 days", []time.Duration{49 * time.Hour}, 2},
		{"day bucket past 28 days", []time.Duration{30 * 24 * time.Hour}, 3},
		{"day bucket 28 days back is kept", []time.Duration{28 * 24 * time.Hour}, 2},
		{"several in one bucket drop once", []time.Duration{30 * 24 * time.Hour, 30*24*time.Hour + time.Second}, 3},
		{"mixed", []time.Duration{0, 3 * time.Hour, 3 * 24 * time.Hour, 40 * 24 * time.Hour}, 1 + 2 + 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mem Record
			var stored Attrs
			for i, off := range tt.events {
				stored = Apply(stored, mem.Add(now.Add(-off), fmt.Sprintf("acc-%d", i)))
			}
			before := mem.Counts(now)
			stale := mem.Stale(now)
			if len(stale) != tt.wantStale {
				t.Errorf("Stale = %q (%d), want %d names", stale, len(stale), tt.wantStale)
			}
			for _, name := range stale {
				if _, ok := stored[name]; !ok {
					t.Errorf("Stale names %q, which is not stored", name)
				}
			}
			mem.Prune(now)
			stored = Apply(stored, Delta{Remove: stale})
			sameRecord(t, Parse(stored), mem)
			// Stale buckets are outside every window.
			if after := mem.Counts(now); after != before {
				t.Errorf("Counts after Prune = %+v, before %+v", after, before)
			}
			if again := mem.Stale(now); len(again) != 0 {
				t.Errorf("Stale after Prune = %q, want none", again)
			}
		})
	}
}

func TestStaleMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		n     int
		extra int
	}{
		{"under the bound", MaxMembers - 1, 0},
		{"at the bound", MaxMembers, 0},
		{"one over", MaxMembers + 1, 1},
		{"many over", 3 * MaxMembers, 2 * MaxMembers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mem Record
			var stored Attrs
			var accounts []string
			for i := range tt.n {
				a := fmt.Sprintf("acc-%03d", i)
				accounts = append(accounts, a)
				// Newer accounts are added first, to show that age, not
				// insertion order, decides.
				stored = Apply(stored, mem.Add(now.Add(-time.Duration(i)*time.Second), a))
			}
			stale := mem.Stale(now)
			if len(stale) != tt.extra {
				t.Errorf("Stale = %d names, want %d: %q", len(stale), tt.extra, stale)
			}
			mem.Prune(now)
			stored = Apply(stored, Delta{Remove: stale})
			sameRecord(t, Parse(stored), mem)
			kept := min(tt.n, MaxMembers)
			if got := len(mem.Members()); got != kept {
				t.Errorf("Members after Prune = %d, want %d", got, kept)
			}
			// accounts[0] is the newest, accounts[n-1] the oldest.
			for i, a := range accounts {
				if want := i < kept; mem.Has(a) != want {
					t.Errorf("Has(%q) (age %ds) = %v, want %v", a, i, mem.Has(a), want)
				}
			}
			// Members are pruned; counts are not.
			if got := mem.Counts(now).Last10m; got != int64(tt.n) {
				t.Errorf("Last10m after Prune = %d, want %d", got, tt.n)
			}
		})
	}
}

func TestKeyRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind  Kind
		value string
	}{
		{IP, "198.51.100.23"},
		{IP, "2001:db8::1"},
		{Prefix, "198.51.100.0/24"},
		{Prefix, "2001:db8:1::/48"},
		{ASN, "64496"},
		{Device, "q2Vb3-_xYz"},
		{RecoveryEmail, "aGFzaA"},
		{RecoveryPhone, "cGhvbmU"},
		{Template, "L5D8"},
		{Template, "a#b#c"},
		{IP, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.value, func(t *testing.T) {
			t.Parallel()
			k := NewKey(tt.kind, tt.value)
			if got := k.Kind(); got != tt.kind {
				t.Errorf("Kind() = %q, want %q", got, tt.kind)
			}
			if got := k.Value(); got != tt.value {
				t.Errorf("Value() = %q, want %q", got, tt.value)
			}
		})
	}
}

func TestKeysDistinctAcrossKinds(t *testing.T) {
	t.Parallel()
	seen := map[Key]Kind{}
	for _, k := range Kinds {
		key := NewKey(k, "same")
		if prev, ok := seen[key]; ok {
			t.Errorf("kinds %q and %q give the same key %q", prev, k, key)
		}
		seen[key] = k
	}
	if len(Kinds) != 7 {
		t.Errorf("len(Kinds) = %d, want 7", len(Kinds))
	}
}
