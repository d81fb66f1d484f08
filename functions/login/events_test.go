package main

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// eventsDir holds the samples for `sam local invoke -e` and `make invoke`.
const eventsDir = "../../events"

// sample says what one file of events/ is and what must become of it.
type sample struct {
	// trigger is the Lambda event type the file claims: "kinesis"
	// (events.KinesisEvent) or "eventbridge" (events.CloudWatchEvent).
	trigger string
	// malformed maps the sequence numbers of the records designed to be
	// malformed to the field their FieldError must name; for an
	// EventBridge file the key is "".
	malformed map[string]string
}

// samples lists every file of events/ for this function (login-*.json): a
// new file must be added here, so that no sample goes untested and stale.
var samples = map[string]sample{
	"login-kinesis.json":                   {trigger: "kinesis"},
	"login-kinesis-impossible-travel.json": {trigger: "kinesis"},
	"login-kinesis-laptop-farm.json":       {trigger: "kinesis"},
	"login-kinesis-malformed.json": {
		trigger: "kinesis",
		malformed: map[string]string{
			"49656524107285244163360983378037815566289207053667966071": "(event)",   // not JSON: cut short
			"49656524107285244163360983378037815566289550341265003360": "detail.ip", // no ip
			"49656524107285244163360983378037815566289607018346795013": "(event)",   // binary garbage
		},
	},
	"login-eventbridge.json": {trigger: "eventbridge"},
}

func TestSamplesAreListed(t *testing.T) {
	t.Parallel()
	functest.SamplesListed(t, eventsDir, "login-*.json", samples)
}

// checkEnvelope decodes one envelope and checks the outcome against
// wantField: "" for a valid login, otherwise the field its error names. It
// returns the login, if valid.
func checkEnvelope(t *testing.T, what string, body []byte, wantField string) *event.Event {
	t.Helper()
	e, err := event.Decode(body)
	if wantField == "" {
		if err != nil {
			t.Errorf("%s: Decode: %v", what, err)
			return nil
		}
		if e.Kind != event.KindLogin || e.Login == nil {
			t.Errorf("%s: kind %q, want a %s", what, e.Kind, event.KindLogin)
			return nil
		}
		return &e
	}
	var fe *event.FieldError
	if !errors.As(err, &fe) {
		t.Errorf("%s: Decode error = %v, want a FieldError naming %s", what, err, wantField)
		return nil
	}
	if fe.Field != wantField {
		t.Errorf("%s: FieldError names %q, want %q (%v)", what, fe.Field, wantField, fe)
	}
	return nil
}

// loadSample reads a sample and checks that it is what it claims to be:
// for a Kinesis batch, records of one shard in sequence order, partitioned
// by account, each envelope valid or malformed as samples says. It returns
// the raw file, the batch (if Kinesis) and the valid logins by sequence
// number ("" for an EventBridge event).
func loadSample(t *testing.T, name string) ([]byte, events.KinesisEvent, map[string]*event.Event) {
	t.Helper()
	s := samples[name]
	data, err := os.ReadFile(filepath.Join(eventsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string]*event.Event{}
	var ev events.KinesisEvent
	switch s.trigger {
	case "kinesis":
		if err := functest.DecodeStrict(data, &ev); err != nil {
			t.Fatalf("not an events.KinesisEvent: %v", err)
		}
		if len(ev.Records) == 0 {
			t.Fatal("no records")
		}
		var prev *big.Int
		var shard string
		for i, r := range ev.Records {
			k := r.Kinesis
			if r.EventSource != "aws:kinesis" || r.EventName != "aws:kinesis:record" || !strings.HasPrefix(r.EventSourceArn, "arn:aws:kinesis:") {
				t.Errorf("record %d: eventSource %q, eventName %q, eventSourceARN %q: not a Kinesis record", i, r.EventSource, r.EventName, r.EventSourceArn)
			}
			n, ok := new(big.Int).SetString(k.SequenceNumber, 10)
			if !ok || len(k.SequenceNumber) != 56 {
				t.Errorf("record %d: sequence number %q is not 56 digits", i, k.SequenceNumber)
				continue
			}
			// A batch is one shard's records, in its order: the failure
			// reported first is the earliest.
			if prev != nil && n.Cmp(prev) <= 0 {
				t.Errorf("record %d: sequence number %s not after the previous record's", i, k.SequenceNumber)
			}
			prev = n
			sh, after, ok := strings.Cut(r.EventID, ":")
			if !ok || after != k.SequenceNumber || !strings.HasPrefix(sh, "shardId-") || (shard != "" && sh != shard) {
				t.Errorf("record %d: eventID %q, want shardId-…:<sequence number>, one shard for the batch", i, r.EventID)
			}
			shard = sh
			if k.ApproximateArrivalTimestamp.IsZero() {
				t.Errorf("record %d: no approximateArrivalTimestamp", i)
			}
			e := checkEnvelope(t, "record "+k.SequenceNumber, k.Data, s.malformed[k.SequenceNumber])
			if e == nil {
				continue
			}
			logins[k.SequenceNumber] = e
			if k.PartitionKey != e.Login.AccountID {
				t.Errorf("record %s: partition key %q, want the account id %q (the template's PartitionKeyPath)", k.SequenceNumber, k.PartitionKey, e.Login.AccountID)
			}
			if arrived := k.ApproximateArrivalTimestamp.Time; arrived.Before(e.Time) || arrived.Sub(e.Time) > time.Minute {
				t.Errorf("record %s: arrived %s, want shortly after the event's time %s", k.SequenceNumber, arrived, e.Time)
			}
		}
		for id := range s.malformed {
			if !slices.ContainsFunc(ev.Records, func(r events.KinesisEventRecord) bool { return r.Kinesis.SequenceNumber == id }) {
				t.Errorf("samples names malformed record %s, which is not in the file", id)
			}
		}
	case "eventbridge":
		var cw events.CloudWatchEvent
		if err := functest.DecodeStrict(data, &cw); err != nil {
			t.Fatalf("not an events.CloudWatchEvent: %v", err)
		}
		if e := checkEnvelope(t, "event", data, s.malformed[""]); e != nil {
			logins[""] = e
		}
	default:
		t.Fatalf("unknown trigger %q", s.trigger)
	}
	return data, ev, logins
}

// wantFailures returns the sequence numbers a sample's response must
// report, in the batch's order: exactly its malformed records.
func wantFailures(ev events.KinesisEvent, s sample) []string {
	want := []string{}
	for _, r := range ev.Records {
		if _, bad := s.malformed[r.Kinesis.SequenceNumber]; bad {
			want = append(want, r.Kinesis.SequenceNumber)
		}
	}
	return want
}

// TestSamples: every sample is the Lambda event it claims to be, and, run
// through the handler as the runtime runs it, with failure decided by
// decoding as the pipeline decides it, reports exactly its malformed
// records: a bad record never sinks its batch.
func TestSamples(t *testing.T) {
	t.Parallel()
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ev, _ := loadSample(t, name)
			h := newHarness(functest.DecodingProcessor())
			switch s.trigger {
			case "kinesis":
				got := h.kinesisFailures(t, functest.LambdaCtx("req-"+name), data)
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("reported failures %v, want %v", got, want)
				}
			case "eventbridge":
				out, err := h.Invoke(functest.LambdaCtx("req-"+name), data)
				if _, bad := s.malformed[""]; bad != (err != nil) {
					t.Errorf("handler = %s, %v; want an error: %v", out, err, bad)
				}
			}
			sum := h.SummaryLine(t)
			if got := sum["rejected"]; got != float64(len(s.malformed)) {
				t.Errorf("summary rejected = %v, want %d", got, len(s.malformed))
			}
			if got := sum["trigger"]; got != s.trigger {
				t.Errorf("summary trigger = %v, want %s", got, s.trigger)
			}
		})
	}
}

// TestSamplesRealPipeline: the same through the real pipeline, on a fresh
// store and the test GeoIP databases: exactly the malformed records are
// reported, each rejected by the field samples names, and every other
// record is handled (scored, or skipped while logins are not). What the
// scores are is for the scoring tests.
func TestSamplesRealPipeline(t *testing.T) {
	t.Parallel()
	for name, s := range samples {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, ev, logins := loadSample(t, name)
			sc, _ := realScanner(t)
			rec := &functest.Recorder{P: sc.Pipeline}
			h := newHarness(rec)
			switch s.trigger {
			case "kinesis":
				got := h.kinesisFailures(t, functest.LambdaCtx("req-"+name), data)
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("reported failures %v, want %v\n%s", got, want, h.Logs.String())
				}
			case "eventbridge":
				if out, err := h.Invoke(functest.LambdaCtx("req-"+name), data); err != nil {
					t.Errorf("handler = %s, %v; want no error", out, err)
				}
			}
			rs := rec.All()
			if len(rs) != max(len(ev.Records), 1) {
				t.Fatalf("%d results, want one per record", len(rs))
			}
			for _, r := range rs {
				id := r.RecordID
				if s.trigger == "eventbridge" {
					id = ""
				}
				if field, bad := s.malformed[id]; bad {
					var fe *event.FieldError
					if r.Outcome() != pipeline.Rejected || !errors.As(r.Err, &fe) || fe.Field != field {
						t.Errorf("record %s: %s (%v), want rejected naming %s", r.RecordID, r.Outcome(), r.Err, field)
					}
					continue
				}
				if !handled(r) {
					t.Errorf("record %s: %s (%v), want it handled", r.RecordID, r.Outcome(), r.Err)
				}
				if e := logins[id]; e == nil || r.EventID != e.ID || r.AccountID != e.Login.AccountID {
					t.Errorf("record %s: result for event %q account %q, want the sample's", r.RecordID, r.EventID, r.AccountID)
				}
			}
		})
	}
}

// TestSamplePremises: each sample is the case its name says, by the
// bundled test GeoIP databases, so that the scoring tests built on them
// test what they claim.
func TestSamplePremises(t *testing.T) {
	t.Parallel()
	sc, _ := realScanner(t)
	ordered := func(t *testing.T, name string) []*event.Event {
		t.Helper()
		_, ev, logins := loadSample(t, name)
		var out []*event.Event
		for _, r := range ev.Records {
			if e := logins[r.Kinesis.SequenceNumber]; e != nil {
				out = append(out, e)
			}
		}
		return out
	}
	t.Run("ordinary logins of one account", func(t *testing.T) {
		t.Parallel()
		ls := ordered(t, "login-kinesis.json")
		if len(ls) < 3 {
			t.Fatalf("%d logins, want several", len(ls))
		}
		for _, e := range ls {
			info := sc.Geo.Lookup(e.Login.IP)
			if e.Login.AccountID != ls[0].Login.AccountID || info.Country != "US" || info.Anonymous {
				t.Errorf("%s: account %s from %s (%s, anonymous %v), want one account, from US addresses that hide nothing", e.ID, e.Login.AccountID, e.Login.IP, info.Country, info.Anonymous)
			}
		}
	})
	t.Run("impossible travel", func(t *testing.T) {
		t.Parallel()
		ls := ordered(t, "login-kinesis-impossible-travel.json")
		if len(ls) != 2 {
			t.Fatalf("%d logins, want 2", len(ls))
		}
		from, to := sc.Geo.Lookup(ls[0].Login.IP), sc.Geo.Lookup(ls[1].Login.IP)
		if from.Country != "US" || (to.Country != "CN" && to.Country != "RU") || !from.HasLocation || !to.HasLocation {
			t.Errorf("from %s (%s) to %s (%s), want from the US to China or Russia, located", ls[0].Login.IP, from.Country, ls[1].Login.IP, to.Country)
		}
		if from.Anonymous || to.Anonymous {
			t.Errorf("anonymous addresses (%v, %v): want the travel to be the only signal", from.Anonymous, to.Anonymous)
		}
		if gap := ls[1].Login.At.Sub(ls[0].Login.At); gap < 19*time.Minute || gap > 21*time.Minute {
			t.Errorf("%v between the logins, want 20 minutes", gap)
		}
		if ls[0].Login.AccountID != ls[1].Login.AccountID {
			t.Errorf("accounts %s and %s, want one", ls[0].Login.AccountID, ls[1].Login.AccountID)
		}
	})
	t.Run("laptop farm", func(t *testing.T) {
		t.Parallel()
		ls := ordered(t, "login-kinesis-laptop-farm.json")
		accounts := map[string]bool{}
		for _, e := range ls {
			accounts[e.Login.AccountID] = true
			if e.Login.IP != ls[0].Login.IP || e.Login.DeviceID != ls[0].Login.DeviceID {
				t.Errorf("%s: from %s on %q, want one address and one device", e.ID, e.Login.IP, e.Login.DeviceID)
			}
		}
		if len(accounts) < 12 {
			t.Errorf("%d accounts, want a dozen", len(accounts))
		}
		if span := ls[len(ls)-1].Login.At.Sub(ls[0].Login.At); span >= time.Hour {
			t.Errorf("the logins span %v, want less than an hour", span)
		}
		if info := sc.Geo.Lookup(ls[0].Login.IP); info.Country != "US" || info.Anonymous || info.Hosting {
			t.Errorf("address %s: %+v, want a residential US address", ls[0].Login.IP, info)
		}
	})
}
