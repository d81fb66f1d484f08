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

// writeLast writes the histories ws, each on condition of the version
// read, and returns one error per write: a history changed under this
// attempt (another delivery of the same events, at once) is transient, and
// the retry finds them applied or applies them afresh.
func (p *Pipeline) writeLast(ctx context.Context, what string, ws []versioned.Write) []error {
	if len(ws) == 0 {
		return nil
	}
	errs := p.c.Store.PutRecords(ctx, ws)
	out := make([]error, len(ws))
	for i, w := range ws {
		err := resultErr(errs, i)
		switch {
		case err == nil:
		case errors.Is(err, versioned.ErrConflict):
			out[i] = fmt.Errorf("%s %s: %w: %w", what, w.Key, ErrTransient, err)
		default:
			out[i] = storeErr("write "+what, err)
		}
	}
	return out
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
