package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// harness runs the message handler and keeps what it logged and measured.
type harness struct{ *functest.Harness }

func newHarness(p invoke.Processor) *harness {
	return &harness{functest.NewHarness(newHandler, p)}
}

// sqsFailures invokes the handler with payload and returns the message ids
// its response reports, in its order. The response must be an
// SQSEventResponse with a list (empty when all succeeded).
func (h *harness) sqsFailures(t *testing.T, ctx context.Context, payload []byte) []string {
	t.Helper()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("handler error = %v, want nil for an SQS batch", err)
	}
	var resp events.SQSEventResponse
	if err := functest.DecodeStrict(out, &resp); err != nil {
		t.Fatalf("response %s is not an SQSEventResponse: %v", out, err)
	}
	if resp.BatchItemFailures == nil {
		t.Fatalf("response %s: batchItemFailures is null, want a list (empty when all succeeded)", out)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == "" {
			t.Errorf("response %s: an empty itemIdentifier, which Lambda takes for the failure of the whole batch", out)
		}
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// message is one SQS message: its id and body.
type message struct{ id, body string }

func sqsEvent(t *testing.T, msgs ...message) []byte {
	t.Helper()
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: m.id, ReceiptHandle: "AQEB" + m.id, Body: m.body,
			Attributes:     map[string]string{"ApproximateReceiveCount": "1"},
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:abusescan-MessageQueue-6TQ1W8ZP3K5D",
			AWSRegion:      "us-east-1",
		})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// twoRecords is a notification of two objects, which S3 never sends but the
// format allows.
func twoRecords(t *testing.T, key1, key2 string) string {
	t.Helper()
	var a, b struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal([]byte(s3Body(t, key1, nil)), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(s3Body(t, key2, func(r map[string]any) { object(r)["sequencer"] = "00674C1A8F3B2D91F0" })), &b); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(map[string]any{"Records": append(a.Records, b.Records...)})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

const testMessage = `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-23T08:59:40.118Z","Bucket":"mail-outbound-copies","RequestId":"9A1C4E7F2B5D8G3H","HostId":"x"}`

var errTransient = fmt.Errorf("read s3://mail-outbound-copies/outbound/acc-01/0001.eml: %w: throttled", pipeline.ErrTransient)

// TestHandlerSQS: each message's S3 records go to the pipeline as envelopes
// in one batch; a message is reported when any of its records was not
// positively handled (malformed ones too, for the dead-letter queue), and
// S3's test message is acknowledged.
func TestHandlerSQS(t *testing.T) {
	t.Parallel()
	good := func(n int) string { return s3Body(t, fmt.Sprintf("outbound/acc-01/%04d.eml", n), nil) }
	skipped := pipeline.Result{Skipped: "Mailbox Message Sent events are not scored yet"}
	tests := []struct {
		name        string
		msgs        []message
		p           *functest.Processor
		wantIDs     []string // the records the pipeline got
		wantFailed  []string
		wantSummary map[string]float64
		wantField   string // of the one "record failed" line, if any
	}{
		{
			name:        "all handled",
			msgs:        []message{{"m1", good(1)}, {"m2", good(2)}},
			p:           functest.Outcomes(nil, skipped),
			wantIDs:     []string{"m1", "m2"},
			wantFailed:  []string{},
			wantSummary: map[string]float64{"records": 2, "rejected": 0, "failed": 0},
		},
		{
			name:        "a transient failure reports its message only",
			msgs:        []message{{"m1", good(1)}, {"m2", good(2)}, {"m3", good(3)}},
			p:           functest.Outcomes(map[string]pipeline.Result{"m2": {Err: errTransient}}, skipped),
			wantIDs:     []string{"m1", "m2", "m3"},
			wantFailed:  []string{"m2"},
			wantSummary: map[string]float64{"records": 3, "rejected": 0, "failed": 1},
		},
		{
			name:        "a malformed key is reported, never sent on",
			msgs:        []message{{"m1", good(1)}, {"m2", s3Body(t, "outbound/acc-01/drafts/0002.eml", nil)}},
			p:           functest.Outcomes(nil, skipped),
			wantIDs:     []string{"m1"},
			wantFailed:  []string{"m2"},
			wantSummary: map[string]float64{"records": 2, "rejected": 1, "failed": 0},
			wantField:   "Records[0].s3.object.key",
		},
		{
			name:        "a body that is no notification is reported",
			msgs:        []message{{"m1", "not json"}, {"m2", good(2)}},
			p:           functest.Outcomes(nil, skipped),
			wantIDs:     []string{"m2"},
			wantFailed:  []string{"m1"},
			wantSummary: map[string]float64{"records": 2, "rejected": 1},
			wantField:   "(event)",
		},
		{
			name:        "S3's test message is acknowledged",
			msgs:        []message{{"m1", testMessage}, {"m2", good(2)}},
			p:           functest.Outcomes(nil, skipped),
			wantIDs:     []string{"m2"},
			wantFailed:  []string{},
			wantSummary: map[string]float64{"records": 2, "rejected": 0, "failed": 0},
		},
		{
			name:        "only a test message: the pipeline is not called",
			msgs:        []message{{"m1", testMessage}},
			p:           functest.Outcomes(nil, skipped),
			wantFailed:  []string{},
			wantSummary: map[string]float64{"records": 1},
		},
		{
			name:        "two records: one failing reports the message once",
			msgs:        []message{{"m1", twoRecords(t, "outbound/acc-01/0001.eml", "outbound/acc-01/0002.eml")}, {"m2", good(3)}},
			p:           functest.Outcomes(map[string]pipeline.Result{"m1#1": {Err: errTransient}}, skipped),
			wantIDs:     []string{"m1#0", "m1#1", "m2"},
			wantFailed:  []string{"m1"},
			wantSummary: map[string]float64{"records": 3, "failed": 1},
		},
		{
			name:        "two records: one malformed reports the message, the other is handled",
			msgs:        []message{{"m1", twoRecords(t, "outbound/acc-01/0001.eml", "outbound/acc-01/0002.txt")}},
			p:           functest.Outcomes(nil, skipped),
			wantIDs:     []string{"m1#0"},
			wantFailed:  []string{"m1"},
			wantSummary: map[string]float64{"records": 2, "rejected": 1},
			wantField:   "Records[1].s3.object.key",
		},
		{
			name: "a record without a result is retried",
			msgs: []message{{"m1", good(1)}, {"m2", good(2)}},
			p: &functest.Processor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				return []pipeline.Result{{RecordID: recs[0].ID, Skipped: "x"}}
			}},
			wantIDs:     []string{"m1", "m2"},
			wantFailed:  []string{"m2"},
			wantSummary: map[string]float64{"records": 2, "failed": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(tt.p)
			got := h.sqsFailures(t, functest.LambdaCtx("req-1"), sqsEvent(t, tt.msgs...))
			if !slices.Equal(got, tt.wantFailed) {
				t.Errorf("reported %v, want %v\n%s", got, tt.wantFailed, h.Logs.String())
			}
			var ids []string
			calls := tt.p.Calls()
			for _, c := range calls {
				for _, r := range c {
					ids = append(ids, r.ID)
					if _, err := event.Decode(r.Body); err != nil {
						t.Errorf("record %s: the pipeline got a body that does not decode: %v", r.ID, err)
					}
				}
			}
			if !slices.Equal(ids, tt.wantIDs) || len(calls) > 1 {
				t.Errorf("the pipeline got %v in %d batches, want %v in one", ids, len(calls), tt.wantIDs)
			}
			sum := h.SummaryLine(t)
			if sum["trigger"] != triggerSQS || sum["requestId"] != "req-1" {
				t.Errorf("summary %v, want trigger sqs and the request id", sum)
			}
			for k, v := range tt.wantSummary {
				if sum[k] != v {
					t.Errorf("summary %s = %v, want %v", k, sum[k], v)
				}
			}
			lines := h.LogLines(t, "record failed")
			if len(lines) != int(tt.wantSummary["rejected"]+tt.wantSummary["failed"]) {
				t.Errorf("%d record failed lines, want one per failed record:\n%s", len(lines), h.Logs.String())
			}
			if tt.wantField != "" {
				if len(lines) != 1 || lines[0]["field"] != tt.wantField || lines[0]["kind"] != "malformed" {
					t.Errorf("record failed lines %v, want one malformed naming %s", lines, tt.wantField)
				}
			}
		})
	}
}

// TestHandlerTestMessageLogged: S3's test message is logged as skipped,
// by message id, and counted among the records but not as a failure.
func TestHandlerTestMessageLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(functest.DecodingProcessor())
	if got := h.sqsFailures(t, functest.LambdaCtx("req-test"), sqsEvent(t, message{"m-test", testMessage})); len(got) != 0 {
		t.Fatalf("reported %v, want none", got)
	}
	lines := h.LogLines(t, "record skipped")
	if len(lines) != 1 || lines[0]["messageId"] != "m-test" || lines[0]["requestId"] != "req-test" || lines[0]["why"] != skippedTest {
		t.Errorf("skipped lines %v, want one naming m-test", lines)
	}
	if sum := h.SummaryLine(t); sum["outcome"] != "ok" || sum["records"] != float64(1) {
		t.Errorf("summary %v, want ok with one record", sum)
	}
}

// TestHandlerDuplicates: S3 may deliver one notification twice, as two
// queue messages: both carry one event id, and the pipeline takes the
// second for a duplicate, which is not a failure.
func TestHandlerDuplicates(t *testing.T) {
	t.Parallel()
	body := s3Body(t, "outbound/acc-01/0001.eml", nil)
	p := functest.DecodingProcessor()
	h := newHarness(p)
	if got := h.sqsFailures(t, functest.LambdaCtx("req-dup"), sqsEvent(t, message{"m1", body}, message{"m2", body})); len(got) != 0 {
		t.Fatalf("reported %v, want none", got)
	}
	recs := p.Calls()[0]
	if len(recs) != 2 || invokeEnvelopeID(t, recs[0].Body) != invokeEnvelopeID(t, recs[1].Body) {
		t.Fatalf("records %v, want two of one event", recs)
	}
	if sum := h.SummaryLine(t); sum["duplicates"] != float64(1) || sum["records"] != float64(2) {
		t.Errorf("summary %v, want one duplicate of two records", sum)
	}
}

// TestHandlerEventBridge: a Mailbox Message Sent envelope sent directly is
// one record, its failure the invocation's error.
func TestHandlerEventBridge(t *testing.T) {
	t.Parallel()
	recs, _, err := translate(s3Body(t, "outbound/acc-01/0001.eml", nil))
	if err != nil {
		t.Fatal(err)
	}
	envelope := recs[0].body
	t.Run("handled", func(t *testing.T) {
		t.Parallel()
		p := functest.DecodingProcessor()
		h := newHarness(p)
		out, err := h.Invoke(functest.LambdaCtx("req-eb"), envelope)
		if err != nil || string(out) != "null" {
			t.Fatalf("handler = %s, %v; want null, nil", out, err)
		}
		if calls := p.Calls(); len(calls) != 1 || len(calls[0]) != 1 || string(calls[0][0].Body) != string(envelope) {
			t.Errorf("the pipeline got %v, want the envelope as it came", calls)
		}
		if sum := h.SummaryLine(t); sum["trigger"] != triggerEventBridge {
			t.Errorf("summary trigger %v, want %s", sum["trigger"], triggerEventBridge)
		}
	})
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(functest.Outcomes(nil, pipeline.Result{Err: errTransient}))
		if _, err := h.Invoke(functest.LambdaCtx("req-eb"), envelope); err == nil {
			t.Errorf("handler error = %v, want the record's failure", err)
		}
	})
}

// TestHandlerUnsupported: a payload of another trigger is refused whole.
func TestHandlerUnsupported(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{
		`{"Records":[{"eventSource":"aws:kinesis","kinesis":{}}]}`,
		// An S3 notification sent to the function directly, not through
		// the queue: the template never wires that.
		s3Body(t, "outbound/acc-01/0001.eml", nil),
		`{"hello":"world"}`,
	} {
		h := newHarness(functest.DecodingProcessor())
		_, err := h.Invoke(functest.LambdaCtx("req-x"), []byte(payload))
		if err == nil {
			t.Errorf("%.60s: handler error nil, want %v", payload, errUnsupported)
		}
		if sum := h.SummaryLine(t); sum["trigger"] != triggerUnsupported {
			t.Errorf("%.60s: summary trigger %v, want %s", payload, sum["trigger"], triggerUnsupported)
		}
	}
}
