// Package enforce is the auto-suspension: it reads the changes of the
// queue table (its stream) and, for an item that becomes pending with
// action suspend, asks the platform to suspend the account through a
// signed, idempotent webhook, then marks the item applied. Everything that
// keeps it safe to automate is here: the blast-radius caps (past them an
// item is held for a person, not dropped), the kill switch, shadow mode, a
// person's release racing the call (undone), and a refusal by the
// platform (held for a person, with why).
//
// Deciding what a change asks for (Wants) and what an answer means is
// pure; reading and writing the queue, taking from the caps and calling the
// webhook come in through small interfaces.
package enforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mailtrust/abusescan/internal/enforce/caps"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/webhook"
)

// Errors of a record.
var (
	// ErrMalformed: the stream record cannot be read as a queue change; no
	// retry changes it. It is still reported failed, so that the stream
	// mapping names it in its on-failure queue rather than losing it.
	ErrMalformed = errors.New("malformed change")
	// ErrNotTried: an earlier record of the batch failed, so this one was
	// not tried: the stream retries from the earliest failure anyway, and
	// trying it now would spend the caps out of order.
	ErrNotTried = errors.New("not tried after an earlier failure")
)

// Queue reads and writes queue items; *dynamo.Store and *embedded.Store
// are ones.
type Queue interface {
	QueueItem(ctx context.Context, accountID string) (queue.Item, error)
	PutQueueItems(ctx context.Context, ws []queue.Write) []error
}

// Caps takes suspensions from the shared blast-radius caps; *dynamo.Store
// and *caps.Memory are ones.
type Caps interface {
	TakeCap(ctx context.Context, grant string, now time.Time, l caps.Limits) (caps.Outcome, error)
}

// Sender delivers webhook calls; *webhook.Client is one.
type Sender interface {
	Deliver(ctx context.Context, c webhook.Call) (webhook.Response, int, error)
}

// Switch says whether enforcement is on (the kill switch); *KillSwitch is
// one.
type Switch interface {
	Enabled(ctx context.Context) (bool, error)
}

// Change is one record of the queue table's stream: the item before and
// after (nil when absent), or the error that kept it from being read.
type Change struct {
	// ID is the record's sequence number, what a failure is reported by.
	ID       string
	Old, New *queue.Item
	Err      error
}

// Outcome is what became of one change.
type Outcome string

// Outcomes. Suspended, Held, Refused and Undone change the item;
// the others change nothing.
const (
	// Skipped: the change does not ask for a suspension (not a becoming
	// pending/suspend), or the item is no longer pending/suspend when read.
	Skipped Outcome = "skipped"
	// Shadow: shadow mode; nothing sent, nothing written.
	Shadow Outcome = "shadow"
	// Off: the kill switch is off; nothing sent, the item stays pending.
	Off Outcome = "off"
	// Suspended: the platform took the call and the item is applied.
	Suspended Outcome = "suspended"
	// Held: a cap was reached; the item is pending/review for a person.
	Held Outcome = "held"
	// Refused: the platform refused the call (4xx); pending/review.
	Refused Outcome = "refused"
	// Undone: a person released the item while it was being suspended;
	// the platform was asked to unsuspend.
	Undone Outcome = "undone"
	// Failed: see Result.Err.
	Failed Outcome = "failed"
)

// Result is one change's outcome.
type Result struct {
	ID        string
	AccountID string
	Outcome   Outcome
	// Calls counts webhook attempts made for it.
	Calls int
	Err   error
}

// Options configure an Enforcer.
type Options struct {
	Limits caps.Limits
	// Shadow sends nothing and writes nothing.
	Shadow bool
	// Now is the clock.
	Now func() time.Time
}

// Enforcer acts on the queue's changes.
type Enforcer struct {
	queue  Queue
	caps   Caps
	sender Sender
	sw     Switch
	opts   Options
}

// New returns an Enforcer.
func New(q Queue, c Caps, s Sender, sw Switch, opts Options) (*Enforcer, error) {
	if err := opts.Limits.Check(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Enforcer{queue: q, caps: c, sender: s, sw: sw, opts: opts}, nil
}

// Wants reports whether a change asks for a suspension: the new image is
// pending/suspend and the old one is absent or was not. A change of an item
// that already was pending/suspend (raised by more evidence) asks for
// nothing new.
func Wants(c Change) bool {
	return c.New != nil && pendingSuspend(*c.New) && (c.Old == nil || !pendingSuspend(*c.Old))
}

func pendingSuspend(it queue.Item) bool {
	return it.Status == queue.Pending && it.Action == queue.Suspend
}

// Process handles the changes of one batch in order. After the first
// failure the rest are not tried (ErrNotTried): the stream retries from
// the earliest failed record, so they come again.
func (e *Enforcer) Process(ctx context.Context, cs []Change) []Result {
	out := make([]Result, 0, len(cs))
	failed := false
	for _, c := range cs {
		if failed {
			out = append(out, Result{ID: c.ID, AccountID: accountOf(c), Outcome: Failed, Err: ErrNotTried})
			continue
		}
		r := e.handle(ctx, c)
		failed = r.Err != nil
		out = append(out, r)
	}
	return out
}

func accountOf(c Change) string {
	switch {
	case c.New != nil:
		return c.New.AccountID
	case c.Old != nil:
		return c.Old.AccountID
	}
	return ""
}

func (e *Enforcer) handle(ctx context.Context, c Change) Result {
	r := Result{ID: c.ID, AccountID: accountOf(c)}
	fail := func(err error) Result { r.Outcome, r.Err = Failed, err; return r }
	if c.Err != nil {
		return fail(fmt.Errorf("%w: %w", ErrMalformed, c.Err))
	}
	if !Wants(c) {
		r.Outcome = Skipped
		return r
	}
	if e.opts.Shadow {
		r.Outcome = Shadow
		return r
	}
	on, err := e.sw.Enabled(ctx)
	if err != nil {
		return fail(fmt.Errorf("kill switch: %w", err))
	}
	if !on {
		r.Outcome = Off
		return r
	}
	// The stream may be late: act on the item as it is now. A person who
	// released or dismissed it, a replay after it was applied, a hold: all
	// call nothing.
	cur, err := e.queue.QueueItem(ctx, c.New.AccountID)
	switch {
	case errors.Is(err, queue.ErrNotFound):
		r.Outcome = Skipped
		return r
	case err != nil:
		return fail(err)
	case !pendingSuspend(cur):
		r.Outcome = Skipped
		return r
	}
	// The id is the version at which the item became pending/suspend:
	// the same for every retry of this record, whatever raised the item
	// since.
	id := SuspendID(c.New.AccountID, c.New.Version)
	now := e.opts.Now()
	got, err := e.caps.TakeCap(ctx, id, now, e.opts.Limits)
	if err != nil {
		return fail(fmt.Errorf("caps: %w", err))
	}
	if !got.Granted {
		if err := e.hold(ctx, cur, got.Refused); err != nil {
			return fail(err)
		}
		r.Outcome = Held
		return r
	}
	body, err := json.Marshal(SuspendBody(cur, c.New.Version, now))
	if err != nil {
		return fail(err)
	}
	resp, calls, err := e.sender.Deliver(ctx, webhook.Call{ID: id, Body: body})
	r.Calls = calls
	switch {
	case errors.Is(err, webhook.ErrRefused):
		if err := e.hold(ctx, cur, refusal(resp)); err != nil {
			return fail(err)
		}
		r.Outcome = Refused
		return r
	case err != nil:
		return fail(err)
	}
	undo, err := e.apply(ctx, cur, id)
	if err != nil {
		return fail(err)
	}
	if undo == nil {
		r.Outcome = Suspended
		return r
	}
	body, err = json.Marshal(UnsuspendBody(*undo, c.New.Version, e.opts.Now()))
	if err != nil {
		return fail(err)
	}
	_, n, err := e.sender.Deliver(ctx, webhook.Call{ID: UnsuspendID(c.New.AccountID, c.New.Version), Body: body})
	r.Calls += n
	if err != nil {
		// Retried with the record: the item is released, so the retry
		// does not suspend again (it is skipped), and the undo is what
		// is owed. Said so in the error, for the log.
		return fail(fmt.Errorf("undo of %s after a release: %w", id, err))
	}
	r.Outcome = Undone
	return r
}

// maxWrites bounds the conditional writes of one item change: each lost
// race is another writer's change, read again before the next try.
const maxWrites = 5

// hold turns a pending suspension into a review, with why, so that a
// person decides and nothing is lost when a cap lifts. An item no longer
// pending/suspend (a person got there first) is left alone.
func (e *Enforcer) hold(ctx context.Context, cur queue.Item, why string) error {
	for range maxWrites {
		next, err := queue.Hold(cur, queue.ByEnforcer, why, e.opts.Now())
		if errors.Is(err, queue.ErrTransition) {
			return nil
		}
		if err != nil {
			return err
		}
		err = e.put(ctx, queue.Write{Item: next, PrevVersion: cur.Version})
		if !errors.Is(err, queue.ErrConflict) {
			return err
		}
		if cur, err = e.queue.QueueItem(ctx, cur.AccountID); err != nil {
			return err
		}
	}
	return fmt.Errorf("hold %s: %w %d times", cur.AccountID, queue.ErrConflict, maxWrites)
}

// apply marks the item applied after the platform suspended the account.
// If a person closed it meanwhile (released or dismissed), it returns the
// item as they left it: the suspension must be undone.
func (e *Enforcer) apply(ctx context.Context, cur queue.Item, id string) (*queue.Item, error) {
	for range maxWrites {
		switch {
		case cur.Status == queue.Applied:
			return nil, nil
		case cur.Status.Closed():
			return &cur, nil
		}
		next, err := queue.Decide(cur, queue.Applied, queue.ByEnforcer, "suspended by the platform (webhook "+id+")", e.opts.Now())
		if err != nil {
			return nil, err
		}
		err = e.put(ctx, queue.Write{Item: next, PrevVersion: cur.Version})
		if !errors.Is(err, queue.ErrConflict) {
			return nil, err
		}
		if cur, err = e.queue.QueueItem(ctx, cur.AccountID); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("apply %s: %w %d times", cur.AccountID, queue.ErrConflict, maxWrites)
}

func (e *Enforcer) put(ctx context.Context, w queue.Write) error {
	errs := e.queue.PutQueueItems(ctx, []queue.Write{w})
	if len(errs) != 1 {
		return fmt.Errorf("put queue item %s: %d results for 1 write", w.Item.AccountID, len(errs))
	}
	return errs[0]
}

// refusal is the note of an item the platform refused to suspend: its
// status and the start of its answer (queue.Hold bounds the note).
func refusal(resp webhook.Response) string {
	note := fmt.Sprintf("suspension endpoint refused: %d %s", resp.Status, http.StatusText(resp.Status))
	if resp.Snippet != "" {
		note += ": " + resp.Snippet
	}
	return note
}
