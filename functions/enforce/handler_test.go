package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/enforce/caps"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/webhook"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// eventsDir holds the samples every test here runs.
var eventsDir = filepath.Join("..", "..", "events")

type on bool

func (o on) Enabled(context.Context) (bool, error) { return bool(o), nil }

// harness is the function as deployed, less Lambda: its handler over
// dynalite and a TLS receiver that checks signatures and keeps the ids it
// took.
type harness struct {
	store   *dynamo.Store
	handler lambda.Handler
	logs    *bytes.Buffer
	metrics *bytes.Buffer

	mu   sync.Mutex
	took []string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{store: dynamo.New(dynamotest.Client(t), dynamotest.Tables(t)), logs: &bytes.Buffer{}, metrics: &bytes.Buffer{}}
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.mu.Lock()
		h.took = append(h.took, r.Header.Get(webhook.HeaderID))
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.Timeout = time.Second
	sender := &webhook.Client{URL: srv.URL, Key: key, HTTP: client, Now: time.Now, Backoff: webhook.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond, Reserve: time.Second}}
	e, err := enforce.New(h.store, h.store, sender, on(true), enforce.Options{Limits: caps.Limits{PerWindow: 20, Window: 10 * time.Minute, PerDay: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	h.handler = lambda.NewHandler(newHandler(e, slog.New(slog.NewJSONHandler(h.logs, nil)), h.metrics))
	return h
}

// seed writes the items of a sample's new images into the queue table, as
// the scanner left them before the stream delivered the change.
func (h *harness) seed(t *testing.T, ev events.DynamoDBEvent) {
	t.Helper()
	for _, r := range ev.Records {
		if len(r.Change.NewImage) == 0 {
			continue
		}
		it, err := dynamo.QueueItemFromStream(r.Change.NewImage)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.store.PutQueueItems(t.Context(), []queue.Write{{Item: it}})[0]; err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) invoke(t *testing.T, payload []byte) events.DynamoDBEventResponse {
	t.Helper()
	out, err := h.handler.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v\n%s", err, h.logs)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return resp
}

// samples says what each file of events/ for this function does.
var samples = map[string]struct {
	took []string
	// after is the state of each account's item after the invocation.
	after map[string]string
}{
	"enforce-stream.json": {
		took:  []string{"suspend.acct-2b81e0.v2", "suspend.acct-7f3a9c.v1"},
		after: map[string]string{"acct-7f3a9c": "applied/suspend", "acct-2b81e0": "applied/suspend"},
	},
	"enforce-stream-released.json": {
		after: map[string]string{"acct-7f3a9c": "released/suspend"},
	},
}

// TestSamples runs every enforce sample of events/ through the handler:
// each must be read, call the receiver as samples says, report no failure
// and write one summary line and one metrics line; delivered again, it
// calls nothing.
func TestSamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(eventsDir, "enforce-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if want := slices.Sorted(func(yield func(string) bool) {
		for k := range samples {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(names, want) {
		t.Fatalf("events/enforce-*.json = %v, want exactly the samples described here %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := samples[name]
			raw, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			var ev events.DynamoDBEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t)
			h.seed(t, ev)
			resp := h.invoke(t, raw)
			if len(resp.BatchItemFailures) != 0 {
				t.Errorf("failures %v\n%s", resp.BatchItemFailures, h.logs)
			}
			slices.Sort(h.took)
			if !slices.Equal(h.took, s.took) {
				t.Errorf("receiver took %v, want %v", h.took, s.took)
			}
			for id, want := range s.after {
				it, err := h.store.QueueItem(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				if it.State() != want {
					t.Errorf("%s: %s, want %s", id, it.State(), want)
				}
			}
			if n := strings.Count(h.logs.String(), `"msg":"invocation"`); n != 1 {
				t.Errorf("%d summary lines, want 1:\n%s", n, h.logs)
			}
			if !strings.Contains(h.metrics.String(), `"Function":"enforce"`) {
				t.Errorf("metrics %s", h.metrics)
			}
			// The stream delivers the batch again: nothing is called twice.
			before := len(h.took)
			if resp := h.invoke(t, raw); len(resp.BatchItemFailures) != 0 || len(h.took) != before {
				t.Errorf("replay: failures %v, %d more calls", resp.BatchItemFailures, len(h.took)-before)
			}
		})
	}
}

// TestBadRecords: a record whose image does not decode is reported by its
// sequence number (and what follows it, not tried); a payload that is not
// a DynamoDB stream batch, or a record without a sequence number, fails
// the invocation.
func TestBadRecords(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	raw, err := os.ReadFile(filepath.Join(eventsDir, "enforce-stream.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	h.seed(t, ev)
	ev.Records[0].Change.NewImage["version"] = events.NewStringAttribute("one")
	bad, _ := json.Marshal(ev)
	resp := h.invoke(t, bad)
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	if want := []string{ev.Records[0].Change.SequenceNumber, ev.Records[1].Change.SequenceNumber}; !slices.Equal(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	if len(h.took) != 0 {
		t.Errorf("calls %v after a malformed first record", h.took)
	}
	for _, payload := range []string{`{"detail-type":"x"}`, `{"Records":[{"eventSource":"aws:kinesis","dynamodb":{"SequenceNumber":"1"}}]}`, `{"Records":[{"eventSource":"aws:dynamodb","dynamodb":{}}]}`} {
		if _, err := h.handler.Invoke(context.Background(), []byte(payload)); err == nil {
			t.Errorf("%s: no error", payload)
		}
	}
}

// TestStartRefusesBadConfig: every missing or bad variable is named at
// once, and the secret never appears in the error.
func TestStartRefusesBadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ENFORCE_WEBHOOK_URL": "http://platform.example/suspend", "ENFORCE_SECRET": "whsec_c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0", "ENFORCE_CAP_10MIN": "0"}
	_, _, err := start(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err == nil {
		t.Fatal("started")
	}
	for _, want := range []string{"QUEUE_TABLE", "STATE_TABLE", "ENFORCE_WEBHOOK_URL", "ENFORCE_SWITCH", "ENFORCE_CAP_10MIN", "ENFORCE_CAP_DAY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "c2VjcmV0") {
		t.Errorf("error %q quotes the secret", err)
	}
}

// TestStartWithoutEndpoint: a deployment with no webhook URL yet starts,
// reads no secret and no switch, and sends nothing: every suspend change
// is consumed as switched off, its item left pending.
func TestStartWithoutEndpoint(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"QUEUE_TABLE": "q", "STATE_TABLE": "s", "ENFORCE_SWITCH_PARAM": "/abusescan/enforce/enabled",
		"ENFORCE_SECRET_PARAM": "/abusescan/enforce/webhook-secret", "ENFORCE_CAP_10MIN": "20", "ENFORCE_CAP_DAY": "200",
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
	}
	e, _, err := start(context.Background(), func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	it := queue.Item{AccountID: "a", Status: queue.Pending, Action: queue.Suspend, Version: 1}
	if rs := e.Process(context.Background(), []enforce.Change{{ID: "1", New: &it}}); rs[0].Outcome != enforce.Off || rs[0].Err != nil {
		t.Errorf("result %+v, want switched off", rs[0])
	}
}
