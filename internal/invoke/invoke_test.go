package invoke

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// results is a Processor that answers each record by its id, and nothing
// for ids it does not know.
type results map[string]pipeline.Result

func (rs results) Process(_ context.Context, recs []pipeline.Record) []pipeline.Result {
	var out []pipeline.Result
	for _, r := range recs {
		if res, ok := rs[r.ID]; ok {
			res.RecordID = r.ID
			out = append(out, res)
		}
	}
	return out
}

// TestSQS: only records a result says were handled leave the queue; a
// malformed one and a transient one are failures, and so is one the
// pipeline said nothing of; each is logged once, redacted.
func TestSQS(t *testing.T) {
	t.Parallel()
	p := results{
		"ok":   {Verdict: pipeline.Allow},
		"dup":  {Duplicate: true},
		"bad":  {Err: &event.FieldError{Field: "detail.ip", Reason: `"198.51.100.7" is not allowed`}},
		"slow": {Err: errors.New("update key ip#198.51.100.7: throttled")},
	}
	var ev events.SQSEvent
	for _, id := range []string{"ok", "dup", "bad", "slow", "lost"} {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: `{"id":"e-` + id + `"}`})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	inv := Start(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)))
	resp := inv.SQS(context.Background(), p, raw)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"bad", "slow", "lost"}; !slices.Equal(failed, want) {
		t.Errorf("batch item failures %v, want %v", failed, want)
	}
	s := inv.Summary
	if s.Events != 5 || s.Rejected != 1 || s.Failed != 2 || s.Duplicates != 1 {
		t.Errorf("summary %+v, want 5 events: 1 rejected, 2 failed, 1 duplicate", s)
	}
	if n := strings.Count(logs.String(), `"msg":"record failed"`); n != 3 {
		t.Errorf("%d failure lines, want 3:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "198.51.100.7") {
		t.Errorf("the log shows an address:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"eventId":"e-lost"`) {
		t.Errorf("the lost record is not named by its event id:\n%s", logs.String())
	}
}

// kinesisRecord is one record of a Kinesis event as Lambda sends it, with
// data already base64 (or, to test, not).
func kinesisRecord(seq, data string) string {
	return `{"eventSource":"aws:kinesis","eventID":"shardId-000000000000:` + seq + `","kinesis":{"partitionKey":"acc-1","sequenceNumber":"` + seq + `","data":"` + data + `"}}`
}

// TestKinesis: records go to the processor in order, by sequence number
// with their data decoded; the failures come back in the batch's order, so
// the first is the earliest (Lambda's checkpoint); a record that is not
// readable as a Kinesis record fails alone, as malformed.
func TestKinesis(t *testing.T) {
	t.Parallel()
	p := results{
		"101": {Verdict: pipeline.Allow},
		"102": {Skipped: "login events are not scored yet"},
		"103": {Err: &event.FieldError{Field: "detail.ip", Reason: `"198.51.100.7" is not allowed`}},
		"104": {Duplicate: true},
		"105": {Err: errors.New("update key ip#198.51.100.7: throttled")},
		"106": {Verdict: pipeline.Allow},
	}
	var recs []string
	for _, seq := range []string{"101", "102", "103", "104", "105", "106", "107"} {
		recs = append(recs, kinesisRecord(seq, base64.StdEncoding.EncodeToString([]byte(`{"id":"e-`+seq+`"}`))))
	}
	recs = append(recs, kinesisRecord("108", "not base64!"))
	raw := json.RawMessage(`{"Records":[` + strings.Join(recs, ",") + `]}`)

	var logs bytes.Buffer
	inv := Start(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)))
	var seen []pipeline.Record
	resp, err := inv.Kinesis(context.Background(), processorFunc(func(ctx context.Context, rs []pipeline.Record) []pipeline.Result {
		seen = append(seen, rs...)
		return p.Process(ctx, rs)
	}), raw)
	if err != nil {
		t.Fatalf("Kinesis error = %v, want nil", err)
	}
	var got []string
	for _, r := range seen {
		got = append(got, r.ID+"="+string(r.Body))
	}
	if want := []string{`101={"id":"e-101"}`, `102={"id":"e-102"}`, `103={"id":"e-103"}`, `104={"id":"e-104"}`,
		`105={"id":"e-105"}`, `106={"id":"e-106"}`, `107={"id":"e-107"}`}; !slices.Equal(got, want) {
		t.Errorf("processed %q, want %q", got, want)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"103", "105", "107", "108"}; !slices.Equal(failed, want) {
		t.Errorf("batch item failures %v, want %v", failed, want)
	}
	s := inv.Summary
	if s.Events != 8 || s.Rejected != 2 || s.Failed != 2 || s.Duplicates != 1 {
		t.Errorf("summary %+v, want 8 events: 2 rejected, 2 failed, 1 duplicate", s)
	}
	if n := strings.Count(logs.String(), `"msg":"record failed"`); n != 4 {
		t.Errorf("%d failure lines, want 4:\n%s", n, logs.String())
	}
	for _, want := range []string{`"sequenceNumber":"108","eventId":"","kind":"malformed"`, `"sequenceNumber":"105","eventId":"e-105","kind":"transient"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log has no %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "198.51.100.7") || strings.Contains(logs.String(), "messageId") {
		t.Errorf("the log shows an address, or calls a sequence number a message id:\n%s", logs.String())
	}
}

// TestKinesisWithoutSequenceNumber: a record that cannot be named cannot
// be reported, so the batch fails as a whole and nothing is processed.
func TestKinesisWithoutSequenceNumber(t *testing.T) {
	t.Parallel()
	raw := json.RawMessage(`{"Records":[` + kinesisRecord("101", "e30=") + `,{"eventSource":"aws:kinesis","kinesis":{"data":"e30="}}]}`)
	inv := Start(context.Background(), slog.New(slog.DiscardHandler))
	called := false
	_, err := inv.Kinesis(context.Background(), processorFunc(func(context.Context, []pipeline.Record) []pipeline.Result {
		called = true
		return nil
	}), raw)
	if !errors.Is(err, ErrUnidentifiable) {
		t.Errorf("error = %v, want ErrUnidentifiable", err)
	}
	if called {
		t.Error("the processor was called")
	}
	if s := inv.Summary; s.Events != 2 || s.Failed != 2 {
		t.Errorf("summary %+v, want 2 events, 2 failed", s)
	}
}

type processorFunc func(ctx context.Context, recs []pipeline.Record) []pipeline.Result

func (f processorFunc) Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result {
	return f(ctx, recs)
}

// TestRawAnswersAsTheLibrary: handed over as Raw, a handler's responses and
// errors reach Lambda as they did when aws-lambda-go decoded its argument
// and encoded its response itself.
func TestRawAnswersAsTheLibrary(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		resp any
		err  error
	}{
		{"nil", nil, nil},
		{"sqs", events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "<m1>&"}}}, nil},
		{"kinesis empty", events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}, nil},
		{"error", events.SQSEventResponse{}, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got [2]json.RawMessage
			h := func(i int) func(context.Context, json.RawMessage) (any, error) {
				return func(_ context.Context, raw json.RawMessage) (any, error) {
					got[i] = raw
					return tc.resp, tc.err
				}
			}
			payload := []byte(`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`)
			want, wantErr := lambda.NewHandler(h(0)).Invoke(t.Context(), payload)
			out, err := lambda.NewHandler(Raw(h(1))).Invoke(t.Context(), payload)
			if string(out) != string(want) || !errors.Is(err, tc.err) || !errors.Is(wantErr, tc.err) {
				t.Errorf("Raw: %q, %v; the library: %q, %v", out, err, want, wantErr)
			}
			if string(got[0]) != string(got[1]) {
				t.Errorf("Raw handed over %q, the library %q", got[1], got[0])
			}
		})
	}
}
