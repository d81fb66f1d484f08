package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/window"
)

// fakeProcessor is a processor whose behaviour each test sets.
type fakeProcessor = functest.Processor

// outcomes returns a processor that gives each record the result named by
// its ID in want; records not in want are skipped, as logins are until
// they are scored.
func outcomes(want map[string]pipeline.Result) *fakeProcessor {
	return functest.Outcomes(want, pipeline.Result{Skipped: "login events are not scored yet"})
}

// harness runs the login handler and keeps what it logged and measured.
type harness struct{ *functest.Harness }

func newHarness(p invoke.Processor) *harness {
	return &harness{functest.NewHarness(newHandler, p)}
}

// kinesisFailures invokes the handler with payload and returns the
// sequence numbers its response reports, in its order. The response must
// be a KinesisEventResponse and nothing else, with a list (empty when all
// succeeded).
func (h *harness) kinesisFailures(t *testing.T, ctx context.Context, payload []byte) []string {
	t.Helper()
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("handler error = %v, want nil for a Kinesis batch", err)
	}
	var resp events.KinesisEventResponse
	if err := functest.DecodeStrict(out, &resp); err != nil {
		t.Fatalf("response %s is not a KinesisEventResponse: %v", out, err)
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

// record is one stream record: its sequence number and data.
type record struct {
	seq  string
	data []byte
}

// seq returns the i-th of a shard's sequence numbers, as Kinesis writes
// them: 56 digits, increasing.
func seq(i int) string {
	return "4965652410721834192776539150861320841147082346" + fmt.Sprintf("%010d", 1000+i*37)
}

const streamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/abusescan-LoginStream-7QK2M9XW4B1R"

func kinesisEvent(t *testing.T, recs ...record) []byte {
	t.Helper()
	var ev events.KinesisEvent
	for _, r := range recs {
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			AwsRegion:      "us-east-1",
			EventID:        "shardId-000000000000:" + r.seq,
			EventName:      "aws:kinesis:record",
			EventSource:    "aws:kinesis",
			EventSourceArn: streamARN,
			EventVersion:   "1.0",
			Kinesis: events.KinesisRecord{
				Data: r.data, PartitionKey: "acc-01J9Z6Q4", SequenceNumber: r.seq,
				KinesisSchemaVersion: "1.0", EncryptionType: "KMS",
			},
		})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// login returns a Mailbox Login envelope, valid unless ip is not an
// address.
func login(id, accountID, ip string) []byte {
	return []byte(`{"version":"0","id":"` + id + `","detail-type":"Mailbox Login","source":"mail.platform","time":"2026-11-21T13:02:45Z",` +
		`"detail":{"accountId":"` + accountID + `","at":"2026-11-21T13:02:44Z","ip":"` + ip + `","protocol":"web"}}`)
}

var (
	errMalformed = fmt.Errorf("decode record: %w", &event.FieldError{Field: "detail.ip", Reason: `"203.0.113.300" is not an IPv4 or IPv6 address`})
	errTransient = fmt.Errorf("update key ip#h:fe8b2f93: %w: throttled", pipeline.ErrTransient)
	errPermanent = fmt.Errorf("write queue item: %w", pipeline.ErrPermanent)
)

func TestHandlerKinesis(t *testing.T) {
	t.Parallel()
	five := []record{{seq(1), []byte("{}")}, {seq(2), []byte("{}")}, {seq(3), []byte("{}")}, {seq(4), []byte("{}")}, {seq(5), []byte("{}")}}
	tests := []struct {
		name        string
		recs        []record
		p           *fakeProcessor
		wantFailed  []string
		wantLogged  map[string]string // sequence number -> kind of the failure line
		wantSummary map[string]float64
	}{
		{
			name: "all handled: none reported",
			recs: five,
			p: outcomes(map[string]pipeline.Result{
				seq(2): {Verdict: pipeline.Review, Reasons: []queue.Reason{{Rule: "impossible_travel"}}},
				seq(4): {Duplicate: true},
			}),
			wantFailed:  []string{},
			wantSummary: map[string]float64{"records": 5, "rejected": 0, "failed": 0, "duplicates": 1},
		},
		{
			// Lambda checkpoints at the lowest reported sequence number: the
			// first failure in the batch must be reported, and the later
			// ones may be.
			name: "a transient store failure from the third record on reports the third first",
			recs: five,
			p: &fakeProcessor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				rs := make([]pipeline.Result, len(recs))
				for i, rec := range recs {
					rs[i] = pipeline.Result{RecordID: rec.ID, Skipped: "login events are not scored yet"}
					if i >= 2 {
						rs[i] = pipeline.Result{RecordID: rec.ID, Err: errTransient}
					}
				}
				return rs
			}},
			wantFailed:  []string{seq(3), seq(4), seq(5)},
			wantLogged:  map[string]string{seq(3): "transient", seq(4): "transient", seq(5): "transient"},
			wantSummary: map[string]float64{"records": 5, "failed": 3},
		},
		{
			name: "malformed and permanent records are reported like transient ones, in batch order",
			recs: five,
			p: outcomes(map[string]pipeline.Result{
				seq(2): {Err: errMalformed},
				seq(3): {Err: errTransient, EventID: "ev-3"},
				seq(5): {Err: errPermanent},
			}),
			wantFailed:  []string{seq(2), seq(3), seq(5)},
			wantLogged:  map[string]string{seq(2): "malformed", seq(3): "transient", seq(5): "permanent"},
			wantSummary: map[string]float64{"records": 5, "rejected": 2, "failed": 1},
		},
		{
			name: "results out of order are matched by sequence number",
			recs: five[:3],
			p: &fakeProcessor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				return []pipeline.Result{
					{RecordID: seq(3), Err: errTransient},
					{RecordID: seq(1), Verdict: pipeline.Allow},
					{RecordID: seq(2), Err: errTransient},
				}
			}},
			wantFailed:  []string{seq(2), seq(3)},
			wantLogged:  map[string]string{seq(2): "transient", seq(3): "transient"},
			wantSummary: map[string]float64{"records": 3, "failed": 2},
		},
		{
			name: "a record the pipeline returned no result for is retried",
			recs: five[:2],
			p: &fakeProcessor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				return []pipeline.Result{{RecordID: seq(2), Verdict: pipeline.Allow}}
			}},
			wantFailed:  []string{seq(1)},
			wantLogged:  map[string]string{seq(1): "transient"},
			wantSummary: map[string]float64{"records": 2, "failed": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(tc.p)
			got := h.kinesisFailures(t, functest.LambdaCtx("req-kinesis"), kinesisEvent(t, tc.recs...))
			if !reflect.DeepEqual(got, tc.wantFailed) {
				t.Errorf("batch item failures = %v, want %v", got, tc.wantFailed)
			}

			calls := tc.p.Calls()
			if len(calls) != 1 {
				t.Fatalf("processor called %d times, want once", len(calls))
			}
			if len(calls[0]) != len(tc.recs) {
				t.Fatalf("processor got %d records, want %d", len(calls[0]), len(tc.recs))
			}
			for i, rec := range calls[0] {
				if rec.ID != tc.recs[i].seq || !bytes.Equal(rec.Body, tc.recs[i].data) {
					t.Errorf("record %d = {%s %s}, want the sequence number and the data {%s %s}", i, rec.ID, rec.Body, tc.recs[i].seq, tc.recs[i].data)
				}
			}

			failures := h.LogLines(t, "record failed")
			if len(failures) != len(tc.wantLogged) {
				t.Errorf("%d failure lines, want %d; log:\n%s", len(failures), len(tc.wantLogged), h.Logs.String())
			}
			for _, l := range failures {
				id, _ := l["sequenceNumber"].(string)
				if want, ok := tc.wantLogged[id]; !ok || l["kind"] != want {
					t.Errorf("failure line for sequence number %q has kind %v, want %q", id, l["kind"], want)
				}
				if l["requestId"] != "req-kinesis" {
					t.Errorf("failure line requestId = %v, want req-kinesis", l["requestId"])
				}
			}

			sum := h.SummaryLine(t)
			if sum["requestId"] != "req-kinesis" || sum["trigger"] != "kinesis" {
				t.Errorf("summary requestId, trigger = %v, %v; want req-kinesis, kinesis", sum["requestId"], sum["trigger"])
			}
			for k, want := range tc.wantSummary {
				if got, _ := sum[k].(float64); got != want {
					t.Errorf("summary %s = %v, want %v", k, sum[k], want)
				}
			}
		})
	}
}

// TestHandlerKinesisOversizedRecord: a record's data over
// event.MaxEventBytes (a Kinesis record may hold a megabyte) is refused by
// the real pipeline as malformed, naming the limit, and reported; the
// record beside it is not.
func TestHandlerKinesisOversizedRecord(t *testing.T) {
	t.Parallel()
	sc, _ := realScanner(t)
	h := newHarness(sc.Pipeline)
	big := login("5f0d7a31-2c8e-4b96-a1f4-7e3c9d0b6a25", "acc-01JA2F6N", "67.243.112.8")
	pad := strings.Repeat(" ", event.MaxEventBytes+1-len(big))
	big = append(big[:len(big)-1:len(big)-1], []byte(pad+"}")...)
	ok := login("8a3c5e71-9d2b-4f06-b8e4-1c7a0f3d5b92", "acc-01J9Z6Q4", "73.44.18.207")
	got := h.kinesisFailures(t, functest.LambdaCtx("req-big"), kinesisEvent(t, record{seq(1), ok}, record{seq(2), big}))
	if want := []string{seq(2)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("batch item failures = %v, want %v", got, want)
	}
	lines := h.LogLines(t, "record failed")
	if len(lines) != 1 {
		t.Fatalf("%d failure lines, want 1:\n%s", len(lines), h.Logs.String())
	}
	l := lines[0]
	msg, _ := l["error"].(string)
	if l["kind"] != "malformed" || l["field"] != "(event)" || !strings.Contains(msg, strconv.Itoa(event.MaxEventBytes)) {
		t.Errorf("failure line %v, want a malformed (event) whose error names the limit %d", l, event.MaxEventBytes)
	}
}

// TestHandlerKinesisUnreadableRecord: data that is not base64 (Lambda
// never sends it, but a test or a replay tool might) fails that record
// alone, as malformed, and the others are processed.
func TestHandlerKinesisUnreadableRecord(t *testing.T) {
	t.Parallel()
	data := base64.StdEncoding.EncodeToString([]byte("{}"))
	raw := `{"Records":[` +
		`{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"` + seq(1) + `","data":"` + data + `"}},` +
		`{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"` + seq(2) + `","data":"not base64!"}},` +
		`{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"` + seq(3) + `","data":"` + data + `"}}]}`
	p := outcomes(nil)
	h := newHarness(p)
	got := h.kinesisFailures(t, functest.LambdaCtx("req-u"), []byte(raw))
	if want := []string{seq(2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("batch item failures = %v, want %v", got, want)
	}
	calls := p.Calls()
	if len(calls) != 1 || len(calls[0]) != 2 || calls[0][0].ID != seq(1) || calls[0][1].ID != seq(3) {
		t.Errorf("processor calls %v, want one with the two readable records", calls)
	}
	if sum := h.SummaryLine(t); sum["records"] != float64(3) || sum["rejected"] != float64(1) {
		t.Errorf("summary records, rejected = %v, %v; want 3, 1", sum["records"], sum["rejected"])
	}
}

// TestHandlerKinesisRecordWithoutSequenceNumber: a record that cannot be
// named cannot be reported; the invocation fails, so that Lambda retries
// (and bisects) the batch, rather than reporting an empty identifier.
func TestHandlerKinesisRecordWithoutSequenceNumber(t *testing.T) {
	t.Parallel()
	p := outcomes(nil)
	h := newHarness(p)
	raw := `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"` + seq(1) + `","data":"e30="}},{"eventSource":"aws:kinesis","kinesis":{"data":"e30="}}]}`
	resp, err := h.Handle(functest.LambdaCtx("req-n"), json.RawMessage(raw))
	if !errors.Is(err, invoke.ErrUnidentifiable) {
		t.Fatalf("handler error = %v, want invoke.ErrUnidentifiable", err)
	}
	if resp != nil {
		t.Errorf("response = %v, want nil with the error", resp)
	}
	if n := len(p.Calls()); n != 0 {
		t.Errorf("processor called %d times, want never", n)
	}
	if sum := h.SummaryLine(t); sum["outcome"] != "error" || sum["failed"] != float64(2) {
		t.Errorf("summary outcome, failed = %v, %v; want error, 2", sum["outcome"], sum["failed"])
	}
}

func TestHandlerEventBridge(t *testing.T) {
	t.Parallel()
	raw := json.RawMessage(`{"version":"0","id":"ev-7","detail-type":"Mailbox Login","source":"mail.platform",` +
		`"account":"123456789012","time":"2026-11-21T07:41:10Z","region":"us-east-1","resources":[],` +
		`"detail":{"accountId":"acc-7","at":"2026-11-21T07:41:09Z","ip":"198.51.100.300"}}`)
	tests := []struct {
		name    string
		p       *fakeProcessor
		wantErr error // nil: handled
	}{
		{"skipped is handled", outcomes(nil), nil},
		{"scored is handled", outcomes(map[string]pipeline.Result{"req-eb": {Verdict: pipeline.Allow}}), nil},
		{"duplicate is handled", outcomes(map[string]pipeline.Result{"req-eb": {Duplicate: true}}), nil},
		{"malformed is returned", outcomes(map[string]pipeline.Result{"req-eb": {Err: &event.FieldError{Field: "detail.ip", Reason: `"198.51.100.300" is not an IPv4 or IPv6 address`}}}), event.ErrMalformed},
		{"transient is returned", outcomes(map[string]pipeline.Result{"req-eb": {Err: errTransient}}), pipeline.ErrTransient},
		{"no result is returned", &fakeProcessor{ProcessFn: func(context.Context, []pipeline.Record) []pipeline.Result { return nil }}, invoke.ErrNoResult},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(tc.p)
			resp, err := h.Handle(functest.LambdaCtx("req-eb"), raw)
			if resp != nil {
				t.Errorf("response = %v, want nil for an EventBridge event", resp)
			}
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("handler error = %v, want nil", err)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("handler error = %v, want one wrapping %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "ev-7") {
					t.Errorf("error %q does not name the event id", err)
				}
				if strings.Contains(err.Error(), "198.51.100.300") {
					t.Errorf("error %q repeats the bad value", err)
				}
			}
			calls := tc.p.Calls()
			if len(calls) != 1 || len(calls[0]) != 1 {
				t.Fatalf("processor calls = %v, want one call with one record", calls)
			}
			if rec := calls[0][0]; rec.ID != "req-eb" || !bytes.Equal(rec.Body, raw) {
				t.Errorf("record = {%s %s}, want the request id and the raw event", rec.ID, rec.Body)
			}
			sum := h.SummaryLine(t)
			if sum["trigger"] != "eventbridge" || sum["records"] != float64(1) {
				t.Errorf("summary trigger, records = %v, %v; want eventbridge, 1", sum["trigger"], sum["records"])
			}
		})
	}
}

func TestHandlerUnsupported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		reason  string // in the error
	}{
		{"empty object", `{}`, "neither aws:kinesis Records nor an EventBridge detail-type"},
		{"array", `[]`, "not a JSON object"},
		{"string", `"hello"`, "not a JSON object"},
		{"null", `null`, "neither"},
		{"empty records", `{"Records":[]}`, "empty Records"},
		{"sqs", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{}"}]}`, `"aws:sqs", want aws:kinesis`},
		{"dynamodb stream", `{"Records":[{"eventSource":"aws:dynamodb","dynamodb":{}}]}`, `"aws:dynamodb"`},
		{"s3", `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`, `"aws:s3"`},
		{"kinesis mixed with another source", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"sequenceNumber":"1","data":"e30="}},{"eventSource":"aws:sqs"}]}`, `"aws:sqs"`},
		{"api gateway", `{"httpMethod":"POST","body":"{}"}`, "neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := outcomes(nil)
			h := newHarness(p)
			resp, err := h.Handle(functest.LambdaCtx("req-u"), json.RawMessage(tc.payload))
			if !errors.Is(err, errUnsupported) {
				t.Fatalf("handler error = %v, want errUnsupported", err)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("handler error %q does not say %q", err, tc.reason)
			}
			if resp != nil {
				t.Errorf("response = %v, want nil", resp)
			}
			// As the runtime sees it: an error, not a response.
			if out, ierr := h.Invoke(functest.LambdaCtx("req-u2"), []byte(tc.payload)); ierr == nil || !strings.Contains(ierr.Error(), "unsupported trigger") {
				t.Errorf("Invoke = %s, %v; want the unsupported-trigger error", out, ierr)
			}
			if n := len(p.Calls()); n != 0 {
				t.Errorf("processor called %d times, want never", n)
			}
			if h.Metrics.Len() != 0 {
				t.Errorf("metrics written for an unsupported trigger: %s", h.Metrics.String())
			}
			if sums := h.LogLines(t, "invocation"); len(sums) == 0 || sums[0]["trigger"] != "unsupported" || sums[0]["outcome"] != "error" {
				t.Errorf("summary lines %v, want trigger unsupported, outcome error", sums)
			}
		})
	}
}

// TestHandlerMetrics: the metrics are published under the Function
// dimension "login", which template.yaml's alarms and dashboard name.
func TestHandlerMetrics(t *testing.T) {
	t.Parallel()
	p := outcomes(map[string]pipeline.Result{
		seq(1): {Verdict: pipeline.Suspend, Reasons: []queue.Reason{{Rule: "impossible_travel"}, {Rule: "shared_device"}}},
		seq(2): {Verdict: pipeline.Review, Reasons: []queue.Reason{{Rule: "impossible_travel"}}},
		seq(3): {Err: errMalformed},
	})
	h := newHarness(p)
	h.kinesisFailures(t, functest.LambdaCtx("req-m"), kinesisEvent(t, record{seq(1), []byte("{}")}, record{seq(2), []byte("{}")}, record{seq(3), []byte("{}")}, record{seq(4), []byte("{}")}))
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(h.Metrics.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		if line["Function"] != metricFunction {
			t.Errorf("Function = %v, want %q", line["Function"], metricFunction)
		}
		aws, _ := line["_aws"].(map[string]any)
		dirs, _ := aws["CloudWatchMetrics"].([]any)
		if len(dirs) != 1 || dirs[0].(map[string]any)["Namespace"] != metricNamespace {
			t.Errorf("metrics line %s: want one directive in namespace %s", sc.Text(), metricNamespace)
		}
		for _, k := range []string{"Events", "Rejected", "Failed", "Verdicts", "RuleHits"} {
			if v, ok := line[k]; ok {
				desc := fmt.Sprintf("%s=%v", k, v)
				for _, dim := range []string{"Verdict", "Rule"} {
					if d, ok := line[dim]; ok {
						desc += fmt.Sprintf(" [%v]", d)
					}
				}
				got = append(got, desc)
			}
		}
	}
	want := []string{"Events=4", "Rejected=1", "Failed=0", "Verdicts=1 [review]", "Verdicts=1 [suspend]", "RuleHits=2 [impossible_travel]", "RuleHits=1 [shared_device]"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics:\n%s\nwant:\n%s\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), h.Metrics.String())
	}
}

// TestHandlerLogsNoPersonalData: a malformed login's failure line names
// the field and the event, never a value of the body; a store error names
// a key by its hash.
func TestHandlerLogsNoPersonalData(t *testing.T) {
	t.Parallel()
	body := login("ev-42", "acc-01JA2G4W", "203.0.113.300")
	storeErr := fmt.Errorf("update key %s: %w", window.NewKey(window.IP, "198.51.100.23"), fmt.Errorf("dial tcp 198.51.100.7:8000: %w", pipeline.ErrTransient))
	p := functest.DecodingProcessor()
	inner := p.ProcessFn
	p.ProcessFn = func(ctx context.Context, recs []pipeline.Record) []pipeline.Result {
		rs := inner(ctx, recs)
		rs[1].Err = storeErr
		return rs
	}
	h := newHarness(p)
	got := h.kinesisFailures(t, functest.LambdaCtx("req-1"), kinesisEvent(t, record{seq(1), body}, record{seq(2), login("ev-43", "acc-01JA2F6N", "67.243.112.8")}))
	if want := []string{seq(1), seq(2)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("failures = %v, want %v", got, want)
	}
	lines := h.LogLines(t, "record failed")
	if len(lines) != 2 {
		t.Fatalf("%d failure lines, want 2", len(lines))
	}
	if l := lines[0]; l["eventId"] != "ev-42" || l["field"] != "detail.ip" || l["kind"] != "malformed" || l["level"] != "WARN" {
		t.Errorf("failure line = %v, want eventId ev-42, field detail.ip, kind malformed, level WARN", l)
	}
	if got, want := lines[1]["error"], "update key ip#h:fe8b2f93: dial tcp [ip]:8000: transient failure"; got != want {
		t.Errorf("logged error %q, want %q", got, want)
	}
	for _, secret := range []string{"203.0.113.300", "198.51.100", "67.243.112.8", "acc-01JA2G4W"} {
		if strings.Contains(h.Logs.String(), secret) {
			t.Errorf("log contains %q:\n%s", secret, h.Logs.String())
		}
	}
}
