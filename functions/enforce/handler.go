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

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/queue"
)

// Names under which the function's metrics are published.
const (
	metricNamespace = "AbuseScan"
	metricFunction  = "enforce"
)

// Errors of a payload the function cannot read as a batch.
var (
	errUnsupported    = errors.New("unsupported trigger")
	errUnidentifiable = errors.New("a stream record without a sequence number")
)

// processor acts on a batch of changes; *enforce.Enforcer is one.
type processor interface {
	Process(ctx context.Context, cs []enforce.Change) []enforce.Result
}

// newHandler returns the Lambda handler. It translates a DynamoDB stream
// batch of the queue table into changes (images decoded as the table is
// read) and the results into batch item failures by sequence number. The
// enforcer stops at a batch's first failure; everything from there is
// reported failed, and the stream retries from the earliest.
func newHandler(p processor, log *slog.Logger, metricsOut io.Writer) func(ctx context.Context, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, raw json.RawMessage) (events.DynamoDBEventResponse, error) {
		start := time.Now()
		requestID := invoke.RequestID(ctx)
		cs, err := changes(raw)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "invocation", slog.String("requestId", requestID),
				slog.String("outcome", "error"), slog.String("error", err.Error()))
			return events.DynamoDBEventResponse{}, err
		}
		rs := p.Process(ctx, cs)
		resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
		for _, r := range rs {
			if r.Outcome == enforce.Skipped || r.Outcome == enforce.Shadow || r.Outcome == enforce.Off {
				continue
			}
			attrs := []slog.Attr{
				slog.String("requestId", requestID), slog.String("sequenceNumber", r.ID),
				slog.String("accountId", r.AccountID), slog.String("outcome", string(r.Outcome)), slog.Int("calls", r.Calls),
			}
			level := slog.LevelInfo
			if r.Err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.ID})
				level = slog.LevelError
				if errors.Is(r.Err, enforce.ErrNotTried) {
					level = slog.LevelWarn
				}
				attrs = append(attrs, slog.String("error", r.Err.Error()))
			}
			log.LogAttrs(ctx, level, "change", attrs...)
		}
		// A record with no result is retried, never dropped.
		seen := map[string]bool{}
		for _, r := range rs {
			seen[r.ID] = true
		}
		for _, c := range cs {
			if !seen[c.ID] {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: c.ID})
			}
		}
		counts := enforce.Count(rs)
		attrs := []slog.Attr{slog.String("requestId", requestID), slog.String("trigger", "dynamodb"),
			slog.String("outcome", outcome(len(resp.BatchItemFailures))), slog.Int("records", len(cs))}
		for _, name := range enforce.Metrics {
			attrs = append(attrs, slog.Int(name, counts[name]))
		}
		if err := enforce.WriteMetrics(metricsOut, metricNamespace, metricFunction, start, counts); err != nil {
			attrs = append(attrs, slog.String("metricsError", err.Error()))
		}
		attrs = append(attrs, slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000))
		log.LogAttrs(ctx, slog.LevelInfo, "invocation", attrs...)
		return resp, nil
	}
}

func outcome(failures int) string {
	if failures > 0 {
		return "partial"
	}
	return "ok"
}

// changes reads a DynamoDB stream batch, one record at a time, so that a
// record whose images do not decode fails alone (enforce.ErrMalformed). A
// record without a sequence number cannot be reported, so the batch fails.
func changes(raw json.RawMessage) ([]enforce.Change, error) {
	var batch struct {
		Records *[]json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &batch); err != nil || batch.Records == nil {
		return nil, fmt.Errorf("%w: not a DynamoDB stream batch", errUnsupported)
	}
	out := make([]enforce.Change, 0, len(*batch.Records))
	for i, r := range *batch.Records {
		var head struct {
			EventSource string `json:"eventSource"`
			Change      struct {
				SequenceNumber string `json:"SequenceNumber"`
			} `json:"dynamodb"`
		}
		if err := json.Unmarshal(r, &head); err != nil || head.Change.SequenceNumber == "" {
			return nil, fmt.Errorf("stream record %d: %w", i, errUnidentifiable)
		}
		if head.EventSource != "aws:dynamodb" {
			return nil, fmt.Errorf("%w: record %d from event source %.32q, want aws:dynamodb", errUnsupported, i, head.EventSource)
		}
		c := enforce.Change{ID: head.Change.SequenceNumber}
		var rec events.DynamoDBEventRecord
		if err := json.Unmarshal(r, &rec); err != nil {
			c.Err = fmt.Errorf("stream record %s: %w", c.ID, err)
			out = append(out, c)
			continue
		}
		c.Old, c.Err = image(rec.Change.OldImage)
		if c.Err == nil {
			c.New, c.Err = image(rec.Change.NewImage)
		}
		out = append(out, c)
	}
	return out, nil
}

func image(m map[string]events.DynamoDBAttributeValue) (*queue.Item, error) {
	if len(m) == 0 {
		return nil, nil
	}
	it, err := dynamo.QueueItemFromStream(m)
	if err != nil {
		return nil, err
	}
	return &it, nil
}
