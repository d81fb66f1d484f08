// Package pipeline scores one batch of events: decode, enrich, read state,
// extract signals, apply the rules, decide, and write state and the queue. It
// owns the small interfaces it needs from storage and enrichment; the
// functions and abusectl only wire it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/login"
	"github.com/mailtrust/abusescan/internal/mail"
	"github.com/mailtrust/abusescan/internal/outbound"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/storage"
	"github.com/mailtrust/abusescan/internal/window"
)

// Record is one raw event as a trigger delivered it.
type Record struct {
	// ID is the trigger's own id for the record (an SQS messageId, a Kinesis
	// sequence number, a file:line), used to report the record's failure.
	ID   string
	Body []byte
}

// Verdict is what the scanner concluded about one event.
type Verdict = decision.Verdict

// Verdicts.
const (
	Allow   = decision.Allow
	Review  = decision.Review
	Suspend = decision.Suspend
)

// ErrTransient is wrapped by errors that a retry may cure (storage faults,
// lost races). Errors wrapping event.ErrMalformed never succeed on retry.
var ErrTransient = errors.New("transient failure")

// ErrPermanent is wrapped by errors of writes the store refused as such (an
// item over its size limit): retrying the record cannot cure them, so, like
// malformed records, they are kept by the trigger's dead-letter machinery
// rather than retried as transient.
var ErrPermanent = storage.ErrPermanent

// storeErr is the error of a failed write: permanent if the store said so,
// transient otherwise.
func storeErr(what string, err error) error {
	if errors.Is(err, storage.ErrPermanent) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, ErrTransient, err)
}

// Result is the fate of one record. Err is nil when the record was handled
// (scored, recognised as a duplicate, or skipped by design); an error
// wrapping event.ErrMalformed or ErrPermanent will never succeed on retry;
// any other error (they wrap ErrTransient) may, and the record should be
// retried. Outcome classifies them.
type Result struct {
	RecordID  string
	EventID   string
	AccountID string
	Kind      event.Kind // "" when the record did not decode
	Err       error

	Verdict   Verdict
	Score     int
	Reasons   []queue.Reason
	Cluster   *queue.Cluster
	Duplicate bool   // the event had been scored before: nothing changed
	Queued    bool   // the queue item was created or raised by this event
	Shadow    bool   // shadow mode: the verdict was not written
	Skipped   string // why the event was not scored, when it was not
}

// Objects reads the stored raw message of a Mailbox Message Sent event
// (internal/objects: S3, or a folder in a replay). Errors wrapping
// objects.ErrNotFound may cure themselves; objects.ErrTooLarge and
// objects.ErrBadName never do.
type Objects interface {
	Read(ctx context.Context, bucket, key string) ([]byte, error)
}

// Geo looks up what is known of an IP address.
type Geo interface {
	Lookup(ip netip.Addr) ipinfo.Info
}

// Config holds a pipeline's parts.
type Config struct {
	Store Store
	// Objects reads raw messages; nil: message events are skipped.
	Objects   Objects
	Geo       Geo
	GeoCity   bool // a City database is configured
	GeoASN    bool // an ASN database is configured
	Extractor *signal.Extractor
	Rules     *rules.Set
	// LoginRules score logins, over LoginCatalog; nil: the default login
	// rules. Login holds the login signals' settings; zero: the defaults.
	LoginRules   *rules.Set
	LoginCatalog *signal.Catalog
	Login        login.Settings
	// MessageRules score outbound messages, over MessageCatalog; nil: the
	// default message rules. Outbound holds the message judgement's
	// settings and Mail the limits of parsing one (zero: the defaults).
	MessageRules   *rules.Set
	MessageCatalog *signal.Catalog
	Outbound       outbound.Settings
	Mail           mail.Limits
	// ClusterRules judge campaign clusters, over ClusterCatalog; nil: the
	// default cluster rules. NoClusters turns clustering off: no links are
	// kept, no cluster is judged (for cost comparisons, and for a
	// deployment that wants its events judged one by one).
	ClusterRules   *rules.Set
	ClusterCatalog *signal.Catalog
	NoClusters     bool
	Policy         decision.Policy
	Hasher         *keyhash.Hasher
	// Logger receives one line per verdict above allow (and per rule
	// evaluation fault); nil discards.
	Logger *slog.Logger
	// Now is the receiver's clock. An event more than event.MaxSkew ahead of
	// it is malformed (so one far-future event cannot age out shared
	// history), and claims' leases are reckoned by it. Nil: the system
	// clock for leases, and no bound on future times.
	Now func() time.Time
	// History: the events are a replay of the past, and state retention is
	// judged against the newest event time seen so far rather than against
	// Now. Deployed functions leave it false.
	History bool
}

// Pipeline scores batches of events. It holds no per-batch state and is safe
// for concurrent use.
type Pipeline struct {
	c   Config
	log *slog.Logger
	// newest is the newest event time (unix seconds) accepted so far: the
	// present of a replay.
	newest atomic.Int64
	// zones caches the time zones accounts claimed (*time.Location).
	zones sync.Map
}

// New checks the parts and returns a pipeline.
func New(c Config) (*Pipeline, error) {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("no store"))
	}
	if c.Geo == nil {
		errs = append(errs, errors.New("no geo lookup"))
	}
	if c.Extractor == nil {
		errs = append(errs, errors.New("no signal extractor"))
	}
	if c.Rules == nil {
		errs = append(errs, errors.New("no rules"))
	}
	if c.Hasher == nil {
		errs = append(errs, errors.New("no key hasher"))
	}
	if err := c.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.LoginRules == nil {
		c.LoginCatalog = signal.NewLoginCatalog()
		rs, err := rules.ParseLogin(rules.DefaultLoginSource(), c.LoginCatalog)
		if err != nil {
			errs = append(errs, fmt.Errorf("default login rules: %w", err))
		}
		c.LoginRules = rs
	} else if c.LoginCatalog == nil {
		errs = append(errs, errors.New("login rules without their catalog"))
	}
	if c.MessageRules == nil {
		c.MessageCatalog = signal.NewMessageCatalog()
		rs, err := rules.ParseMessage(rules.DefaultMessageSource(), c.MessageCatalog)
		if err != nil {
			errs = append(errs, fmt.Errorf("default message rules: %w", err))
		}
		c.MessageRules = rs
	} else if c.MessageCatalog == nil {
		errs = append(errs, errors.New("message rules without their catalog"))
	}
	if c.ClusterRules == nil {
		c.ClusterCatalog = signal.NewClusterCatalog()
		rs, err := rules.ParseCluster(rules.DefaultClusterSource(), c.ClusterCatalog)
		if err != nil {
			errs = append(errs, fmt.Errorf("default cluster rules: %w", err))
		}
		c.ClusterRules = rs
	} else if c.ClusterCatalog == nil {
		errs = append(errs, errors.New("cluster rules without their catalog"))
	}
	if c.Outbound == (outbound.Settings{}) {
		c.Outbound = outbound.DefaultSettings()
	}
	if c.Mail == (mail.Limits{}) {
		c.Mail = mail.DefaultLimits()
	}
	if c.Login == (login.Settings{}) {
		c.Login = login.DefaultSettings()
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("pipeline: %w", errors.Join(errs...))
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{c: c, log: log}, nil
}

// RulesVersion identifies the rule set in use.
func (p *Pipeline) RulesVersion() string { return p.c.Rules.Version() }

// Process handles one batch. It returns one Result per record, in order.
// Whatever it cannot finish before ctx's deadline (less a reserve for the
// caller to report it) fails as transient.
func (p *Pipeline) Process(ctx context.Context, recs []Record) []Result {
	return p.process(ctx, recs)
}

// Timing of an attempt.
const (
	// maxAttempt bounds one Process call that has no deadline of its own.
	maxAttempt = 5 * time.Minute
	// deadlineReserve is kept back from the caller's deadline, for it to
	// report what failed (an SQS batch response) before it is cut off.
	deadlineReserve = time.Second
	// leaseMargin is added to an attempt's deadline to make its claims'
	// lease: past it the attempt is certainly over (a Lambda invocation is
	// stopped at its timeout), and another may take its events over.
	leaseMargin = 30 * time.Second
)

// attempt bounds ctx for one Process call and returns when the call's
// claims may be taken over.
//
// Deadlines are on the system clock, as contexts are; the lease is on the
// receiver's clock, which other attempts read.
func (p *Pipeline) attempt(ctx context.Context, now time.Time) (context.Context, time.Time, context.CancelFunc) {
	left := maxAttempt
	if d, ok := ctx.Deadline(); ok {
		left = min(left, time.Until(d)-deadlineReserve)
	}
	ctx, cancel := context.WithTimeout(ctx, left)
	return ctx, now.Add(max(left, 0) + leaseMargin), cancel
}

func (p *Pipeline) clock() time.Time {
	if p.c.Now != nil {
		return p.c.Now()
	}
	return time.Now()
}

// present is the time state retention is judged at: the receiver's clock,
// or in a replay the newest event seen so far.
func (p *Pipeline) present(now time.Time) time.Time {
	if !p.c.History {
		return now
	}
	if u := p.newest.Load(); u != 0 {
		return time.Unix(u, 0).UTC()
	}
	return time.Time{}
}

// Present is the time a replay has reached: its newest event's, or zero
// before any (and always zero outside a replay, where state is judged at
// the clock's now).
func (p *Pipeline) Present() time.Time {
	if !p.c.History {
		return time.Time{}
	}
	return p.present(time.Time{})
}

// advance moves a replay's present forward to t.
func (p *Pipeline) advance(t time.Time) {
	u := t.Unix()
	for {
		cur := p.newest.Load()
		if u <= cur || p.newest.CompareAndSwap(cur, u) {
			return
		}
	}
}

// checkTime rejects an event dated too far ahead of the receiver's clock,
// or older than state retention: counting it would write state that is
// already past its deletion date, and its claim would not outlive it.
func (p *Pipeline) checkTime(ev event.Event, now time.Time) error {
	field, at := detailTime(ev)
	if p.c.Now != nil {
		horizon := now.Add(event.MaxSkew)
		if ev.Time.After(horizon) {
			return &event.FieldError{Field: "time", Reason: "more than " + event.MaxSkew.String() + " ahead of the receiver's clock"}
		}
		if at.After(horizon) {
			return &event.FieldError{Field: field, Reason: "more than " + event.MaxSkew.String() + " ahead of the receiver's clock"}
		}
	}
	if present := p.present(now); !present.IsZero() && at.Before(present.Add(-window.Retention)) {
		return &event.FieldError{Field: field, Reason: fmt.Sprintf("older than the %d-day state retention", int(window.Retention.Hours()/24))}
	}
	return nil
}

// detailTime returns the name and value of the time an event happened.
func detailTime(ev event.Event) (string, time.Time) {
	switch {
	case ev.Signup != nil:
		return "detail.createdAt", ev.Signup.CreatedAt
	case ev.Login != nil:
		return "detail.at", ev.Login.At
	case ev.Message != nil:
		return "detail.sentAt", ev.Message.SentAt
	}
	return "time", ev.Time
}
