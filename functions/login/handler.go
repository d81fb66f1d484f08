package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"

	"github.com/mailtrust/abusescan/internal/invoke"
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
var errUnsupported = invoke.ErrUnsupported

// Triggers, as the summary line names them.
const (
	triggerKinesis     = "kinesis"
	triggerEventBridge = invoke.TriggerEventBridge
	triggerUnsupported = invoke.TriggerUnsupported
)

// kinesisBatch is the function's batch trigger.
var kinesisBatch = invoke.Batch{Name: triggerKinesis, Source: "aws:kinesis",
	Run: func(ctx context.Context, inv *invoke.Invocation, p invoke.Processor, raw json.RawMessage) (any, error) {
		// No response with an error: Lambda then retries the batch as a
		// whole.
		r, err := inv.Kinesis(ctx, p, raw)
		if err != nil {
			return nil, err
		}
		return r, nil
	}}

// newHandler returns the Lambda handler (invoke.Handler): a Kinesis batch
// (one record per stream record, failures reported by sequence number) or a
// direct EventBridge event goes to p, and p's results go back to the
// trigger. Every invocation logs one summary line to log and writes its
// metrics to metricsOut.
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
	return invoke.Handler(p, log, metricsOut, metricNamespace, metricFunction, kinesisBatch)
}
