package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestReplayDynamoDB replays the demo into DynamoDB (dynalite on loopback)
// and into the embedded store: both must print the same queue, and the
// queue commands must work the same on both.
func TestReplayDynamoDB(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the demo through a DynamoDB API")
	}
	t.Parallel()
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	tables := dynamotest.Tables(t)
	dynamoFlags := []string{"--store", "dynamodb", "--endpoint", endpoint, "--state-table", tables.State, "--queue-table", tables.Queue}

	embedded := parseItems(t, mustRun(t, replayArgs(newDB(t), demoFile)...).stdout)
	args := append(append([]string{"replay"}, dynamoFlags...), append(geoFlags(), demoFile)...)
	o := mustRun(t, args...)
	got := parseItems(t, o.stdout)
	if s := parseSummary(t, o.stderr); s["failed"] != 0 || s["rejected"] != 0 {
		t.Errorf("summary %v, want nothing failed or rejected\n%s", s, o.stderr)
	}
	if len(got) == 0 {
		t.Fatal("the DynamoDB replay queued nothing")
	}
	if len(got) != len(embedded) {
		t.Errorf("DynamoDB queued %d accounts, the embedded store %d", len(got), len(embedded))
	}
	for i := range min(len(got), len(embedded)) {
		g, w := got[i], embedded[i]
		checkItem(t, g, queue.Pending)
		if g.AccountID != w.AccountID || g.Action != w.Action || g.Score != w.Score {
			t.Errorf("item %d: DynamoDB %s %s %d, embedded %s %s %d", i, g.AccountID, g.Action, g.Score, w.AccountID, w.Action, w.Score)
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("item %s differs:\nDynamoDB %+v\nembedded %+v", g.AccountID, g, w)
		}
	}

	// The queue commands read and change the same tables.
	id := got[0].AccountID
	release := append(append([]string{"queue", "release"}, dynamoFlags...), id, "--by", "alice", "--note", "verified")
	mustRun(t, release...)
	released := parseItems(t, mustRun(t, append(append([]string{"queue", "list"}, dynamoFlags...), "--status", "released")...).stdout)
	if len(released) != 1 || released[0].AccountID != id || released[0].Version != got[0].Version+1 || released[0].DecidedBy != "alice" {
		t.Errorf("released items %+v, want %s at version %d decided by alice", released, id, got[0].Version+1)
	}
	if o := cli(t, nil, "", release...); o.code != 1 {
		t.Errorf("releasing again: exit %d, want 1\n%s", o.code, o.stderr)
	}

	// A second replay into the same tables changes nothing.
	again := mustRun(t, args...)
	if s := parseSummary(t, again.stderr); s["duplicates"] != s["read"] {
		t.Errorf("second replay: %v, want every event a duplicate", s)
	}
	if n := len(parseItems(t, again.stdout)); n != len(got)-1 {
		t.Errorf("second replay lists %d pending items, want %d", n, len(got)-1)
	}
}

// TestReplayDynamoDBCreateTables: --create-tables makes the tables from
// template.yaml (found above the working folder) when they are absent, and
// leaves them be when they exist.
func TestReplayDynamoDBCreateTables(t *testing.T) {
	t.Parallel()
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	client := dynamotest.Client(t)
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	state, queueTable := "abusectl-state-"+suffix, "abusectl-queue-"+suffix
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, name := range []string{state, queueTable} {
			_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
			var nf *types.ResourceNotFoundException
			if err != nil && !errors.As(err, &nf) {
				t.Errorf("delete table %s: %v", name, err)
			}
		}
	})
	var lines []string
	for _, l := range demoHead(t, 5) {
		lines = append(lines, string(l))
	}
	file := writeFile(t, "head.jsonl", lines...)
	args := append([]string{"replay", "--store", "dynamodb", "--endpoint", endpoint,
		"--state-table", state, "--queue-table", queueTable, "--create-tables"}, append(geoFlags(), file)...)
	for i, want := range []string{"duplicates 0", "duplicates 5"} {
		o := mustRun(t, args...)
		if !strings.Contains(o.stderr, "events read 5, rejected 0, failed 0, "+want) {
			t.Errorf("run %d: summary does not say %q:\n%s", i+1, want, o.stderr)
		}
	}
}
