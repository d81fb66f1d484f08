package dynamo_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestHistoryLayout reads a queue item's history raw: its attribute names
// and types are the contract's (spec/queue.md), which the review tools and
// appeal handlers read without this package.
func TestHistoryLayout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	s := dynamo.New(c, tabs)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	created, _ := queue.Raise(nil, queue.Proposal{
		AccountID: "acc-h", Action: queue.Suspend, Score: 90, EventID: "e1", At: at.Add(1234567 * time.Microsecond),
		Reasons: []queue.Reason{{Rule: "burst", Points: 90, Detail: "27 signups"}},
	})
	released, err := queue.Decide(created, queue.Released, "alice", "verified by phone", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	put := func(w queue.Write) {
		t.Helper()
		if err := errors.Join(s.PutQueueItems(ctx, []queue.Write{w})...); err != nil {
			t.Fatal(err)
		}
	}
	put(queue.Write{Item: created})
	put(queue.Write{Item: released, PrevVersion: created.Version})

	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(tabs.Queue), Key: map[string]types.AttributeValue{"accountId": &types.AttributeValueMemberS{Value: "acc-h"}},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem: %v, %v", out, err)
	}
	// The creation has no from: an absent attribute, as reasons leave out
	// their empty strings.
	want := "L [" +
		"M map[at:S 2025-03-01T12:00:01.234Z by:S scanner note:S raised by event e1 to:S pending/suspend version:N 1], " +
		"M map[at:S 2025-03-01T13:00:00.000Z by:S alice from:S pending/suspend note:S verified by phone to:S released/suspend version:N 2]]"
	if got := show(out.Item["history"]); got != want {
		t.Errorf("history = %s\nwant      %s", got, want)
	}

	// Without a history, no attribute.
	bare := queue.Item{AccountID: "acc-bare", Action: queue.Review, Status: queue.Pending, CreatedAt: at, UpdatedAt: at, Version: 1}
	put(queue.Write{Item: bare})
	out, err = c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(tabs.Queue), Key: map[string]types.AttributeValue{"accountId": &types.AttributeValueMemberS{Value: "acc-bare"}},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("GetItem: %v, %v", out, err)
	}
	if h, ok := out.Item["history"]; ok {
		t.Errorf("an item without history has history = %s", show(h))
	}
}

// TestHistoryMalformed: a history another writer got wrong is an error
// naming the attribute, not a silently shorter trail.
func TestHistoryMalformed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	s := dynamo.New(c, tabs)
	tests := []struct {
		name    string
		history types.AttributeValue
	}{
		{"not a list", &types.AttributeValueMemberS{Value: "released"}},
		{"an entry not a map", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "x"}}}},
		{"a bad time", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"at": &types.AttributeValueMemberS{Value: "yesterday"}, "version": &types.AttributeValueMemberN{Value: "1"},
		}}}}},
		{"a version not a number", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"at": &types.AttributeValueMemberS{Value: "2025-03-01T12:00:00.000Z"}, "version": &types.AttributeValueMemberS{Value: "1"},
		}}}}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "acc-bad-" + string(rune('a'+i))
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tabs.Queue), Item: map[string]types.AttributeValue{
				"accountId": &types.AttributeValueMemberS{Value: id}, "action": &types.AttributeValueMemberS{Value: "review"},
				"status": &types.AttributeValueMemberS{Value: "pending"}, "version": &types.AttributeValueMemberN{Value: "1"},
				"history": tc.history,
			}})
			if err != nil {
				t.Fatal(err)
			}
			if it, err := s.QueueItem(ctx, id); err == nil {
				t.Errorf("QueueItem read %+v, want an error", it.History)
			}
		})
	}
}
