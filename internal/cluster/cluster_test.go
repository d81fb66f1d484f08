package cluster

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

func TestRecordsRoundTrip(t *testing.T) {
	m := Member{Cluster: ID("acc-1"), Joined: 1_790_000_000, Links: []Link{{Device, "acc-2"}, {RecoveryPhone, "acc-3"}}}
	gotM, err := DecodeMember(m.Encode(nil))
	if err != nil || !reflect.DeepEqual(gotM, m) {
		t.Fatalf("member: got %+v, %v; want %+v", gotM, err, m)
	}
	var p Page
	for i := range 50 {
		p.Add(Entry{Account: fmt.Sprintf("acc-%03d", 49-i), Joined: int64(1_790_000_000 + i*3600), Kinds: Mask(0).With(Device), Strong: i%3 == 0})
	}
	gotP, err := DecodePage(p.Encode(nil))
	if err != nil || !reflect.DeepEqual(gotP, p) {
		t.Fatalf("page: got %v, want %v", err, p)
	}
	var r Root
	r.Created = 1_790_000_000
	r.SetPage(3, p.Tally(2))
	r.Adopt("c-child", Root{Tallies: [Pages]Tally{7: p.Tally(1)}})
	r.Judged = Judgement{Verdict: "review", Score: 65, At: 1_790_100_000}
	r.Sweep = Sweep{Level: "review", Page: 40, Offset: 12}
	gotR, err := DecodeRoot(r.Encode(nil))
	if err != nil || !reflect.DeepEqual(gotR, r) {
		t.Fatalf("root: got %+v, %v; want %+v", gotR, err, r)
	}
	var s Stats
	s.Links.Add("a")
	s.Strong.Add("b")
	gotS, err := DecodeStats(s.Encode(nil))
	if err != nil || gotS != s {
		t.Fatalf("stats: got %v", err)
	}
	for _, bad := range [][]byte{nil, {9}, m.Encode(nil)[:5]} {
		if _, err := DecodeMember(bad); err == nil {
			t.Errorf("DecodeMember(%x) accepted", bad)
		}
		if _, err := DecodeRoot(bad); err == nil {
			t.Errorf("DecodeRoot(%x) accepted", bad)
		}
	}
}

// Adding what is there already changes nothing, so a redelivered join
// counts once; a full page refuses newcomers but still updates members.
func TestPageAddIdempotent(t *testing.T) {
	var p Page
	e := Entry{Account: "acc-1", Joined: 100, Kinds: Mask(0).With(Device)}
	if !p.Add(e) || p.Add(e) {
		t.Fatal("first add must change the page, the second nothing")
	}
	if !p.Add(Entry{Account: "acc-1", Strong: true}) || !p.Entries[0].Strong || p.Entries[0].Joined != 100 {
		t.Fatalf("flag update: %+v", p.Entries[0])
	}
	if p.Add(Entry{Account: "acc-1", Joined: 200}) {
		t.Fatal("a later join time must not replace the earlier one")
	}
	for i := range MaxPageMembers {
		p.Add(Entry{Account: fmt.Sprintf("b-%04d", i)})
	}
	if len(p.Entries) != MaxPageMembers || p.Add(Entry{Account: "z"}) {
		t.Fatalf("page holds %d, want the bound %d and no more", len(p.Entries), MaxPageMembers)
	}
}

// A tally of an older page version never replaces a newer one: two
// writers that read the page at different times converge.
func TestSetPageKeepsNewest(t *testing.T) {
	var r Root
	if !r.SetPage(1, Tally{Version: 3, N: 10}) || r.SetPage(1, Tally{Version: 2, N: 9}) || r.Tallies[1].N != 10 {
		t.Fatalf("tally %+v", r.Tallies[1])
	}
}

func TestAdoptBoundedAndFlattened(t *testing.T) {
	var grand Root
	grand.SetPage(0, Tally{Version: 1, N: 4})
	var child Root
	child.SetPage(0, Tally{Version: 1, N: 6})
	child.Adopt("c-grand", grand)
	var r Root
	r.SetPage(0, Tally{Version: 1, N: 20})
	if !r.Adopt("c-child", child) {
		t.Fatal("adopt changed nothing")
	}
	if got := r.Total().N; got != 30 {
		t.Fatalf("total %d, want 30 (own 20 + child 6 + its child 4)", got)
	}
	if r.Adopt("c-child", child) {
		t.Fatal("adopting the same child again must change nothing")
	}
	for i := range MaxChildren {
		r.Adopt(fmt.Sprintf("c-%d", i), Root{})
	}
	if len(r.Children) != MaxChildren {
		t.Fatalf("%d children, want the bound %d", len(r.Children), MaxChildren)
	}
}

func TestTallyGrowth(t *testing.T) {
	var p Page
	day := int64(20_000)
	for i := range 10 {
		p.Add(Entry{Account: fmt.Sprintf("a%d", i), Joined: (day-int64(i%5))*86400 + 3600})
	}
	tl := p.Tally(1)
	if got := tl.Joined(int32(day), 2); got != 4 {
		t.Errorf("joined within 2 days: %d, want 4", got)
	}
	if got := tl.Joined(int32(day), 7); got != 10 {
		t.Errorf("joined within 7 days: %d, want 10", got)
	}
	if got := tl.Joined(int32(day+10), 7); got != 0 {
		t.Errorf("joined within 7 days of 10 days later: %d, want 0", got)
	}
	var sum Tally
	sum = sum.Plus(tl).Plus(tl)
	if sum.N != 20 || sum.Joined(int32(day), 2) != 8 {
		t.Errorf("sum %+v", sum)
	}
}

func TestSketch(t *testing.T) {
	for _, n := range []int{10, 300, 5000} {
		var s Sketch
		for i := range n {
			s.Add(fmt.Sprint("acc-", i))
			s.Add(fmt.Sprint("acc-", i)) // twice: counted once
		}
		if got := s.Estimate(); math.Abs(got-float64(n)) > 0.3*float64(n) {
			t.Errorf("%d values estimated as %.0f", n, got)
		}
	}
}

// The weight is learned: a kind whose links mostly join accounts that
// their own evidence queued weighs much, one that links families and
// offices little, and releases lower it.
func TestWeightLearned(t *testing.T) {
	var fresh Stats
	if w := fresh.Weight(); w != 0.5 {
		t.Errorf("no history: %v, want 0.5", w)
	}
	var campaign, family Stats
	for i := range 400 {
		a := fmt.Sprint("acc-", i)
		campaign.Links.Add(a)
		family.Links.Add(a)
		if i%10 != 0 {
			campaign.Strong.Add(a)
		}
		if i%20 == 0 {
			family.Strong.Add(a)
		}
	}
	wc, wf := campaign.Weight(), family.Weight()
	if wc < 0.7 || wf > 0.15 {
		t.Errorf("campaign kind %.2f (want >= 0.7), family kind %.2f (want <= 0.15)", wc, wf)
	}
	for i := range 100 {
		campaign.Released.Add(fmt.Sprint("acc-", i))
	}
	if w := campaign.Weight(); w >= wc-0.3 {
		t.Errorf("after 100 releases: %.2f, want well under %.2f", w, wc)
	}
}

func TestKindsNamed(t *testing.T) {
	for _, k := range Kinds() {
		got, ok := ParseKind(k.String())
		if !ok || got != k || k.Doc() == "" {
			t.Errorf("kind %d: name %q doc %q", k, k, k.Doc())
		}
	}
	if a, b := ID("acc-1"), ID("acc-2"); a == b || a != ID("acc-1") || len(a) != 12 {
		t.Errorf("ids %q %q", a, b)
	}
}
