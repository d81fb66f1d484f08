package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/functest"
)

// TestMain stops the dynalite server the emulator test may start.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// TestEmulator runs every message sample of events/ through the function's
// real bootstrap under the AWS Lambda Runtime Interface Emulator, with
// dynalite for DynamoDB and testdata/objects in place of S3 (OBJECTS_DIR):
// the process, the Runtime API, the object reads and the parsing are the
// deployed ones. Each sample must come back with exactly its malformed
// messages as batch item failures (an EventBridge event without an error)
// and one summary line with nothing failed, every valid record scored.
func TestEmulator(t *testing.T) {
	ctx, bin, endpoint := functest.Bootstrap(t, "message")

	for _, name := range slices.Sorted(maps.Keys(samples)) {
		s := samples[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := functest.RunSample(t, ctx, bin, endpoint, "message", eventsDir, name)
			payload, res, emu := run.Payload, run.Res, run.Emu
			switch s.trigger {
			case "sqs":
				var ev events.SQSEvent
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatal(err)
				}
				var resp events.SQSEventResponse
				if err := functest.DecodeStrict(res.Body, &resp); err != nil {
					t.Fatalf("response %s is not an SQSEventResponse: %v\n%s", res.Body, err, emu.Output())
				}
				got := []string{}
				for _, f := range resp.BatchItemFailures {
					got = append(got, f.ItemIdentifier)
				}
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("batch item failures %v, want exactly the malformed messages %v\n%s", got, want, emu.Output())
				}
			case "eventbridge":
				if !bytes.Equal(bytes.TrimSpace(res.Body), []byte("null")) {
					t.Errorf("response %s, want null: no error\n%s", res.Body, emu.Output())
				}
			}
			sum := functest.Summary(t, res)
			if sum["failed"] != float64(0) || sum["rejected"] != float64(len(s.malformed)) {
				t.Errorf("summary %v: want nothing failed and %d rejected", sum, len(s.malformed))
			}
			// The samples' account is no new mailbox the store knows:
			// scored, it is allowed; skipped, it would have no verdict.
			if v, _ := sum["verdicts"].(map[string]any); v["allow"] != float64(1) {
				t.Errorf("summary %v: want one message scored (allow), were the objects read?\n%s", sum, emu.Output())
			}
		})
	}
}
