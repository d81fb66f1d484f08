package main

import (
	"fmt"
	"slices"
	"testing"
	"time"

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
		rec := &recorder{p: sc.Pipeline}
		if got := newHarness(rec).kinesisFailures(t, lambdaCtx("req-ordinary"), data); len(got) != 0 {
			t.Fatalf("failures %v", got)
		}
		for _, r := range rec.all() {
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
		rec := &recorder{p: sc.Pipeline}
		newHarness(rec).kinesisFailures(t, lambdaCtx("req-travel"), data)
		rs := rec.all()
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
		rec := &recorder{p: sc.Pipeline}
		newHarness(rec).kinesisFailures(t, lambdaCtx("req-farm"), data)
		farm := 0
		for _, r := range rec.all() {
			if slices.Contains(rules(r), "laptop_farm") || slices.Contains(rules(r), "device_farm") {
				farm++
			}
		}
		if farm != len(ev.Records) {
			t.Errorf("%d of %d farm logins flagged, want all (one batch is judged on the set it joined)", farm, len(ev.Records))
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
