// Package invoke is what every function's handler does around the pipeline,
// whatever its trigger: one invocation's accounting (a summary line with the
// request id and the outcome, one line per failed record), the translation
// of an SQS or a Kinesis batch into records and of the results into batch
// item failures, and the redaction of everything it logs. A function's own
// handler only tells its triggers apart.
//
// Every record that was not positively handled is reported failed, whatever
// the trigger: a malformed one and one the store refused for good
// (pipeline.ErrPermanent) too, not only a transient fault. A retry cannot
// cure those, but reporting them is what makes the trigger's own machinery
// keep them: an SQS queue's redrive policy moves the message to its
// dead-letter queue; a Kinesis event source mapping, after its bounded
// retries, sends the record's place in the stream to its on-failure
// destination. Dropping them here would lose them without a trace (the
// logs carry no event bodies), which spec/events.md forbids.
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
	// recordIDName is the log attribute a record's trigger id is logged
	// under: what the trigger calls it.
	recordIDName string
}

// Start begins the accounting of one invocation.
func Start(ctx context.Context, log *slog.Logger) *Invocation {
	return &Invocation{log: log, requestID: RequestID(ctx), recordIDName: "messageId"}
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
	failures := []events.SQSBatchItemFailure{}
	for _, id := range inv.failed(ctx, recs, rs) {
		failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return events.SQSEventResponse{BatchItemFailures: failures}
}

// ErrUnreadableRecord is wrapped by the failure of a Kinesis record that
// cannot be decoded as one (its data is not base64, say). It wraps
// event.ErrMalformed: no retry changes the bytes.
var ErrUnreadableRecord = fmt.Errorf("unreadable record: %w", event.ErrMalformed)

// ErrUnidentifiable is returned by Kinesis for a batch with a record that
// has no sequence number: a failure cannot be reported for it, so the
// whole batch fails.
var ErrUnidentifiable = errors.New("a record without a sequence number")

// Kinesis hands the records of a Kinesis batch to p, in the batch's order,
// each as one record: ID its sequence number, Body its data (base64 in the
// payload, decoded). It reports as batch item failures, in the batch's
// order, the sequence numbers of the records that were not positively
// handled, malformed and permanent ones included (see the package comment).
//
// For a stream, Lambda takes the lowest reported sequence number as the
// checkpoint and retries from there: every record after the earliest
// failure comes again, also those that succeeded (their events are then
// duplicates, which the pipeline recognises and does not count twice).
// Reporting the later failures too changes nothing, and keeps each one in
// the log and the summary.
//
// A record that does not decode as a Kinesis record fails alone, wrapping
// ErrUnreadableRecord, so that it never sinks its batch. Only a record
// without a sequence number does: the error wraps ErrUnidentifiable, the
// handler returns it, and Lambda retries (and, with bisection, splits) the
// batch as a whole.
func (inv *Invocation) Kinesis(ctx context.Context, p Processor, raw json.RawMessage) (events.KinesisEventResponse, error) {
	inv.recordIDName = "sequenceNumber"
	// Most batches decode whole, in one pass; one that does not is read
	// again record by record, for each bad record to fail alone.
	var whole events.KinesisEvent
	if json.Unmarshal(raw, &whole) == nil && len(whole.Records) > 0 {
		recs := make([]pipeline.Record, len(whole.Records))
		for i, r := range whole.Records {
			if r.Kinesis.SequenceNumber == "" {
				recs = nil
				break
			}
			recs[i] = pipeline.Record{ID: r.Kinesis.SequenceNumber, Body: r.Kinesis.Data}
		}
		if recs != nil {
			return inv.kinesisResponse(ctx, recs, p.Process(ctx, recs)), nil
		}
	}
	var batch struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &batch); err != nil {
		// The handler told the trigger apart from the same bytes: this
		// cannot happen, and no record could be named if it did.
		return events.KinesisEventResponse{}, fmt.Errorf("kinesis batch not readable: %w", err)
	}
	recs := make([]pipeline.Record, len(batch.Records))
	readable := make([]pipeline.Record, 0, len(batch.Records))
	var unreadable []pipeline.Result
	for i, r := range batch.Records {
		var rec events.KinesisEventRecord
		// Unmarshal fills what it can: an undecodable data field still
		// leaves the sequence number to report the record by.
		err := json.Unmarshal(r, &rec)
		id := rec.Kinesis.SequenceNumber
		if id == "" {
			inv.Summary = metrics.Summary{Events: len(batch.Records), Failed: len(batch.Records)}
			return events.KinesisEventResponse{}, fmt.Errorf("kinesis record %d: %w", i, ErrUnidentifiable)
		}
		recs[i] = pipeline.Record{ID: id, Body: rec.Kinesis.Data}
		if err != nil {
			recs[i].Body = nil
			unreadable = append(unreadable, pipeline.Result{RecordID: id, Err: fmt.Errorf("kinesis record %s: %w: %w", id, ErrUnreadableRecord, err)})
			continue
		}
		readable = append(readable, recs[i])
	}
	var rs []pipeline.Result
	if len(readable) > 0 {
		rs = p.Process(ctx, readable)
	}
	rs = append(rs, unreadable...)
	return inv.kinesisResponse(ctx, recs, rs), nil
}

// kinesisResponse counts the results of recs and names the records to
// retry.
func (inv *Invocation) kinesisResponse(ctx context.Context, recs []pipeline.Record, rs []pipeline.Result) events.KinesisEventResponse {
	inv.Count(rs)
	failures := []events.KinesisBatchItemFailure{}
	for _, id := range inv.failed(ctx, recs, rs) {
		failures = append(failures, events.KinesisBatchItemFailure{ItemIdentifier: id})
	}
	return events.KinesisEventResponse{BatchItemFailures: failures}
}

// failed returns the ids of recs, in their order, that no result says were
// handled: a record counts as handled only if a result for it says so; one
// the pipeline returned no result for is retried, never dropped, and
// counted as failed. Each is logged once.
func (inv *Invocation) failed(ctx context.Context, recs []pipeline.Record, rs []pipeline.Result) []string {
	byID := make(map[string]pipeline.Result, len(rs))
	for _, r := range rs {
		byID[r.RecordID] = r
	}
	var ids []string
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
		ids = append(ids, rec.ID)
	}
	return ids
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

// LogFailure logs one failed record: its ids (the trigger's under the
// trigger's name for it: messageId, sequenceNumber), whether it is malformed or
// transient, the field at fault, and the error redacted. Never the body: it
// is personal data.
func (inv *Invocation) LogFailure(ctx context.Context, rec pipeline.Record, r pipeline.Result) {
	eventID := r.EventID
	if eventID == "" {
		eventID = EnvelopeID(rec.Body)
	}
	attrs := []slog.Attr{
		slog.String("requestId", inv.requestID),
		slog.String(inv.recordIDName, rec.ID),
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
