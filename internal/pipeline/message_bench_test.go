package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/mail/corpus"
	"github.com/mailtrust/abusescan/internal/pipeline"
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
