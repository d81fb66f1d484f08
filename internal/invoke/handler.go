package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/mailtrust/abusescan/internal/metrics"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// ErrUnsupported is returned for a payload that is neither the function's
// batch trigger nor an EventBridge event: the function is wired to
// something it cannot read.
var ErrUnsupported = errors.New("unsupported trigger")

// Batch is the batch trigger a function reads (SQS, Kinesis).
type Batch struct {
	// Name is the trigger as the summary line names it: "sqs", "kinesis".
	Name string
	// Source is its records' eventSource: "aws:sqs", "aws:kinesis".
	Source string
	// Run hands the batch to p and returns the trigger's response; an
	// error (with no response) has Lambda retry the batch as a whole.
	Run func(ctx context.Context, inv *Invocation, p Processor, raw json.RawMessage) (any, error)
}

// Triggers besides the batch's, as the summary line names them.
const (
	TriggerEventBridge = "eventbridge"
	TriggerUnsupported = "unsupported"
)

// Handler is a function's Lambda handler. It only translates: a batch of
// its trigger, or a direct EventBridge event (one record, its failure
// returned as the invocation's error), goes to p, and p's results go back
// to the trigger. Every invocation logs one summary line to log and writes
// its metrics (namespace, the function's dimension) to metricsOut.
func Handler(p Processor, log *slog.Logger, metricsOut io.Writer, namespace, function string, b Batch) func(ctx context.Context, raw json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		start := time.Now()
		inv := Start(ctx, log)
		var resp any
		kind, err := b.Classify(raw)
		inv.Trigger = kind
		switch kind {
		case b.Name:
			resp, err = b.Run(ctx, inv, p, raw)
		case TriggerEventBridge:
			// The event is itself the envelope: one record.
			id := RequestID(ctx)
			if id == "" {
				id = "eventbridge"
			}
			err = inv.One(ctx, p, pipeline.Record{ID: id, Body: raw})
		}
		if kind != TriggerUnsupported {
			if werr := metrics.Write(metricsOut, namespace, function, start, inv.Summary); werr != nil {
				inv.MetricsErr = werr
			}
		}
		inv.LogSummary(ctx, time.Since(start), err)
		return resp, err
	}
}

// Raw is a function's handler (Handler) as a lambda.Handler, which
// aws-lambda-go hands the payload as it came. Given a func, the library
// first decodes the payload into the func's argument (a json.RawMessage
// here): one more pass over a batch of a hundred records. The response is encoded as the
// library encodes a func's: JSON, HTML not escaped, no trailing newline.
type Raw func(ctx context.Context, raw json.RawMessage) (any, error)

// Invoke runs the handler on payload.
func (h Raw) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := h(ctx, payload)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil // as the library strips it
}

// trigger is the shape of a payload, read before anything else.
type trigger struct {
	Records *[]struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	DetailType *string `json:"detail-type"`
}

// Classify tells a batch of b's trigger from a direct EventBridge event;
// anything else is TriggerUnsupported, with an error wrapping
// ErrUnsupported.
func (b Batch) Classify(raw json.RawMessage) (string, error) {
	var t trigger
	if err := json.Unmarshal(raw, &t); err != nil {
		return TriggerUnsupported, fmt.Errorf("%w: payload is not a JSON object", ErrUnsupported)
	}
	switch {
	case t.Records != nil:
		if len(*t.Records) == 0 {
			return TriggerUnsupported, fmt.Errorf("%w: empty Records", ErrUnsupported)
		}
		for _, r := range *t.Records {
			if r.EventSource != b.Source {
				return TriggerUnsupported, fmt.Errorf("%w: record from event source %.32q, want %s", ErrUnsupported, r.EventSource, b.Source)
			}
		}
		return b.Name, nil
	case t.DetailType != nil:
		return TriggerEventBridge, nil
	}
	return TriggerUnsupported, fmt.Errorf("%w: neither %s Records nor an EventBridge detail-type", ErrUnsupported, b.Source)
}
