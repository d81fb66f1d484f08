package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// Sweeps queue the members of a cluster whose verdict rose, the ones that
// joined before the evidence included, a bounded number per batch, page
// by page from a cursor kept on the cluster's root; and they learn from
// the members a person released (spec/queue.md: the decision stands) by
// flagging them, which counts against the cluster and against the link
// kinds that brought them. The clusters being swept are listed in one
// record, so a sweep goes on after the cluster's own events stop.

// Sweep advances the sweeps of clusters whose verdict rose, by at most
// budget members, and returns how many clusters are still being swept.
// Every Process call sweeps a little; a replay calls Sweep until it
// returns 0 to finish them.
func (p *Pipeline) Sweep(ctx context.Context, budget int) (int, error) {
	if p.c.NoClusters {
		return 0, nil
	}
	recs, err := p.c.Store.Records(ctx, []string{sweepsKey}, true)
	if err != nil {
		return 0, fmt.Errorf("read sweeps: %w: %w", ErrTransient, err)
	}
	ids := decodeIDs(recs[sweepsKey].Data)
	if len(ids) == 0 {
		return 0, nil
	}
	weights, err := p.linkWeights(ctx)
	if err != nil {
		return len(ids), err
	}
	var done []string
	var errs []error
	for _, id := range ids {
		if budget <= 0 {
			break
		}
		n, finished, err := p.sweepOne(ctx, id, budget, weights)
		budget -= max(n, 1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if finished {
			done = append(done, id)
		}
	}
	if len(done) > 0 {
		if err := p.changeSweeps(ctx, nil, done); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return len(ids) - len(done), errs[0]
	}
	return len(ids) - len(done), nil
}

// sweepClusters is the little sweep at the end of a Process call: its
// faults are logged, and the next call picks the sweep up where it is.
func (p *Pipeline) sweepClusters(ctx context.Context) {
	if _, err := p.Sweep(ctx, sweepBudget); err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "cluster sweep", slog.String("error", err.Error()))
	}
}

// addSweeps lists clusters to be swept.
func (p *Pipeline) addSweeps(ctx context.Context, ids []string) error {
	return p.changeSweeps(ctx, ids, nil)
}

func (p *Pipeline) changeSweeps(ctx context.Context, add, remove []string) error {
	op := &recordOp{key: sweepsKey, change: func(r versioned.Record) ([]byte, int64, bool) {
		ids := decodeIDs(r.Data)
		n := len(ids)
		ids = slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(remove, id) })
		changed := len(ids) != n
		for _, id := range add {
			if !slices.Contains(ids, id) && len(ids) < maxPendingSweeps {
				ids = append(ids, id)
				changed = true
			}
		}
		return []byte(strings.Join(ids, "\n")), 0, changed
	}}
	for _, err := range p.updateRecords(ctx, []*recordOp{op}) {
		return fmt.Errorf("list of cluster sweeps: %w", err)
	}
	return nil
}

func decodeIDs(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\n")
}

// sweepPage is the key of the page a sweep cursor is on, and false past
// the cluster's last page: its own pages, then each child's.
func sweepPage(id string, root cluster.Root, page int) (string, bool) {
	if page < cluster.Pages {
		return cluster.PageKey(id, page), true
	}
	ci := page/cluster.Pages - 1
	if ci >= len(root.Children) {
		return "", false
	}
	return cluster.PageKey(root.Children[ci].ID, page%cluster.Pages), true
}

// sweepOne advances one cluster's sweep by at most budget members. It
// returns how many it looked at, and whether the sweep is over.
func (p *Pipeline) sweepOne(ctx context.Context, id string, budget int, weights map[cluster.Kind]float64) (int, bool, error) {
	recs, err := p.c.Store.Records(ctx, []string{cluster.RootKey(id)}, true)
	if err != nil {
		return 0, false, fmt.Errorf("read cluster %s: %w: %w", id, ErrTransient, err)
	}
	rec, ok := recs[cluster.RootKey(id)]
	if !ok {
		return 0, true, nil
	}
	root, err := cluster.DecodeRoot(rec.Data)
	if err != nil || root.Parent != "" || root.Sweep.Done || root.Sweep.Level == "" {
		// Merged: its members are swept with its new root's.
		return 0, true, nil
	}
	at := time.Unix(root.Judged.At, 0).UTC()
	j := p.judgeCluster(id, root, weights, at)
	if j.verdict == Allow && root.Total().Released > 0 {
		// People's releases took the cluster below review: stop queueing
		// its members.
		return 0, true, p.finishSweep(ctx, id, root.Sweep, root.Sweep, true)
	}
	j.verdict = Verdict(root.Sweep.Level) // the level the sweep queues
	j.score = max(j.score, root.Judged.Score)
	sw, n, finished := root.Sweep, 0, false
	released := map[string]cluster.Entry{} // page key -> entries released
	var releasedKeys []string
	for n < budget {
		key, ok := sweepPage(id, root, sw.Page)
		if !ok {
			finished = true
			break
		}
		if sw.Page < cluster.Pages && root.Tallies[sw.Page].N == 0 {
			sw.Page, sw.Offset = sw.Page+1, 0
			continue
		}
		prs, err := p.c.Store.Records(ctx, []string{key}, true)
		if err != nil {
			return n, false, fmt.Errorf("read %s: %w: %w", key, ErrTransient, err)
		}
		var pg cluster.Page
		if r, ok := prs[key]; ok {
			pg, _ = cluster.DecodePage(r.Data)
		}
		if sw.Offset >= len(pg.Entries) {
			sw.Page, sw.Offset = sw.Page+1, 0
			continue
		}
		take := pg.Entries[sw.Offset:min(len(pg.Entries), sw.Offset+budget-n)]
		accts := make([]string, len(take))
		for i, e := range take {
			accts[i] = e.Account
		}
		items, err := p.c.Store.QueueItems(ctx, accts)
		if err != nil {
			return n, false, fmt.Errorf("read queue: %w: %w", ErrTransient, err)
		}
		var rs []*raising
		for _, e := range take {
			it, queued := items[e.Account]
			if queued && it.Status.Closed() {
				if it.Status == queue.Released && !e.Released {
					e.Released = true
					released[key+"\x00"+e.Account] = e
					releasedKeys = append(releasedKeys, key+"\x00"+e.Account)
				}
				continue // a person's decision stands
			}
			if r := p.clusterRaise(id, j, e, at); r != nil {
				rs = append(rs, r)
			}
		}
		p.raiseQueueFrom(ctx, rs, items)
		for _, r := range rs {
			if r.err != nil {
				return n, false, r.err
			}
		}
		n += len(take)
		sw.Offset += len(take)
		if sw.Offset >= len(pg.Entries) {
			sw.Page, sw.Offset = sw.Page+1, 0
		}
	}
	var rel []cluster.Entry
	for _, k := range releasedKeys {
		rel = append(rel, released[k])
	}
	if err := p.learnReleases(ctx, id, rel, at); err != nil {
		return n, false, err
	}
	return n, finished, p.finishSweep(ctx, id, root.Sweep, sw, finished)
}

// finishSweep moves the root's cursor from what the sweep read to where it
// got, unless another sweep or a new verdict moved it meanwhile.
func (p *Pipeline) finishSweep(ctx context.Context, id string, from, to cluster.Sweep, done bool) error {
	to.Done = done
	op := &recordOp{key: cluster.RootKey(id), change: func(r versioned.Record) ([]byte, int64, bool) {
		root, err := cluster.DecodeRoot(r.Data)
		if err != nil || root.Sweep != from {
			return r.Data, r.Expires, false
		}
		root.Sweep = to
		return root.Encode(nil), r.Expires, true
	}}
	for _, err := range p.updateRecords(ctx, []*recordOp{op}) {
		return fmt.Errorf("cluster %s sweep: %w", id, err)
	}
	return nil
}

// learnReleases flags the released members on their pages, records the
// pages' tallies on the cluster that owns them, and counts each against
// the kinds of link that brought it.
func (p *Pipeline) learnReleases(ctx context.Context, id string, rel []cluster.Entry, at time.Time) error {
	if len(rel) == 0 {
		return nil
	}
	// Pages are the root's own or a child's; find each entry's by its
	// cluster's member record.
	accts := make([]string, len(rel))
	for i, e := range rel {
		accts[i] = cluster.MemberKey(e.Account)
	}
	recs, err := p.c.Store.Records(ctx, accts, true)
	if err != nil {
		return fmt.Errorf("read cluster members: %w: %w", ErrTransient, err)
	}
	entries := map[string][]cluster.Entry{}
	owner := map[string]string{}
	for _, e := range rel {
		cid := id
		if r, ok := recs[cluster.MemberKey(e.Account)]; ok {
			if m, err := cluster.DecodeMember(r.Data); err == nil {
				cid = m.Cluster
			}
		}
		k := cluster.PageKey(cid, cluster.PageOf(e.Account))
		entries[k] = append(entries[k], e)
		owner[k] = cid
	}
	b := &linkBatch{p: p, at: at}
	tallies, err := b.writePages(ctx, entries)
	if err != nil {
		return err
	}
	touched := map[string]map[int]cluster.Tally{}
	for k, t := range tallies {
		cid := owner[k]
		if touched[cid] == nil {
			touched[cid] = map[int]cluster.Tally{}
		}
		touched[cid][cluster.PageOf(entries[k][0].Account)] = t
	}
	var ops []*recordOp
	for cid, pages := range touched {
		ops = append(ops, &recordOp{key: cluster.RootKey(cid), change: func(r versioned.Record) ([]byte, int64, bool) {
			root, err := cluster.DecodeRoot(r.Data)
			if err != nil {
				return r.Data, r.Expires, false
			}
			changed := false
			for n, t := range pages {
				changed = root.SetPage(n, t) || changed
			}
			return root.Encode(nil), r.Expires, changed
		}})
	}
	kinds := map[cluster.Kind][]string{}
	for _, e := range rel {
		for _, k := range e.Kinds.Kinds() {
			kinds[k] = append(kinds[k], e.Account)
		}
	}
	for k, as := range kinds {
		ops = append(ops, statsOp(k, nil, nil, as))
	}
	for o, err := range p.updateRecords(ctx, ops) {
		return fmt.Errorf("learn releases, %s: %w", o.key, err)
	}
	return nil
}
