package queue

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func reasons(rp ...any) []Reason {
	var out []Reason
	for i := 0; i < len(rp); i += 2 {
		name := rp[i].(string)
		out = append(out, Reason{Rule: name, Points: rp[i+1].(int), Detail: "evidence for " + name})
	}
	return out
}

func ruleNames(rs []Reason) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Rule)
	}
	return out
}

func proposal(event string, action Action, score int, rs []Reason) Proposal {
	return proposalAt(event, action, score, rs, t0)
}

func proposalAt(event string, action Action, score int, rs []Reason, at time.Time) Proposal {
	return Proposal{
		AccountID: "acc-1", Action: action, Score: score, Reasons: rs,
		EventID: event, At: at, RulesVersion: "v1",
	}
}

func TestRaiseCreates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		p         Proposal
		wantScore int
		wantRules []string
	}{
		{"review", proposal("e1", Review, 55, reasons("a", 30, "b", 25)), 55, []string{"a", "b"}},
		{"suspend, reasons sorted", proposal("e1", Suspend, 90, reasons("weak", 10, "strong", 60, "mid", 20)), 90, []string{"strong", "mid", "weak"}},
		{"ties by rule name", proposal("e1", Review, 60, reasons("z", 30, "a", 30)), 60, []string{"a", "z"}},
		{"score above 100 clamped", proposal("e1", Suspend, 140, reasons("a", 140)), 100, []string{"a"}},
		{"negative score clamped", proposal("e1", Review, -5, nil), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.p.Reasons)
			got, changed := Raise(nil, tt.p)
			if !changed {
				t.Fatal("changed = false for a new item")
			}
			checks := []struct {
				field     string
				got, want any
			}{
				{"AccountID", got.AccountID, tt.p.AccountID},
				{"Action", got.Action, tt.p.Action},
				{"Status", got.Status, Pending},
				{"Score", got.Score, tt.wantScore},
				{"Version", got.Version, int64(1)},
				{"CreatedAt", got.CreatedAt, tt.p.At},
				{"UpdatedAt", got.UpdatedAt, tt.p.At},
				{"RulesVersion", got.RulesVersion, "v1"},
				{"EventIDs", fmt.Sprint(got.EventIDs), "[e1]"},
				{"rules", fmt.Sprint(ruleNames(got.Reasons)), fmt.Sprint(tt.wantRules)},
				{"DecidedBy", got.DecidedBy, ""},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
			if !reflect.DeepEqual(tt.p.Reasons, in) {
				t.Errorf("Raise reordered the proposal's reasons: %v, was %v", tt.p.Reasons, in)
			}
		})
	}
}

// base is a pending review item at version 3, raised by e1 and e2.
func base() Item {
	return Item{
		AccountID: "acc-1", Action: Review, Status: Pending, Score: 60,
		Reasons:  reasons("burst", 40, "template", 20),
		EventIDs: []string{"e1", "e2"}, CreatedAt: t0, UpdatedAt: t0.Add(time.Minute),
		Version: 3, RulesVersion: "v1",
	}
}

func TestRaise(t *testing.T) {
	t.Parallel()
	later := t0.Add(time.Hour)
	type want struct {
		changed bool
		action  Action
		status  Status
		score   int
		rules   []string // strongest first
		points  []int
		version int64
	}
	tests := []struct {
		name string
		cur  func() Item
		p    Proposal
		want want
	}{
		{"same event again", base,
			proposal("e2", Suspend, 99, reasons("new", 50)),
			want{false, Review, Pending, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"higher score raises", base,
			proposal("e3", Review, 70, reasons("burst", 40)),
			want{true, Review, Pending, 70, []string{"burst", "template"}, []int{40, 20}, 4}},
		{"lower score never lowers", base,
			proposal("e3", Review, 52, reasons("burst", 40, "template", 20)),
			want{false, Review, Pending, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"equal score, same rules: nothing new", base,
			proposal("e3", Review, 60, reasons("burst", 40)),
			want{false, Review, Pending, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"new rule with lower score adds the rule, keeps the score", base,
			proposal("e3", Review, 51, reasons("geo", 51)),
			want{true, Review, Pending, 60, []string{"geo", "burst", "template"}, []int{51, 40, 20}, 4}},
		{"review to suspend escalates", base,
			proposal("e3", Suspend, 60, reasons("burst", 40)),
			want{true, Suspend, Pending, 60, []string{"burst", "template"}, []int{40, 20}, 4}},
		{"suspend never goes back to review", func() Item { it := base(); it.Action = Suspend; return it },
			proposal("e3", Review, 95, reasons("burst", 40)),
			want{true, Suspend, Pending, 95, []string{"burst", "template"}, []int{40, 20}, 4}},
		{"suspend, review with nothing new", func() Item { it := base(); it.Action = Suspend; return it },
			proposal("e3", Review, 50, reasons("burst", 40)),
			want{false, Suspend, Pending, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"union keeps max points and re-sorts", base,
			proposal("e3", Review, 80, reasons("template", 55, "burst", 10, "geo", 30)),
			want{true, Review, Pending, 80, []string{"template", "burst", "geo"}, []int{55, 40, 30}, 4}},
		{"score clamped to 100", base,
			proposal("e3", Suspend, 250, reasons("burst", 40)),
			want{true, Suspend, Pending, 100, []string{"burst", "template"}, []int{40, 20}, 4}},
		{"released: an event from before the decision: unchanged", func() Item { it := base(); it.Status = Released; return it },
			proposalAt("e3", Suspend, 99, reasons("burst", 45, "template", 30), t0.Add(30*time.Second)),
			want{false, Review, Released, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"dismissed: a new rule from before the decision: unchanged", func() Item { it := base(); it.Status = Dismissed; return it },
			proposalAt("e3", Suspend, 99, reasons("geo", 50), t0.Add(30*time.Second)),
			want{false, Review, Dismissed, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"released: no reasons, before the decision: unchanged", func() Item { it := base(); it.Status = Released; return it },
			proposalAt("e3", Suspend, 99, nil, t0.Add(30*time.Second)),
			want{false, Review, Released, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
		{"released: a later event reopens for review, judged on its own", func() Item { it := base(); it.Status = Released; return it },
			proposalAt("e3", Suspend, 95, reasons("burst", 40, "geo", 25), later),
			want{true, Review, Pending, 95, []string{"burst", "geo"}, []int{40, 25}, 4}},
		{"dismissed: a later event reopens even at a lower score", func() Item { it := base(); it.Status = Dismissed; return it },
			proposalAt("e3", Review, 55, reasons("geo", 25), later),
			want{true, Review, Pending, 55, []string{"geo"}, []int{25}, 4}},
		{"applied stays applied", func() Item { it := base(); it.Status = Applied; return it },
			proposal("e3", Suspend, 90, reasons("geo", 50)),
			want{true, Suspend, Applied, 90, []string{"geo", "burst", "template"}, []int{50, 40, 20}, 4}},
		{"applied: nothing stronger", func() Item { it := base(); it.Status = Applied; return it },
			proposal("e3", Review, 10, reasons("burst", 1)),
			want{false, Review, Applied, 60, []string{"burst", "template"}, []int{40, 20}, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur := tt.cur()
			snapshot := tt.cur()
			if tt.p.At.Equal(t0) {
				tt.p.At = later
			}
			got, changed := Raise(&cur, tt.p)
			if changed != tt.want.changed {
				t.Errorf("changed = %v, want %v", changed, tt.want.changed)
			}
			var points []int
			for _, r := range got.Reasons {
				points = append(points, r.Points)
			}
			checks := []struct {
				field     string
				got, want any
			}{
				{"Action", got.Action, tt.want.action},
				{"Status", got.Status, tt.want.status},
				{"Score", got.Score, tt.want.score},
				{"rules", fmt.Sprint(ruleNames(got.Reasons)), fmt.Sprint(tt.want.rules)},
				{"points", fmt.Sprint(points), fmt.Sprint(tt.want.points)},
				{"Version", got.Version, tt.want.version},
				{"CreatedAt", got.CreatedAt, t0},
				{"AccountID", got.AccountID, "acc-1"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
			if !reflect.DeepEqual(cur, snapshot) {
				t.Errorf("Raise modified the current item:\n got %+v\nwant %+v", cur, snapshot)
			}
			if !changed {
				if !reflect.DeepEqual(got, snapshot) {
					t.Errorf("unchanged, but returned a different item:\n got %+v\nwant %+v", got, snapshot)
				}
				return
			}
			if want := append(slices.Clone(snapshot.EventIDs), tt.p.EventID); !slices.Equal(got.EventIDs, want) {
				t.Errorf("EventIDs = %q, want %q", got.EventIDs, want)
			}
			if !got.UpdatedAt.Equal(later) {
				t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, later)
			}
		})
	}
}

func TestRaiseKeepsPointsDetail(t *testing.T) {
	t.Parallel()
	cur := base()
	p := proposal("e3", Review, 70, []Reason{{Rule: "burst", Points: 45, Detail: "45 signups"}, {Rule: "template", Points: 5, Detail: "weaker"}})
	got, _ := Raise(&cur, p)
	want := map[string]Reason{
		"burst":    {Rule: "burst", Points: 45, Detail: "45 signups"},
		"template": {Rule: "template", Points: 20, Detail: "evidence for template"},
	}
	for _, r := range got.Reasons {
		if r != want[r.Rule] {
			t.Errorf("reason %s = %+v, want %+v (the stronger one, with its detail)", r.Rule, r, want[r.Rule])
		}
	}
}

func TestRaiseNeverLowersOverSequences(t *testing.T) {
	t.Parallel()
	// Any order of proposals leads to the same score, action and rule set:
	// the maxima.
	ps := []Proposal{
		proposal("e1", Review, 55, reasons("a", 30, "b", 25)),
		proposal("e2", Suspend, 85, reasons("a", 45, "c", 40)),
		proposal("e3", Review, 60, reasons("b", 35, "d", 25)),
		proposal("e4", Review, 50, reasons("a", 10)),
	}
	orders := [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 0, 3, 2}, {2, 3, 0, 1}}
	for _, o := range orders {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			t.Parallel()
			var cur *Item
			for _, i := range o {
				next, changed := Raise(cur, ps[i])
				if cur != nil && (next.Score < cur.Score || next.Action.Priority() < cur.Action.Priority() || len(next.Reasons) < len(cur.Reasons)) {
					t.Errorf("after %s: lowered %+v to %+v", ps[i].EventID, *cur, next)
				}
				if changed {
					cur = &next
				}
			}
			if cur.Score != 85 || cur.Action != Suspend {
				t.Errorf("score %d action %s, want 85 suspend", cur.Score, cur.Action)
			}
			if got, want := fmt.Sprint(cur.Reasons), fmt.Sprint([]Reason{
				{"a", 45, "evidence for a"}, {"c", 40, "evidence for c"}, {"b", 35, "evidence for b"}, {"d", 25, "evidence for d"},
			}); got != want {
				t.Errorf("reasons %s, want %s", got, want)
			}
		})
	}
}

func TestRaiseBoundsEventIDs(t *testing.T) {
	t.Parallel()
	var cur *Item
	n := MaxEventIDs + 7
	for i := range n {
		// Every proposal brings a new rule, so every one changes the item.
		p := proposal(fmt.Sprintf("e%02d", i), Review, 50, reasons(fmt.Sprintf("r%02d", i), 1))
		next, changed := Raise(cur, p)
		if !changed {
			t.Fatalf("proposal %d did not change the item", i)
		}
		if len(next.EventIDs) > MaxEventIDs {
			t.Fatalf("after %d events: %d event ids, more than %d", i+1, len(next.EventIDs), MaxEventIDs)
		}
		cur = &next
	}
	if len(cur.EventIDs) != MaxEventIDs {
		t.Errorf("len(EventIDs) = %d, want %d", len(cur.EventIDs), MaxEventIDs)
	}
	// The newest are kept.
	if got, want := cur.EventIDs[len(cur.EventIDs)-1], fmt.Sprintf("e%02d", n-1); got != want {
		t.Errorf("last event id = %s, want %s", got, want)
	}
	if got, want := cur.EventIDs[0], fmt.Sprintf("e%02d", n-MaxEventIDs); got != want {
		t.Errorf("first event id = %s, want %s", got, want)
	}
	if cur.Version != int64(n) {
		t.Errorf("Version = %d, want %d", cur.Version, n)
	}
	// A redelivery of a kept event changes nothing.
	if _, changed := Raise(cur, proposal(fmt.Sprintf("e%02d", n-1), Suspend, 100, reasons("zz", 99))); changed {
		t.Error("redelivered event changed the item")
	}
}

func TestRaiseCluster(t *testing.T) {
	t.Parallel()
	small, big := &Cluster{Key: "net#198.51.100.0/24", Size: 5}, &Cluster{Key: "tpl#L5D8", Size: 40}
	tests := []struct {
		name string
		cur  *Cluster
		p    *Cluster
		want *Cluster
	}{
		{"none to some", nil, small, small},
		{"bigger replaces", small, big, big},
		{"smaller does not", big, small, big},
		{"nil keeps", big, nil, big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur := base()
			cur.Cluster = tt.cur
			p := proposal("e9", Suspend, 90, reasons("burst", 40))
			p.Cluster = tt.p
			got, changed := Raise(&cur, p)
			if !changed {
				t.Fatal("not changed")
			}
			if got.Cluster != tt.want {
				t.Errorf("Cluster = %+v, want %+v", got.Cluster, tt.want)
			}
		})
	}
}

// TestReopenKeepsTheDecisionOnRecord: an event after a person released an
// item reopens it for review, never straight to suspension; who decided, and
// why, stays on the item for the audit.
func TestReopenKeepsTheDecisionOnRecord(t *testing.T) {
	t.Parallel()
	cur := base()
	cur, err := Decide(cur, Released, "alice", "known customer", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	got, changed := Raise(&cur, proposalAt("e3", Suspend, 90, reasons("new-rule", 50), t0.Add(time.Hour)))
	if !changed || got.Status != Pending || got.Action != Review {
		t.Fatalf("changed %v, %s %s, want reopened as pending review", changed, got.Status, got.Action)
	}
	if got.DecidedBy != "alice" || got.Note != "known customer" {
		t.Errorf("DecidedBy %q Note %q: the reopened decision is lost", got.DecidedBy, got.Note)
	}
	if got.ExpiresAt != 0 || !got.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("expiresAt %d updatedAt %s, want no expiry and the event's time", got.ExpiresAt, got.UpdatedAt)
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	all := []Status{Pending, Applied, Released, Dismissed}
	allowed := map[[2]Status]bool{
		{Pending, Applied}:    true,
		{Pending, Released}:   true,
		{Pending, Dismissed}:  true,
		{Applied, Released}:   true, // suspended, then found a false positive
		{Dismissed, Applied}:  true, // a consumer acts on a later look
		{Dismissed, Released}: true,
	}
	for _, from := range all {
		for _, to := range append(slices.Clone(all), Status("archived"), "") {
			t.Run(fmt.Sprintf("%s->%s", from, to), func(t *testing.T) {
				t.Parallel()
				cur := base()
				cur.Status = from
				at := t0.Add(2 * time.Hour)
				got, err := Decide(cur, to, "alice@trust", "checked the IP", at)
				if !allowed[[2]Status{from, to}] {
					if !errors.Is(err, ErrTransition) {
						t.Fatalf("Decide = %v, want ErrTransition", err)
					}
					if !strings.Contains(err.Error(), string(from)) {
						t.Errorf("error %q does not name the current status", err)
					}
					if !reflect.DeepEqual(got, cur) {
						t.Errorf("refused change returned %+v, want the item unchanged", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("Decide: %v", err)
				}
				checks := []struct {
					field     string
					got, want any
				}{
					{"Status", got.Status, to},
					{"Version", got.Version, cur.Version + 1},
					{"DecidedBy", got.DecidedBy, "alice@trust"},
					{"Note", got.Note, "checked the IP"},
					{"UpdatedAt", got.UpdatedAt, at},
					{"Score", got.Score, cur.Score},
					{"Action", got.Action, cur.Action},
					{"cur.Status", cur.Status, from},
				}
				for _, c := range checks {
					if c.got != c.want {
						t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
					}
				}
			})
		}
	}
}

func TestDecideUpdatedAtNeverGoesBack(t *testing.T) {
	t.Parallel()
	cur := base()
	got, err := Decide(cur, Applied, "consumer", "", t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(cur.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v (a clock behind the item's)", got.UpdatedAt, cur.UpdatedAt)
	}
}

func TestStatusAndAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status        Status
		valid, closed bool
	}{
		{Pending, true, false},
		{Applied, true, false},
		{Released, true, true},
		{Dismissed, true, true},
		{"", false, false},
		{"Pending", false, false},
	}
	for _, tt := range tests {
		if got := tt.status.Valid(); got != tt.valid {
			t.Errorf("Status(%q).Valid() = %v, want %v", tt.status, got, tt.valid)
		}
		if got := tt.status.Closed(); got != tt.closed {
			t.Errorf("Status(%q).Closed() = %v, want %v", tt.status, got, tt.closed)
		}
	}
	if !(Suspend.Priority() > Review.Priority() && Review.Priority() > Action("").Priority()) {
		t.Errorf("priorities suspend %d, review %d, none %d: want suspend > review > none",
			Suspend.Priority(), Review.Priority(), Action("").Priority())
	}
	for _, a := range []Action{"", "Suspend", "allow"} {
		if a.Valid() {
			t.Errorf("Action(%q).Valid() = true", a)
		}
	}
	for _, a := range []Action{Review, Suspend} {
		if !a.Valid() {
			t.Errorf("Action(%q).Valid() = false", a)
		}
	}
}

func TestShard(t *testing.T) {
	t.Parallel()
	hit := make([]int, Shards)
	for i := range 1000 {
		id := fmt.Sprintf("acc-%08d", i)
		s := Shard(id)
		if s < 0 || s >= Shards {
			t.Fatalf("Shard(%q) = %d, outside 0..%d", id, s, Shards-1)
		}
		if again := Shard(id); again != s {
			t.Fatalf("Shard(%q) = %d then %d", id, s, again)
		}
		hit[s]++
	}
	used := 0
	for _, n := range hit {
		if n > 0 {
			used++
		}
	}
	if used < 12 {
		t.Errorf("1,000 accounts hit %d of %d shards (%v), want at least 12", used, Shards, hit)
	}
	for s, n := range hit {
		if n > 1000/Shards*3 {
			t.Errorf("shard %d has %d of 1,000 accounts: not spread", s, n)
		}
	}
}

func TestIndexKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		item  Item
		parts []string
	}{
		{"pending suspend", Item{AccountID: "acc-1", Status: Pending, Action: Suspend}, []string{"pending", "suspend"}},
		{"applied review", Item{AccountID: "acc-2", Status: Applied, Action: Review}, []string{"applied", "review"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.item.IndexKey()
			if got != tt.item.IndexKey() {
				t.Error("IndexKey not stable")
			}
			if want := IndexKey(tt.item.Status, tt.item.Action, Shard(tt.item.AccountID)); got != want {
				t.Errorf("Item.IndexKey() = %q, IndexKey(...) = %q", got, want)
			}
			parts := strings.Split(got, "#")
			if len(parts) != 3 || parts[0] != tt.parts[0] || parts[1] != tt.parts[1] {
				t.Fatalf("IndexKey() = %q, want %s#%s#shard", got, tt.parts[0], tt.parts[1])
			}
			var shard int
			if _, err := fmt.Sscanf(parts[2], "%d", &shard); err != nil || shard != Shard(tt.item.AccountID) {
				t.Errorf("shard part %q, want %d", parts[2], Shard(tt.item.AccountID))
			}
		})
	}
	// Every shard's key is distinct and has the same length, so keys sort in
	// shard order.
	seen := map[string]bool{}
	for s := range Shards {
		k := IndexKey(Pending, Review, s)
		if seen[k] {
			t.Errorf("IndexKey for shard %d repeats %q", s, k)
		}
		seen[k] = true
		if len(k) != len(IndexKey(Pending, Review, 0)) {
			t.Errorf("IndexKey(%d) = %q: width differs from shard 0", s, k)
		}
	}
	if IndexKey(Pending, Review, 3) == IndexKey(Pending, Suspend, 3) || IndexKey(Pending, Review, 3) == IndexKey(Applied, Review, 3) {
		t.Error("IndexKey does not separate status and action")
	}
}

func TestPartitions(t *testing.T) {
	t.Parallel()
	both, err := Partitions(Pending, "")
	if err != nil || len(both) != 2*Shards {
		t.Fatalf("Partitions(pending, both) = %d partitions, %v; want %d", len(both), err, 2*Shards)
	}
	one, err := Partitions(Released, Suspend)
	if err != nil || len(one) != Shards {
		t.Fatalf("Partitions(released, suspend) = %d partitions, %v; want %d", len(one), err, Shards)
	}
	it := Item{AccountID: "acc-42", Status: Released, Action: Suspend}
	if !slices.Contains(one, it.IndexKey()) {
		t.Errorf("partitions %v do not contain the item's %s", one, it.IndexKey())
	}
	for _, bad := range []struct {
		s Status
		a Action
	}{{"open", ""}, {Pending, "ban"}} {
		if _, err := Partitions(bad.s, bad.a); err == nil {
			t.Errorf("Partitions(%q, %q) accepted", bad.s, bad.a)
		}
	}
}

func TestClosedItemsExpire(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	it, _ := Raise(nil, Proposal{AccountID: "a", Action: Suspend, Score: 90, EventID: "e1", At: at,
		Reasons: []Reason{{Rule: "r1", Points: 90, Detail: "d"}}})
	if it.ExpiresAt != 0 {
		t.Fatalf("pending item expires at %d, want never", it.ExpiresAt)
	}
	closed, err := Decide(it, Released, "alice", "ok", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if want := at.Add(time.Hour + ClosedRetention).Unix(); closed.ExpiresAt != want {
		t.Errorf("released item expires at %d, want %d", closed.ExpiresAt, want)
	}
	reopened, changed := Raise(&closed, Proposal{AccountID: "a", Action: Suspend, Score: 95, EventID: "e2", At: at.Add(2 * time.Hour),
		Reasons: []Reason{{Rule: "r2", Points: 95, Detail: "new evidence"}}})
	if !changed || reopened.Status != Pending || reopened.ExpiresAt != 0 {
		t.Errorf("reopened item: changed %v status %s expiresAt %d, want pending and no expiry", changed, reopened.Status, reopened.ExpiresAt)
	}
}

func TestDetail(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxDetailBytes)
	tests := []struct {
		name, in, want string
	}{
		{"plain", "27 signups from 198.51.100.0/24", "27 signups from 198.51.100.0/24"},
		{"other scripts and emoji", `username "محمد" 王 😀`, `username "محمد" 王 😀`},
		{"bidi override escaped", "name \u202emoc.elgoog", `name \u202emoc.elgoog`},
		{"C1 and C0 escaped", "a\u0085b\x1b[31m\n", `a\u0085b\u001b[31m\u000a`},
		{"invalid UTF-8 escaped", "a\xffb", `a\xffb`},
		{"replacement character escaped", "a\uFFFDb", `a\ufffdb`},
		{"at the limit", long, long},
		{"one byte over", long + "b", long[:MaxDetailBytes-len("…")] + "…"},
		{"cut on a character boundary", strings.Repeat("é", MaxDetailBytes), strings.Repeat("é", (MaxDetailBytes-len("…"))/2) + "…"},
		{"cut never splits an escape", strings.Repeat("a", MaxDetailBytes-6) + "\u202e\u202e", strings.Repeat("a", MaxDetailBytes-6) + "…"},
		{"escapes count towards the limit", strings.Repeat("\u202e", MaxDetailBytes), strings.Repeat(`\u202e`, (MaxDetailBytes-len("…"))/6) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Detail(tt.in)
			if got != tt.want {
				t.Errorf("Detail(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if len(got) > MaxDetailBytes || !utf8.ValidString(got) {
				t.Errorf("Detail(%q) = %d bytes (valid UTF-8 %v), want at most %d", tt.in, len(got), utf8.ValidString(got), MaxDetailBytes)
			}
			if again := Detail(got); again != got {
				t.Errorf("Detail is not idempotent: %q, then %q", got, again)
			}
		})
	}
}

// TestRaiseBoundsReasons holds an item to a size DynamoDB accepts whatever
// the rules render: a bounded number of reasons, each of bounded size.
func TestRaiseBoundsReasons(t *testing.T) {
	t.Parallel()
	many := func(prefix string, n, points int) []Reason {
		var out []Reason
		for i := range n {
			out = append(out, Reason{Rule: fmt.Sprintf("%s%03d", prefix, i), Points: points, Detail: strings.Repeat("x\u202e", 1<<10)})
		}
		return out
	}
	check := func(t *testing.T, it Item) {
		t.Helper()
		if len(it.Reasons) > MaxReasons {
			t.Errorf("%d reasons, want at most %d", len(it.Reasons), MaxReasons)
		}
		for _, r := range it.Reasons {
			if len(r.Detail) > MaxDetailBytes || strings.ContainsRune(r.Detail, '\u202e') {
				t.Errorf("reason %s: detail of %d bytes, or with a raw bidi control", r.Rule, len(r.Detail))
			}
		}
	}
	created, _ := Raise(nil, proposal("e1", Review, 60, many("a", 2*MaxReasons, 1)))
	check(t, created)

	// A stronger rule displaces the weakest; a weaker one that would be cut
	// does not reopen a closed item, as nobody would see it.
	raised, changed := Raise(&created, proposal("e2", Review, 60, many("b", 1, 5)))
	if !changed || raised.Reasons[0].Rule != "b000" {
		t.Errorf("stronger new rule: changed %v, first reason %s", changed, raised.Reasons[0].Rule)
	}
	check(t, raised)
	closed, err := Decide(raised, Dismissed, "ana", "checked", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, changed := Raise(&closed, proposal("e3", Review, 60, many("c", 1, 0))); changed {
		t.Error("a closed item reopened by an event no later than the decision")
	}
	reopened, changed := Raise(&closed, proposalAt("e4", Review, 60, many("c", 2*MaxReasons, 1), t0.Add(time.Hour)))
	if !changed {
		t.Fatal("a later event did not reopen the item")
	}
	check(t, reopened)
}
