package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"gopkg.in/yaml.v3"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/functest"
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
	ctx, bin, endpoint := functest.Bootstrap(t, "signup")

	for _, name := range slices.Sorted(maps.Keys(samples)) {
		s := samples[name]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := functest.RunSample(t, ctx, bin, endpoint, "signup", eventsDir, name)
			raw, res, emu, id, tables := run.Raw, run.Res, run.Emu, run.ID, run.Tables

			records := 1
			switch s.trigger {
			case "sqs":
				var ev events.SQSEvent
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatal(err)
				}
				records = len(ev.Records)
				var resp events.SQSEventResponse
				if err := functest.DecodeStrict(res.Body, &resp); err != nil {
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

// TestEnvJSON: env.json, for `sam local invoke --env-vars env.json` on a
// machine with SAM and Docker, names only functions of template.yaml, and
// what it sets for one is a configuration the function starts with.
func TestEnvJSON(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var byFunction map[string]map[string]string
	if err := functest.DecodeStrict(raw, &byFunction); err != nil {
		t.Fatalf("env.json: %v (want {\"LogicalId\": {\"NAME\": \"value\"}})", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(dynamotest.Template(t), &doc); err != nil {
		t.Fatal(err)
	}
	functions := map[string]bool{}
	if len(doc.Content) == 1 {
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value != "Resources" {
				continue
			}
			res := root.Content[i+1]
			for j := 0; j+1 < len(res.Content); j += 2 {
				body := res.Content[j+1]
				for k := 0; k+1 < len(body.Content); k += 2 {
					if body.Content[k].Value == "Type" && body.Content[k+1].Value == "AWS::Serverless::Function" {
						functions[res.Content[j].Value] = true
					}
				}
			}
		}
	}
	if !functions["SignupFunction"] || byFunction["SignupFunction"] == nil {
		t.Fatalf("env.json has %v, template.yaml the functions %v: want SignupFunction in both", slices.Sorted(maps.Keys(byFunction)), functions)
	}
	// The functions that score events, whose settings config.Load reads.
	scoring := map[string]bool{"SignupFunction": true, "LoginFunction": true}
	for id, env := range byFunction {
		if !functions[id] {
			t.Errorf("env.json sets variables of %s, which is no function of template.yaml", id)
			continue
		}
		if ep := env["DYNAMODB_ENDPOINT"]; ep != "" {
			if err := loopbackURL(ep); err != nil {
				t.Errorf("env.json %s: %v", id, err)
			}
		}
		if !scoring[id] {
			continue // the review page and the enforcer read their own settings
		}
		cfg, err := config.Load(func(name string) string { return env[name] })
		if err == nil {
			err = cfg.ForFunction()
		}
		if err != nil {
			t.Errorf("env.json %s: %v", id, err)
		}
	}
}

// loopbackURL refuses a URL whose host is not this machine.
func loopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not on loopback", s)
	}
	return nil
}
