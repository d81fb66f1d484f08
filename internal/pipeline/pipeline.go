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
	"time"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/geo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
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

// Result is the fate of one record. Err is nil when the record was handled
// (scored, recognised as a duplicate, or skipped by design); an error
// wrapping event.ErrMalformed will never succeed on retry; any other error
// (they wrap ErrTransient) may, and the record should be retried.
type Result struct {
	RecordID  string
	EventID   string
	AccountID string
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

// Geo looks up what is known of an IP address.
type Geo interface {
	Lookup(ip netip.Addr) geo.Info
}

// Config holds a pipeline's parts.
type Config struct {
	Store     Store
	Geo       Geo
	GeoCity   bool // a City database is configured
	GeoASN    bool // an ASN database is configured
	Extractor *signal.Extractor
	Rules     *rules.Set
	Policy    decision.Policy
	Hasher    *keyhash.Hasher
	// Logger receives one line per verdict above allow (and per rule
	// evaluation fault); nil discards.
	Logger *slog.Logger
	// Now, when set, is the receiver's clock: an event more than
	// event.MaxSkew ahead of it is malformed. Deployed functions set it; a
	// replay of history leaves it nil and trusts the file's times.
	Now func() time.Time
}

// Pipeline scores batches of events. It holds no per-batch state and is safe
// for concurrent use.
type Pipeline struct {
	c   Config
	log *slog.Logger
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
func (p *Pipeline) Process(ctx context.Context, recs []Record) []Result {
	return p.process(ctx, recs)
}
