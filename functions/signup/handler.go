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
	metricFunction  = "signup"
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

// sqsBatch is the function's batch trigger.
var sqsBatch = invoke.Batch{Name: triggerSQS, Source: "aws:sqs",
	Run: func(ctx context.Context, inv *invoke.Invocation, p invoke.Processor, raw json.RawMessage) (any, error) {
		return inv.SQS(ctx, p, raw), nil
	}}

// newHandler returns the Lambda handler (invoke.Handler): an SQS batch (one
// record per message, failures reported per message) or a direct
// EventBridge event (one record, failure returned as the invocation's
// error) goes to p, and p's results go back to the trigger. Every
// invocation logs one summary line to log and writes its metrics to
// metricsOut.
func newHandler(p invoke.Processor, log *slog.Logger, metricsOut io.Writer) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return invoke.Handler(p, log, metricsOut, metricNamespace, metricFunction, sqsBatch)
}
