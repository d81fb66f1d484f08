package caps_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/enforce/caps"
)

func TestTake(t *testing.T) {
	t.Parallel()
	l := caps.Limits{PerWindow: 3, Window: 10 * time.Minute, PerDay: 5}
	t0 := time.Date(2026, 11, 22, 23, 40, 0, 0, time.UTC)
	cases := []struct {
		name    string
		st      caps.State
		now     time.Time
		refused string
	}{
		{"empty", caps.State{}, t0, ""},
		{"window full", caps.State{Recent: []time.Time{t0.Add(-9 * time.Minute), t0.Add(-time.Minute), t0}, Day: "2026-11-22", DayCount: 3, Seq: 3}, t0, "blast-radius cap: 3 in 10 min reached"},
		{"oldest just out of the window", caps.State{Recent: []time.Time{t0.Add(-10 * time.Minute), t0.Add(-time.Minute), t0}, Day: "2026-11-22", DayCount: 3, Seq: 3}, t0, ""},
		{"day full", caps.State{Day: "2026-11-22", DayCount: 5, Seq: 5}, t0, "blast-radius cap: 5 on 2026-11-22 (UTC) reached"},
		{"a new day", caps.State{Day: "2026-11-22", DayCount: 5, Seq: 5}, t0.Add(30 * time.Minute), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			next, refused := caps.Take(c.st, c.now, l)
			if refused != c.refused {
				t.Fatalf("refused %q, want %q", refused, c.refused)
			}
			if refused != "" {
				if next.Seq != c.st.Seq {
					t.Errorf("a refusal moved Seq to %d", next.Seq)
				}
				return
			}
			if next.Seq != c.st.Seq+1 || len(next.Recent) > l.PerWindow || next.Recent[len(next.Recent)-1] != c.now {
				t.Errorf("next %+v", next)
			}
		})
	}
}

// TestMemorySliding: at most PerWindow in any window, not per clock bucket.
func TestMemorySliding(t *testing.T) {
	t.Parallel()
	var m caps.Memory
	l := caps.Limits{PerWindow: 2, Window: 10 * time.Minute, PerDay: 100}
	t0 := time.Date(2026, 11, 22, 10, 9, 0, 0, time.UTC)
	take := func(id string, at time.Time) bool {
		o, err := m.TakeCap(context.Background(), id, at, l)
		if err != nil {
			t.Fatal(err)
		}
		return o.Granted
	}
	// Two at 10:09, none at 10:11 (a clock bucket would have started
	// afresh at 10:10), one again at 10:19:01.
	if !take("a", t0) || !take("b", t0) || take("c", t0.Add(2*time.Minute)) || !take("d", t0.Add(10*time.Minute+time.Second)) {
		t.Error("sliding window not kept")
	}
	if !take("a", t0.Add(10*time.Minute+time.Second)) {
		t.Error("a retried grant refused")
	}
}
