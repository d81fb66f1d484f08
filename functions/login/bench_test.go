package main

import (
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/synth"
)

// BenchmarkHandlerBatch100 is the function's in-process cost per event, for
// the cost of the deployed function per million events: the 30-day
// backtest stream's sign-ins (synth.Backtest with Logins, about 251,000),
// in time order, as Kinesis batches of 100 (the stream mapping's
// BatchSize), each invoked once per iteration through aws-lambda-go's own
// handler (lambda.NewHandler(...).Invoke: the payload decoded from bytes,
// the base64 data too, the response encoded), over the real pipeline as
// coldstart builds it, on a fresh embedded store (no fsync, write-behind
// buffer) instead of DynamoDB. The store first holds the stream's signups
// (about 51,000), scored through the same pipeline untimed, as
// internal/pipeline's BenchmarkLoginReplay does: each account's logins come
// after its signup. So it leaves out DynamoDB's round trips and the SDK's
// request encoding, and Lambda's own overhead per invocation; the embedded
// store's reads and writes are in.
//
// Only the Invoke calls are timed. It reports functest.Bench.Run's
// figures (ms/batch, µs/event, events/s, allocs/event, GB-s/Mevents) at
// the function's MemorySize in template.yaml, 512 MB: about 0.29 vCPU, so
// run it with -cpu 1 as well (Bench.Run says why).
//
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x ./functions/login/
//	go test -run '^$' -bench HandlerBatch100 -benchtime 1x -cpu 1 ./functions/login/
//
// It fails if the handler reports any record failed, or if the function's
// metrics count one that was not scored, so that it never measures an
// error path.
func BenchmarkHandlerBatch100(b *testing.B) {
	cfg := synth.Backtest()
	cfg.Logins = true
	evs, _, _, err := synth.GenerateAll(cfg)
	if err != nil {
		b.Fatal(err)
	}
	bench := functest.Bench{Function: "LoginFunction", NewHandler: newHandler, Signups: functest.SignupBatches(b, evs)}
	bench.Run(b, kinesisBatches(b, evs, 100))
}

// kinesisBatches makes Kinesis payloads of size logins each (the stream's
// other events are left out), in the order of evs, as the stream mapping
// delivers them from one shard: each record's data is the EventBridge
// envelope LoginRule put on the stream, its partition key the account.
// Failed sign-ins are kept: they reach the function, which skips them.
func kinesisBatches(b *testing.B, evs []event.Event, size int) []functest.Batch {
	b.Helper()
	const streamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/abusescan-LoginStream-7QK2M9XW4B1R"
	bt := functest.NewBatcher(size, func(recs []events.KinesisEventRecord) any { return events.KinesisEvent{Records: recs} })
	i := 0
	for _, e := range evs {
		if e.Login == nil {
			continue
		}
		// A failed sign-in is not scored, by design.
		skip := e.Login.Result != "" && e.Login.Result != "success"
		data, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		seq := fmt.Sprintf("4965652410721834192776539150861320841147%016d", 1000+i*37)
		bt.Add(b, events.KinesisEventRecord{
			AwsRegion:         "us-east-1",
			EventID:           "shardId-000000000000:" + seq,
			EventName:         "aws:kinesis:record",
			EventSource:       "aws:kinesis",
			EventSourceArn:    streamARN,
			EventVersion:      "1.0",
			InvokeIdentityArn: "arn:aws:iam::123456789012:role/abusescan-LoginFunctionRole-5HX0PZ3K8C2D",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: e.Time},
				Data:                        data, PartitionKey: e.Login.AccountID, SequenceNumber: seq,
				KinesisSchemaVersion: "1.0", EncryptionType: "KMS",
			},
		}, e.Time, skip)
		i++
	}
	return bt.Batches(b, "logins")
}
