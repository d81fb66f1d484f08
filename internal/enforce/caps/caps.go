// Package caps is the blast-radius guard's arithmetic: how many
// suspensions the enforcer may still send, at most PerWindow in any Window
// (a sliding window, not clock buckets: exactly "N in any 10 minutes") and
// at most PerDay per UTC calendar day. The state is small and lives in one
// item that every concurrent invocation updates with a conditional write
// on Seq, so the count is shared and exact without transactions. Take is
// pure; the stores (DynamoDB in internal/dynamo, Memory here) read the
// state, call it, and write the result back only if Seq did not move.
package caps

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Limits are the caps.
type Limits struct {
	// PerWindow suspensions at most in any Window.
	PerWindow int
	Window    time.Duration
	// PerDay suspensions at most per UTC calendar day.
	PerDay int
}

// Check reports limits no guard can work with.
func (l Limits) Check() error {
	if l.PerWindow < 1 || l.PerDay < 1 || l.Window <= 0 {
		return fmt.Errorf("caps: want at least 1 per window, 1 per day and a positive window, got %d per %s, %d per day", l.PerWindow, l.Window, l.PerDay)
	}
	return nil
}

// State is what the guard keeps between takes.
type State struct {
	// Recent are the times of the grants within the last Window, oldest
	// first (never more than PerWindow of them).
	Recent []time.Time
	// Day is the UTC date (2006-01-02) DayCount counts.
	Day      string
	DayCount int
	// Seq counts every grant ever; a store writes a new state only if the
	// stored Seq is still the one it read.
	Seq int64
}

// Take grants one suspension at now, returning the state to store, or
// refuses it with a reason a person reads ("blast-radius cap: 20 in 10m0s
// reached"), the state then unchanged.
func Take(st State, now time.Time, l Limits) (State, string) {
	cutoff := now.Add(-l.Window)
	recent := slices.DeleteFunc(slices.Clone(st.Recent), func(t time.Time) bool { return !t.After(cutoff) })
	day := now.UTC().Format(time.DateOnly)
	count := st.DayCount
	if st.Day != day {
		count = 0
	}
	switch {
	case len(recent) >= l.PerWindow:
		return st, fmt.Sprintf("blast-radius cap: %d in %s reached", l.PerWindow, windowText(l.Window))
	case count >= l.PerDay:
		return st, fmt.Sprintf("blast-radius cap: %d on %s (UTC) reached", l.PerDay, day)
	}
	return State{Recent: append(recent, now), Day: day, DayCount: count + 1, Seq: st.Seq + 1}, ""
}

// windowText writes 10 minutes as "10 min", the way the notes say it.
func windowText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}

// Outcome is what a store's TakeCap answers.
type Outcome struct {
	Granted bool
	// Again: the grant id had a grant already (a retried call), which is
	// not counted twice.
	Again bool
	// Refused says which cap was reached, when not Granted.
	Refused string
}

// Memory is an in-process guard for tests and local runs. It is safe for
// concurrent use.
type Memory struct {
	mu     sync.Mutex
	st     State
	grants map[string]bool
}

// TakeCap takes a grant for id (a webhook id): once per id, however often
// it is asked.
func (m *Memory) TakeCap(_ context.Context, id string, now time.Time, l Limits) (Outcome, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.grants[id] {
		return Outcome{Granted: true, Again: true}, nil
	}
	next, refused := Take(m.st, now, l)
	if refused != "" {
		return Outcome{Refused: refused}, nil
	}
	m.st = next
	if m.grants == nil {
		m.grants = map[string]bool{}
	}
	m.grants[id] = true
	return Outcome{Granted: true}, nil
}
