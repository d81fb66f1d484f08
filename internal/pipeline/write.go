package pipeline

import (
	"context"
	"errors"
	"fmt"

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
	var pending []*work
	for _, w := range held {
		if _, ok := w.dec.Verdict.Action(); !ok {
			continue
		}
		if a.p.c.Policy.Shadow {
			a.results[w.idx].Shadow = true
			continue
		}
		pending = append(pending, w)
	}
	failed := map[*work]error{}
	for attempt := 1; len(pending) > 0; attempt++ {
		ids := make([]string, 0, len(pending))
		for _, w := range pending {
			ids = append(ids, w.su.AccountID)
		}
		cur, err := a.p.c.Store.QueueItems(ctx, ids)
		if err != nil {
			for _, w := range pending {
				failed[w] = fmt.Errorf("read queue: %w: %w", ErrTransient, err)
			}
			break
		}
		// Raise per account in event order; one write per account.
		next := map[string]*queue.Item{}
		prev := map[string]int64{}
		var order []string
		owners := map[string][]*work{}
		for _, w := range pending {
			id := w.su.AccountID
			base, ok := next[id]
			if !ok {
				if it, exists := cur[id]; exists {
					base = &it
					prev[id] = it.Version
				}
				order = append(order, id)
			}
			action, _ := w.dec.Verdict.Action()
			it, changed := queue.Raise(base, queue.Proposal{
				AccountID: id, Action: action, Score: w.dec.Score, Reasons: w.dec.Reasons,
				Cluster: w.dec.Cluster, EventID: w.ev.ID, At: w.su.CreatedAt, RulesVersion: w.dec.Rules,
			})
			if changed {
				next[id] = &it
				a.results[w.idx].Queued = true
			} else if base != nil {
				next[id] = base
			}
			owners[id] = append(owners[id], w)
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
		errs := a.p.c.Store.PutQueueItems(ctx, writes)
		var retry []*work
		for i, id := range writeIDs {
			err := resultErr(errs, i)
			switch {
			case err == nil:
			case errors.Is(err, queue.ErrConflict) && attempt < maxQueueAttempts:
				for _, w := range owners[id] {
					a.results[w.idx].Queued = false
				}
				retry = append(retry, owners[id]...)
			default:
				for _, w := range owners[id] {
					failed[w] = storeErr("write queue item", err)
				}
			}
		}
		pending = retry
	}
	return a.keep(held, failed)
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
			Expires: w.su.CreatedAt.Add(window.Retention).Unix(),
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
