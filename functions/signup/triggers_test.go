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
	"testing"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/window"
)

// realScanner is the real pipeline over a fresh embedded store.
func realScanner(t *testing.T) (*setup.Scanner, *embedded.Store) {
	t.Helper()
	return functest.RealScanner(t, "signup-triggers-test-key-0001")
}

// stored is what a store holds about one signup.
type stored struct {
	item    map[string]queue.Item
	listed  []queue.Item // the whole queue, every status
	account map[string]account.Account
	keys    map[window.Key]window.Attrs
}

func snapshot(t *testing.T, st *embedded.Store, su *event.Signup) stored {
	t.Helper()
	ctx := t.Context()
	var s stored
	var err error
	if s.item, err = st.QueueItems(ctx, []string{su.AccountID}); err != nil {
		t.Fatal(err)
	}
	for _, status := range []queue.Status{queue.Pending, queue.Applied, queue.Released, queue.Dismissed} {
		items, err := st.ListQueue(ctx, status, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		s.listed = append(s.listed, items...)
	}
	if s.account, err = st.Accounts(ctx, []string{su.AccountID}); err != nil {
		t.Fatal(err)
	}
	keys := []window.Key{
		window.NewKey(window.IP, pipeline.Host(su.IP)),
		window.NewKey(window.Prefix, pipeline.Prefix(su.IP).String()),
	}
	if s.keys, err = st.Keys(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if len(s.account) != 1 || len(s.keys) != len(keys) {
		t.Fatalf("the store holds %d account records and %d of the %d keys, want all: the signup was not scored: %v", len(s.account), len(s.keys), len(keys), s.keys)
	}
	return s
}

// deliverSQS hands body to the handler as the one message of an SQS batch
// and checks that no message is reported failed.
func deliverSQS(t *testing.T, h func(context.Context, json.RawMessage) (any, error), messageID string, body []byte) {
	t.Helper()
	resp, err := h(functest.LambdaCtx("req-"+messageID), sqsEvent(t, message{messageID, string(body)}))
	if err != nil {
		t.Fatalf("handler error = %v, want nil", err)
	}
	if got := failedIDs(t, resp); len(got) != 0 {
		t.Fatalf("batch item failures %v, want none", got)
	}
}

// TestSameEnvelopeEveryTrigger: the same envelope is accepted via SQS, via
// EventBridge and in a replay, with the same verdict and score, and its
// redelivery changes nothing.
func TestSameEnvelopeEveryTrigger(t *testing.T) {
	t.Parallel()
	envelope, err := os.ReadFile(filepath.Join(eventsDir, "signup-eventbridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Decode(envelope)
	if err != nil {
		t.Fatalf("the sample is not a valid envelope: %v", err)
	}
	// A replay file holds the envelope on one line.
	var line bytes.Buffer
	if err := json.Compact(&line, envelope); err != nil {
		t.Fatal(err)
	}

	// rig is one fresh store with the real pipeline, and the function's
	// handler over it.
	type rig struct {
		p      *pipeline.Pipeline
		rec    *functest.Recorder
		handle func(context.Context, json.RawMessage) (any, error)
	}
	const messageID = "0c8e2f4a-6b1d-4e73-a9f5-3d7c1b0e8a62"
	triggers := []struct {
		name    string
		deliver func(t *testing.T, r rig) pipeline.Result
	}{
		{"sqs", func(t *testing.T, r rig) pipeline.Result {
			deliverSQS(t, r.handle, messageID, envelope)
			return r.rec.Last(t)
		}},
		{"eventbridge", func(t *testing.T, r rig) pipeline.Result {
			resp, err := r.handle(functest.LambdaCtx("req-eventbridge"), json.RawMessage(envelope))
			if err != nil {
				t.Fatalf("handler error = %v, want nil", err)
			}
			if resp != nil {
				t.Errorf("response = %v, want nil for an EventBridge event", resp)
			}
			return r.rec.Last(t)
		}},
		{"replay", func(t *testing.T, r rig) pipeline.Result {
			rs := r.p.Process(t.Context(), []pipeline.Record{{ID: "signup.jsonl:1", Body: line.Bytes()}})
			if len(rs) != 1 {
				t.Fatalf("%d results for one record", len(rs))
			}
			return rs[0]
		}},
	}

	type outcome struct {
		result pipeline.Result
		stored stored
	}
	got := make([]outcome, len(triggers))
	t.Run("deliver", func(t *testing.T) {
		for i, tr := range triggers {
			t.Run(tr.name, func(t *testing.T) {
				t.Parallel()
				sc, st := realScanner(t)
				rec := &functest.Recorder{P: sc.Pipeline}
				r := rig{p: sc.Pipeline, rec: rec, handle: newHandler(rec, slog.New(slog.DiscardHandler), io.Discard)}

				res := tr.deliver(t, r)
				if res.Err != nil || res.Duplicate || res.Skipped != "" || res.Shadow {
					t.Fatalf("result %+v, want the event scored", res)
				}
				if res.EventID != ev.ID || res.AccountID != ev.Signup.AccountID {
					t.Errorf("result for event %q account %q, want %q, %q", res.EventID, res.AccountID, ev.ID, ev.Signup.AccountID)
				}
				before := snapshot(t, st, ev.Signup)
				got[i] = outcome{result: res, stored: before}

				// Delivered again through SQS, as a redelivery (same
				// message id) or as the producer sending it twice (a new
				// one), it is a duplicate and changes nothing.
				for _, id := range []string{messageID, "5e1b7d93-0a2c-4f86-b4e8-9c3d6a1f7052"} {
					deliverSQS(t, r.handle, id, envelope)
					if again := rec.Last(t); again.Err != nil || !again.Duplicate || again.Skipped != "" {
						t.Errorf("delivered again as message %s: %+v, want a duplicate of the same event", id, again)
					}
					if after := snapshot(t, st, ev.Signup); !reflect.DeepEqual(after, before) {
						t.Errorf("delivered again as message %s, it changed the store:\nbefore %+v\nafter  %+v", id, before, after)
					}
				}
			})
		}
	})
	if t.Failed() {
		return
	}

	want := got[0]
	t.Logf("%s: verdict %s, score %d, reasons %+v", ev.ID, want.result.Verdict, want.result.Score, want.result.Reasons)
	for i, g := range got[1:] {
		name := triggers[i+1].name
		if g.result.Verdict != want.result.Verdict || g.result.Score != want.result.Score {
			t.Errorf("%s: verdict %s, score %d; via %s: %s, %d", name, g.result.Verdict, g.result.Score, triggers[0].name, want.result.Verdict, want.result.Score)
		}
		if !reflect.DeepEqual(g.result.Reasons, want.result.Reasons) || g.result.Queued != want.result.Queued {
			t.Errorf("%s: reasons %+v (queued %v); via %s: %+v (queued %v)", name, g.result.Reasons, g.result.Queued, triggers[0].name, want.result.Reasons, want.result.Queued)
		}
		if !reflect.DeepEqual(g.stored, want.stored) {
			t.Errorf("%s left the store as\n%+v\nvia %s:\n%+v", name, g.stored, triggers[0].name, want.stored)
		}
	}
}
