package main

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
)

// eventsDir holds the samples for `sam local invoke -e`.
const eventsDir = "../../events"

// sample says what one file of events/ is and what must become of it.
type sample struct {
	// trigger is the Lambda event type the file claims: "sqs"
	// (events.SQSEvent) or "eventbridge" (events.CloudWatchEvent).
	trigger string
	// malformed maps the message ids designed to be malformed to the field
	// their FieldError must name; for an EventBridge file the key is "".
	malformed map[string]string
	// duplicates is how many records repeat an event id seen before.
	duplicates int
}

// samples lists every file of events/ for this function (signup-*.json):
// a new file must be added here, so that no sample goes untested and
// stale. Other functions' samples are their tests'.
var samples = map[string]sample{
	"signup-sqs.json": {
		trigger:   "sqs",
		malformed: map[string]string{"d7b2e590-1c4f-43a8-9e6d-0f5a8b3c2e71": "detail.ip"},
	},
	"signup-sqs-malformed.json": {
		trigger: "sqs",
		malformed: map[string]string{
			"4a9e1f27-6c3d-4b85-9f0e-2d7c5b8a1e36": "(event)",
			"b5d08c3e-7f21-4a96-8e4b-1c6f9a2d7e03": "detail.accountId",
		},
	},
	"signup-sqs-duplicate.json": {trigger: "sqs", duplicates: 1},
	"signup-eventbridge.json":   {trigger: "eventbridge"},
}

func TestSamplesAreListed(t *testing.T) {
	t.Parallel()
	functest.SamplesListed(t, eventsDir, "signup-*.json", samples)
}

// checkEnvelope decodes one envelope and checks the outcome against
// wantField: "" for a valid signup, otherwise the field its error names.
func checkEnvelope(t *testing.T, what string, body []byte, wantField string) {
	t.Helper()
	e, err := event.Decode(body)
	if wantField == "" {
		if err != nil {
			t.Errorf("%s: Decode: %v", what, err)
			return
		}
		if e.Kind != event.KindSignup || e.Signup == nil {
			t.Errorf("%s: kind %q, want a %s", what, e.Kind, event.KindSignup)
		}
		return
	}
	var fe *event.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("%s: Decode error = %v, want a FieldError naming %s", what, err, wantField)
		return
	}
	if fe.Field != wantField {
		t.Errorf("%s: FieldError names %q, want %q (%v)", what, fe.Field, wantField, fe)
	}
}

func TestSamples(t *testing.T) {
	t.Parallel()
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}

			var wantFailed []string
			switch s.trigger {
			case "sqs":
				var ev events.SQSEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.SQSEvent: %v", err)
				}
				if len(ev.Records) == 0 {
					t.Fatal("no records")
				}
				for _, m := range ev.Records {
					if m.EventSource != "aws:sqs" || m.MessageId == "" || m.EventSourceARN == "" {
						t.Errorf("message %q: eventSource %q, eventSourceARN %q: not an SQS message", m.MessageId, m.EventSource, m.EventSourceARN)
					}
					if sum := md5.Sum([]byte(m.Body)); hex.EncodeToString(sum[:]) != m.Md5OfBody {
						t.Errorf("message %s: md5OfBody %s is not the body's", m.MessageId, m.Md5OfBody)
					}
					checkEnvelope(t, "message "+m.MessageId, []byte(m.Body), s.malformed[m.MessageId])
					if _, ok := s.malformed[m.MessageId]; ok {
						wantFailed = append(wantFailed, m.MessageId)
					}
				}
				for id := range s.malformed {
					if !slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.MessageId == id }) {
						t.Errorf("samples names malformed message %s, which is not in the file", id)
					}
				}
			case "eventbridge":
				var ev events.CloudWatchEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.CloudWatchEvent: %v", err)
				}
				checkEnvelope(t, "event", data, s.malformed[""])
			default:
				t.Fatalf("unknown trigger %q", s.trigger)
			}

			// The same file through the handler, with failure decided by
			// decoding, as the pipeline decides it.
			h := newHarness(functest.DecodingProcessor())
			resp, err := h.Handle(functest.LambdaCtx("req-"+name), json.RawMessage(data))
			switch s.trigger {
			case "sqs":
				if err != nil {
					t.Fatalf("handler error = %v, want nil", err)
				}
				if got := failedIDs(t, resp); !sameSet(got, wantFailed) {
					t.Errorf("reported failures %v, want %v", got, wantFailed)
				}
			case "eventbridge":
				if _, bad := s.malformed[""]; bad != (err != nil) {
					t.Errorf("handler error = %v, want an error: %v", err, bad)
				}
			}
			sum := h.SummaryLine(t)
			if got := sum["duplicates"]; got != float64(s.duplicates) {
				t.Errorf("summary duplicates = %v, want %d", got, s.duplicates)
			}
			if got := sum["rejected"]; got != float64(len(s.malformed)) {
				t.Errorf("summary rejected = %v, want %d", got, len(s.malformed))
			}
		})
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
