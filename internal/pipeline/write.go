package pipeline

import (
	"context"
	"errors"
	"fmt"
	"github.com/mailtrust/abusescan/internal/keyhash"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/window"
)

// maxQueueAttempts bounds the read-raise-write loop on a contended item.
const maxQueueAttempts = 5

// writeQueue raises the queue items of the held events whose decision asks
// for one, with conditional writes retried on conflict. Raising is
// idempotent by event id, so an event whose earlier attempt wrote its item
// changes nothing the second time.
func (a *attempt) writeQueue(ctx context.Context, held []*work) []*work {
	var rs []*raising
	var owners []*work
	for _, w := range held {
		action, ok := w.dec.Verdict.Action()
		if !ok {
			continue
		}
		if a.p.c.Policy.Shadow {
			a.results[w.idx].Shadow = true
			continue
		}
		rs = append(rs, &raising{prop: queue.Proposal{
			AccountID: w.su.AccountID, Action: action, Score: w.dec.Score, Reasons: w.dec.Reasons,
			Cluster: w.dec.Cluster, EventID: w.ev.ID, At: w.su.CreatedAt, RulesVersion: w.dec.Rules,
		}})
		owners = append(owners, w)
	}
	a.p.raiseQueue(ctx, rs)
	failed := map[*work]error{}
	for i, r := range rs {
		a.results[owners[i].idx].Queued = r.queued
		if r.err != nil {
			failed[owners[i]] = r.err
		}
	}
	return a.keep(held, failed)
}

// raising is one proposal to raise an account's queue item, and its fate.
type raising struct {
	prop   queue.Proposal
	queued bool  // the item was created or raised by this proposal
	err    error // the write failed
}

// raiseQueue applies the proposals, per account in their order, with one
// conditional write per account, retried on conflict.
func (p *Pipeline) raiseQueue(ctx context.Context, rs []*raising) {
	p.raiseQueueFrom(ctx, rs, nil)
}

// raiseQueueFrom is raiseQueue whose first attempt starts from read, the
// items of the proposals' accounts as the caller has just read them (a
// stale one only costs a retry: every write is conditional).
func (p *Pipeline) raiseQueueFrom(ctx context.Context, rs []*raising, read map[string]queue.Item) {
	pending := rs
	for attempt := 1; len(pending) > 0; attempt++ {
		cur, err := read, error(nil)
		if cur == nil {
			ids := make([]string, 0, len(pending))
			for _, r := range pending {
				ids = append(ids, r.prop.AccountID)
			}
			cur, err = p.c.Store.QueueItems(ctx, ids)
		}
		read = nil
		if err != nil {
			for _, r := range pending {
				r.err = fmt.Errorf("read queue: %w: %w", ErrTransient, err)
			}
			return
		}
		// Raise per account in order; one write per account.
		next := map[string]*queue.Item{}
		prev := map[string]int64{}
		var order []string
		owners := map[string][]*raising{}
		for _, r := range pending {
			id := r.prop.AccountID
			base, ok := next[id]
			if !ok {
				if it, exists := cur[id]; exists {
					base = &it
					prev[id] = it.Version
				}
				order = append(order, id)
			}
			it, changed := queue.Raise(base, r.prop)
			r.queued = changed
			if changed {
				next[id] = &it
			} else if base != nil {
				next[id] = base
			}
			owners[id] = append(owners[id], r)
		}
		var writes []queue.Write
		var writeIDs []string
		for _, id := range order {
			it := next[id]
			if it == nil || it.Version == prev[id] {
				continue
			}
			writes = append(writes, queue.Write{Item: *it, PrevVersion: prev[id]})
			writeIDs = append(writeIDs, id)
		}
		errs := p.c.Store.PutQueueItems(ctx, writes)
		var retry []*raising
		for i, id := range writeIDs {
			err := resultErr(errs, i)
			switch {
			case err == nil:
			case errors.Is(err, queue.ErrConflict) && attempt < maxQueueAttempts:
				for _, r := range owners[id] {
					r.queued = false
				}
				retry = append(retry, owners[id]...)
			default:
				for _, r := range owners[id] {
					r.queued, r.err = false, storeErr("write queue item", err)
				}
			}
		}
		pending = retry
	}
}

// writeAccounts records what later events of the held signups are judged
// against.
func (a *attempt) writeAccounts(ctx context.Context, held []*work) []*work {
	if len(held) == 0 {
		return held
	}
	as := make([]account.Account, len(held))
	for i, w := range held {
		as[i] = account.Account{
			ID: w.su.AccountID, SignupEventID: w.ev.ID, CreatedAt: w.su.CreatedAt,
			Country: w.geo.Country, ASN: w.geo.ASN, Prefix: w.prefix.String(),
			DeviceHash: deviceHash(w), Score: w.dec.Score,
			Claimed: w.su.Country, Anonymous: w.geo.Anonymous, Zone: w.su.Timezone,
			NameHash: nameHash(a.p.c.Hasher, w.su.DisplayName),
			Expires:  w.su.CreatedAt.Add(window.Retention).Unix(),
		}
	}
	errs := a.p.c.Store.CreateAccounts(ctx, as)
	failed := map[*work]error{}
	for i, w := range held {
		if err := resultErr(errs, i); err != nil && !errors.Is(err, account.ErrExists) {
			failed[w] = storeErr("write account record", err)
		}
	}
	return a.keep(held, failed)
}

func deviceHash(w *work) string {
	for _, k := range w.keys {
		if k.kind == window.Device {
			return k.key.Value()
		}
	}
	return ""
}

// nameHash is the keyed hash of a display name's account.NameKey, "" for
// a name with nothing in it: a message's From name is compared by it.
func nameHash(h *keyhash.Hasher, display string) string {
	k := account.NameKey(display)
	if k == "" {
		return ""
	}
	return h.Sum("name", k)
}
