package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
)

// recorder is a processor that passes batches to the real pipeline and
// keeps its results, which the handler does not return.
type recorder struct {
	p invoke.Processor

	mu      sync.Mutex
	results []pipeline.Result
}

var _ invoke.Processor = (*recorder)(nil)

func (r *recorder) Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result {
	rs := r.p.Process(ctx, recs)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, rs...)
	return rs
}

// last returns the result of the last record processed.
func (r *recorder) last(t *testing.T) pipeline.Result {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) == 0 {
		t.Fatal("the pipeline processed nothing")
	}
	return r.results[len(r.results)-1]
}

// all returns every result so far.
func (r *recorder) all() []pipeline.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pipeline.Result(nil), r.results...)
}

// realScanner builds the real pipeline, as the function's main does, over a
// fresh embedded store and the test GeoIP databases. Its clock is the
// events' own (setup.Clock{}), so the samples' fixed dates are never judged
// against the wall clock.
func realScanner(t *testing.T) (*setup.Scanner, *embedded.Store) {
	t.Helper()
	geoip := func(name string) string { return filepath.Join("..", "..", "testdata", "geoip", name) }
	env := map[string]string{
		"HASH_KEY":      "login-triggers-test-key-0001",
		"GEOIP_CITY_DB": geoip("GeoIP2-City-Test.mmdb"),
		"GEOIP_ASN_DB":  geoip("GeoLite2-ASN-Test.mmdb"),
		"GEOIP_ANON_DB": geoip("GeoIP2-Anonymous-IP-Test.mmdb"),
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
	sc, err := setup.Build(cfg, st, nil, []byte(cfg.HashKey), nil, setup.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	if len(sc.Off) > 0 {
		t.Fatalf("signals off with every test database configured: %v", sc.Off)
	}
	return sc, st
}

// handled reports whether r is a record the trigger may let go: scored,
// a duplicate, or skipped by design (logins, until they are scored).
func handled(r pipeline.Result) bool {
	switch r.Outcome() {
	case pipeline.Scored, pipeline.Duplicate, pipeline.Skipped:
		return true
	}
	return false
}

// TestSameEnvelopeEveryTrigger: the same login envelope is accepted as a
// Kinesis record, as an EventBridge event and in a replay, with the same
// outcome, verdict, score and reasons; delivered again as a Kinesis record
// it is not reported failed, and if the first delivery scored it, the
// second is a duplicate. Nothing here depends on how logins are scored.
func TestSameEnvelopeEveryTrigger(t *testing.T) {
	t.Parallel()
	envelope, err := os.ReadFile(filepath.Join(eventsDir, "login-eventbridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Decode(envelope)
	if err != nil {
		t.Fatalf("the sample is not a valid envelope: %v", err)
	}
	var line bytes.Buffer
	if err := json.Compact(&line, envelope); err != nil {
		t.Fatal(err)
	}
	type rig struct {
		p   *pipeline.Pipeline
		rec *recorder
		h   *harness
	}
	deliverKinesis := func(t *testing.T, r rig, sequence string) pipeline.Result {
		t.Helper()
		if got := r.h.kinesisFailures(t, lambdaCtx("req-"+sequence), kinesisEvent(t, record{sequence, envelope})); len(got) != 0 {
			t.Fatalf("batch item failures %v, want none", got)
		}
		return r.rec.last(t)
	}
	triggers := []struct {
		name    string
		deliver func(t *testing.T, r rig) pipeline.Result
	}{
		{"kinesis", func(t *testing.T, r rig) pipeline.Result { return deliverKinesis(t, r, seq(1)) }},
		{"eventbridge", func(t *testing.T, r rig) pipeline.Result {
			out, err := r.h.invoke(lambdaCtx("req-eventbridge"), envelope)
			if err != nil {
				t.Fatalf("handler error = %v, want nil", err)
			}
			if string(out) != "null" {
				t.Errorf("response = %s, want null for an EventBridge event", out)
			}
			return r.rec.last(t)
		}},
		{"replay", func(t *testing.T, r rig) pipeline.Result {
			rs := r.p.Process(t.Context(), []pipeline.Record{{ID: "login.jsonl:1", Body: line.Bytes()}})
			if len(rs) != 1 {
				t.Fatalf("%d results for one record", len(rs))
			}
			return rs[0]
		}},
	}
	got := make([]pipeline.Result, len(triggers))
	t.Run("deliver", func(t *testing.T) {
		for i, tr := range triggers {
			t.Run(tr.name, func(t *testing.T) {
				t.Parallel()
				sc, _ := realScanner(t)
				rec := &recorder{p: sc.Pipeline}
				h := &harness{}
				h.handle = newHandler(rec, slog.New(slog.DiscardHandler), io.Discard)
				r := rig{p: sc.Pipeline, rec: rec, h: h}

				res := tr.deliver(t, r)
				if !handled(res) || res.Shadow {
					t.Fatalf("result %+v, want the event handled", res)
				}
				if res.EventID != ev.ID || res.AccountID != ev.Login.AccountID {
					t.Errorf("result for event %q account %q, want %q, %q", res.EventID, res.AccountID, ev.ID, ev.Login.AccountID)
				}
				got[i] = res

				// Delivered again from the stream (a retry from an earlier
				// checkpoint, or the producer sending it twice).
				for _, sequence := range []string{seq(1), seq(2)} {
					again := deliverKinesis(t, r, sequence)
					if !handled(again) {
						t.Errorf("delivered again as %s: %+v, want it handled", sequence, again)
					}
					if res.Outcome() == pipeline.Scored && !again.Duplicate {
						t.Errorf("delivered again as %s: %+v, want a duplicate of the scored event", sequence, again)
					}
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	want := got[0]
	t.Logf("%s: outcome %s, verdict %q, score %d, skipped %q", ev.ID, want.Outcome(), want.Verdict, want.Score, want.Skipped)
	for i, g := range got[1:] {
		name := triggers[i+1].name
		if g.Outcome() != want.Outcome() || g.Verdict != want.Verdict || g.Score != want.Score || g.Skipped != want.Skipped {
			t.Errorf("%s: %s %q %d %q; via %s: %s %q %d %q", name, g.Outcome(), g.Verdict, g.Score, g.Skipped,
				triggers[0].name, want.Outcome(), want.Verdict, want.Score, want.Skipped)
		}
		if !reflect.DeepEqual(g.Reasons, want.Reasons) || g.Queued != want.Queued {
			t.Errorf("%s: reasons %+v (queued %v); via %s: %+v (queued %v)", name, g.Reasons, g.Queued, triggers[0].name, want.Reasons, want.Queued)
		}
	}
}
