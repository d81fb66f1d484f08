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

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
)

// TestMain stops the dynalite server the emulator test may start.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// geoipEnv points the GEOIP_*_DB variables at the generated test
// databases.
func geoipEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, db := range []struct{ name, file string }{
		{"GEOIP_CITY_DB", "GeoIP2-City-Test.mmdb"},
		{"GEOIP_ASN_DB", "GeoLite2-ASN-Test.mmdb"},
		{"GEOIP_ANON_DB", "GeoIP2-Anonymous-IP-Test.mmdb"},
	} {
		abs, err := filepath.Abs(filepath.Join("..", "..", "testdata", "geoip", db.file))
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, db.name+"="+abs)
	}
	return env
}

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
	bin, err := lambdalocal.Build(ctx, goBin, root, "login", t.TempDir())
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
			payload, err := lambdalocal.Retime(raw, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			tables := dynamotest.Tables(t)
			// Only what is set here reaches the function (the emulator passes
			// its whole environment on).
			env := append(lambdalocal.Local{
				Function: "login-emulator-test", Home: t.TempDir(), DynamoDB: endpoint,
				StateTable: tables.State, Queue: tables.Queue, HashKey: "test-key-emulator-0001",
			}.Env(), append([]string{"SHADOW_MODE=false", "LOG_LEVEL=DEBUG"}, geo...)...)
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
			res, err := emu.Invoke(ctx, id, payload)
			if err != nil {
				t.Fatalf("%v\n%s", err, emu.Output())
			}
			if res.Status != 200 {
				t.Fatalf("status %d, body %s\n%s", res.Status, res.Body, emu.Output())
			}

			records := 1
			switch s.trigger {
			case "kinesis":
				var ev events.KinesisEvent
				if err := json.Unmarshal(payload, &ev); err != nil {
					t.Fatal(err)
				}
				records = len(ev.Records)
				var resp events.KinesisEventResponse
				if err := decodeStrict(res.Body, &resp); err != nil {
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
			} {
				if sum[c.field] != c.want {
					t.Errorf("summary %s = %v, want %v (summary %v)", c.field, sum[c.field], c.want, sum)
				}
			}
		})
	}
}
