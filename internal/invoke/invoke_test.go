package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// results is a Processor that answers each record by its id, and nothing
// for ids it does not know.
type results map[string]pipeline.Result

func (rs results) Process(_ context.Context, recs []pipeline.Record) []pipeline.Result {
	var out []pipeline.Result
	for _, r := range recs {
		if res, ok := rs[r.ID]; ok {
			res.RecordID = r.ID
			out = append(out, res)
		}
	}
	return out
}

// TestSQS: only records a result says were handled leave the queue; a
// malformed one and a transient one are failures, and so is one the
// pipeline said nothing of; each is logged once, redacted.
func TestSQS(t *testing.T) {
	t.Parallel()
	p := results{
		"ok":   {Verdict: pipeline.Allow},
		"dup":  {Duplicate: true},
		"bad":  {Err: &event.FieldError{Field: "detail.ip", Reason: `"198.51.100.7" is not allowed`}},
		"slow": {Err: errors.New("update key ip#198.51.100.7: throttled")},
	}
	var ev events.SQSEvent
	for _, id := range []string{"ok", "dup", "bad", "slow", "lost"} {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: `{"id":"e-` + id + `"}`})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	inv := Start(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)))
	resp := inv.SQS(context.Background(), p, raw)
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if want := []string{"bad", "slow", "lost"}; !slices.Equal(failed, want) {
		t.Errorf("batch item failures %v, want %v", failed, want)
	}
	s := inv.Summary
	if s.Events != 5 || s.Rejected != 1 || s.Failed != 2 || s.Duplicates != 1 {
		t.Errorf("summary %+v, want 5 events: 1 rejected, 2 failed, 1 duplicate", s)
	}
	if n := strings.Count(logs.String(), `"msg":"record failed"`); n != 3 {
		t.Errorf("%d failure lines, want 3:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "198.51.100.7") {
		t.Errorf("the log shows an address:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"eventId":"e-lost"`) {
		t.Errorf("the lost record is not named by its event id:\n%s", logs.String())
	}
}
