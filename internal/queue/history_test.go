package queue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// mustRaise raises cur with p and fails unless the item changed.
func mustRaise(t *testing.T, cur *Item, p Proposal) Item {
	t.Helper()
	next, changed := Raise(cur, p)
	if !changed {
		t.Fatalf("Raise(%s) changed nothing", p.EventID)
	}
	return next
}

// checkChange fails unless c is the change wanted; a want.Note of "" is
// not checked, and notes are otherwise compared whole.
func checkChange(t *testing.T, c, want Change) {
	t.Helper()
	if !c.At.Equal(want.At) || c.By != want.By || c.From != want.From || c.To != want.To || c.Version != want.Version {
		t.Errorf("change %+v, want %+v", c, want)
	}
	if want.Note != "" && c.Note != want.Note {
		t.Errorf("change note %q, want %q", c.Note, want.Note)
	}
}

func TestHistoryCreation(t *testing.T) {
	t.Parallel()
	it := mustRaise(t, nil, proposal("evt-1", Review, 55, reasons("a", 55)))
	if len(it.History) != 1 {
		t.Fatalf("history %+v, want the creation alone", it.History)
	}
	checkChange(t, it.History[0], Change{At: t0, By: ByScanner, From: "", To: "pending/review", Version: 1})
	if !strings.Contains(it.History[0].Note, "evt-1") {
		t.Errorf("creation note %q does not name the event", it.History[0].Note)
	}
}

func TestHistoryRaise(t *testing.T) {
	t.Parallel()
	created := mustRaise(t, nil, proposal("evt-1", Review, 55, reasons("a", 55)))

	t.Run("upgrade to suspend is recorded", func(t *testing.T) {
		t.Parallel()
		at := t0.Add(time.Minute)
		next := mustRaise(t, &created, proposalAt("evt-2", Suspend, 90, reasons("b", 35), at))
		if len(next.History) != 2 {
			t.Fatalf("history %+v, want the creation and the upgrade", next.History)
		}
		checkChange(t, next.History[0], created.History[0])
		checkChange(t, next.History[1], Change{At: at, By: ByScanner, From: "pending/review", To: "pending/suspend", Version: 2})
		if !strings.Contains(next.History[1].Note, "evt-2") {
			t.Errorf("upgrade note %q does not name the event", next.History[1].Note)
		}
	})
	t.Run("score and reasons alone add nothing", func(t *testing.T) {
		t.Parallel()
		next := mustRaise(t, &created, proposalAt("evt-3", Review, 70, reasons("c", 15), t0.Add(time.Minute)))
		if next.Version != 2 || len(next.History) != 1 {
			t.Errorf("version %d with history %+v, want version 2 and the creation alone", next.Version, next.History)
		}
	})
	t.Run("an applied item raised to suspend", func(t *testing.T) {
		t.Parallel()
		applied, err := Decide(created, Applied, ByEnforcer, "suspended", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Hour)
		next := mustRaise(t, &applied, proposalAt("evt-4", Suspend, 95, reasons("d", 40), at))
		if len(next.History) != 3 {
			t.Fatalf("history %+v, want creation, applied, raised", next.History)
		}
		checkChange(t, next.History[1], Change{At: t0.Add(time.Minute), By: ByEnforcer, From: "pending/review", To: "applied/review", Version: 2, Note: "suspended"})
		checkChange(t, next.History[2], Change{At: at, By: ByScanner, From: "applied/review", To: "applied/suspend", Version: 3})
	})
}

func TestHistoryDecide(t *testing.T) {
	t.Parallel()
	cur := mustRaise(t, nil, proposal("evt-1", Suspend, 90, reasons("a", 60, "b", 30)))
	// Room to grow in place: a change must not write into the history of
	// the item it was made from.
	h := make([]Change, len(cur.History), 8)
	copy(h, cur.History)
	cur.History = h

	at := t0.Add(48 * time.Hour)
	released, err := Decide(cur, Released, "alice@trust", "verified by phone", at)
	if err != nil {
		t.Fatal(err)
	}
	dismissed, err := Decide(cur, Dismissed, "bob@trust", "no action", at)
	if err != nil {
		t.Fatal(err)
	}
	if len(released.History) != 2 || len(dismissed.History) != 2 || len(cur.History) != 1 {
		t.Fatalf("histories of %d, %d and %d entries, want 2, 2 and the original's 1",
			len(released.History), len(dismissed.History), len(cur.History))
	}
	checkChange(t, released.History[1], Change{At: at, By: "alice@trust", From: "pending/suspend", To: "released/suspend", Note: "verified by phone", Version: released.Version})
	checkChange(t, dismissed.History[1], Change{At: at, By: "bob@trust", From: "pending/suspend", To: "dismissed/suspend", Note: "no action", Version: dismissed.Version})
	if released.Version != 2 {
		t.Errorf("released at version %d, want 2", released.Version)
	}

	// A refused change records nothing.
	again, err := Decide(released, Dismissed, "carol", "too late", at.Add(time.Hour))
	if !errors.Is(err, ErrTransition) || len(again.History) != 2 {
		t.Errorf("Decide(released -> dismissed) = %d entries, %v; want 2 and ErrTransition", len(again.History), err)
	}
}

func TestHistoryReopen(t *testing.T) {
	t.Parallel()
	created := mustRaise(t, nil, proposal("evt-1", Suspend, 90, reasons("a", 60, "b", 30)))
	decided := t0.Add(time.Hour)
	released, err := Decide(created, Released, "alice@trust", "verified by phone", decided)
	if err != nil {
		t.Fatal(err)
	}
	// The same evidence again, before the decision: nothing changes.
	if next, changed := Raise(&released, proposalAt("evt-2", Suspend, 95, reasons("c", 95), t0.Add(time.Minute))); changed || len(next.History) != 2 {
		t.Fatalf("an event before the decision: changed %v, %d entries; want nothing", changed, len(next.History))
	}
	at := t0.Add(72 * time.Hour)
	reopened := mustRaise(t, &released, proposalAt("evt-3", Suspend, 95, reasons("c", 95), at))
	if len(reopened.History) != 3 {
		t.Fatalf("history %+v, want creation, release, reopening", reopened.History)
	}
	checkChange(t, reopened.History[0], created.History[0])
	checkChange(t, reopened.History[1], Change{At: decided, By: "alice@trust", From: "pending/suspend", To: "released/suspend", Note: "verified by phone", Version: 2})
	checkChange(t, reopened.History[2], Change{At: at, By: ByScanner, From: "released/suspend", To: "pending/review", Version: 3})
	if !strings.Contains(reopened.History[2].Note, "evt-3") {
		t.Errorf("reopening note %q does not name the event", reopened.History[2].Note)
	}
	// Later raises keep all of it.
	later := mustRaise(t, &reopened, proposalAt("evt-4", Suspend, 99, reasons("d", 40), at.Add(time.Hour)))
	if len(later.History) != 4 || later.History[1].By != "alice@trust" {
		t.Errorf("after a later raise: %+v, want the release kept and the upgrade added", later.History)
	}
}

func TestHold(t *testing.T) {
	t.Parallel()
	cur := mustRaise(t, nil, proposal("evt-1", Suspend, 90, reasons("a", 60, "b", 30)))
	at := t0.Add(time.Hour)
	held, err := Hold(cur, ByEnforcer, "daily suspension cap reached", at)
	if err != nil {
		t.Fatal(err)
	}
	if held.Status != Pending || held.Action != Review || held.Version != 2 || !held.UpdatedAt.Equal(at) {
		t.Errorf("held %s at version %d, updated %v; want pending/review at 2, %v", held.State(), held.Version, held.UpdatedAt, at)
	}
	if len(held.History) != 2 {
		t.Fatalf("history %+v, want creation and hold", held.History)
	}
	checkChange(t, held.History[1], Change{At: at, By: ByEnforcer, From: "pending/suspend", To: "pending/review", Note: "daily suspension cap reached", Version: 2})

	for _, it := range []Item{held, mustDecide(t, cur, Applied)} {
		got, err := Hold(it, ByEnforcer, "no", at)
		if !errors.Is(err, ErrTransition) || got.Version != it.Version || len(got.History) != len(it.History) {
			t.Errorf("Hold(%s) = version %d, %d entries, %v; want it unchanged and ErrTransition", it.State(), got.Version, len(got.History), err)
		}
	}
}

func mustDecide(t *testing.T, cur Item, to Status) Item {
	t.Helper()
	next, err := Decide(cur, to, "someone", "because", cur.UpdatedAt.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return next
}

// TestHistoryBound: past MaxHistory, the oldest entries after the creation
// go, and the newest stay.
func TestHistoryBound(t *testing.T) {
	t.Parallel()
	it := mustRaise(t, nil, proposal("evt-0", Suspend, 90, reasons("a", 60, "b", 30)))
	at := t0
	for i := range MaxHistory {
		at = at.Add(time.Minute)
		var err error
		if it, err = Hold(it, ByEnforcer, "cap", at); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Minute)
		it = mustRaise(t, &it, proposalAt(fmt.Sprintf("evt-%d", i+1), Suspend, 90, nil, at))
	}
	if len(it.History) != MaxHistory {
		t.Fatalf("%d entries after %d changes, want MaxHistory = %d", len(it.History), it.Version, MaxHistory)
	}
	if c := it.History[0]; c.From != "" || c.Version != 1 || !strings.Contains(c.Note, "evt-0") {
		t.Errorf("first entry %+v, want the creation", c)
	}
	// Every change made a version and an entry: the rest are the newest,
	// in order.
	for i, c := range it.History[1:] {
		if want := it.Version - int64(MaxHistory-2-i); c.Version != want {
			t.Errorf("entry %d at version %d, want %d", i+1, c.Version, want)
		}
	}
	if last := it.History[len(it.History)-1]; last.Version != it.Version || !last.At.Equal(at) {
		t.Errorf("last entry %+v, want the item's last change (version %d at %v)", last, it.Version, at)
	}
}

// TestHistoryNotesBounded: who and why come from people and events, and
// are kept as a reason's detail is: escaped and bounded.
func TestHistoryNotesBounded(t *testing.T) {
	t.Parallel()
	hostile := "\u202eevil\x1b[31m\x00" + strings.Repeat("é", 2*MaxDetailBytes) + "\xff"
	cur := mustRaise(t, nil, proposal("evt-\x1b]0;pwned\x07"+strings.Repeat("z", 4*MaxDetailBytes), Suspend, 90, reasons("a", 90)))
	next, err := Decide(cur, Released, "mallory"+hostile, hostile, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range next.History {
		for field, s := range map[string]string{"by": c.By, "note": c.Note} {
			if len(s) > MaxDetailBytes || !utf8.ValidString(s) || strings.ContainsAny(s, "\x1b\x00\x07\u202e") {
				t.Errorf("entry %d: %s %q (%d bytes) is not bounded and escaped", i, field, s, len(s))
			}
			if Detail(s) != s {
				t.Errorf("entry %d: %s %q is not as Detail keeps it", i, field, s)
			}
		}
	}
	if c := next.History[1]; c.Note != Detail(hostile) || c.By != Detail("mallory"+hostile) {
		t.Errorf("decision entry %+v, want by and note as Detail makes them", c)
	}
	// The item's own record of the decision is the person's words, as given.
	if next.DecidedBy != "mallory"+hostile || next.Note != hostile {
		t.Errorf("decidedBy/note changed: %q, %q", next.DecidedBy, next.Note)
	}
}
