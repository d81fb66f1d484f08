package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// The login and message paths keep one history record per account, read
// once per batch and written last, on condition of the version read; an
// account's events of a batch stand or fall together. What they share of
// that lives here.

// held is what the login and message paths keep of one account of a
// batch, beside its own history.
type held struct {
	id    string
	prev  int64 // the stored version of its history (0: none)
	write bool  // its history changed
	err   error // why its events failed
	idxs  []int // its events' results
}

// fail fails every event of the account, once: its events stand or fall
// together.
func (h *held) fail(results []Result, err error) {
	if h.err != nil {
		return
	}
	h.err = err
	for _, i := range h.idxs {
		res := &results[i]
		res.Err, res.Queued, res.Duplicate = err, false, false
	}
}

// failHeld fails the account id of accts (all of them when id is "").
func failHeld(results []Result, accts []*held, id string, err error) {
	for _, h := range accts {
		if id == "" || h.id == id {
			h.fail(results, err)
		}
	}
}

// writeLast writes, last, the histories of accts that changed and have
// not failed (record gives the i-th one's bytes and expiry), each on
// condition of the version read. A history changed under this attempt
// (another delivery of the same events, at once) fails its account as
// transient: the retry finds its events applied or applies them afresh.
func (p *Pipeline) writeLast(ctx context.Context, what, prefix string, results []Result, accts []*held, record func(i int) ([]byte, int64)) {
	var ws []versioned.Write
	var owners []*held
	for i, h := range accts {
		if h.err != nil || !h.write {
			continue
		}
		data, expires := record(i)
		ws = append(ws, versioned.Write{Key: prefix + h.id, Prev: h.prev, Record: versioned.Record{
			Version: h.prev + 1, Data: data, Expires: expires,
		}})
		owners = append(owners, h)
	}
	if len(ws) == 0 {
		return
	}
	errs := p.c.Store.PutRecords(ctx, ws)
	for i, h := range owners {
		err := resultErr(errs, i)
		switch {
		case err == nil:
		case errors.Is(err, versioned.ErrConflict):
			h.fail(results, fmt.Errorf("%s of %s: %w: %w", what, h.id, ErrTransient, err))
		default:
			h.fail(results, storeErr("write "+what, err))
		}
	}
}

// propose copies an event's decision to its result and returns what it
// asks of the queue, or nil: nothing when the verdict asks for nothing,
// the event is a duplicate or held by shadow mode, or raise (the history's
// record of what the account was raised for) says it brings nothing new.
func (p *Pipeline) propose(res *Result, d decided, accountID, eventID string, at time.Time, raise func(score int, rules []string) bool) *raising {
	res.Verdict, res.Score, res.Reasons, res.Cluster = d.Verdict, d.Score, d.Reasons, d.Cluster
	if res.Verdict == "" && !res.Duplicate {
		res.Verdict = Allow // judged, nothing to score (an established sender's message)
	}
	action, ok := d.Verdict.Action()
	switch {
	case !ok || res.Duplicate:
		return nil
	case p.c.Policy.Shadow:
		res.Shadow = true
		return nil
	case !raise(d.Score, ruleNames(d.Reasons)):
		return nil
	}
	return &raising{prop: queue.Proposal{
		AccountID: accountID, Action: action, Score: d.Score, Reasons: d.Reasons,
		Cluster: d.Cluster, EventID: eventID, At: at, RulesVersion: d.Rules,
	}}
}

// heldRaise is a raise of the queue by one event of a held account.
type heldRaise struct {
	r   *raising
	idx int // the event's result
	h   *held
}

// raiseHeld writes the raises to the queue, marks their events queued, and
// fails the account of any that could not be written.
func (p *Pipeline) raiseHeld(ctx context.Context, results []Result, hrs []heldRaise) {
	rs := make([]*raising, len(hrs))
	for i, hr := range hrs {
		rs[i] = hr.r
	}
	p.raiseQueue(ctx, rs)
	for _, hr := range hrs {
		results[hr.idx].Queued = hr.r.queued
		if hr.r.err != nil {
			hr.h.fail(results, hr.r.err)
		}
	}
}

// logVerdict writes the one line of a verdict above allow.
func (p *Pipeline) logVerdict(ctx context.Context, kind, accountID string, res *Result) {
	if res.Err != nil || res.Duplicate || res.Verdict == Allow || res.Verdict == "" {
		return
	}
	p.log.LogAttrs(ctx, slog.LevelInfo, "verdict",
		slog.String("eventId", res.EventID), slog.String("accountId", accountID), slog.String("kind", kind),
		slog.String("verdict", string(res.Verdict)), slog.Int("score", res.Score),
		slog.Any("rules", ruleNames(res.Reasons)), slog.Bool("shadow", res.Shadow))
}
