package main

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
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

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
	"github.com/mailtrust/abusescan/internal/webhook"
)

// TestEmulator runs every enforce sample of events/ through the function's
// real bootstrap (built as infra/sam.mk builds it, but for this machine)
// under the AWS Lambda Runtime Interface Emulator, with dynalite for
// DynamoDB and a TLS receiver on loopback for the platform's webhook: the
// process, its cold start (configuration, secret, clients), the Runtime
// API, the TLS client and the response encoding are the deployed ones.
// The secret and the kill switch come from ENFORCE_SECRET and
// ENFORCE_SWITCH, the local-run forms LoadConfig allows, so no SSM is
// read; the bootstrap trusts the receiver's certificate through
// SSL_CERT_FILE.
//
// Each sample must come back as samples (handler_test.go) says: no batch
// item failures, exactly its calls, each signed with the secret and
// carrying a suspension of the account its id names, the items in their
// state after, one summary line; delivered again, it calls nothing. With
// no webhook URL configured, the first sample sends nothing, fails no
// record and leaves its items pending.
func TestEmulator(t *testing.T) {
	ctx, bin, endpoint := functest.Bootstrap(t, "enforce")
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}

	type run struct {
		sample   string
		endpoint bool // ENFORCE_WEBHOOK_URL set to the receiver
		took     []string
		after    map[string]string
	}
	var runs []run
	for _, name := range slices.Sorted(maps.Keys(samples)) {
		runs = append(runs, run{sample: name, endpoint: true, took: samples[name].took, after: samples[name].after})
	}
	// No endpoint yet: every change is consumed as switched off, even with
	// the switch on, and the items stay pending for people.
	runs = append(runs, run{sample: "enforce-stream.json", after: map[string]string{"acct-7f3a9c": "pending/suspend", "acct-2b81e0": "pending/suspend"}})

	for _, r := range runs {
		name := strings.TrimSuffix(r.sample, ".json")
		if !r.endpoint {
			name += "-no-endpoint"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(eventsDir, r.sample))
			if err != nil {
				t.Fatal(err)
			}
			var ev events.DynamoDBEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			rcv := newReceiver(t, key)
			tables := dynamotest.Tables(t)
			store := dynamo.New(dynamotest.Client(t), tables)
			(&harness{store: store}).seed(t, ev)

			home := t.TempDir()
			// Only what is set here reaches the function (the emulator passes
			// its whole environment on).
			env := append(lambdalocal.Local{
				Function: "enforce-emulator-test", Home: home, DynamoDB: endpoint,
				StateTable: tables.State, Queue: tables.Queue,
			}.Env(),
				"ENFORCE_SWITCH=on", "ENFORCE_CAP_10MIN=20", "ENFORCE_CAP_DAY=200",
				"ENFORCE_ATTEMPT_TIMEOUT_MS=2000", "SHADOW_MODE=false", "LOG_LEVEL=DEBUG")
			if r.endpoint {
				env = append(env, "ENFORCE_WEBHOOK_URL="+rcv.url, "ENFORCE_SECRET="+secret, "SSL_CERT_FILE="+rcv.certFile)
			}
			emu := functest.Emulate(t, ctx, bin, env)

			for _, attempt := range []string{"first", "replay"} {
				id := "emulator-" + name + "-" + attempt
				res, err := emu.Invoke(ctx, id, raw)
				if err != nil {
					t.Fatalf("%s: %v\n%s", attempt, err, emu.Output())
				}
				if res.Status != http.StatusOK {
					t.Fatalf("%s: status %d, body %s\n%s", attempt, res.Status, res.Body, emu.Output())
				}
				var resp events.DynamoDBEventResponse
				if err := functest.DecodeStrict(res.Body, &resp); err != nil {
					t.Fatalf("%s: response %s is not a DynamoDBEventResponse: %v\n%s", attempt, res.Body, err, emu.Output())
				}
				if len(resp.BatchItemFailures) != 0 {
					t.Errorf("%s: batch item failures %v, want none\n%s", attempt, resp.BatchItemFailures, emu.Output())
				}
				summaries := functest.Lines(res.Logs, "invocation")
				if len(summaries) != 1 {
					t.Fatalf("%s: %d summary lines in the invocation's logs, want 1:\n%s", attempt, len(summaries), strings.Join(res.Logs, "\n"))
				}
				for field, want := range map[string]any{"requestId": id, "trigger": "dynamodb", "outcome": "ok", "records": float64(len(ev.Records))} {
					if got := summaries[0][field]; got != want {
						t.Errorf("%s: summary %s = %v, want %v (summary %v)", attempt, field, got, want, summaries[0])
					}
				}
				// The replay finds every item applied or closed: nothing more.
				if got := rcv.ids(); !slices.Equal(got, r.took) {
					t.Errorf("after the %s invocation the receiver took %v, want %v", attempt, got, r.took)
				}
			}
			for account, want := range r.after {
				it, err := store.QueueItem(t.Context(), account)
				if err != nil {
					t.Fatal(err)
				}
				if it.State() != want {
					t.Errorf("%s: %s, want %s", account, it.State(), want)
				}
			}
		})
	}
}

// receiver is the platform's suspension endpoint: TLS on loopback, its
// certificate in a PEM file for the bootstrap's SSL_CERT_FILE. It takes
// only calls signed with key whose body is the suspension of the account
// its webhook-id names, and keeps the ids it took.
type receiver struct {
	url, certFile string

	mu   sync.Mutex
	took []string
}

func newReceiver(t *testing.T, key []byte) *receiver {
	t.Helper()
	rcv := &receiver{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("receiver: read body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := r.Header.Get(webhook.HeaderID)
		var b enforce.Body
		if err := json.Unmarshal(body, &b); err != nil {
			t.Errorf("receiver: call %s: body %s: %v", id, body, err)
		} else if want := enforce.SuspendID(b.AccountID, b.ItemVersion); r.Method != http.MethodPost || b.Type != enforce.TypeSuspend || id != want {
			t.Errorf("receiver: %s call %s of type %s, want a POST of %s under %s", r.Method, id, b.Type, enforce.TypeSuspend, want)
		}
		rcv.mu.Lock()
		rcv.took = append(rcv.took, id)
		rcv.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	rcv.url = srv.URL
	rcv.certFile = filepath.Join(t.TempDir(), "receiver.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(rcv.certFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return rcv
}

// ids returns the ids of the calls taken so far, sorted.
func (rcv *receiver) ids() []string {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return slices.Sorted(slices.Values(rcv.took))
}
