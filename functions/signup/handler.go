package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/metrics"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// Names under which the function's metrics are published. The Function
// dimension is fixed rather than the deployed function name, which changes
// whenever CloudFormation replaces the function.
const (
	metricNamespace = "AbuseScan"
	metricFunction  = "signup"
)

// errUnsupported is returned for a payload that is neither an SQS event nor
// an EventBridge event: the function is wired to something it cannot read.
var errUnsupported = errors.New("unsupported trigger")

// processor scores a batch; *pipeline.Pipeline is one.
type processor interface {
	Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result
}

// trigger is the shape of the payload, read before anything else.
type trigger struct {
	Records *[]struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	DetailType *string `json:"detail-type"`
}

// newHandler returns the Lambda handler. It only translates: an SQS batch
// (one record per message, failures reported per message) or a direct
// EventBridge event (one record, failure returned as the invocation's error)
// goes to p, and p's results go back to the trigger. Every invocation logs
// one summary line to log and writes its metrics to metricsOut.
func newHandler(p processor, log *slog.Logger, metricsOut io.Writer) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		start := time.Now()
		inv := invocation{log: log, requestID: requestID(ctx)}
		var resp any
		kind, err := classify(raw)
		inv.trigger = kind
		switch kind {
		case triggerSQS:
			resp = inv.sqs(ctx, p, raw)
		case triggerEventBridge:
			err = inv.eventBridge(ctx, p, raw)
		}
		if kind != triggerUnsupported {
			if werr := metrics.Write(metricsOut, metricNamespace, metricFunction, start, inv.summary); werr != nil {
				inv.metricsErr = werr
			}
		}
		inv.logSummary(ctx, time.Since(start), err)
		return resp, err
	}
}

// Triggers, as the summary line names them.
const (
	triggerSQS         = "sqs"
	triggerEventBridge = "eventbridge"
	triggerUnsupported = "unsupported"
)

// classify tells an SQS event from a direct EventBridge event; anything
// else is triggerUnsupported, with an error wrapping errUnsupported.
func classify(raw json.RawMessage) (string, error) {
	var t trigger
	if err := json.Unmarshal(raw, &t); err != nil {
		return triggerUnsupported, fmt.Errorf("%w: payload is not a JSON object", errUnsupported)
	}
	switch {
	case t.Records != nil:
		if len(*t.Records) == 0 {
			return triggerUnsupported, fmt.Errorf("%w: empty Records", errUnsupported)
		}
		for _, r := range *t.Records {
			if r.EventSource != "aws:sqs" {
				return triggerUnsupported, fmt.Errorf("%w: record from event source %.32q", errUnsupported, r.EventSource)
			}
		}
		return triggerSQS, nil
	case t.DetailType != nil:
		return triggerEventBridge, nil
	}
	return triggerUnsupported, fmt.Errorf("%w: neither SQS Records nor an EventBridge detail-type", errUnsupported)
}

// invocation is what one call of the handler learns, for its summary line.
type invocation struct {
	log        *slog.Logger
	requestID  string
	trigger    string
	summary    metrics.Summary
	shadow     int
	metricsErr error
}

// sqs hands every message of the batch to p and reports, as batch item
// failures, every message that was not positively handled: malformed ones
// too, so that the queue's redrive policy keeps them in the dead-letter
// queue rather than losing them.
func (inv *invocation) sqs(ctx context.Context, p processor, raw json.RawMessage) events.SQSEventResponse {
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		// classify read the same bytes; only a type mismatch deep inside a
		// message (say, a numeric body) gets here. Failing every message
		// lets SQS retry them and, in the end, keep them.
		failures := make([]events.SQSBatchItemFailure, 0, len(ev.Records))
		for i, m := range ev.Records {
			id := m.MessageId
			if id == "" {
				id = fmt.Sprintf("(record %d)", i)
			}
			failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		inv.summary = metrics.Summary{Events: len(ev.Records), Rejected: len(ev.Records)}
		inv.log.LogAttrs(ctx, slog.LevelError, "batch not readable",
			slog.String("requestId", inv.requestID), slog.String("error", redact(err)))
		return events.SQSEventResponse{BatchItemFailures: failures}
	}
	recs := make([]pipeline.Record, len(ev.Records))
	for i, m := range ev.Records {
		recs[i] = pipeline.Record{ID: m.MessageId, Body: []byte(m.Body)}
	}
	rs := p.Process(ctx, recs)
	inv.count(rs)

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
			r = pipeline.Result{RecordID: rec.ID, Err: errNoResult}
			inv.summary.Events++
			inv.summary.Failed++
		}
		inv.logFailure(ctx, rec, r)
		failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: rec.ID})
	}
	return events.SQSEventResponse{BatchItemFailures: failures}
}

// errNoResult stands for a record the pipeline returned no result for.
var errNoResult = errors.New("no result from the pipeline")

// eventBridge hands the event, which is itself the envelope, to p as one
// record. A failure is returned, so that Lambda's retries and the function's
// on-failure destination hold the event; it is not logged here, since the
// runtime logs what the handler returns.
func (inv *invocation) eventBridge(ctx context.Context, p processor, raw json.RawMessage) error {
	id := inv.requestID
	if id == "" {
		id = "eventbridge"
	}
	rec := pipeline.Record{ID: id, Body: raw}
	rs := p.Process(ctx, []pipeline.Record{rec})
	inv.count(rs)
	if len(rs) != 1 || rs[0].RecordID != rec.ID {
		inv.summary = metrics.Summary{Events: 1, Failed: 1}
		return &recordError{eventID: envelopeID(rec.Body), err: errNoResult}
	}
	if rs[0].Err != nil {
		eventID := rs[0].EventID
		if eventID == "" {
			eventID = envelopeID(rec.Body)
		}
		return &recordError{eventID: eventID, err: rs[0].Err}
	}
	return nil
}

func (inv *invocation) count(rs []pipeline.Result) {
	inv.summary = metrics.Summarize(rs)
	for _, r := range rs {
		if r.Err == nil && r.Shadow {
			inv.shadow++
		}
	}
}

// logFailure logs one failed record: its ids, whether it is malformed or
// transient, the field at fault, and the error redacted.
// Never the body: it is personal data.
func (inv *invocation) logFailure(ctx context.Context, rec pipeline.Record, r pipeline.Result) {
	eventID := r.EventID
	if eventID == "" {
		eventID = envelopeID(rec.Body)
	}
	attrs := []slog.Attr{
		slog.String("requestId", inv.requestID),
		slog.String("messageId", rec.ID),
		slog.String("eventId", eventID),
	}
	level, kind := slog.LevelError, "transient"
	if r.Outcome() == pipeline.Rejected {
		level, kind = slog.LevelWarn, "malformed"
	}
	attrs = append(attrs, slog.String("kind", kind))
	if fe, ok := errors.AsType[*event.FieldError](r.Err); ok {
		attrs = append(attrs, slog.String("field", fe.Field))
	}
	attrs = append(attrs, slog.String("error", redact(r.Err)))
	inv.log.LogAttrs(ctx, level, "record failed", attrs...)
}

// logSummary logs the invocation's one summary line. err, the handler's
// returned error, is not repeated: the runtime logs it.
func (inv *invocation) logSummary(ctx context.Context, d time.Duration, err error) {
	s := inv.summary
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "error"
	case s.Rejected+s.Failed > 0:
		outcome = "partial"
	}
	attrs := []slog.Attr{
		slog.String("requestId", inv.requestID),
		slog.String("trigger", inv.trigger),
		slog.String("outcome", outcome),
		slog.Int("records", s.Events),
		slog.Int("rejected", s.Rejected),
		slog.Int("failed", s.Failed),
		slog.Int("duplicates", s.Duplicates),
		slog.Int("shadow", inv.shadow),
		slog.Any("verdicts", verdicts(s.ByVerdict)),
		slog.Float64("durationMs", float64(d.Microseconds())/1000),
	}
	if inv.metricsErr != nil {
		attrs = append(attrs, slog.String("metricsError", redact(inv.metricsErr)))
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

// recordError is a direct event's failure as the handler returns it: its
// message names the event and the field but is redacted, since the
// runtime writes it to the log and to the failure destination. It unwraps to
// the pipeline's error, so errors.Is(err, event.ErrMalformed) still holds.
type recordError struct {
	eventID string
	err     error
}

func (e *recordError) Error() string {
	return fmt.Sprintf("event %q: %s", e.eventID, redact(e.err))
}

func (e *recordError) Unwrap() error { return e.err }

// envelopeID returns the id of the envelope in body, or "" when body has
// none that can be logged. It only labels log lines and errors; the
// pipeline alone decides what an event is.
func envelopeID(body []byte) string {
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

// requestID returns the Lambda request id of the invocation, "" outside
// Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
