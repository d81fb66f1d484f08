package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
)

// realScanner is the real pipeline over a fresh embedded store.
func realScanner(t *testing.T) (*setup.Scanner, *embedded.Store) {
	t.Helper()
	return functest.RealScanner(t, "login-triggers-test-key-0001")
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
		rec *functest.Recorder
		h   *harness
	}
	deliverKinesis := func(t *testing.T, r rig, sequence string) pipeline.Result {
		t.Helper()
		if got := r.h.kinesisFailures(t, functest.LambdaCtx("req-"+sequence), kinesisEvent(t, record{sequence, envelope})); len(got) != 0 {
			t.Fatalf("batch item failures %v, want none", got)
		}
		return r.rec.Last(t)
	}
	triggers := []struct {
		name    string
		deliver func(t *testing.T, r rig) pipeline.Result
	}{
		{"kinesis", func(t *testing.T, r rig) pipeline.Result { return deliverKinesis(t, r, seq(1)) }},
		{"eventbridge", func(t *testing.T, r rig) pipeline.Result {
			out, err := r.h.Invoke(functest.LambdaCtx("req-eventbridge"), envelope)
			if err != nil {
				t.Fatalf("handler error = %v, want nil", err)
			}
			if string(out) != "null" {
				t.Errorf("response = %s, want null for an EventBridge event", out)
			}
			return r.rec.Last(t)
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
				rec := &functest.Recorder{P: sc.Pipeline}
				h := &harness{&functest.Harness{Handle: newHandler(rec, slog.New(slog.DiscardHandler), io.Discard)}}
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
