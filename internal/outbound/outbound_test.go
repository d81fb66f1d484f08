package outbound

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestHistoryApply(t *testing.T) {
	t.Parallel()
	set := DefaultSettings()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var h History
	if got := h.Apply("m1", at, []uint32{1, 2, 3}, false, set); got != 3 {
		t.Errorf("first message: fan-out %d, want 3", got)
	}
	if !h.Seen("m1") || h.Seen("m2") {
		t.Errorf("Seen(m1) = %v, Seen(m2) = %v; want true, false", h.Seen("m1"), h.Seen("m2"))
	}
	// A domain sent to again is counted once; one from 25 hours before
	// falls out of the window.
	if got := h.Apply("m2", at.Add(2*time.Hour), []uint32{3, 4}, false, set); got != 4 {
		t.Errorf("second message: fan-out %d, want 4", got)
	}
	if got := h.Apply("m3", at.Add(26*time.Hour), []uint32{5}, true, set); got != 1 {
		t.Errorf("a day later: fan-out %d, want 1 (3 and 4 were sent to 24 h before)", got)
	}
	if h.Messages != 3 || h.TurnedAway != 1 {
		t.Errorf("Messages, TurnedAway = %d, %d; want 3, 1", h.Messages, h.TurnedAway)
	}
	// Limits hold however much is sent.
	for i := range 1000 {
		doms := []uint32{uint32(1000 + i)}
		h.Apply(fmt.Sprintf("x%d", i), at.Add(time.Duration(i)*time.Minute), doms, false, set)
	}
	if len(h.Recent) != MaxRecent || len(h.Domains) != MaxDomains {
		t.Errorf("kept %d ids and %d domains, want %d and %d", len(h.Recent), len(h.Domains), MaxRecent, MaxDomains)
	}
	got, err := DecodeHistory(h.Encode())
	if err != nil || !slices.Equal(got.Recent, h.Recent) || !slices.Equal(got.Domains, h.Domains) || got.Messages != h.Messages {
		t.Errorf("round trip: %v, %+v", err, got)
	}
	for _, bad := range []string{"", "{", "\x01\xff\xff\xff\xff\x0f"} {
		if _, err := DecodeHistory([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("DecodeHistory(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
	enc := h.Encode()
	for n := range len(enc) {
		if _, err := DecodeHistory(enc[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("DecodeHistory(first %d of %d bytes) = %v, want ErrCorrupt", n, len(enc), err)
		}
	}
}

func TestHistoryRaise(t *testing.T) {
	t.Parallel()
	var h History
	if !h.Raise(40, []string{"shared_photo"}) {
		t.Error("first raise: false")
	}
	if h.Raise(40, []string{"shared_photo"}) || h.Raise(30, []string{"shared_photo"}) {
		t.Error("the same evidence raised again")
	}
	if !h.Raise(40, []string{"shared_photo", "recipient_spray"}) || !h.Raise(90, nil) {
		t.Error("a new rule or a higher score did not raise")
	}
}

func TestCarriers(t *testing.T) {
	t.Parallel()
	set := DefaultSettings()
	var c Carriers
	const h = uint64(0xF0F0_0000_FFFF_1234)
	near := h ^ 0b101 // 2 bits away
	far := ^h
	if !c.Join("a", true, 10, h, set) || c.Join("a", true, 11, h, set) {
		t.Fatal("Join: a first join must change the record, a second must not")
	}
	c.Join("b", true, 10, near, set)
	c.Join("c", true, 10, far, set)
	m := c.Near("a", h, 3, 3)
	if !slices.Equal(m.Young, []string{"b"}) || len(m.Established) != 0 {
		t.Errorf("Near(a) = %+v, want young [b]", m)
	}
	if m := c.Near("z", h, 0, 0); !slices.Equal(m.Young, []string{"a"}) {
		t.Errorf("Near exact = %+v, want [a]", m)
	}
	// Established senders are counted, never named, and make it popular.
	for i := range 3 {
		if !c.Join(fmt.Sprintf("old-%d", i), false, 10, near, set) {
			t.Fatalf("established join %d did not change the record", i)
		}
	}
	c.Join("old-0", false, 12, near, set)
	m = c.Near("a", h, 3, 3)
	if len(m.Established) != 3 || !m.Popular(set) {
		t.Errorf("Near = %+v, want 3 established and popular", m)
	}
	// Popularity is judged more generously than a link.
	c.Join("d", true, 10, h^0xFF, set) // 8 bits away
	if m := c.Near("a", h^0xFF, 3, 8); len(m.Young) != 1 || m.Young[0] != "d" || len(m.Established) != 3 {
		t.Errorf("Near(link 3, popular 8) from d's hash = %+v, want d's own young and 3 established", m)
	}
	// Merging the matches of several bands names each sender once.
	var all Match
	all.Add(m)
	all.Add(c.Near("a", h, 3, 3))
	if len(all.Young) != 1 || len(all.Established) != 3 {
		t.Errorf("merged = %+v", all)
	}
	enc := c.Encode()
	for n := range len(enc) {
		if _, err := DecodeCarriers(enc[:n], set); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("DecodeCarriers(first %d of %d bytes) = %v, want ErrCorrupt", n, len(enc), err)
		}
	}
	got, err := DecodeCarriers(enc, set)
	if err != nil || len(got.Young) != 4 || len(got.Established) != 3 {
		t.Errorf("round trip: %v, %+v", err, got)
	}
}

func TestCarriersLimits(t *testing.T) {
	t.Parallel()
	set := DefaultSettings()
	var c Carriers
	for i := range 200 {
		c.Join(fmt.Sprintf("y%d", i), true, int32(i), 7, set)
		c.Join(fmt.Sprintf("e%d", i), false, int32(i), 7, set)
	}
	if len(c.Young) != set.MaxYoung || len(c.Established) != set.MaxEstablished {
		t.Fatalf("kept %d young and %d established, want %d and %d", len(c.Young), len(c.Established), set.MaxYoung, set.MaxEstablished)
	}
	if c.Young[0].Account != "y152" {
		t.Errorf("oldest kept = %s, want y152 (the oldest go first)", c.Young[0].Account)
	}
	small := set
	small.MaxYoung = 4
	if _, err := DecodeCarriers(c.Encode(), small); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a record over the limits decoded: %v", err)
	}
}

// FuzzDecode holds the decoders to never panicking on damaged records, and
// to reading back what they encode.
func FuzzDecode(f *testing.F) {
	set := DefaultSettings()
	var h History
	h.Apply("m", time.Unix(1e9, 0), []uint32{1, 2}, true, set)
	var c Carriers
	c.Join("a", true, 3, 9, set)
	c.Join("b", false, 3, 9, set)
	f.Add(h.Encode())
	f.Add(c.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := DecodeHistory(b); err == nil {
			if again, err := DecodeHistory(h.Encode()); err != nil || again.Messages != h.Messages || len(again.Domains) != len(h.Domains) {
				t.Fatalf("history does not round-trip: %v", err)
			}
		}
		if c, err := DecodeCarriers(b, set); err == nil {
			if again, err := DecodeCarriers(c.Encode(), set); err != nil || len(again.Young) != len(c.Young) {
				t.Fatalf("carriers do not round-trip: %v", err)
			}
		}
	})
}
