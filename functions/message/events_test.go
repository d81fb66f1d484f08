package main

import (
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
)

// eventsDir holds the samples for `sam local invoke -e` and `make invoke`;
// objectsDir the raw messages their notifications name, laid out
// DIR/BUCKET/KEY as OBJECTS_DIR reads them.
const (
	eventsDir  = "../../events"
	objectsDir = "../../testdata/objects"
)

// sample says what one file of events/ is and what must become of it.
type sample struct {
	// trigger is the Lambda event type the file claims: "sqs"
	// (events.SQSEvent of S3 notifications) or "eventbridge"
	// (events.CloudWatchEvent).
	trigger string
	// malformed maps the message ids of the messages designed to be
	// malformed to the field their FieldError must name.
	malformed map[string]string
	// tests are the message ids of S3's test messages: acknowledged.
	tests []string
}

// samples lists every file of events/ for this function (message-*.json):
// a new file must be added here, so that no sample goes untested and stale.
var samples = map[string]sample{
	"message-sqs-s3.json": {trigger: "sqs"},
	"message-sqs-s3-malformed.json": {
		trigger: "sqs",
		malformed: map[string]string{
			"c3f80d6e-5a21-47b9-8e4c-0b9d2a6f71e5": "Records[0].s3.object.key", // a folder below the account
		},
		tests: []string{"e27b94c1-0f63-4a8d-b5e2-9c41d7a3f086"},
	},
	"message-eventbridge.json": {trigger: "eventbridge"},
}

func TestSamplesAreListed(t *testing.T) {
	t.Parallel()
	functest.SamplesListed(t, eventsDir, "message-*.json", samples)
}

// loadSample reads a sample and checks that it is what it claims: an SQS
// batch whose bodies are S3 notifications (each decoding strictly as
// events.S3Event, or S3's test message) with a true md5OfBody, or one
// EventBridge envelope. Every object a valid record names exists in
// testdata/objects with the size and ETag the notification says, so that
// a local run reads it. It returns the raw file and the batch.
func loadSample(t *testing.T, name string) ([]byte, events.SQSEvent) {
	t.Helper()
	s := samples[name]
	data, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	switch s.trigger {
	case "sqs":
		if err := functest.DecodeStrict(data, &ev); err != nil {
			t.Fatalf("not an events.SQSEvent: %v", err)
		}
		for _, m := range ev.Records {
			sum := md5.Sum([]byte(m.Body))
			if m.EventSource != "aws:sqs" || m.Md5OfBody != hex.EncodeToString(sum[:]) {
				t.Errorf("message %s: eventSource %q, md5OfBody %s, want aws:sqs and the body's MD5", m.MessageId, m.EventSource, m.Md5OfBody)
			}
			if slices.Contains(s.tests, m.MessageId) {
				var te events.S3TestEvent
				if err := functest.DecodeStrict([]byte(m.Body), &te); err != nil || te.Event != testEvent {
					t.Errorf("message %s: not S3's test message: %v", m.MessageId, err)
				}
				continue
			}
			var n events.S3Event
			if err := functest.DecodeStrict([]byte(m.Body), &n); err != nil || len(n.Records) == 0 {
				t.Errorf("message %s: not an events.S3Event: %v", m.MessageId, err)
				continue
			}
			if _, bad := s.malformed[m.MessageId]; bad {
				continue
			}
			for _, r := range n.Records {
				o := r.S3.Object
				data, err := os.ReadFile(filepath.Join(objectsDir, r.S3.Bucket.Name, filepath.FromSlash(o.URLDecodedKey)))
				if err != nil {
					t.Errorf("message %s: %v", m.MessageId, err)
					continue
				}
				sum := md5.Sum(data)
				if int64(len(data)) != o.Size || hex.EncodeToString(sum[:]) != o.ETag {
					t.Errorf("message %s: %s has %d bytes, MD5 %x; the notification says %d, %s", m.MessageId, o.Key, len(data), sum, o.Size, o.ETag)
				}
			}
		}
		for id := range s.malformed {
			if !slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.MessageId == id }) {
				t.Errorf("samples names malformed message %s, which is not in the file", id)
			}
		}
	case "eventbridge":
		var cw events.CloudWatchEvent
		if err := functest.DecodeStrict(data, &cw); err != nil {
			t.Fatalf("not an events.CloudWatchEvent: %v", err)
		}
		e, err := event.Decode(data)
		if err != nil || e.Kind != event.KindMessage {
			t.Fatalf("not a valid %s: %v", event.KindMessage, err)
		}
		if _, err := os.Stat(filepath.Join(objectsDir, e.Message.Object.Bucket, filepath.FromSlash(e.Message.Object.Key))); err != nil {
			t.Errorf("the object: %v", err)
		}
	default:
		t.Fatalf("unknown trigger %q", s.trigger)
	}
	return data, ev
}

// wantFailures returns the message ids a sample's response must report,
// in the batch's order: exactly its malformed messages.
func wantFailures(ev events.SQSEvent, s sample) []string {
	want := []string{}
	for _, m := range ev.Records {
		if _, bad := s.malformed[m.MessageId]; bad {
			want = append(want, m.MessageId)
		}
	}
	return want
}

// TestSamples: every sample, run through the handler as the runtime runs
// it, with failure decided by decoding as the pipeline decides it, reports
// exactly its malformed messages, each logged with the field at fault.
func TestSamples(t *testing.T) {
	t.Parallel()
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ev := loadSample(t, name)
			h := newHarness(functest.DecodingProcessor())
			switch s.trigger {
			case "sqs":
				got := h.sqsFailures(t, functest.LambdaCtx("req-"+name), data)
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("reported failures %v, want %v\n%s", got, want, h.Logs.String())
				}
			case "eventbridge":
				if out, err := h.Invoke(functest.LambdaCtx("req-"+name), data); err != nil {
					t.Errorf("handler = %s, %v; want no error", out, err)
				}
			}
			sum := h.SummaryLine(t)
			if sum["rejected"] != float64(len(s.malformed)) || sum["failed"] != float64(0) || sum["trigger"] != s.trigger {
				t.Errorf("summary %v, want trigger %s, %d rejected, none failed", sum, s.trigger, len(s.malformed))
			}
			for _, l := range h.LogLines(t, "record failed") {
				id, _ := l["messageId"].(string)
				if field, ok := s.malformed[id]; !ok || l["field"] != field {
					t.Errorf("record failed line %v, want only the malformed messages, naming their fields", l)
				}
			}
			if got := len(h.LogLines(t, "record skipped")); got != len(s.tests) {
				t.Errorf("%d record skipped lines, want %d (S3's test messages)", got, len(s.tests))
			}
		})
	}
}

// messageScanner is the real pipeline, as the function's main builds it,
// over a fresh embedded store, the test GeoIP databases and the objects of
// testdata/objects, with the events' own clock (their fixed dates are
// never judged against the wall clock).
func messageScanner(t *testing.T) *setup.Scanner {
	t.Helper()
	env := map[string]string{"HASH_KEY": "message-events-test-key-0001"}
	for _, kv := range functest.GeoIPEnv(t) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "state.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	dir, err := objects.OpenDir(objectsDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dir.Close() })
	sc, err := setup.Build(cfg, st, dir, nil, []byte(cfg.HashKey), nil, setup.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}

// TestSamplesRealPipeline: the same through the real pipeline reading the
// samples' objects: exactly the malformed messages are reported, and every
// other record is scored (its object read and parsed), for its sample's
// account. How a message is scored is for the pipeline's tests.
func TestSamplesRealPipeline(t *testing.T) {
	t.Parallel()
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ev := loadSample(t, name)
			rec := &functest.Recorder{P: messageScanner(t).Pipeline}
			h := newHarness(rec)
			switch s.trigger {
			case "sqs":
				got := h.sqsFailures(t, functest.LambdaCtx("req-"+name), data)
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("reported failures %v, want %v\n%s", got, want, h.Logs.String())
				}
			case "eventbridge":
				if out, err := h.Invoke(functest.LambdaCtx("req-"+name), data); err != nil {
					t.Errorf("handler = %s, %v; want no error", out, err)
				}
			}
			rs := rec.All()
			if want := max(len(ev.Records)-len(s.malformed)-len(s.tests), 1); len(rs) != want {
				t.Fatalf("%d results, want %d: one per valid record", len(rs), want)
			}
			for _, r := range rs {
				if r.Outcome() != pipeline.Scored || r.Kind != event.KindMessage || r.AccountID != "acc-01JA7K3M9Q" {
					t.Errorf("record %s: %s (%v, %q), kind %q, account %q; want a scored message of acc-01JA7K3M9Q", r.RecordID, r.Outcome(), r.Err, r.Skipped, r.Kind, r.AccountID)
				}
			}
			for _, l := range h.LogLines(t, "record failed") {
				if l["kind"] != "malformed" {
					t.Errorf("record failed line %v, want only malformed ones", l)
				}
			}
		})
	}
}
