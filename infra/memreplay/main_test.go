package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "a,b,c", want: []string{"a", "b", "c"}},
		{in: " c , a", want: []string{"c", "a"}},
		{in: "a,a", wantErr: "twice"},
		{in: "d", wantErr: "not a, b or c"},
		{in: "", wantErr: "not a, b or c"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseScenarios(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseScenarios(%q) = %v, %v; want error with %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("parseScenarios(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	const n = 10
	all := scenarios(n, false)
	a, b, c := all[0].cfg, all[1].cfg, all[2].cfg
	for _, s := range all {
		if err := s.cfg.Validate(); err != nil {
			t.Errorf("scenario %s: %v", s.name, err)
		}
		if !s.cfg.Logins || s.cfg.Messages {
			t.Errorf("scenario %s: logins %v, messages %v; want true, false", s.name, s.cfg.Logins, s.cfg.Messages)
		}
	}
	accounts := func(cfgDays, perDay int, camps []int) int {
		sum := cfgDays * perDay
		for _, x := range camps {
			sum += x
		}
		return sum
	}
	campaigns := func(i int) []int {
		var out []int
		for _, c := range all[i].cfg.Campaigns {
			out = append(out, c.Accounts)
		}
		return out
	}
	wantAcc := n * accounts(a.Days, a.GenuinePerDay, campaigns(0))
	if got := accounts(b.Days, b.GenuinePerDay, campaigns(1)); got != wantAcc || b.Days != a.Days {
		t.Errorf("b: %d accounts in %d days; want %d in %d", got, b.Days, wantAcc, a.Days)
	}
	if got := accounts(c.Days, c.GenuinePerDay, campaigns(2)); got != wantAcc || c.Days != n*a.Days {
		t.Errorf("c: %d accounts in %d days; want %d in %d", got, c.Days, wantAcc, n*a.Days)
	}
	// c ends where a does, so that no event is dated past the backtest's.
	end := func(days int, start time.Time) time.Time { return start.AddDate(0, 0, days) }
	if !end(c.Days, c.Start).Equal(end(a.Days, a.Start)) {
		t.Errorf("c ends %s, a %s", end(c.Days, c.Start), end(a.Days, a.Start))
	}
	// c's last repetition of the campaigns is a's, at the same times.
	last := c.Campaigns[len(c.Campaigns)-len(a.Campaigns):]
	for i, camp := range a.Campaigns {
		if !last[i].Start.Equal(camp.Start) || last[i].Accounts != camp.Accounts {
			t.Errorf("c's last %s at %s (%d); want %s (%d)", last[i].ID, last[i].Start, last[i].Accounts, camp.Start, camp.Accounts)
		}
	}
}

func TestGCStats(t *testing.T) {
	t.Parallel()
	lines := []string{
		"gc 1 @0.010s 1%: 0.010+0.50+0.004 ms clock, 0.020+0.1/0.3/0+0.008 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
		"gc 2 @1.2s 3%: 0.03+12+0.01 ms clock, 0.06+1/5/0+0.02 ms cpu, 180->190->95 MB, 190 MB goal, 0 MB stacks, 1 MB globals, 2 P",
		"gc 3 @2.0s 3%: 0.03+12+0.01 ms clock, 0.06+1/5/0+0.02 ms cpu, 150->151->120 MB, 190 MB goal, 0 MB stacks, 1 MB globals, 2 P",
		"gc 4 @2.1s 3%: 0.03+1+0.01 ms clock, 0.06+1/5/0+0.02 ms cpu, 1->1->0 MB, 4 MB goal, 0 MB stacks, 1 MB globals, 2 P (forced)",
		"abusectl replay: events read 10, rejected 0, failed 0",
		"line 3: bad event",
	}
	var g gcStats
	var other []string
	for _, l := range lines {
		if !g.add(l) {
			other = append(other, l)
		}
	}
	if want := (gcStats{n: 4, peak: 190, live: 120}); g != want {
		t.Errorf("gcStats = %+v; want %+v", g, want)
	}
	if len(other) != 2 {
		t.Errorf("non-gc lines = %q; want the last two", other)
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	in := "gc 1 @0.010s 1%: 0.010+0.50+0.004 ms clock, 0.02 ms cpu, 3->4->1 MB, 4 MB goal, 2 P\n" +
		"line 7: time: more than 5m0s ahead of the receiver's clock\n" +
		"abusectl replay: events read 12, rejected 1, failed 0, duplicates 0, skipped 0; verdicts: suspend 0, review 0, allow 11; queue pending: suspend 0, review 0\n"
	var g gcStats
	summary, other, err := scan(strings.NewReader(in), &g)
	if err != nil {
		t.Fatal(err)
	}
	if g.n != 1 || len(other) != 1 || !strings.HasPrefix(other[0], "line 7") {
		t.Errorf("gc %+v, other %q", g, other)
	}
	read, rejected, err := parseSummary(summary)
	if err != nil || read != 12 || rejected != 1 {
		t.Errorf("parseSummary(%q) = %d, %d, %v; want 12, 1", summary, read, rejected, err)
	}
	if _, _, err := parseSummary(""); err == nil {
		t.Error("parseSummary of nothing: no error")
	}
}

func TestWithGCTrace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  []string
		want []string
	}{
		{[]string{"A=1"}, []string{"A=1", "GODEBUG=gctrace=1"}},
		{[]string{"GODEBUG=madvdontneed=1", "A=1"}, []string{"A=1", "GODEBUG=gctrace=1,madvdontneed=1"}},
		{[]string{"GODEBUG="}, []string{"GODEBUG=gctrace=1"}},
	}
	for _, tt := range tests {
		if got := withGCTrace(tt.env); !slices.Equal(got, tt.want) {
			t.Errorf("withGCTrace(%q) = %q; want %q", tt.env, got, tt.want)
		}
	}
}

func TestRow(t *testing.T) {
	t.Parallel()
	r := result{name: "a", desc: "30-day backtest", days: 30, accounts: 50000, events: 300000,
		wall: 10 * time.Second, cpu: 15 * time.Second, maxRSS: 512 * 1024,
		gc: gcStats{n: 3, peak: 200, live: 120}, storeBytes: 64 << 20, keys: 1234}
	got := r.row()
	want := "| a: 30-day backtest | 30 | 50000 | 300000 | 0 | 10.0 s | 30000 | 15.0 s | 512 MB | 200 MB (120 MB) | 3 | 64 MB | 1234 |"
	if got != want {
		t.Errorf("row = %q\nwant  %q", got, want)
	}
	if cols, hcols := strings.Count(got, "|"), strings.Count(header, "|"); cols != hcols || strings.Count(separator, "|") != hcols {
		t.Errorf("row has %d bars, header %d, separator %d", cols, hcols, strings.Count(separator, "|"))
	}
}
