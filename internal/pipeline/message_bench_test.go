package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/mail/corpus"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/synth"
)

// BenchmarkMessagePath is the whole message path on the embedded store (as
// a replay opens it):
// every message of the SpamAssassin corpus, as a Mailbox Message Sent
// event of one of 300 new mailboxes, read from an object store in memory,
// pre-scanned, parsed, hashed, linked, judged and written, in batches of
// 10 (the function's SQS batch). Compare msgs/s and MB/s with
// internal/mail's BenchmarkEnmime on the same messages (BENCHMARKS.md).
func BenchmarkMessagePath(b *testing.B) {
	msgs, err := corpus.SpamAssassin(filepath.Join("../..", corpus.SpamAssassinDir))
	if err != nil {
		b.Skipf("SpamAssassin corpus: %v (make test installs it)", err)
	}
	st, err := embedded.Open(filepath.Join(b.TempDir(), "state.db"), embedded.Options{NoSync: true, Buffer: 100_000})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	objs := &memObjects{}
	p := newMessagePipeline(b, st, objs)
	const accounts = 300
	start := now.Add(-20 * 24 * time.Hour)
	var signups []pipeline.Record
	for i := range accounts {
		acct := fmt.Sprintf("acc-bench-%03d", i)
		signups = append(signups, signupRec("su-"+acct, acct, fmt.Sprintf(signupIP, i/200, 10+i%200), "US", start))
	}
	for _, r := range p.Process(context.Background(), signups) {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	var size int64
	for i, m := range msgs {
		objs.put(fmt.Sprintf("outbound/corpus/%05d.eml", i), m.Raw)
		size += int64(len(m.Raw))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	round := 0
	for b.Loop() {
		recs := make([]pipeline.Record, 0, 10)
		flush := func() {
			for _, r := range p.Process(context.Background(), recs) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
			recs = recs[:0]
		}
		for i := range msgs {
			acct := fmt.Sprintf("acc-bench-%03d", i%accounts)
			at := start.Add(time.Duration(round*len(msgs)+i) * time.Second).UTC().Format(time.RFC3339)
			id := fmt.Sprintf("bench-%d-%d", round, i)
			recs = append(recs, pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Message Sent","source":"s","time":"` + at +
				`","detail":{"accountId":"` + acct + `","sentAt":"` + at + `","object":{"bucket":"` + outboundBucket +
				`","key":"outbound/corpus/` + fmt.Sprintf("%05d", i) + `.eml"}}}`)})
			if len(recs) == cap(recs) {
				flush()
			}
		}
		flush()
		round++
	}
	b.ReportMetric(float64(len(msgs)*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkMessageCost reports what a message costs in DynamoDB (dynalite,
// as ConsumedCapacity counts it), in batches of 10, the SQS batch size: a
// generated 21-day scenario with messages (genuine new mailboxes, an
// IT-worker farm, established senders of popular content), whose first two
// weeks are scored first and whose third week is measured. Write units
// are also attributed to what they hold (msh: histories; mca, mci, mct:
// attachment, image and text content records; the queue).
func BenchmarkMessageCost(b *testing.B) {
	start := now.Add(-22 * 24 * time.Hour).Truncate(24 * time.Hour)
	cfg := synth.Config{Seed: 12, Start: start, Days: 21, GenuinePerDay: 150, Messages: true,
		Campaigns: []synth.Campaign{
			{ID: "itw", Type: synth.ITWorkerFarm, Start: start.Add(2 * 24 * time.Hour), Accounts: 40, Spread: 8 * 24 * time.Hour},
		}}
	evs, _, objs, err := synth.GenerateAll(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var signups, warm, measured []pipeline.Record
	from := start.Add(14 * 24 * time.Hour)
	for i, e := range evs {
		body, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		r := pipeline.Record{ID: fmt.Sprintf("r%d", i), Body: body}
		switch {
		case e.Message == nil:
			signups = append(signups, r)
		case e.Message.SentAt.Before(from):
			warm = append(warm, r)
		default:
			measured = append(measured, r)
		}
	}
	measureCost(b, "message", 10, func(st pipeline.Store) *pipeline.Pipeline {
		return newMessagePipeline(b, st, objs)
	}, signups, warm, measured)
}
