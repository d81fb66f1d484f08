package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/synth"
)

// newClusterPipeline is newPipelineAt with campaign clustering on, as
// deployed.
func newClusterPipeline(t testing.TB, st pipeline.Store, now func() time.Time) *pipeline.Pipeline {
	t.Helper()
	return buildPipeline(t, st, nil, decision.DefaultPolicy(), setup.Clock{Now: now}, true)
}

// clusterState is what clustering leaves, by its invariants: which
// accounts are queued and for what, which were queued by a cluster, and
// which cluster each account joined, resolved to its root. The reasons'
// words and the times may differ with how events fell into batches.
type clusterState struct {
	action  map[string]queue.Action
	byClust map[string]bool
	root    map[string]string
}

func readClusters(t *testing.T, p *pipeline.Pipeline, st store, ids []string) clusterState {
	t.Helper()
	ctx := context.Background()
	for {
		left, err := p.Sweep(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
	}
	items, err := st.QueueItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	cs := clusterState{action: map[string]queue.Action{}, byClust: map[string]bool{}, root: map[string]string{}}
	for id, it := range items {
		cs.action[id] = it.Action
		cs.byClust[id] = it.ClusterID != ""
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = cluster.MemberKey(id)
	}
	recs, err := st.Records(ctx, keys, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		r, ok := recs[keys[i]]
		if !ok {
			continue
		}
		m, err := cluster.DecodeMember(r.Data)
		if err != nil {
			t.Fatalf("member record of %s: %v", id, err)
		}
		cs.root[id] = resolve(t, st, m.Cluster)
	}
	return cs
}

// resolve follows a cluster's Parent pointers to its root.
func resolve(t *testing.T, st store, id string) string {
	t.Helper()
	for range cluster.MaxDepth {
		recs, err := st.Records(context.Background(), []string{cluster.RootKey(id)}, true)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := recs[cluster.RootKey(id)]
		if !ok {
			t.Fatalf("cluster %s: no root record", id)
		}
		root, err := cluster.DecodeRoot(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if root.Parent == "" {
			return id
		}
		id = root.Parent
	}
	t.Fatalf("cluster %s: parent chain too long", id)
	return ""
}

// partition renames roots by their least member, so that two runs whose
// clusters were founded by different accounts compare alike.
func (cs clusterState) partition() map[string]string {
	least := map[string]string{}
	for a, r := range cs.root {
		if l, ok := least[r]; !ok || a < l {
			least[r] = a
		}
	}
	out := map[string]string{}
	for a, r := range cs.root {
		out[a] = least[r]
	}
	return out
}

func (cs clusterState) diff(want clusterState) []string {
	var out []string
	for id, w := range want.action {
		if g := cs.action[id]; g != w {
			out = append(out, fmt.Sprintf("%s queued %q, want %q", id, g, w))
		}
	}
	if len(cs.action) != len(want.action) {
		out = append(out, fmt.Sprintf("%d accounts queued, want %d", len(cs.action), len(want.action)))
	}
	for id, w := range want.byClust {
		if g, ok := cs.byClust[id]; !ok || g != w {
			out = append(out, fmt.Sprintf("%s queued by a cluster: %v, want %v", id, g, w))
		}
	}
	if g, w := cs.partition(), want.partition(); !maps.Equal(g, w) {
		out = append(out, fmt.Sprintf("clusters: %v, want %v", g, w))
	}
	return out
}

// slowWave is days of genuine signups around a slow wave: accounts that
// look ordinary one by one, signed up hours apart.
func slowWave() synth.Config {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return synth.Config{
		Seed: 5, Start: start, Days: 9, GenuinePerDay: 60,
		Campaigns: []synth.Campaign{{ID: "slow", Type: synth.SlowWave, Start: start.Add(48 * time.Hour), Accounts: 150, Spread: 6 * 24 * time.Hour}},
	}
}

// TestClusterQueuesEarlierMembers: a slow wave's accounts are linked into
// a cluster, judged as a whole, and its members are queued with the
// cluster's id, ones whose own events did not queue them included; no
// genuine account is.
func TestClusterQueuesEarlierMembers(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, slowWave())
	ids := slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			off := s.open(t)
			c := &clock{now: start}
			deliver(t, newPipelineAt(t, off, c.Now), c, recs, 20)
			alone, err := off.QueueItems(context.Background(), ids)
			if err != nil {
				t.Fatal(err)
			}
			on := s.open(t)
			c = &clock{now: start}
			p := newClusterPipeline(t, on, c.Now)
			deliver(t, p, c, recs, 20)
			got := readClusters(t, p, on, ids)
			rank := map[queue.Action]int{"": 0, queue.Review: 1, queue.Suspend: 2}
			roots := map[string]int{}
			var retro []string
			for id, byCluster := range got.byClust {
				if !byCluster {
					continue
				}
				if labels[id].Campaign == "" {
					t.Errorf("genuine account %s (%s) queued %s by a cluster", id, labels[id].Kind, got.action[id])
				}
				roots[got.root[id]]++
				// Raised by the cluster above what its own events asked,
				// though it signed up before the cluster was judged.
				if rank[got.action[id]] > rank[alone[id].Action] {
					retro = append(retro, id)
				}
			}
			if len(retro) == 0 {
				t.Fatalf("no account was raised by its cluster above its own verdict (queued: %v): clustering added nothing", got.action)
			}
			if len(roots) == 0 || len(roots) > 3 {
				t.Errorf("the wave's queued members are in %d clusters, want one or a few: %v", len(roots), roots)
			}
			for id := range alone {
				if got.action[id] == "" {
					t.Errorf("%s: queued without clusters, not with them", id)
				}
			}
			// The cluster's item names it and its size.
			items, err := on.QueueItems(context.Background(), retro[:1])
			if err != nil {
				t.Fatal(err)
			}
			it := items[retro[0]]
			if it.Cluster == nil || it.Cluster.Size < 3 || !strings.HasPrefix(it.ClusterID, "c-") || !slices.ContainsFunc(it.EventIDs, func(e string) bool { return strings.HasPrefix(e, "cluster:"+it.ClusterID) }) {
				t.Errorf("item of %s: cluster %+v, id %q", retro[0], it.Cluster, it.ClusterID)
			}
		})
	}
}

// TestClusterFaultAtEveryWrite fails writes of one batch in turn, before
// and after they are made, retries, and checks that clustering ends as one
// clean delivery leaves it: the same accounts queued for the same actions,
// the same ones by a cluster, in the same clusters.
func TestClusterFaultAtEveryWrite(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	ids := slices.Collect(maps.Keys(labels))
	const batch = 20
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			counter := &faultStore{store: s.open(t)}
			p := newClusterPipeline(t, counter, (&clock{now: start}).Now)
			before, during := cleanRun(t, p, recs, batch, func() int { return counter.writes })
			want := readClusters(t, p, counter.store, ids)
			if len(want.root) == 0 {
				t.Fatal("the scenario forms no cluster: the test proves nothing")
			}
			step := 2
			if s.name == "dynamodb" {
				step = 11 // each run needs new tables; spread over all kinds of write
			}
			for _, applied := range []bool{false, true} {
				for n := 1; n <= during; n += step {
					f := &faultStore{store: s.open(t), n: before + n, applied: applied}
					c := &clock{now: start}
					p := newClusterPipeline(t, f, c.Now)
					if failed := deliver(t, p, c, recs, batch); !f.fired || failed == 0 {
						t.Fatalf("write %d (applied %v): the fault did not fail a record", n, applied)
					}
					if d := readClusters(t, p, f.store, ids).diff(want); len(d) > 0 {
						t.Errorf("fail write %d of %d (applied %v): %v", n, during, applied, d)
					}
				}
			}
		})
	}
}

// TestClusterReleaseStands: a person releases one member that its cluster
// queued; when the cluster is swept again (a new member joins a day
// later), the release stands, and counts against the cluster and against
// the weight of the kinds of link that brought the member.
func TestClusterReleaseStands(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	ids := slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := s.open(t)
			c := &clock{now: start}
			p := newClusterPipeline(t, st, c.Now)
			deliver(t, p, c, recs, 20)
			got := readClusters(t, p, st, ids)
			var member string
			for _, id := range slices.Sorted(maps.Keys(got.byClust)) {
				if got.byClust[id] {
					member = id
					break
				}
			}
			if member == "" {
				t.Fatal("the cluster queued nobody: the test proves nothing")
			}
			root := got.root[member]
			items, err := st.QueueItems(ctx, []string{member})
			if err != nil {
				t.Fatal(err)
			}
			// Released the day after the wave, before the cluster's next change.
			released, err := queue.Decide(items[member], queue.Released, "alice", "verified by phone", start.Add(-72*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if errs := st.PutQueueItems(ctx, []queue.Write{{Item: released, PrevVersion: items[member].Version}}); errs[0] != nil {
				t.Fatal(errs[0])
			}
			kinds, weights := memberKinds(t, st, root, member), linkWeights(t, st)

			// A new member joins a day after the wave: the cluster is
			// judged again and swept again.
			late := sameTies(t, recs, member, start.Add(-48*time.Hour))
			c.Add(time.Hour)
			for _, r := range p.Process(ctx, []pipeline.Record{late}) {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			after := readClusters(t, p, st, ids)
			items, err = st.QueueItems(ctx, []string{member})
			if err != nil {
				t.Fatal(err)
			}
			if it := items[member]; it.Status != queue.Released || it.Version != released.Version {
				t.Errorf("released member: %s v%d, want released v%d: the decision must stand", it.Status, it.Version, released.Version)
			}
			if after.root[member] != root {
				t.Errorf("member moved from %s to %s", root, after.root[member])
			}
			r := readRoot(t, st, root)
			if n := r.Total().Released; n != 1 {
				t.Errorf("cluster counts %d released members, want 1", n)
			}
			now := linkWeights(t, st)
			for _, k := range kinds {
				if now[k] >= weights[k] {
					t.Errorf("weight of %s: %.3f after the release, %.3f before: want lower", k, now[k], weights[k])
				}
			}
		})
	}
}

// sameTies returns a copy of the signup of account as a new account's,
// signed up at at: the same device, recovery contacts and address.
func sameTies(t *testing.T, recs []pipeline.Record, account string, at time.Time) pipeline.Record {
	t.Helper()
	for _, r := range recs {
		ev, err := event.Decode(r.Body)
		if err != nil || ev.Signup == nil || ev.Signup.AccountID != account {
			continue
		}
		su := *ev.Signup
		su.AccountID, su.Address, su.CreatedAt = "acc-LATE000001", "late.member.0001@example.net", at
		ev.Signup, ev.ID, ev.Time = &su, "late-signup-1", at
		b, err := event.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return pipeline.Record{ID: "late", Body: b}
	}
	t.Fatalf("no signup of %s", account)
	return pipeline.Record{}
}

func readRoot(t *testing.T, st store, id string) cluster.Root {
	t.Helper()
	recs, err := st.Records(context.Background(), []string{cluster.RootKey(id)}, true)
	if err != nil {
		t.Fatal(err)
	}
	r, err := cluster.DecodeRoot(recs[cluster.RootKey(id)].Data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// memberKinds returns the kinds of link that brought account into the
// cluster id (or a cluster merged into it).
func memberKinds(t *testing.T, st store, id, account string) []cluster.Kind {
	t.Helper()
	ctx := context.Background()
	recs, err := st.Records(ctx, []string{cluster.MemberKey(account)}, true)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cluster.DecodeMember(recs[cluster.MemberKey(account)].Data)
	if err != nil {
		t.Fatal(err)
	}
	key := cluster.PageKey(m.Cluster, cluster.PageOf(account))
	pages, err := st.Records(ctx, []string{key}, true)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := cluster.DecodePage(pages[key].Data)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := pg.Find(account)
	if !ok || e.Kinds == 0 {
		t.Fatalf("%s is not on its page of %s (%s)", account, m.Cluster, id)
	}
	return e.Kinds.Kinds()
}

func linkWeights(t *testing.T, st store) map[cluster.Kind]float64 {
	t.Helper()
	ws := map[cluster.Kind]float64{}
	for _, k := range cluster.Kinds() {
		recs, err := st.Records(context.Background(), []string{cluster.StatsKey(k)}, true)
		if err != nil {
			t.Fatal(err)
		}
		var s cluster.Stats
		if r, ok := recs[cluster.StatsKey(k)]; ok {
			if s, err = cluster.DecodeStats(r.Data); err != nil {
				t.Fatal(err)
			}
		}
		ws[k] = s.Weight()
	}
	return ws
}

// TestClusterConcurrentDelivery delivers every batch to two invocations at
// once, each retrying what it could not finish, and checks that
// clustering ends as one delivery leaves it.
func TestClusterConcurrentDelivery(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	ids := slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clean := s.open(t)
			c0 := &clock{now: start}
			p0 := newClusterPipeline(t, clean, c0.Now)
			deliver(t, p0, c0, recs, 20)
			want := readClusters(t, p0, clean, ids)
			if len(want.root) == 0 {
				t.Fatal("the scenario forms no cluster: the test proves nothing")
			}

			st := s.open(t)
			c := &clock{now: start}
			p1 := newClusterPipeline(t, st, c.Now)
			deliverTwice(t, p1, newClusterPipeline(t, st, c.Now), recs, 20)
			if d := readClusters(t, p1, st, ids).diff(want); len(d) > 0 {
				t.Errorf("two deliveries at once: %v", d)
			}
		})
	}
}

// TestClusterMessageFault: the message path's links (a shared résumé and
// letter) go through the same clustering; each write of their stream is
// failed in turn, before and after it is made, and clustering ends as one
// clean delivery leaves it.
func TestClusterMessageFault(t *testing.T) {
	t.Parallel()
	objs := &memObjects{}
	signups, msgs := farmMessages(objs, 6, now.Add(-5*24*time.Hour))
	var ids []string
	for i := range 6 {
		ids = append(ids, fmt.Sprintf("acc-farm-%02d", i))
	}
	const batch = 2
	at := setup.Clock{Now: func() time.Time { return now }}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			counter := &faultStore{store: s.open(t)}
			p := buildPipeline(t, counter, objs, decision.DefaultPolicy(), at, true)
			run(t, p, signups, 50)
			before := counter.writes
			run(t, p, msgs, batch)
			total := counter.writes - before
			want := readClusters(t, p, counter.store, ids)
			if len(want.root) < 2 || len(want.byClust) == 0 {
				t.Fatalf("%d accounts in clusters, %d queued: the test proves nothing", len(want.root), len(want.byClust))
			}
			step := 1
			if s.name == "dynamodb" {
				step = 7
			}
			for _, applied := range []bool{false, true} {
				for n := 1; n <= total; n += step {
					f := &faultStore{store: s.open(t)}
					c := &clock{now: now}
					q := buildPipeline(t, f, objs, decision.DefaultPolicy(), at, true)
					run(t, q, signups, 50)
					f.n, f.applied = f.writes+n, applied
					// A fault in a sweep fails no record (the next batch
					// takes the sweep up); the end must be the same.
					if deliver(t, q, c, msgs, batch); !f.fired {
						t.Fatalf("write %d of %d (applied %v): the fault did not fire", n, total, applied)
					}
					if d := readClusters(t, q, f.store, ids).diff(want); len(d) > 0 {
						t.Errorf("fail write %d of %d (applied %v): %v", n, total, applied, d)
					}
				}
			}
		})
	}
}
