package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/synth"
)

// BenchmarkHandlerBatch100 is the function's in-process cost per event, for
// the cost of the deployed function per million events: the outbound
// messages of the backtest stream's first 10 days (firstDays, about
// 29,000: the 30 days' take half a minute and a gigabyte to render), in
// time order, as SQS batches of S3 event notifications, each invoked once
// per iteration through aws-lambda-go's own handler
// (lambda.NewHandler(...).Invoke: the payload decoded from bytes, the
// response encoded), over the real pipeline as coldstart builds it, on a
// fresh embedded store (no fsync, write-behind buffer) instead of
// DynamoDB, with the raw messages read from memory instead of S3 (rendered
// before the timer, copied on every read). The store first holds the
// stream's signups, scored through the same pipeline untimed (each
// account's messages come after its signup). Logins are left out: of what
// they write, the message path reads only the queue items of the accounts
// they flag. So it leaves out DynamoDB's and S3's round trips, the SDK's
// request encoding, and Lambda's own overhead per invocation; the embedded
// store's reads and writes are in.
//
// batch=10 is the function's trigger (MessageQueueMapping's BatchSize);
// batch=100 is for comparison only, as the name's 100 is for the other
// functions.
//
// Only the Invoke calls are timed. It reports functest.Bench.Run's
// figures (ms/batch, µs/event, events/s, allocs/event, GB-s/Mevents) at
// the function's MemorySize in template.yaml, 1,024 MB: about 0.58 vCPU, so
// run it with -cpu 1 as well (Bench.Run says why).
//
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x ./functions/message/
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x -cpu 1 ./functions/message/
//
// It fails if the handler reports any record failed, if the function's
// metrics count one that was not scored, or if an object was not read once
// per message, so that it never measures an error path.
func BenchmarkHandlerBatch100(b *testing.B) {
	cfg := firstDays(10)
	cfg.Messages = true
	evs, _, objs, err := synth.GenerateAll(cfg)
	if err != nil {
		b.Fatal(err)
	}
	store := renderObjects(b, evs, objs)
	bench := functest.Bench{
		Function: "MessageFunction", NewHandler: newHandler,
		Signups: functest.SignupBatches(b, evs), Objects: store,
		Check: func(b *testing.B) {
			if got, want := int(store.reads.Swap(0)), len(store.raw); got != want {
				b.Fatalf("%d objects read, want %d (one per message)", got, want)
			}
		},
	}
	for _, size := range []int{10, 100} {
		batches := sqsBatches(b, evs, size)
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { bench.Run(b, batches) })
	}
}

// firstDays returns the first days of synth.Backtest: a campaign that
// runs past them is cut at their end, its accounts in proportion, so that
// each campaign keeps its pace.
func firstDays(days int) synth.Config {
	cfg := synth.Backtest()
	end := cfg.Start.AddDate(0, 0, days)
	var cs []synth.Campaign
	for _, c := range cfg.Campaigns {
		if !c.Start.Before(end) {
			continue
		}
		if c.Start.Add(c.Spread).After(end) {
			cut := end.Sub(c.Start)
			c.Accounts = max(1, int(float64(c.Accounts)*cut.Hours()/c.Spread.Hours()))
			c.Spread = cut
		}
		cs = append(cs, c)
	}
	cfg.Days, cfg.Campaigns = days, cs
	return cfg
}

// benchObjects is the raw messages' store, in memory: S3 without its round
// trips. Every read returns a copy, as a read from S3 does.
type benchObjects struct {
	raw map[string][]byte // by bucket + "/" + key
	// reads counts the reads since the last replay's check took it: of
	// what runs untimed, the signups scored first read none.
	reads atomic.Int64
}

var _ pipeline.Objects = (*benchObjects)(nil)

func (o *benchObjects) Read(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	raw, ok := o.raw[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, objects.ErrNotFound)
	}
	o.reads.Add(1)
	return bytes.Clone(raw), nil
}

// renderObjects renders the raw message of every message event of evs.
func renderObjects(b *testing.B, evs []event.Event, objs *synth.Objects) *benchObjects {
	b.Helper()
	o := &benchObjects{raw: map[string][]byte{}}
	for _, e := range evs {
		if e.Message == nil {
			continue
		}
		obj := e.Message.Object
		raw, err := objs.Read(context.Background(), obj.Bucket, obj.Key)
		if err != nil {
			b.Fatal(err)
		}
		o.raw[obj.Bucket+"/"+obj.Key] = raw
	}
	return o
}

// sqsBatches makes SQS payloads of size messages each, in the order of evs:
// for each message event, the S3 event notification of its object's
// creation, as S3 sends it to the queue (the key URL-encoded, a sequencer
// of its own, eventTime the time it was sent).
func sqsBatches(b *testing.B, evs []event.Event, size int) []functest.Batch {
	b.Helper()
	bt := functest.NewBatcher(size, func(recs []events.SQSMessage) any { return events.SQSEvent{Records: recs} })
	i := 0
	for _, e := range evs {
		if e.Message == nil {
			continue
		}
		msg := e.Message
		segs := strings.Split(msg.Object.Key, "/")
		for j, s := range segs {
			segs[j] = url.QueryEscape(s)
		}
		sent := msg.SentAt.UTC()
		body := s3Body(b, strings.Join(segs, "/"), func(r map[string]any) {
			r["eventTime"] = sent.Format("2006-01-02T15:04:05.000Z")
			s3 := r["s3"].(map[string]any)
			s3["bucket"] = map[string]any{"name": msg.Object.Bucket, "arn": "arn:aws:s3:::" + msg.Object.Bucket}
			obj := object(r)
			obj["sequencer"] = fmt.Sprintf("00674C1A8F%08X", i)
			obj["eTag"] = fmt.Sprintf("%032x", i*2654435761)
		})
		bt.Add(b, events.SQSMessage{
			MessageId:     fmt.Sprintf("%08x-3b9e-4c7a-8f21-%012x", i, i*7919),
			ReceiptHandle: fmt.Sprintf("AQEBq9Lm2Xv7Rt4Kc1Wz8Hn5Jd3Pf6Gs0Ya%08x", i),
			Body:          body,
			Attributes: map[string]string{
				"ApproximateReceiveCount": "1", "SentTimestamp": fmt.Sprint(sent.UnixMilli()),
				"SenderId": "AIDAJHIPRHEMV73VRJEBU", "ApproximateFirstReceiveTimestamp": fmt.Sprint(sent.UnixMilli()),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:abusescan-MessageQueue-6TQ1W8ZP3K5D",
			AWSRegion:         "us-east-1",
		}, sent, false)
		i++
	}
	return bt.Batches(b, "messages")
}
