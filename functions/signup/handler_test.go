package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
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
// its ID in want (Err and verdict fields); records not in want are allowed.
func outcomes(want map[string]pipeline.Result) *fakeProcessor {
	return functest.Outcomes(want, pipeline.Result{Verdict: pipeline.Allow})
}

// harness runs the signup handler and keeps what it logged and measured.
type harness struct{ *functest.Harness }

func newHarness(p invoke.Processor) *harness {
	return &harness{functest.NewHarness(newHandler, p)}
}

type message struct{ id, body string }

func sqsEvent(t *testing.T, msgs ...message) json.RawMessage {
	t.Helper()
	var ev events.SQSEvent
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:      m.id,
			Body:           m.body,
			EventSource:    "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:signups",
			AWSRegion:      "us-east-1",
		})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func failedIDs(t *testing.T, resp any) []string {
	t.Helper()
	r, ok := resp.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("response is %T, want events.SQSEventResponse", resp)
	}
	if r.BatchItemFailures == nil {
		t.Fatal("BatchItemFailures is nil, want a list (empty when all succeeded)")
	}
	ids := []string{}
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

var (
	errMalformed = fmt.Errorf("decode record m2: %w", &event.FieldError{Field: "detail.ip", Reason: `"203.0.113.300" is not an IPv4 or IPv6 address`})
	errTransient = fmt.Errorf("update state: %w", pipeline.ErrTransient)
)

func TestHandlerSQS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		msgs        []message
		p           *fakeProcessor
		wantFailed  []string
		wantLogged  map[string]string // messageId -> kind of the failure line
		wantSummary map[string]float64
	}{
		{
			name: "all handled",
			msgs: []message{{"m1", "{}"}, {"m2", "{}"}},
			p: outcomes(map[string]pipeline.Result{
				"m2": {Verdict: pipeline.Review, Reasons: []queue.Reason{{Rule: "hosting_ip"}}},
			}),
			wantFailed:  []string{},
			wantSummary: map[string]float64{"records": 2, "rejected": 0, "failed": 0, "duplicates": 0},
		},
		{
			name: "partial batch failure reports only the bad records",
			msgs: []message{{"m1", "{}"}, {"m2", "{}"}, {"m3", "{}"}, {"m4", "{}"}},
			p: outcomes(map[string]pipeline.Result{
				"m2": {Err: errMalformed},
				"m3": {Err: errTransient, EventID: "ev-3"},
				"m4": {Duplicate: true},
			}),
			wantFailed:  []string{"m2", "m3"},
			wantLogged:  map[string]string{"m2": "malformed", "m3": "transient"},
			wantSummary: map[string]float64{"records": 4, "rejected": 1, "failed": 1, "duplicates": 1},
		},
		{
			name: "results out of order are matched by record id",
			msgs: []message{{"m1", "{}"}, {"m2", "{}"}, {"m3", "{}"}},
			p: &fakeProcessor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				return []pipeline.Result{
					{RecordID: "m3", Verdict: pipeline.Allow},
					{RecordID: "m1", Err: errTransient},
					{RecordID: "m2", Verdict: pipeline.Allow},
				}
			}},
			wantFailed:  []string{"m1"},
			wantLogged:  map[string]string{"m1": "transient"},
			wantSummary: map[string]float64{"records": 3, "failed": 1},
		},
		{
			name: "a record the pipeline returned no result for is retried",
			msgs: []message{{"m1", "{}"}, {"m2", "{}"}},
			p: &fakeProcessor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
				return []pipeline.Result{{RecordID: "m1", Verdict: pipeline.Allow}}
			}},
			wantFailed:  []string{"m2"},
			wantLogged:  map[string]string{"m2": "transient"},
			wantSummary: map[string]float64{"records": 2, "failed": 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(tc.p)
			resp, err := h.Handle(functest.LambdaCtx("req-sqs"), sqsEvent(t, tc.msgs...))
			if err != nil {
				t.Fatalf("handler error = %v, want nil for an SQS batch", err)
			}
			if got := failedIDs(t, resp); !reflect.DeepEqual(got, tc.wantFailed) {
				t.Errorf("batch item failures = %v, want %v", got, tc.wantFailed)
			}

			calls := tc.p.Calls()
			if len(calls) != 1 {
				t.Fatalf("processor called %d times, want once", len(calls))
			}
			for i, rec := range calls[0] {
				if rec.ID != tc.msgs[i].id || string(rec.Body) != tc.msgs[i].body {
					t.Errorf("record %d = {%s %s}, want {%s %s}", i, rec.ID, rec.Body, tc.msgs[i].id, tc.msgs[i].body)
				}
			}

			failures := h.LogLines(t, "record failed")
			if len(failures) != len(tc.wantLogged) {
				t.Errorf("%d failure lines, want %d; log:\n%s", len(failures), len(tc.wantLogged), h.Logs.String())
			}
			for _, l := range failures {
				id, _ := l["messageId"].(string)
				if want, ok := tc.wantLogged[id]; !ok || l["kind"] != want {
					t.Errorf("failure line for %q has kind %v, want %q", id, l["kind"], want)
				}
				if l["requestId"] != "req-sqs" {
					t.Errorf("failure line requestId = %v, want req-sqs", l["requestId"])
				}
				if e, _ := l["error"].(string); e == "" {
					t.Errorf("failure line for %s has no error", id)
				}
			}

			sum := h.SummaryLine(t)
			if sum["requestId"] != "req-sqs" || sum["trigger"] != "sqs" {
				t.Errorf("summary requestId, trigger = %v, %v; want req-sqs, sqs", sum["requestId"], sum["trigger"])
			}
			for k, want := range tc.wantSummary {
				if got, _ := sum[k].(float64); got != want {
					t.Errorf("summary %s = %v, want %v", k, sum[k], want)
				}
			}
			if _, ok := sum["durationMs"].(float64); !ok {
				t.Errorf("summary durationMs = %v, want a number", sum["durationMs"])
			}
		})
	}
}

func TestHandlerSQSFailureLineNamesFieldAndEvent(t *testing.T) {
	t.Parallel()
	body := `{"version":"0","id":"ev-42","detail-type":"Mailbox Signup","source":"mail.platform","time":"2026-11-22T10:00:03Z",` +
		`"detail":{"accountId":"acc-1","address":"very.private@mail.example","createdAt":"2026-11-22T10:00:02Z","ip":"203.0.113.300"}}`
	h := newHarness(functest.DecodingProcessor())
	resp, err := h.Handle(functest.LambdaCtx("req-1"), sqsEvent(t, message{"m1", body}))
	if err != nil {
		t.Fatal(err)
	}
	if got := failedIDs(t, resp); !reflect.DeepEqual(got, []string{"m1"}) {
		t.Fatalf("failures = %v, want [m1]", got)
	}
	lines := h.LogLines(t, "record failed")
	if len(lines) != 1 {
		t.Fatalf("%d failure lines, want 1", len(lines))
	}
	l := lines[0]
	if l["eventId"] != "ev-42" || l["field"] != "detail.ip" || l["kind"] != "malformed" || l["level"] != "WARN" {
		t.Errorf("failure line = %v, want eventId ev-42, field detail.ip, kind malformed, level WARN", l)
	}
	for _, secret := range []string{"203.0.113.300", "very.private", "acc-1"} {
		if strings.Contains(h.Logs.String(), secret) {
			t.Errorf("log contains %q from the body:\n%s", secret, h.Logs.String())
		}
	}
}

func TestHandlerSQSUnreadableBatch(t *testing.T) {
	t.Parallel()
	// A body that is not a string passes the trigger check but not
	// events.SQSEvent: every message is failed, so that SQS keeps them all.
	p := outcomes(nil)
	h := newHarness(p)
	raw := json.RawMessage(`{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{}"},{"eventSource":"aws:sqs","messageId":"m2","body":5}]}`)
	resp, err := h.Handle(functest.LambdaCtx("req-x"), raw)
	if err != nil {
		t.Fatalf("handler error = %v, want nil", err)
	}
	if got, want := failedIDs(t, resp), []string{"m1", "m2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("failures = %v, want %v", got, want)
	}
	if n := len(p.Calls()); n != 0 {
		t.Errorf("processor called %d times, want never", n)
	}
	if sum := h.SummaryLine(t); sum["records"] != float64(2) || sum["rejected"] != float64(2) {
		t.Errorf("summary records, rejected = %v, %v; want 2, 2", sum["records"], sum["rejected"])
	}
}

func TestHandlerEventBridge(t *testing.T) {
	t.Parallel()
	raw := json.RawMessage(`{"version":"0","id":"ev-7","detail-type":"Mailbox Signup","source":"mail.platform",` +
		`"account":"123456789012","time":"2026-11-22T10:00:03Z","region":"us-east-1","resources":[],` +
		`"detail":{"accountId":"acc-7","address":"someone@mail.example","createdAt":"2026-11-22T10:00:02Z","ip":"198.51.100.300"}}`)
	tests := []struct {
		name    string
		p       *fakeProcessor
		wantErr error // nil: handled
	}{
		{"handled", outcomes(nil), nil},
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
			if n := len(h.LogLines(t, "record failed")); n != 0 {
				t.Errorf("%d failure lines, want none: the returned error is logged by the runtime", n)
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
	}{
		{"empty object", `{}`},
		{"array", `[]`},
		{"string", `"hello"`},
		{"null", `null`},
		{"empty records", `{"Records":[]}`},
		{"kinesis", `{"Records":[{"eventSource":"aws:kinesis","kinesis":{"data":"e30="}}]}`},
		{"s3", `{"Records":[{"eventSource":"aws:s3","s3":{}}]}`},
		{"sqs mixed with another source", `{"Records":[{"eventSource":"aws:sqs","messageId":"m1","body":"{}"},{"eventSource":"aws:sns"}]}`},
		{"api gateway", `{"httpMethod":"POST","body":"{}"}`},
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
			if resp != nil {
				t.Errorf("response = %v, want nil", resp)
			}
			if n := len(p.Calls()); n != 0 {
				t.Errorf("processor called %d times, want never", n)
			}
			if h.Metrics.Len() != 0 {
				t.Errorf("metrics written for an unsupported trigger: %s", h.Metrics.String())
			}
			if sum := h.SummaryLine(t); sum["trigger"] != "unsupported" || sum["outcome"] != "error" {
				t.Errorf("summary trigger, outcome = %v, %v; want unsupported, error", sum["trigger"], sum["outcome"])
			}
		})
	}
}

func TestHandlerMetrics(t *testing.T) {
	t.Parallel()
	p := outcomes(map[string]pipeline.Result{
		"m1": {Verdict: pipeline.Suspend, Reasons: []queue.Reason{{Rule: "hosting_ip"}, {Rule: "templated_username"}}},
		"m2": {Verdict: pipeline.Review, Reasons: []queue.Reason{{Rule: "hosting_ip"}}},
		"m3": {Err: errMalformed},
	})
	h := newHarness(p)
	if _, err := h.Handle(functest.LambdaCtx("req-m"), sqsEvent(t, message{"m1", "{}"}, message{"m2", "{}"}, message{"m3", "{}"}, message{"m4", "{}"})); err != nil {
		t.Fatal(err)
	}

	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []struct {
			Name string `json:"Name"`
			Unit string `json:"Unit"`
		} `json:"Metrics"`
	}
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(h.Metrics.Bytes()))
	for sc.Scan() {
		var line struct {
			AWS struct {
				Timestamp         int64       `json:"Timestamp"`
				CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
			} `json:"_aws"`
		}
		var root map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("metrics line %q: %v", sc.Text(), err)
		}
		if err := json.Unmarshal(sc.Bytes(), &root); err != nil {
			t.Fatal(err)
		}
		if line.AWS.Timestamp <= 0 {
			t.Errorf("Timestamp = %d, want milliseconds since the epoch", line.AWS.Timestamp)
		}
		if len(line.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line %q: %d directives, want 1", sc.Text(), len(line.AWS.CloudWatchMetrics))
		}
		d := line.AWS.CloudWatchMetrics[0]
		if d.Namespace != metricNamespace {
			t.Errorf("Namespace = %q, want %q", d.Namespace, metricNamespace)
		}
		if root["Function"] != metricFunction {
			t.Errorf("Function = %v, want %q", root["Function"], metricFunction)
		}
		desc := strings.Join(d.Dimensions[0], "+") + ":"
		for _, m := range d.Metrics {
			if m.Unit != "Count" {
				t.Errorf("metric %s unit %q, want Count", m.Name, m.Unit)
			}
			desc += fmt.Sprintf(" %s=%v", m.Name, root[m.Name])
		}
		for _, dim := range d.Dimensions[0][1:] {
			desc += fmt.Sprintf(" [%v]", root[dim])
		}
		got = append(got, desc)
	}
	want := []string{
		"Function: Events=4 Rejected=1 Failed=0 Duplicates=0",
		"Function+Verdict: Verdicts=1 [allow]",
		"Function+Verdict: Verdicts=1 [review]",
		"Function+Verdict: Verdicts=1 [suspend]",
		"Function+Rule: RuleHits=2 [hosting_ip]",
		"Function+Rule: RuleHits=1 [templated_username]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metrics lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	sum := h.SummaryLine(t)
	wantVerdicts := map[string]any{"allow": float64(1), "review": float64(1), "suspend": float64(1)}
	if !reflect.DeepEqual(sum["verdicts"], wantVerdicts) {
		t.Errorf("summary verdicts = %v, want %v", sum["verdicts"], wantVerdicts)
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

func TestHandlerMetricsFailureDoesNotFailTheBatch(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	handle := newHandler(outcomes(nil), slog.New(slog.NewJSONHandler(&logs, nil)), brokenWriter{})
	resp, err := handle(functest.LambdaCtx("req-w"), sqsEvent(t, message{"m1", "{}"}))
	if err != nil {
		t.Fatalf("handler error = %v, want nil: metrics are not worth a redelivery", err)
	}
	if got := failedIDs(t, resp); len(got) != 0 {
		t.Errorf("failures = %v, want none", got)
	}
	if !strings.Contains(logs.String(), `"metricsError":"write metrics: stdout closed"`) {
		t.Errorf("summary line does not report the metrics error:\n%s", logs.String())
	}
}

// TestHandlerLogsNoStorageKey: a throttled of the store names the
// key; the failure line shows the key's hash, not the address.
func TestHandlerLogsNoStorageKey(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("update key %s: %w", window.NewKey(window.IP, "198.51.100.23"), fmt.Errorf("dial tcp 198.51.100.7:8000: %w", errors.New("throttled")))
	h := newHarness(outcomes(map[string]pipeline.Result{"m1": {Err: err}}))
	if _, herr := h.Handle(functest.LambdaCtx("req-k"), sqsEvent(t, message{"m1", "{}"})); herr != nil {
		t.Fatal(herr)
	}
	lines := h.LogLines(t, "record failed")
	if len(lines) != 1 {
		t.Fatalf("%d failure lines, want 1:\n%s", len(lines), h.Logs.String())
	}
	if got, want := lines[0]["error"], "update key ip#h:fe8b2f93: dial tcp [ip]:8000: throttled"; got != want {
		t.Errorf("logged error %q, want %q", got, want)
	}
	if strings.Contains(h.Logs.String(), "198.51.100") {
		t.Errorf("log shows an address:\n%s", h.Logs.String())
	}
}
