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

// TestEmulator runs every login sample of events/ through the function's
// real bootstrap (built as infra/sam.mk builds it, but for this machine)
// under the AWS Lambda Runtime Interface Emulator, with dynalite for
// DynamoDB: the process, the Runtime API and the response encoding are the
// deployed ones. The samples' times are moved to now (lambdalocal.Retime),
// as the deployed function judges them against its clock. Each must come
// back as samples says: exactly its malformed records' sequence numbers as
// batch item failures, an EventBridge event without an error, and one
// summary line with nothing failed.
func TestEmulator(t *testing.T) {
	ctx, bin, endpoint := functest.Bootstrap(t, "login")

	for _, name := range slices.Sorted(maps.Keys(samples)) {
		s := samples[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := functest.RunSample(t, ctx, bin, endpoint, "login", eventsDir, name)
			payload, res, emu, id := run.Payload, run.Res, run.Emu, run.ID

			records := 1
			switch s.trigger {
			case "kinesis":
				var ev events.KinesisEvent
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatal(err)
				}
				records = len(ev.Records)
				var resp events.KinesisEventResponse
				if err := functest.DecodeStrict(res.Body, &resp); err != nil {
					t.Fatalf("response %s is not a KinesisEventResponse: %v\n%s", res.Body, err, emu.Output())
				}
				got := []string{}
				for _, f := range resp.BatchItemFailures {
					got = append(got, f.ItemIdentifier)
				}
				if want := wantFailures(ev, s); !slices.Equal(got, want) {
					t.Errorf("batch item failures %v, want exactly the malformed records %v\n%s", got, want, emu.Output())
				}
			case "eventbridge":
				// An error comes back as a 200 with errorMessage and
				// errorType; success is the handler's nil response.
				if !bytes.Equal(bytes.TrimSpace(res.Body), []byte("null")) {
					t.Errorf("response %s, want null: no error\n%s", res.Body, emu.Output())
				}
			default:
				t.Fatalf("sample %s: unknown trigger %q", name, s.trigger)
			}

			sum := functest.Summary(t, res)
			for _, c := range []struct {
				field string
				want  any
			}{
				{"requestId", id},
				{"trigger", s.trigger},
				{"records", float64(records)},
				{"rejected", float64(len(s.malformed))},
				{"failed", float64(0)},
			} {
				if sum[c.field] != c.want {
					t.Errorf("summary %s = %v, want %v (summary %v)", c.field, sum[c.field], c.want, sum)
				}
			}
		})
	}
}
