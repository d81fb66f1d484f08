package pipeline

import (
	"testing"
	"time"
)

// TestBudget: takes beyond the budget wait for gives, a take larger than
// the whole waits for all of it, and what is given back is free again.
func TestBudget(t *testing.T) {
	t.Parallel()
	b := newBudget(10)
	if got := b.take(6); got != 6 {
		t.Fatalf("take(6) = %d", got)
	}
	done := make(chan int64)
	go func() { done <- b.take(100) }() // more than the whole: waits for all 10
	select {
	case <-done:
		t.Fatal("a take of more than is free did not wait")
	case <-time.After(20 * time.Millisecond):
	}
	b.give(6)
	if got := <-done; got != 10 {
		t.Errorf("take(100) took %d, want the whole budget, 10", got)
	}
	b.give(10)
	if got := b.take(10); got != 10 || b.free != 0 {
		t.Errorf("after giving back: took %d, %d free", got, b.free)
	}
}

// TestZoneCache: zones that load are kept; names that do not (hostile
// ones among them) are refused and not kept, so they cannot grow it.
func TestZoneCache(t *testing.T) {
	t.Parallel()
	var p Pipeline
	if loc, ok := p.zone("America/Chicago"); !ok || loc.String() != "America/Chicago" {
		t.Fatalf("America/Chicago: %v, %v", loc, ok)
	}
	for _, bad := range []string{"", "Local", "Not/AZone", "../../etc/passwd", "America/Chicago\x00"} {
		if _, ok := p.zone(bad); ok {
			t.Errorf("zone(%q) loaded", bad)
		}
	}
	n := 0
	p.zones.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d zones kept, want 1", n)
	}
}
