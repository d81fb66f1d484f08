package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestMain stops the dynalite server the emulator test may start.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// TestEmulator serves the review page from the function's real bootstrap
// (built as infra/sam.mk builds it, but for this machine) under the AWS
// Lambda Runtime Interface Emulator, with dynalite for the queue table:
// the function URL event and response as the Runtime API carries them,
// the cold start and the table's byStatus index are the deployed ones. A
// GET / signed by an IAM identity lists the pending item, under the page's
// Content-Security-Policy; the same request without an identity (a
// function URL with AuthType NONE) is refused.
func TestEmulator(t *testing.T) {
	ctx, bin, endpoint := functest.Bootstrap(t, "review")

	tables := dynamotest.Tables(t)
	it, changed := queue.Raise(nil, queue.Proposal{
		AccountID: "acct-emulator-1", Action: queue.Suspend, Score: 91, EventID: "evt-1", RulesVersion: "r1",
		Reasons: []queue.Reason{{Rule: "signup_burst_subnet", Points: 91, Detail: "27 signups from 198.51.100.0/24 in 10 min"}},
		At:      time.Now().UTC().Truncate(time.Millisecond),
	})
	if !changed {
		t.Fatal("queue.Raise of a new account changed nothing")
	}
	store := dynamo.New(dynamotest.Client(t), tables)
	if errs := store.PutQueueItems(ctx, []queue.Write{{Item: it}}); errs[0] != nil {
		t.Fatal(errs[0])
	}

	// Only what is set here reaches the function (the emulator passes its
	// whole environment on); of it, the page reads QUEUE_TABLE and
	// DYNAMODB_ENDPOINT.
	env := append(lambdalocal.Local{
		Function: "review-emulator-test", Home: t.TempDir(), DynamoDB: endpoint,
		StateTable: tables.State, Queue: tables.Queue,
	}.Env(), "LOG_LEVEL=DEBUG")
	emu := functest.Emulate(t, ctx, bin, env)

	base := readEvent(t, "url-post.json")
	get := base
	get.RequestContext.HTTP.Method, get.RequestContext.HTTP.Path = http.MethodGet, "/"
	get.RawPath, get.RawQueryString, get.QueryStringParameters = "/", "", nil
	get.Cookies, get.Body, get.IsBase64Encoded = nil, "", false
	get.Headers = map[string]string{"host": base.RequestContext.DomainName, "user-agent": "Mozilla/5.0"}
	anon := get
	anon.RequestContext.Authorizer = nil

	tests := []struct {
		name   string
		ev     events.LambdaFunctionURLRequest
		status int
		has    []string // in the page
	}{
		{"iam", get, http.StatusOK, []string{"acct-emulator-1", reviewerARN}},
		{"anonymous", anon, http.StatusForbidden, nil},
	}
	for _, tc := range tests {
		// One emulator, one invocation at a time: not parallel.
		t.Run(tc.name, func(t *testing.T) {
			payload, err := json.Marshal(tc.ev)
			if err != nil {
				t.Fatal(err)
			}
			id := "emulator-review-" + tc.name
			res, err := emu.Invoke(ctx, id, payload)
			if err != nil {
				t.Fatalf("%v\n%s", err, emu.Output())
			}
			if res.Status != http.StatusOK {
				t.Fatalf("emulator status %d, body %s\n%s", res.Status, res.Body, emu.Output())
			}
			var resp events.LambdaFunctionURLResponse
			if err := functest.DecodeStrict(res.Body, &resp); err != nil {
				t.Fatalf("response %s is not a LambdaFunctionURLResponse: %v\n%s", res.Body, err, emu.Output())
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d\n%s\n%s", resp.StatusCode, tc.status, resp.Body, emu.Output())
			}
			if got, want := resp.Headers["Content-Security-Policy"], "default-src 'none'"; !strings.HasPrefix(got, want) {
				t.Errorf("Content-Security-Policy %q, want it to start with %q", got, want)
			}
			if resp.IsBase64Encoded {
				t.Fatalf("a page in base64: %.80s", resp.Body)
			}
			for _, s := range tc.has {
				if !strings.Contains(resp.Body, s) {
					t.Errorf("the page does not show %q:\n%s", s, resp.Body)
				}
			}
			if tc.status != http.StatusOK && strings.Contains(resp.Body, "acct-emulator-1") {
				t.Errorf("a refused request shows the queue:\n%s", resp.Body)
			}
			lines := functest.Lines(res.Logs, "request")
			if len(lines) != 1 || lines[0]["status"] != float64(tc.status) || lines[0]["path"] != "/" {
				t.Errorf("request log lines %v, want one of path / and status %d", lines, tc.status)
			}
		})
	}
}
