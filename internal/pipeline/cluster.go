package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/login"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

// Campaign clusters (internal/cluster has the records). Every path hands
// what its events of a batch teach of links to linkClusters, after its
// queue writes and before its own last write, so that a fault here fails
// the events and a retry redoes it; every write of it is a set union or a
// maximum, so redoing it changes nothing twice.
//
// An event's cost stays bounded whatever the cluster's size: a join writes
// the member's page, the root and the member's record; a merge writes the
// smaller root's Parent and lists it under the larger one, without
// touching either's members; queueing the members of a cluster whose
// verdict rose is done by sweeps of at most sweepBudget members per batch.

// Settings of clustering.
const (
	// minLinkWeight is the learned weight below which a kind of link joins
	// nobody: it has linked far more accounts than their own evidence
	// condemned.
	minLinkWeight = 0.2
	// maxPeersPerLink bounds the accounts one link of one event names.
	maxPeersPerLink = 8
	// burstPerHour is how many signups of one username shape within the
	// hour make a burst whose accounts are linked.
	burstPerHour = 5
	// sweepBudget bounds the members one Process call queues or checks for
	// clusters whose verdict rose.
	sweepBudget = 200
	// maxPendingSweeps bounds the list of clusters being swept.
	maxPendingSweeps = 256
	// resweepAfter: a cluster judged again this long after its last sweep
	// began is swept again, so that people's releases of its members are
	// learned while it lives.
	resweepAfter = 24 * time.Hour
	// clusterKeep is how long a cluster's records outlive its last change.
	clusterKeep = window.Retention
)

// sweepsKey is the record listing the clusters being swept.
const sweepsKey = "cs#sweeps"

// linkObs is what one account's events of a batch teach of links.
type linkObs struct {
	account string
	at      time.Time
	queued  bool // its own events of the batch queued it
	strong  bool // asking for its suspension
	links   []cluster.Link
	fail    func(error)
}

// weak are the kinds of link a stranger may share with a campaign: a
// resemblance, or a public service. A member that only they tie to a
// cluster, and that its own events did not condemn, is queued for review
// at most, whatever the cluster's verdict: a person looks before it is
// suspended.
func weak(m cluster.Mask) bool { return m == 0 || fuzzyMask(m) }

// fuzzy are the kinds of link that strangers share too: resemblances (a
// near copy of an image or a text, a username's shape) and a public
// service (a disposable mail domain). Perceptual hashes of unrelated
// photos do match now and then, and genuine people use disposable mail; one
// such link would pull a stranger into a campaign of hundreds, and with
// them their family's shared device. So an account that its own events
// did not queue joins by them only together with a kind of another sort (a
// device, a contact, a farm, an attachment), and its fuzzy links alone
// link nobody (they would bridge two clusters it does not join). The
// backtest found both: a home user joined to an operation by one photo,
// and families joined to a slow wave through one member's disposable
// address.
var fuzzy = map[cluster.Kind]bool{cluster.Photo: true, cluster.Text: true, cluster.UsernameBurst: true, cluster.DisposableDomain: true}

// fuzzyMask reports whether every kind of m is fuzzy.
func fuzzyMask(m cluster.Mask) bool {
	for _, k := range m.Kinds() {
		if !fuzzy[k] {
			return false
		}
	}
	return m != 0
}

// fuzzyOnly reports whether every link of ls is fuzzy.
func fuzzyOnly(ls []cluster.Link) bool {
	var m cluster.Mask
	for _, l := range ls {
		m = m.With(l.Kind)
	}
	return fuzzyMask(m)
}

// see notes the verdict of one of the account's events.
func (o *linkObs) see(v Verdict) {
	if _, ok := v.Action(); ok {
		o.queued = true
	}
	o.strong = o.strong || v == Suspend
}

// addLink appends a link of kind to each peer other than the account.
func (o *linkObs) addLink(kind cluster.Kind, peers []string) {
	n := 0
	for _, peer := range peers {
		if peer == o.account || peer == "" {
			continue
		}
		o.links = append(o.links, cluster.Link{Kind: kind, Peer: peer})
		if n++; n == maxPeersPerLink {
			return
		}
	}
}

// rootView is a cluster root as read.
type rootView struct {
	id   string
	ver  int64
	root cluster.Root
}

// judged is a cluster's judgement by the cluster rules.
type judged struct {
	verdict Verdict
	score   int
	reasons []queue.Reason
	size    int
}

// linkBatch is one Process call's work on clusters.
type linkBatch struct {
	p     *Pipeline
	at    time.Time
	stats map[cluster.Kind]*cluster.Stats // as read
	// judging are the link weights as this batch leaves them, which its
	// links are weighed and its clusters judged by: the same whether the
	// batch's events came in one delivery or were split by a retry.
	judging map[cluster.Kind]float64
	members map[string]cluster.Member // by account, as read
	roots   map[string]*rootView      // by id, every one read
	items   map[string]queue.Item     // queue items of accounts joining
}

// linkClusters joins the accounts of obs to clusters, merges clusters they
// link, judges the clusters that changed, and queues the members that
// join a cluster already judged. A failure fails the observations behind
// it (all of them: their writes are one piece).
func (p *Pipeline) linkClusters(ctx context.Context, obs []*linkObs) {
	if p.c.NoClusters {
		return
	}
	obs = slices.DeleteFunc(slices.Clone(obs), func(o *linkObs) bool { return len(o.links) == 0 && !o.queued })
	if len(obs) == 0 {
		return
	}
	failAll := func(err error) {
		for _, o := range obs {
			o.fail(err)
		}
	}
	b := &linkBatch{p: p}
	for _, o := range obs {
		b.at = later(b.at, o.at)
	}
	var err error
	if b.stats, err = p.linkStats(ctx); err != nil {
		failAll(err)
		return
	}
	if err := b.read(ctx, obs); err != nil {
		failAll(err)
		return
	}
	// Every link the batch saw teaches its kind, whether or not it
	// weighs enough to join anybody: a kind below the bar still learns,
	// and may rise above it.
	adds := b.statAdds(obs)
	for _, o := range obs {
		o.links = slices.DeleteFunc(o.links, func(l cluster.Link) bool { return b.judging[l.Kind] < minLinkWeight })
		if !o.queued && fuzzyOnly(o.links) {
			o.links = nil
		}
	}
	if err := b.apply(ctx, obs, adds); err != nil {
		failAll(err)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// linkWeights reads the link kinds' statistics and returns their learned
// weights.
func (p *Pipeline) linkWeights(ctx context.Context) (map[cluster.Kind]float64, error) {
	stats, err := p.linkStats(ctx)
	if err != nil {
		return nil, err
	}
	return weightsOf(stats), nil
}

// linkStats reads the link kinds' statistics.
func (p *Pipeline) linkStats(ctx context.Context) (map[cluster.Kind]*cluster.Stats, error) {
	kinds := cluster.Kinds()
	keys := make([]string, len(kinds))
	for i, k := range kinds {
		keys[i] = cluster.StatsKey(k)
	}
	recs, err := p.c.Store.Records(ctx, keys, false)
	if err != nil {
		return nil, fmt.Errorf("read link statistics: %w: %w", ErrTransient, err)
	}
	stats := make(map[cluster.Kind]*cluster.Stats, len(kinds))
	for i, k := range kinds {
		st := &cluster.Stats{}
		if r, ok := recs[keys[i]]; ok {
			if *st, err = cluster.DecodeStats(r.Data); err != nil {
				*st = cluster.Stats{} // a corrupt record is relearned
			}
		}
		stats[k] = st
	}
	return stats, nil
}

func weightsOf(stats map[cluster.Kind]*cluster.Stats) map[cluster.Kind]float64 {
	ws := make(map[cluster.Kind]float64, len(stats))
	for k, st := range stats {
		ws[k] = st.Weight()
	}
	return ws
}

// read reads the member records of every account obs name, the roots of
// their clusters (following Parent pointers), the children of those roots,
// and the queue items of the accounts not yet in a cluster.
func (b *linkBatch) read(ctx context.Context, obs []*linkObs) error {
	accounts := map[string]bool{}
	for _, o := range obs {
		accounts[o.account] = true
		for _, l := range o.links {
			accounts[l.Peer] = true
		}
	}
	keys := make([]string, 0, len(accounts))
	for a := range accounts {
		keys = append(keys, cluster.MemberKey(a))
	}
	recs, err := b.p.c.Store.Records(ctx, keys, true)
	if err != nil {
		return fmt.Errorf("read cluster members: %w: %w", ErrTransient, err)
	}
	b.members = map[string]cluster.Member{}
	var ids []string
	for a := range accounts {
		r, ok := recs[cluster.MemberKey(a)]
		if !ok {
			continue
		}
		m, err := cluster.DecodeMember(r.Data)
		if err != nil {
			continue // joins afresh
		}
		b.members[a] = m
		ids = append(ids, m.Cluster)
	}
	b.roots = map[string]*rootView{}
	if err := b.readRoots(ctx, ids, true); err != nil {
		return err
	}
	var children []string
	for _, v := range b.roots {
		if v.root.Parent == "" {
			for _, c := range v.root.Children {
				children = append(children, c.ID)
			}
		}
	}
	if err := b.readRoots(ctx, children, false); err != nil {
		return err
	}
	var fresh []string
	for a := range accounts {
		if _, ok := b.members[a]; !ok {
			fresh = append(fresh, a)
		}
	}
	if b.items, err = b.p.c.Store.QueueItems(ctx, fresh); err != nil {
		return fmt.Errorf("read queue: %w: %w", ErrTransient, err)
	}
	return nil
}

// readRoots reads the roots of ids not read yet and, when up is set, the
// parents they point to, up to cluster.MaxDepth.
func (b *linkBatch) readRoots(ctx context.Context, ids []string, up bool) error {
	for range cluster.MaxDepth {
		var keys []string
		seen := map[string]bool{}
		for _, id := range ids {
			if _, ok := b.roots[id]; !ok && id != "" && !seen[id] {
				seen[id] = true
				keys = append(keys, cluster.RootKey(id))
			}
		}
		if len(keys) == 0 {
			return nil
		}
		recs, err := b.p.c.Store.Records(ctx, keys, true)
		if err != nil {
			return fmt.Errorf("read clusters: %w: %w", ErrTransient, err)
		}
		ids = ids[:0]
		for _, k := range keys {
			id := strings.TrimPrefix(k, "cr#")
			v := &rootView{id: id}
			if r, ok := recs[k]; ok {
				if root, err := cluster.DecodeRoot(r.Data); err == nil {
					v.ver, v.root = r.Version, root
				} else {
					v.ver = r.Version // rewritten whole by the next change
				}
			}
			b.roots[id] = v
			if up && v.root.Parent != "" {
				ids = append(ids, v.root.Parent)
			}
		}
		if !up {
			return nil
		}
	}
	return nil
}

// top returns the root a cluster id resolves to, "" if none was read.
func (b *linkBatch) top(id string) string {
	for range cluster.MaxDepth + 1 {
		v, ok := b.roots[id]
		if !ok {
			return ""
		}
		if v.root.Parent == "" {
			return id
		}
		id = v.root.Parent
	}
	return ""
}

// component is a set of accounts that obs link, and what joining them
// changes.
type component struct {
	accounts []string
	obs      []*linkObs
	target   string
	merged   []string // roots merged into the target
	joins    map[string]cluster.Entry
}

// plan groups the accounts obs link into components, union-find style
// over accounts and the clusters they are in.
func (b *linkBatch) plan(obs []*linkObs) []*component {
	parent := map[string]string{}
	var find func(x string) string
	find = func(x string) string {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	// holds is the cluster a set already holds ("" none): a fuzzy link
	// may bring an account into a cluster, but never merge two.
	holds := map[string]string{}
	union := func(x, y string) {
		rx, ry := find(x), find(y)
		if rx != ry {
			r, o := min(rx, ry), max(rx, ry)
			parent[o] = r
			if holds[r] == "" {
				holds[r] = holds[o]
			}
		}
	}
	// Accounts of one cluster are one already.
	node := func(a string) string {
		if m, ok := b.members[a]; ok {
			if t := b.top(m.Cluster); t != "" {
				holds[find("c:"+t)] = t
				union("a:"+a, "c:"+t)
			}
		}
		return "a:" + a
	}
	for _, o := range obs {
		x := node(o.account)
		for _, l := range o.links {
			if !fuzzy[l.Kind] {
				union(x, node(l.Peer))
			}
		}
	}
	for _, o := range obs {
		x := node(o.account)
		o.links = slices.DeleteFunc(o.links, func(l cluster.Link) bool {
			if !fuzzy[l.Kind] {
				return false
			}
			y := node(l.Peer)
			if hx, hy := holds[find(x)], holds[find(y)]; hx != "" && hy != "" && hx != hy {
				return true // would merge two clusters by resemblance
			}
			union(x, y)
			return false
		})
	}
	byRoot := map[string]*component{}
	var comps []*component
	for _, o := range obs {
		r := find("a:" + o.account)
		c := byRoot[r]
		if c == nil {
			c = &component{joins: map[string]cluster.Entry{}}
			byRoot[r] = c
			comps = append(comps, c)
		}
		c.obs = append(c.obs, o)
	}
	for _, c := range comps {
		seen := map[string]bool{}
		var tops []string
		for _, o := range c.obs {
			for _, a := range append([]string{o.account}, peersOf(o)...) {
				if seen[a] {
					continue
				}
				seen[a] = true
				c.accounts = append(c.accounts, a)
				if m, ok := b.members[a]; ok {
					if t := b.top(m.Cluster); t != "" && !slices.Contains(tops, t) {
						tops = append(tops, t)
					}
				}
			}
		}
		b.choose(c, tops)
	}
	return comps
}

func peersOf(o *linkObs) []string {
	ps := make([]string, len(o.links))
	for i, l := range o.links {
		ps[i] = l.Peer
	}
	return ps
}

// choose picks the component's target cluster (the largest it touches; a
// new one founded by its least account when it touches none), the
// clusters merged into it, and the accounts that join it.
func (b *linkBatch) choose(c *component, tops []string) {
	size := func(id string) int { return b.roots[id].root.Total().N }
	slices.SortFunc(tops, func(x, y string) int {
		if d := cmp.Compare(size(y), size(x)); d != 0 {
			return d
		}
		return strings.Compare(x, y)
	})
	if len(tops) > 0 {
		c.target, c.merged = tops[0], tops[1:]
	} else if len(c.accounts) > 1 {
		c.target = cluster.ID(slices.Min(c.accounts))
		if _, ok := b.roots[c.target]; !ok {
			b.roots[c.target] = &rootView{id: c.target}
		}
	}
	kinds := map[string]cluster.Mask{}
	for _, o := range c.obs {
		for _, l := range o.links {
			kinds[o.account] = kinds[o.account].With(l.Kind)
			kinds[l.Peer] = kinds[l.Peer].With(l.Kind)
		}
	}
	strong, queued := map[string]bool{}, map[string]bool{}
	// An account joins at its own event's time; a peer, whose events came
	// before, when the batch linked it.
	joined := map[string]int64{}
	for _, o := range c.obs {
		strong[o.account] = strong[o.account] || o.strong
		queued[o.account] = queued[o.account] || o.queued
		if t := o.at.Unix(); joined[o.account] == 0 || t < joined[o.account] {
			joined[o.account] = t
		}
	}
	for _, a := range c.accounts {
		if _, member := b.members[a]; member || c.target == "" {
			continue
		}
		at := joined[a]
		if at == 0 {
			at = b.at.Unix()
		}
		e := cluster.Entry{Account: a, Joined: at, Kinds: kinds[a], Strong: strong[a], Queued: queued[a]}
		if it, ok := b.items[a]; ok {
			// Queued on its own evidence before it joined, or released.
			own := it.ClusterID == "" && !it.Status.Closed()
			e.Queued = e.Queued || own
			e.Strong = e.Strong || (own && it.Action == queue.Suspend)
			e.Released = it.Status == queue.Released
		}
		if !e.Queued && fuzzyMask(e.Kinds) {
			// Resemblance alone does not bind an account that its own
			// events did not queue: it stays out, linked to nobody.
			continue
		}
		c.joins[a] = e
	}
}

// apply writes what the components change: pages, roots (judged), merged
// roots' parents, link statistics, member records, then the queue.
func (b *linkBatch) apply(ctx context.Context, obs []*linkObs, adds map[cluster.Kind]*statAdd) error {
	comps := b.plan(obs)
	// Pages: new members on the target's, and strong members on their own
	// cluster's.
	pageEntries := map[string][]cluster.Entry{}
	pageOf := map[string][2]string{} // page key -> cluster id, page number
	addEntry := func(id string, e cluster.Entry) {
		n := cluster.PageOf(e.Account)
		k := cluster.PageKey(id, n)
		pageEntries[k] = append(pageEntries[k], e)
		pageOf[k] = [2]string{id, strconv.Itoa(n)}
	}
	for _, c := range comps {
		for _, e := range c.joins {
			addEntry(c.target, e)
		}
		for _, o := range c.obs {
			if m, ok := b.members[o.account]; ok && o.queued {
				addEntry(m.Cluster, cluster.Entry{Account: o.account, Queued: true, Strong: o.strong})
			}
		}
	}
	tallies, err := b.writePages(ctx, pageEntries)
	if err != nil {
		return err
	}
	// Roots: each cluster whose pages changed, and each target.
	touched := map[string]map[int]cluster.Tally{}
	for k, t := range tallies {
		id, n := pageOf[k][0], pageOf[k][1]
		page, _ := strconv.Atoi(n)
		if touched[id] == nil {
			touched[id] = map[int]cluster.Tally{}
		}
		touched[id][page] = t
	}
	verdicts, rose, err := b.writeRoots(ctx, comps, touched)
	if err != nil {
		return err
	}
	if err := b.writeParents(ctx, comps); err != nil {
		return err
	}
	if err := b.writeStats(ctx, adds); err != nil {
		return err
	}
	if len(rose) > 0 {
		if err := b.p.addSweeps(ctx, rose); err != nil {
			return err
		}
	}
	// Members joining a cluster already judged are queued now, before
	// their member records (written last: a retry finds them not joined
	// and queues them again, which changes nothing twice); the members
	// before them by the sweep.
	var rs []*raising
	for _, c := range comps {
		j, ok := verdicts[c.target]
		if !ok {
			continue
		}
		for _, a := range slices.Sorted(maps.Keys(c.joins)) {
			if it, ok := b.items[a]; ok && it.Status.Closed() {
				continue // a person's decision stands
			}
			if r := b.p.clusterRaise(c.target, j, c.joins[a], b.at); r != nil {
				rs = append(rs, r)
			}
		}
	}
	b.p.raiseQueue(ctx, rs)
	for _, r := range rs {
		if r.err != nil {
			return r.err
		}
	}
	return b.writeMembers(ctx, comps)
}

// writePages adds the entries to their pages and returns each page's tally
// as written.
func (b *linkBatch) writePages(ctx context.Context, entries map[string][]cluster.Entry) (map[string]cluster.Tally, error) {
	tallies := make(map[string]cluster.Tally, len(entries))
	ops := make([]*recordOp, 0, len(entries))
	expires := b.at.Add(clusterKeep).Unix()
	for k, es := range entries {
		ops = append(ops, &recordOp{key: k, change: func(r versioned.Record) ([]byte, int64, bool) {
			var pg cluster.Page
			if r.Version > 0 {
				pg, _ = cluster.DecodePage(r.Data) // a corrupt page is rebuilt from what joins
			}
			changed := false
			for _, e := range es {
				changed = pg.Add(e) || changed
			}
			ver := r.Version
			if changed {
				ver++
			}
			tallies[k] = pg.Tally(ver)
			return pg.Encode(nil), expires, changed
		}})
	}
	for o, err := range b.p.updateRecords(ctx, ops) {
		return nil, fmt.Errorf("cluster page %s: %w", o.key, err)
	}
	return tallies, nil
}

// writeRoots records the pages' tallies on their roots, adopts merged
// clusters into their targets, and judges every target. It returns the
// targets' judgements above allow, and the clusters whose verdict rose
// (to be swept).
func (b *linkBatch) writeRoots(ctx context.Context, comps []*component, touched map[string]map[int]cluster.Tally) (map[string]judged, []string, error) {
	targets := map[string]*component{}
	for _, c := range comps {
		if c.target != "" {
			targets[c.target] = c
		}
	}
	ids := slices.Collect(maps.Keys(touched))
	for id := range targets {
		if touched[id] == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	verdicts := map[string]judged{}
	var rose []string
	expires := b.at.Add(clusterKeep).Unix()
	ops := make([]*recordOp, 0, len(ids))
	for _, id := range ids {
		c := targets[id]
		ops = append(ops, &recordOp{key: cluster.RootKey(id), change: func(r versioned.Record) ([]byte, int64, bool) {
			var root cluster.Root
			if r.Version > 0 {
				root, _ = cluster.DecodeRoot(r.Data)
			}
			changed := false
			if root.Created == 0 {
				root.Created, changed = b.at.Unix(), true
			}
			for n, t := range touched[id] {
				changed = root.SetPage(n, t) || changed
			}
			delete(verdicts, id)
			if c == nil || root.Parent != "" {
				return root.Encode(nil), expires, changed
			}
			for _, m := range c.merged {
				if v := b.roots[m]; v != nil && v.root.Parent == "" {
					mr := v.root
					for n, t := range touched[m] {
						mr.SetPage(n, t)
					}
					changed = root.Adopt(m, mr) || changed
				}
			}
			for _, ch := range root.Children {
				if v := b.roots[ch.ID]; v != nil && v.ver > 0 {
					changed = root.Adopt(ch.ID, cluster.Root{Tallies: v.root.Tallies}) || changed
				}
			}
			j := b.p.judgeCluster(id, root, b.judging, b.at)
			level := string(j.verdict)
			if j.verdict == Allow {
				level = ""
			}
			if stored := root.Judged.Verdict; rank(level) < rank(stored) && root.Total().Released == 0 {
				// Like a queue item's, a cluster's verdict is not lowered
				// by later facts that read weaker (a wave that grows past
				// the share of its members queued one by one); only
				// people's releases take it down.
				j.verdict, j.score, level = Verdict(stored), max(j.score, root.Judged.Score), stored
			}
			if rank(level) > rank(root.Judged.Verdict) ||
				(level != "" && root.Sweep.Done && b.at.Unix()-root.Judged.At >= int64(resweepAfter/time.Second)) {
				root.Judged = cluster.Judgement{Verdict: level, Score: j.score, At: b.at.Unix()}
				root.Sweep = cluster.Sweep{Level: level}
				changed = true
			}
			if j.verdict != Allow {
				verdicts[id] = j
			}
			if root.Sweep.Level != "" && !root.Sweep.Done {
				// Listed again on every change until done: an attempt that
				// wrote the verdict but failed to list it is made good.
				rose = appendUnique(rose, id)
			}
			return root.Encode(nil), expires, changed
		}})
	}
	for o, err := range b.p.updateRecords(ctx, ops) {
		return nil, nil, fmt.Errorf("cluster %s: %w", o.key, err)
	}
	return verdicts, rose, nil
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// rank orders verdict levels.
func rank(level string) int {
	switch Verdict(level) {
	case Review:
		return 1
	case Suspend:
		return 2
	}
	return 0
}

// writeParents points each merged root at its target, after the target
// lists it: a root pointing at a target that does not count it would hide
// its members.
func (b *linkBatch) writeParents(ctx context.Context, comps []*component) error {
	var ops []*recordOp
	expires := b.at.Add(clusterKeep).Unix()
	for _, c := range comps {
		for _, m := range c.merged {
			target := c.target
			ops = append(ops, &recordOp{key: cluster.RootKey(m), change: func(r versioned.Record) ([]byte, int64, bool) {
				root, err := cluster.DecodeRoot(r.Data)
				if err != nil || r.Version == 0 || root.Parent != "" {
					return r.Data, r.Expires, false
				}
				root.Parent = target
				return root.Encode(nil), expires, true
			}})
		}
	}
	for o, err := range b.p.updateRecords(ctx, ops) {
		return fmt.Errorf("merge cluster %s: %w", o.key, err)
	}
	return nil
}

// statAdd is what a batch adds to one link kind's statistics.
type statAdd struct{ links, strong []string }

// statAdds collects the batch's linked accounts by kind, and those of them
// condemned on their own evidence (the batch's own suspensions, and
// earlier ones their queue items show), and sets the weights the batch's
// links are weighed and its clusters judged by: the statistics as read,
// with these added.
func (b *linkBatch) statAdds(obs []*linkObs) map[cluster.Kind]*statAdd {
	condemned := func(a string) bool {
		it, ok := b.items[a]
		return ok && it.ClusterID == "" && it.Action == queue.Suspend && !it.Status.Closed()
	}
	adds := map[cluster.Kind]*statAdd{}
	for _, o := range obs {
		for _, l := range o.links {
			a := adds[l.Kind]
			if a == nil {
				a = &statAdd{}
				adds[l.Kind] = a
			}
			a.links = append(a.links, o.account, l.Peer)
			if o.strong || condemned(o.account) {
				a.strong = append(a.strong, o.account)
			}
			if condemned(l.Peer) {
				a.strong = append(a.strong, l.Peer)
			}
		}
	}
	b.judging = make(map[cluster.Kind]float64, len(b.stats))
	for k, st := range b.stats {
		next := *st
		if a := adds[k]; a != nil {
			for _, v := range a.links {
				next.Links.Add(v)
			}
			for _, v := range a.strong {
				next.Strong.Add(v)
			}
		}
		b.judging[k] = next.Weight()
	}
	return adds
}

// writeStats adds the batch's linked accounts to their kinds' statistics.
func (b *linkBatch) writeStats(ctx context.Context, adds map[cluster.Kind]*statAdd) error {
	var ops []*recordOp
	for k, a := range adds {
		ops = append(ops, statsOp(k, a.links, a.strong, nil))
	}
	for o, err := range b.p.updateRecords(ctx, ops) {
		return fmt.Errorf("link statistics %s: %w", o.key, err)
	}
	return nil
}

// statsOp adds accounts to a link kind's statistics: linked, condemned
// on their own evidence, released by people.
func statsOp(k cluster.Kind, links, strong, released []string) *recordOp {
	return &recordOp{key: cluster.StatsKey(k), change: func(r versioned.Record) ([]byte, int64, bool) {
		var st cluster.Stats
		if r.Version > 0 {
			st, _ = cluster.DecodeStats(r.Data) // a corrupt record is relearned
		}
		changed := false
		for _, v := range links {
			changed = st.Links.Add(v) || changed
		}
		for _, v := range strong {
			changed = st.Strong.Add(v) || changed
		}
		for _, v := range released {
			changed = st.Released.Add(v) || changed
		}
		return st.Encode(nil), 0, changed
	}}
}

// writeMembers records, last, which cluster each new member joined.
func (b *linkBatch) writeMembers(ctx context.Context, comps []*component) error {
	var ws []versioned.Write
	expires := b.at.Add(clusterKeep).Unix()
	for _, c := range comps {
		links := map[string][]cluster.Link{}
		for _, o := range c.obs {
			for _, l := range o.links {
				links[o.account] = append(links[o.account], l)
				links[l.Peer] = append(links[l.Peer], cluster.Link{Kind: l.Kind, Peer: o.account})
			}
		}
		for _, a := range slices.Sorted(maps.Keys(c.joins)) {
			ls := links[a][:min(len(links[a]), cluster.MaxMemberLinks)]
			m := cluster.Member{Cluster: c.target, Joined: c.joins[a].Joined, Links: ls}
			ws = append(ws, versioned.Write{Key: cluster.MemberKey(a), Record: versioned.Record{
				Version: 1, Data: m.Encode(nil), Expires: expires,
			}})
		}
	}
	errs := b.p.c.Store.PutRecords(ctx, ws)
	for i, w := range ws {
		err := resultErr(errs, i)
		// A member record there already: the account joined, in this
		// attempt's earlier try or in another's at the same time.
		if err != nil && !isConflict(err) {
			return storeErr("write cluster member "+w.Key, err)
		}
	}
	return nil
}

func isConflict(err error) bool { return errors.Is(err, versioned.ErrConflict) }

// judgeCluster scores a cluster's facts by the cluster rules.
func (p *Pipeline) judgeCluster(id string, root cluster.Root, weights map[cluster.Kind]float64, at time.Time) judged {
	t := root.Total()
	in := signal.ClusterInput{ID: id, Size: t.N, Queued: t.Queued, Strong: t.Strong, Released: t.Released, Merged: len(root.Children)}
	day := int32(at.Unix() / 86400)
	in.New2d, in.New7d = t.Joined(day, 2), t.Joined(day, 7)
	if t.First != 0 {
		in.AgeDays = int(at.Unix()-t.First) / 86400
	}
	type kw struct {
		k cluster.Kind
		w float64
	}
	var kws []kw
	for _, k := range t.Kinds.Kinds() {
		w := weights[k]
		kws = append(kws, kw{k, w})
		in.WeightSum += w
		in.LinkWeight = max(in.LinkWeight, w)
		if w >= 0.3 {
			in.Kinds++
		}
	}
	slices.SortStableFunc(kws, func(a, b kw) int { return cmp.Compare(b.w, a.w) })
	parts := make([]string, len(kws))
	for i, x := range kws {
		parts[i] = fmt.Sprintf("%s %.2f", x.k, x.w)
	}
	in.LinkKinds = strings.Join(parts, ", ")
	sig := signal.Cluster(p.c.ClusterCatalog, in)
	reasons, score, err := p.c.ClusterRules.Score(sig)
	if err != nil {
		p.log.LogAttrs(context.Background(), slog.LevelWarn, "cluster rule evaluation failed",
			slog.String("clusterId", id), slog.Any("error", err))
	}
	return judged{verdict: p.c.Policy.Decide(score, reasons), score: score, reasons: reasons, size: t.N}
}

// clusterRaise is the proposal that queues account for its cluster's
// judgement j (nil when j asks for nothing): one event id per cluster and
// level, so that queueing a member again changes nothing, and a person's
// release stands against it.
func (p *Pipeline) clusterRaise(id string, j judged, e cluster.Entry, at time.Time) *raising {
	action, ok := j.verdict.Action()
	if !ok || p.c.Policy.Shadow {
		return nil
	}
	score := j.score
	if !e.Strong && weak(e.Kinds) && action == queue.Suspend {
		action, score = queue.Review, min(score, p.c.Policy.Suspend-1)
	}
	return &raising{prop: queue.Proposal{
		AccountID: e.Account, Action: action, Score: score, Reasons: j.reasons,
		Cluster: &queue.Cluster{Key: "cluster:" + id, Size: j.size}, ClusterID: id,
		EventID: "cluster:" + id + ":" + string(action), At: at,
		RulesVersion: p.c.ClusterRules.Version(),
	}}
}

// signupLinks are the signup keys whose sharing links accounts, by the
// kind of link: the attributes one operator's personas share. Addresses
// and networks link strangers behind one NAT or VPN and are judged as
// counts, not links.
var signupLinks = map[window.Kind]cluster.Kind{
	window.Device: cluster.Device, window.RecoveryEmail: cluster.RecoveryEmail,
	window.RecoveryPhone: cluster.RecoveryPhone, window.Template: cluster.UsernameBurst,
}

// linkSignups hands the held signups' links to the clusters: the recent
// accounts that share their device or a recovery contact, and those of a
// burst of one username shape within the hour.
func (a *attempt) linkSignups(ctx context.Context, held []*work, records map[window.Key]*keyState) []*work {
	if a.p.c.NoClusters || len(held) == 0 {
		return held
	}
	failed := map[*work]error{}
	domainPeers := a.disposablePeers(ctx, held, failed)
	obs := make([]*linkObs, 0, len(held))
	for _, w := range held {
		if failed[w] != nil {
			continue
		}
		_, queued := w.dec.Verdict.Action()
		o := &linkObs{account: w.su.AccountID, at: w.su.CreatedAt, queued: queued, strong: w.dec.Verdict == Suspend,
			fail: func(err error) { failed[w] = err }}
		for i, k := range w.keys {
			kind, ok := signupLinks[k.kind]
			if !ok || (k.kind == window.Template && w.counts[i].Last1h < burstPerHour) {
				continue
			}
			o.addLink(kind, records[k.key].rec.Members())
		}
		o.addLink(cluster.DisposableDomain, domainPeers[w])
		obs = append(obs, o)
	}
	a.p.linkClusters(ctx, obs)
	return a.keep(held, failed)
}

// disposablePrefix is the key prefix of the accounts that gave a recovery
// address at one disposable domain (+ the domain's keyed hash).
const disposablePrefix = "cdd#"

// disposablePeers joins the signups that gave a recovery address at a
// disposable domain to that domain's set of accounts (login.Peers: the 32
// latest, a join applied once), and returns the other accounts of each.
func (a *attempt) disposablePeers(ctx context.Context, held []*work, failed map[*work]error) map[*work][]string {
	byKey := map[string][]*work{}
	var keys []string
	for _, w := range held {
		_, domain := signal.SplitAddress(w.su.RecoveryEmail)
		if !a.p.c.Extractor.Disposable(domain) {
			continue
		}
		key := disposablePrefix + a.p.c.Hasher.Sum("rdom", domain)
		if byKey[key] == nil {
			keys = append(keys, key)
		}
		byKey[key] = append(byKey[key], w)
	}
	if len(keys) == 0 {
		return nil
	}
	peers := map[*work][]string{}
	ops := make([]*recordOp, len(keys))
	for i, key := range keys {
		ws := byKey[key]
		ops[i] = &recordOp{key: key, change: func(r versioned.Record) ([]byte, int64, bool) {
			var ps login.Peers
			if r.Version > 0 {
				ps, _ = login.DecodePeers(r.Data) // a corrupt set starts again
			}
			changed, newest := false, int64(0)
			for _, w := range ws {
				changed = ps.Join(w.su.AccountID, int32(w.su.CreatedAt.Unix()/86400), true) || changed
				newest = max(newest, w.su.CreatedAt.Unix())
			}
			members := make([]string, 0, len(ps.Members))
			for i := len(ps.Members) - 1; i >= 0; i-- { // the latest first
				members = append(members, ps.Members[i].Account)
			}
			for _, w := range ws {
				peers[w] = members
			}
			return ps.Encode(nil), newest + int64(clusterKeep/time.Second), changed
		}}
	}
	for o, err := range a.p.updateRecords(ctx, ops) {
		for _, w := range byKey[o.key] {
			failed[w] = err
		}
	}
	return peers
}

// joinClusters hands the accounts' laptop-farm links to the clusters.
func (b *loginBatch) joinClusters(ctx context.Context) {
	var obs []*linkObs
	for _, a := range b.accts {
		if a.err != nil {
			continue
		}
		var o *linkObs
		for _, w := range a.logins {
			if res := &b.results[w.idx]; res.Duplicate || res.Err != nil {
				continue
			}
			if o == nil {
				o = &linkObs{account: a.id, fail: func(err error) { a.fail(b.results, err) }}
				obs = append(obs, o)
			}
			o.at = later(o.at, w.lg.At)
			o.see(w.dec.Verdict)
			if !w.facts.Young {
				continue // an established account is the place's, not a farm's
			}
			if w.ipFarm.Is {
				o.addLink(cluster.FarmAddress, w.ipFarm.Peers)
			}
			if w.devFarm.Is {
				o.addLink(cluster.FarmDevice, w.devFarm.Peers)
			}
		}
	}
	b.p.linkClusters(ctx, obs)
}

// contentLinks are the message contents that link senders, by the kind of
// link.
var contentLinks = map[byte]cluster.Kind{'a': cluster.Attachment, 'i': cluster.Photo, 't': cluster.Text}

// joinClusters hands the young senders' content links to the clusters:
// the other young senders of content that established senders do not
// carry.
func (b *messageBatch) joinClusters(ctx context.Context) {
	var obs []*linkObs
	for _, a := range b.accts {
		if a.err != nil || !a.young {
			continue
		}
		var o *linkObs
		for _, w := range a.msgs {
			if res := &b.results[w.idx]; res.Duplicate || res.Err != nil {
				continue
			}
			if o == nil {
				o = &linkObs{account: a.id, fail: func(err error) { a.fail(b.results, err) }}
				obs = append(obs, o)
			}
			o.at = later(o.at, w.msg.SentAt)
			o.see(w.dec.Verdict)
			for _, it := range w.items {
				if !it.match.Popular(b.p.c.Outbound) {
					o.addLink(contentLinks[it.kind], it.match.Young)
				}
			}
		}
	}
	b.p.linkClusters(ctx, obs)
}
