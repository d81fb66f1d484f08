package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestSampleVerdicts: what the scanner concludes of each sample, through
// the handler and the real pipeline. Ordinary logins queue nothing; the
// jump to Beijing is queued for review, the speed in words; the laptop
// farm's mailboxes, once the scanner has seen them sign up, are queued as
// one farm.
func TestSampleVerdicts(t *testing.T) {
	t.Parallel()
	rules := func(r pipeline.Result) []string {
		var out []string
		for _, x := range r.Reasons {
			out = append(out, x.Rule)
		}
		return out
	}
	t.Run("ordinary", func(t *testing.T) {
		t.Parallel()
		data, _, _ := loadSample(t, "login-kinesis.json")
		sc, st := realScanner(t)
		rec := &functest.Recorder{P: sc.Pipeline}
		if got := newHarness(rec).kinesisFailures(t, functest.LambdaCtx("req-ordinary"), data); len(got) != 0 {
			t.Fatalf("failures %v", got)
		}
		for _, r := range rec.All() {
			if r.Skipped != "" {
				continue // a sign-in that did not succeed
			}
			if r.Verdict != pipeline.Allow {
				t.Errorf("%s: %s %v, want allow", r.RecordID, r.Verdict, rules(r))
			}
		}
		if items, _ := st.ListQueue(t.Context(), queue.Pending, "", 0); len(items) != 0 {
			t.Errorf("%d items queued for ordinary logins", len(items))
		}
	})
	t.Run("impossible travel", func(t *testing.T) {
		t.Parallel()
		data, _, _ := loadSample(t, "login-kinesis-impossible-travel.json")
		sc, st := realScanner(t)
		rec := &functest.Recorder{P: sc.Pipeline}
		newHarness(rec).kinesisFailures(t, functest.LambdaCtx("req-travel"), data)
		rs := rec.All()
		last := rs[len(rs)-1]
		if last.Verdict != pipeline.Review || !slices.Contains(rules(last), "impossible_travel") {
			t.Errorf("the Beijing login: %s %v, want review for impossible_travel", last.Verdict, rules(last))
		}
		it, err := st.QueueItem(t.Context(), last.AccountID)
		if err != nil {
			t.Fatal(err)
		}
		if it.Action != queue.Review || it.Reasons[0].Rule != "impossible_travel" {
			t.Errorf("queued %s %+v", it.Action, it.Reasons)
		}
	})
	t.Run("laptop farm", func(t *testing.T) {
		t.Parallel()
		data, ev, logins := loadSample(t, "login-kinesis-laptop-farm.json")
		sc, st := realScanner(t)
		// The scanner saw the mailboxes sign up, days before, from homes
		// around Seattle.
		var signups []pipeline.Record
		for i, r := range ev.Records {
			lg := logins[r.Kinesis.SequenceNumber].Login
			at := lg.At.Add(-3*24*time.Hour + time.Duration(i)*time.Hour).UTC().Format(time.RFC3339)
			signups = append(signups, pipeline.Record{ID: fmt.Sprint("su", i), Body: fmt.Appendf(nil,
				`{"id":"su-%d","detail-type":"Mailbox Signup","source":"s","time":%q,"detail":{"accountId":%q,"address":"m%d@mail.example","createdAt":%q,"ip":"73.97.%d.9","country":"US"}}`,
				i, at, lg.AccountID, i, at, 10+i)})
		}
		for _, r := range sc.Pipeline.Process(t.Context(), signups) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		// The first day: new mailboxes that began signing in from one
		// address are no farm yet (a hotel sees that too). The next day
		// they are back: they live there.
		h := newHarness(sc.Pipeline)
		if got := h.kinesisFailures(t, functest.LambdaCtx("req-farm"), data); len(got) != 0 {
			t.Fatalf("failures %v", got)
		}
		if items, _ := st.ListQueue(t.Context(), queue.Pending, "", 0); len(items) != 0 {
			t.Errorf("%d items queued on the first day", len(items))
		}
		rec := &functest.Recorder{P: sc.Pipeline}
		newHarness(rec).kinesisFailures(t, functest.LambdaCtx("req-farm-2"), nextDay(t, ev))
		farm := 0
		for _, r := range rec.All() {
			if slices.Contains(rules(r), "laptop_farm") || slices.Contains(rules(r), "device_farm") {
				farm++
			}
		}
		if farm != len(ev.Records) {
			t.Errorf("%d of %d farm logins flagged the next day, want all (one batch is judged on the set it joined)", farm, len(ev.Records))
		}
		items, err := st.ListQueue(t.Context(), queue.Pending, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != len(ev.Records) || items[0].Cluster == nil || items[0].Cluster.Size < 6 {
			t.Errorf("%d items queued (first cluster %+v), want every farm mailbox, linked", len(items), items[0].Cluster)
		}
	})
}

// nextDay is the Kinesis event of ev's logins a day later, as new events.
func nextDay(t *testing.T, ev events.KinesisEvent) []byte {
	t.Helper()
	out := ev
	out.Records = slices.Clone(ev.Records)
	for i, r := range out.Records {
		var env map[string]any
		if err := json.Unmarshal(r.Kinesis.Data, &env); err != nil {
			t.Fatal(err)
		}
		shift := func(v any) string {
			at, err := time.Parse(time.RFC3339, v.(string))
			if err != nil {
				t.Fatal(err)
			}
			return at.Add(24 * time.Hour).Format(time.RFC3339)
		}
		env["id"] = fmt.Sprint(env["id"], "-next")
		env["time"] = shift(env["time"])
		detail := env["detail"].(map[string]any)
		detail["at"] = shift(detail["at"])
		data, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		out.Records[i].Kinesis.Data = data
		out.Records[i].Kinesis.SequenceNumber = r.Kinesis.SequenceNumber + "1"
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
