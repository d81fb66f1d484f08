// Package invoke is what every function's handler does around the pipeline,
// whatever its trigger: one invocation's accounting (a summary line with the
// request id and the outcome, one line per failed record), the translation
// of an SQS batch into records and of the results into batch item failures,
// and the redaction of everything it logs. A function's own handler only
// tells its triggers apart.
package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/metrics"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/redact"
)

// ErrNoResult stands for a record the pipeline returned no result for: it
// is retried, never dropped.
var ErrNoResult = errors.New("no result from the pipeline")

// Processor scores a batch; *pipeline.Pipeline is one.
type Processor interface {
	Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result
}

// Invocation is what one call of a handler learns, for its summary line.
type Invocation struct {
	log       *slog.Logger
	requestID string
	// Trigger names what invoked the function ("sqs", "eventbridge", …).
	Trigger string
	// Summary counts the records' outcomes.
	Summary metrics.Summary
	shadow  int
	// MetricsErr is a failure to write the invocation's metrics.
	MetricsErr error
}

// Start begins the accounting of one invocation.
func Start(ctx context.Context, log *slog.Logger) *Invocation {
	return &Invocation{log: log, requestID: RequestID(ctx)}
}

// SQS hands every message of the batch to p and reports, as batch item
// failures, every message that was not positively handled: malformed ones
// too, so that the queue's redrive policy keeps them in the dead-letter
// queue rather than losing them.
func (inv *Invocation) SQS(ctx context.Context, p Processor, raw json.RawMessage) events.SQSEventResponse {
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		// The trigger was told apart from the same bytes; only a type
		// mismatch deep inside a message (say, a numeric body) gets here.
		// Failing every message lets SQS retry them and, in the end, keep
		// them.
		failures := make([]events.SQSBatchItemFailure, 0, len(ev.Records))
		for i, m := range ev.Records {
			id := m.MessageId
			if id == "" {
				id = fmt.Sprintf("(record %d)", i)
			}
			failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		inv.Summary = metrics.Summary{Events: len(ev.Records), Rejected: len(ev.Records)}
		inv.log.LogAttrs(ctx, slog.LevelError, "batch not readable",
			slog.String("requestId", inv.requestID), slog.String("error", redact.Error(err)))
		return events.SQSEventResponse{BatchItemFailures: failures}
	}
	recs := make([]pipeline.Record, len(ev.Records))
	for i, m := range ev.Records {
		recs[i] = pipeline.Record{ID: m.MessageId, Body: []byte(m.Body)}
	}
	rs := p.Process(ctx, recs)
	inv.Count(rs)

	// A record counts as handled only if a result for it says so; one the
	// pipeline returned no result for is retried, never dropped.
	byID := make(map[string]pipeline.Result, len(rs))
	for _, r := range rs {
		byID[r.RecordID] = r
	}
	failures := []events.SQSBatchItemFailure{}
	for _, rec := range recs {
		r, ok := byID[rec.ID]
		if ok && r.Err == nil {
			continue
		}
		if !ok {
			r = pipeline.Result{RecordID: rec.ID, Err: ErrNoResult}
			inv.Summary.Events++
			inv.Summary.Failed++
		}
		inv.LogFailure(ctx, rec, r)
		failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: rec.ID})
	}
	return events.SQSEventResponse{BatchItemFailures: failures}
}

// One hands one record to p, for a trigger that delivers one event per
// invocation (a direct EventBridge event). A failure is returned, so that
// Lambda's retries and the function's on-failure destination hold the
// event; it is not logged here, since the runtime logs what the handler
// returns.
func (inv *Invocation) One(ctx context.Context, p Processor, rec pipeline.Record) error {
	rs := p.Process(ctx, []pipeline.Record{rec})
	inv.Count(rs)
	if len(rs) != 1 || rs[0].RecordID != rec.ID {
		inv.Summary = metrics.Summary{Events: 1, Failed: 1}
		return &RecordError{EventID: EnvelopeID(rec.Body), Err: ErrNoResult}
	}
	if rs[0].Err != nil {
		eventID := rs[0].EventID
		if eventID == "" {
			eventID = EnvelopeID(rec.Body)
		}
		return &RecordError{EventID: eventID, Err: rs[0].Err}
	}
	return nil
}

// Count adds a batch's results to the summary.
func (inv *Invocation) Count(rs []pipeline.Result) {
	inv.Summary = metrics.Summarize(rs)
	for _, r := range rs {
		if r.Err == nil && r.Shadow {
			inv.shadow++
		}
	}
}

// LogFailure logs one failed record: its ids, whether it is malformed or
// transient, the field at fault, and the error redacted. Never the body: it
// is personal data.
func (inv *Invocation) LogFailure(ctx context.Context, rec pipeline.Record, r pipeline.Result) {
	eventID := r.EventID
	if eventID == "" {
		eventID = EnvelopeID(rec.Body)
	}
	attrs := []slog.Attr{
		slog.String("requestId", inv.requestID),
		slog.String("messageId", rec.ID),
		slog.String("eventId", eventID),
	}
	level, kind := slog.LevelError, "transient"
	switch {
	case errors.Is(r.Err, event.ErrMalformed):
		level, kind = slog.LevelWarn, "malformed"
	case errors.Is(r.Err, pipeline.ErrPermanent):
		kind = "permanent"
	}
	attrs = append(attrs, slog.String("kind", kind))
	if fe, ok := errors.AsType[*event.FieldError](r.Err); ok {
		attrs = append(attrs, slog.String("field", fe.Field))
	}
	attrs = append(attrs, slog.String("error", redact.Error(r.Err)))
	inv.log.LogAttrs(ctx, level, "record failed", attrs...)
}

// LogSummary logs the invocation's one summary line. err, the handler's
// returned error, is not repeated: the runtime logs it.
func (inv *Invocation) LogSummary(ctx context.Context, d time.Duration, err error) {
	s := inv.Summary
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
	case s.Rejected+s.Failed > 0:
		outcome = "partial"
	}
	attrs := []slog.Attr{
		slog.String("requestId", inv.requestID),
		slog.String("trigger", inv.Trigger),
		slog.String("outcome", outcome),
		slog.Int("records", s.Events),
		slog.Int("rejected", s.Rejected),
		slog.Int("failed", s.Failed),
		slog.Int("duplicates", s.Duplicates),
		slog.Int("shadow", inv.shadow),
		slog.Any("verdicts", verdicts(s.ByVerdict)),
		slog.Float64("durationMs", float64(d.Microseconds())/1000),
	}
	if inv.MetricsErr != nil {
		attrs = append(attrs, slog.String("metricsError", redact.Error(inv.MetricsErr)))
	}
	inv.log.LogAttrs(ctx, slog.LevelInfo, "invocation", attrs...)
}

// verdicts always names the three actions, so that a query over the logs
// need not tell a missing key from zero.
func verdicts(by map[string]int) map[string]int {
	out := map[string]int{
		string(pipeline.Allow):   0,
		string(pipeline.Review):  0,
		string(pipeline.Suspend): 0,
	}
	for k, n := range by {
		out[k] += n
	}
	return out
}

// RecordError is a direct event's failure as a handler returns it: its
// message names the event and the field but is redacted, since the runtime
// writes it to the log and to the failure destination. It unwraps to the
// pipeline's error, so errors.Is(err, event.ErrMalformed) still holds.
type RecordError struct {
	EventID string
	Err     error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("event %q: %s", e.EventID, redact.Error(e.Err))
}

func (e *RecordError) Unwrap() error { return e.Err }

// EnvelopeID returns the id of the envelope in body, or "" when body has
// none that can be logged. It only labels log lines and errors; the
// pipeline alone decides what an event is.
func EnvelopeID(body []byte) string {
	var env struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(body, &env) != nil || len(env.ID) > 128 {
		return ""
	}
	for _, c := range env.ID {
		if c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return ""
		}
	}
	return env.ID
}

// RequestID returns the Lambda request id of the invocation, "" outside
// Lambda.
func RequestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
