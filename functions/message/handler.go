package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/metrics"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/redact"
)

// Names under which the function's metrics are published. The Function
// dimension is fixed rather than the deployed function name, which changes
// whenever CloudFormation replaces the function.
const (
	metricNamespace = "AbuseScan"
	metricFunction  = "message"
)

// errUnsupported is returned for a payload that is neither an SQS event nor
// an EventBridge event: the function is wired to something it cannot read.
var errUnsupported = invoke.ErrUnsupported

// Triggers, as the summary line names them.
const (
	triggerSQS         = "sqs"
	triggerEventBridge = invoke.TriggerEventBridge
	triggerUnsupported = invoke.TriggerUnsupported
)

// skippedTest is the Skipped reason of S3's test message.
const skippedTest = testEvent + ": sent by S3 when the notification was configured; no object"

// newHandler returns the Lambda handler (invoke.Handler): an SQS batch of
// S3 event notifications, or a direct EventBridge Mailbox Message Sent
// event (one record, its failure returned as the invocation's error), goes
// to p, and p's results go back to the trigger. Every invocation logs one
// summary line to log and writes its metrics to metricsOut.
func newHandler(p invoke.Processor, log *slog.Logger, metricsOut io.Writer) func(ctx context.Context, raw json.RawMessage) (any, error) {
	batch := invoke.Batch{Name: triggerSQS, Source: "aws:sqs",
		Run: func(ctx context.Context, inv *invoke.Invocation, p invoke.Processor, raw json.RawMessage) (any, error) {
			return sqs(ctx, inv, p, log, raw), nil
		}}
	return invoke.Handler(p, log, metricsOut, metricNamespace, metricFunction, batch)
}

// part is one result the batch's response is made of: an S3 record of a
// message, or a whole message that is S3's test message or no notification
// at all.
type part struct {
	msg int             // the SQS message's index in the batch
	rec pipeline.Record // as given to the pipeline (or would have been)
	pre *pipeline.Result
}

// sqs translates each SQS message, an S3 event notification, into the
// envelopes of its records, hands them to p as one batch, and reports as
// batch item failures the messages with a record that was not positively
// handled. It follows invoke's rules (see its package comment): a
// malformed notification or record is reported too, so that the queue's
// redrive policy keeps the message in the dead-letter queue instead of
// losing it. S3's test message is handled: skipped, and logged as such.
//
// A record's pipeline id is its message's id; in the rare notification of
// several records, the id and "#" and the record's index. If any record of
// a message fails, the message is reported and comes again whole: the
// records that were handled are then duplicates, which change nothing.
func sqs(ctx context.Context, inv *invoke.Invocation, p invoke.Processor, log *slog.Logger, raw json.RawMessage) events.SQSEventResponse {
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		// As invoke.SQS: only a type mismatch deep inside a message gets
		// here, and failing every message lets SQS retry and keep them.
		failures := make([]events.SQSBatchItemFailure, 0, len(ev.Records))
		for i, m := range ev.Records {
			id := m.MessageId
			if id == "" {
				id = fmt.Sprintf("(record %d)", i)
			}
			failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		inv.Summary = metrics.Summary{Events: len(ev.Records), Rejected: len(ev.Records)}
		log.LogAttrs(ctx, slog.LevelError, "batch not readable",
			slog.String("requestId", invoke.RequestID(ctx)), slog.String("error", redact.Error(err)))
		return events.SQSEventResponse{BatchItemFailures: failures}
	}
	var parts []part
	var recs []pipeline.Record
	for i, m := range ev.Records {
		ts, test, err := translate(m.Body)
		switch {
		case err != nil:
			parts = append(parts, part{msg: i, rec: pipeline.Record{ID: m.MessageId}, pre: &pipeline.Result{RecordID: m.MessageId, Err: err}})
		case test:
			parts = append(parts, part{msg: i, rec: pipeline.Record{ID: m.MessageId}, pre: &pipeline.Result{RecordID: m.MessageId, Skipped: skippedTest}})
			log.LogAttrs(ctx, slog.LevelInfo, "record skipped", slog.String("requestId", invoke.RequestID(ctx)),
				slog.String("messageId", m.MessageId), slog.String("why", skippedTest))
		default:
			for j, t := range ts {
				id := m.MessageId
				if len(ts) > 1 {
					id = fmt.Sprintf("%s#%d", m.MessageId, j)
				}
				pt := part{msg: i, rec: pipeline.Record{ID: id, Body: t.body}}
				if t.err != nil {
					pt.pre = &pipeline.Result{RecordID: id, Err: t.err}
				} else {
					recs = append(recs, pt.rec)
				}
				parts = append(parts, pt)
			}
		}
	}
	byID := map[string]pipeline.Result{}
	if len(recs) > 0 {
		for _, r := range p.Process(ctx, recs) {
			byID[r.RecordID] = r
		}
	}
	all := make([]pipeline.Result, len(parts))
	for k, pt := range parts {
		switch r, ok := byID[pt.rec.ID]; {
		case pt.pre != nil:
			all[k] = *pt.pre
		case ok:
			all[k] = r
		default:
			// Retried, never dropped.
			all[k] = pipeline.Result{RecordID: pt.rec.ID, Err: invoke.ErrNoResult}
		}
	}
	inv.Count(all)
	failed := make([]bool, len(ev.Records))
	for k, r := range all {
		if r.Err != nil {
			inv.LogFailure(ctx, parts[k].rec, r)
			failed[parts[k].msg] = true
		}
	}
	failures := []events.SQSBatchItemFailure{}
	for i, m := range ev.Records {
		if failed[i] {
			failures = append(failures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return events.SQSEventResponse{BatchItemFailures: failures}
}
