package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
)

// TestEmulator runs every sample of events/ through the function's real
// bootstrap (built as infra/sam.mk builds it, but for this machine) under
// the AWS Lambda Runtime Interface Emulator, with dynalite for DynamoDB:
// the process, the Runtime API and the response encoding are the deployed
// ones, not the handler called in this process. Each sample gets its own
// emulator and tables, and must come back as samples says: exactly its
// malformed messages as batch item failures, its duplicates not failed, an
// EventBridge event without an error, and one summary line.
func TestEmulator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the function and the emulator and runs them")
	}
	if runtime.GOOS != "linux" {
		t.Skip(lambdalocal.ErrUnsupported)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the function: %v", err)
	}
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	// The subtests run after this function returns: cancel when they end.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bin, err := lambdalocal.Build(ctx, goBin, root, "signup", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	geo := geoipEnv(t)

	for _, name := range slices.Sorted(maps.Keys(samples)) {
		s := samples[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			event, err := lambdalocal.Retime(raw, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			tables := dynamotest.Tables(t)
			home := t.TempDir()
			// Only what is set here reaches the function (the emulator passes
			// its whole environment on): no credentials, profile or endpoint
			// of the machine, and every AWS call other than DynamoDB's goes
			// to a closed loopback port instead of the internet.
			env := append([]string{
				"AWS_LAMBDA_FUNCTION_NAME=signup-emulator-test",
				"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
				"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
				"HOME=" + home,
				"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
				"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
				"AWS_REGION=us-east-1",
				"AWS_ACCESS_KEY_ID=test",
				"AWS_SECRET_ACCESS_KEY=test",
				"AWS_EC2_METADATA_DISABLED=true",
				"AWS_ENDPOINT_URL=http://127.0.0.1:9",
				"DYNAMODB_ENDPOINT=" + endpoint,
				"STATE_TABLE=" + tables.State,
				"QUEUE_TABLE=" + tables.Queue,
				"HASH_KEY=test-key-emulator-0001",
				"SHADOW_MODE=false",
				"LOG_LEVEL=DEBUG",
			}, geo...)
			emu, err := lambdalocal.Start(ctx, bin, env)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := emu.Close(); err != nil {
					t.Error(err)
				}
			})
			id := "emulator-" + strings.TrimSuffix(name, ".json")
			res, err := emu.Invoke(ctx, id, event)
			if err != nil {
				t.Fatalf("%v\n%s", err, emu.Output())
			}
			if res.Status != 200 {
				t.Fatalf("status %d, body %s\n%s", res.Status, res.Body, emu.Output())
			}

			records := 1
			switch s.trigger {
			case "sqs":
				var ev events.SQSEvent
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				records = len(ev.Records)
				var resp events.SQSEventResponse
				if err := decodeStrict(res.Body, &resp); err != nil {
					t.Fatalf("response %s is not an SQSEventResponse: %v\n%s", res.Body, err, emu.Output())
				}
				got := []string{}
				for _, f := range resp.BatchItemFailures {
					got = append(got, f.ItemIdentifier)
				}
				slices.Sort(got)
				want := slices.Sorted(maps.Keys(s.malformed))
				if want == nil {
					want = []string{}
				}
				if !slices.Equal(got, want) {
					t.Errorf("batch item failures %v, want exactly the malformed messages %v\n%s", got, want, emu.Output())
				}
			case "eventbridge":
				// An error comes back as a 200 with errorMessage and errorType;
				// success is the handler's nil response.
				if len(s.malformed) == 0 && !bytes.Equal(bytes.TrimSpace(res.Body), []byte("null")) {
					t.Errorf("response %s, want null: no error\n%s", res.Body, emu.Output())
				}
				if len(s.malformed) > 0 && !bytes.Contains(res.Body, []byte(`"errorType"`)) {
					t.Errorf("response %s, want the invocation's error for a malformed event\n%s", res.Body, emu.Output())
				}
			default:
				t.Fatalf("sample %s: unknown trigger %q", name, s.trigger)
			}

			var summaries []map[string]any
			for _, line := range res.Logs {
				var m map[string]any
				if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "invocation" {
					summaries = append(summaries, m)
				}
			}
			if len(summaries) != 1 {
				t.Fatalf("%d summary lines in the invocation's logs, want 1:\n%s", len(summaries), strings.Join(res.Logs, "\n"))
			}
			sum := summaries[0]
			for _, c := range []struct {
				field string
				want  any
			}{
				{"requestId", id},
				{"trigger", s.trigger},
				{"records", float64(records)},
				{"rejected", float64(len(s.malformed))},
				{"failed", float64(0)},
				{"duplicates", float64(s.duplicates)},
			} {
				if sum[c.field] != c.want {
					t.Errorf("summary %s = %v, want %v (summary %v)", c.field, sum[c.field], c.want, sum)
				}
			}

			if records > len(s.malformed) {
				out, err := dynamotest.Client(t).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tables.State), Limit: aws.Int32(1)})
				if err != nil {
					t.Fatal(err)
				}
				if out.Count == 0 {
					t.Errorf("state table %s is empty: the function scored nothing into DynamoDB", tables.State)
				}
			}
		})
	}
}
