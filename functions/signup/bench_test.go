package main

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/synth"
)

// BenchmarkHandlerBatch100 is the function's in-process cost per event, for
// the cost of the deployed function per million events: the 30-day
// backtest stream's signups (synth.Backtest, about 51,000), in time order,
// as SQS batches of 100 (SignupBatchSize's default), each invoked once per
// iteration through aws-lambda-go's own handler (lambda.NewHandler(...).
// Invoke: the payload decoded from bytes, the response encoded), over the
// real pipeline as coldstart builds it, on a fresh embedded store (no
// fsync, write-behind buffer) instead of DynamoDB. So it leaves out
// DynamoDB's round trips and the SDK's request encoding, and Lambda's own
// overhead per invocation; the embedded store's reads and writes are in.
//
// Only the Invoke calls are timed. It reports functest.Bench.Run's
// figures (ms/batch, µs/event, events/s, allocs/event, GB-s/Mevents) at
// the function's MemorySize in template.yaml, 512 MB: about 0.29 vCPU, so
// run it with -cpu 1 as well (Bench.Run says why).
//
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x ./functions/signup/
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x -cpu 1 ./functions/signup/
//
// It fails if the handler reports any record failed, or if the function's
// metrics count one that was not scored, so that it never measures an
// error path.
func BenchmarkHandlerBatch100(b *testing.B) {
	evs, _, _, err := synth.GenerateAll(synth.Backtest())
	if err != nil {
		b.Fatal(err)
	}
	bench := functest.Bench{Function: "SignupFunction", NewHandler: newHandler}
	bench.Run(b, sqsBatches(b, evs, 100))
}

// sqsBatches makes SQS payloads of size signups each (the stream's other
// events are left out), in the order of evs, as SQS delivers them from the
// queue EventBridge feeds.
func sqsBatches(b *testing.B, evs []event.Event, size int) []functest.Batch {
	b.Helper()
	bt := functest.NewBatcher(size, func(recs []events.SQSMessage) any { return events.SQSEvent{Records: recs} })
	i := 0
	for _, e := range evs {
		if e.Signup == nil {
			continue
		}
		body, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		sum := md5.Sum(body)
		sent := strconv.FormatInt(e.Time.UnixMilli(), 10)
		bt.Add(b, events.SQSMessage{
			MessageId:     fmt.Sprintf("%08x-5f2c-4d1e-9a70-%012x", i, i*7919),
			ReceiptHandle: fmt.Sprintf("AQEBwT3kGz9y0b2Jq8vN1dXc5RfLm7pYs4Ha%08x", i),
			Body:          string(body),
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount": "1", "SentTimestamp": sent,
				"SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": sent,
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSource:       "aws:sqs",
			EventSourceARN:    "arn:aws:sqs:us-east-1:123456789012:abusescan-SignupQueue-1XJ5Q2KZ7W3N",
			AWSRegion:         "us-east-1",
		}, e.Time, false)
		i++
	}
	return bt.Batches(b, "signups")
}
