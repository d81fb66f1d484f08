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

	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/metrics"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// Names under which the function's metrics are published. The Function
// dimension is fixed rather than the deployed function name, which changes
// whenever CloudFormation replaces the function.
const (
	metricNamespace = "AbuseScan"
	metricFunction  = "login"
)

// errUnsupported is returned for a payload that is neither a Kinesis event
// nor an EventBridge event: the function is wired to something it cannot
// read.
var errUnsupported = errors.New("unsupported trigger")

// trigger is the shape of the payload, read before anything else.
type trigger struct {
	Records *[]struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	DetailType *string `json:"detail-type"`
}

// newHandler returns the Lambda handler. It only translates: a Kinesis batch
// (one record per stream record, failures reported by sequence number) or a
// direct EventBridge event (one record, failure returned as the
// invocation's error) goes to p, and p's results go back to the trigger.
// Every invocation logs one summary line to log and writes its metrics to
// metricsOut.
//
// Failure handling is invoke's, the same as the signup function's: every
// record not positively handled is reported, a malformed or permanently
// refused one too. With a stream that costs retries of the batch's tail
// (MaximumRetryAttempts in template.yaml, each later record then a cheap
// duplicate) and holds the shard back for as long, but it is the only way
// the bad record reaches the on-failure queue, named by its place in the
// stream, instead of vanishing: the function keeps no copy of its own, and
// its logs carry no event bodies.
func newHandler(p invoke.Processor, log *slog.Logger, metricsOut io.Writer) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		start := time.Now()
		inv := invoke.Start(ctx, log)
		var resp any
		kind, err := classify(raw)
		inv.Trigger = kind
		switch kind {
		case triggerKinesis:
			// No response with an error: Lambda then retries the batch as
			// a whole.
			var r events.KinesisEventResponse
			if r, err = inv.Kinesis(ctx, p, raw); err == nil {
				resp = r
			}
		case triggerEventBridge:
			// The event is itself the envelope: one record.
			id := invoke.RequestID(ctx)
			if id == "" {
				id = "eventbridge"
			}
			err = inv.One(ctx, p, pipeline.Record{ID: id, Body: raw})
		}
		if kind != triggerUnsupported {
			if werr := metrics.Write(metricsOut, metricNamespace, metricFunction, start, inv.Summary); werr != nil {
				inv.MetricsErr = werr
			}
		}
		inv.LogSummary(ctx, time.Since(start), err)
		return resp, err
	}
}

// Triggers, as the summary line names them.
const (
	triggerKinesis     = "kinesis"
	triggerEventBridge = "eventbridge"
	triggerUnsupported = "unsupported"
)

// classify tells a Kinesis event from a direct EventBridge event; anything
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
			if r.EventSource != "aws:kinesis" {
				return triggerUnsupported, fmt.Errorf("%w: record from event source %.32q, want aws:kinesis", errUnsupported, r.EventSource)
			}
		}
		return triggerKinesis, nil
	case t.DetailType != nil:
		return triggerEventBridge, nil
	}
	return triggerUnsupported, fmt.Errorf("%w: neither Kinesis Records nor an EventBridge detail-type", errUnsupported)
}
