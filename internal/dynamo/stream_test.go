package dynamo_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/enforce/caps"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestStreamImageRoundTrip: an item the adapter wrote, read back raw from
// the table and put into a stream record's JSON as DynamoDB Streams
// delivers it, decodes to the item QueueItem reads.
func TestStreamImageRoundTrip(t *testing.T) {
	t.Parallel()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	s := dynamo.New(c, tabs)
	ctx := t.Context()
	at := time.Date(2026, 11, 22, 10, 0, 2, 0, time.UTC)
	it, _ := queue.Raise(nil, queue.Proposal{
		AccountID: "acct-1", Action: queue.Suspend, Score: 91, At: at, EventID: "ev-1", RulesVersion: "r1",
		Reasons: []queue.Reason{{Rule: "burst", Points: 60, Detail: "27 signups from 198.51.100.0/24 in 10 min"}, {Rule: "shared_device", Points: 31, Detail: "device shared by 12 accounts"}},
		Cluster: &queue.Cluster{Key: "dev:abc", Size: 12},
	})
	if errs := s.PutQueueItems(ctx, []queue.Write{{Item: it}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	want, err := s.QueueItem(ctx, "acct-1")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tabs.Queue), Key: map[string]types.AttributeValue{"accountId": &types.AttributeValueMemberS{Value: "acct-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	// Through the stream's JSON, as Lambda hands it over.
	js, err := json.Marshal(events.DynamoDBStreamRecord{NewImage: wire(t, raw.Item)})
	if err != nil {
		t.Fatal(err)
	}
	var rec events.DynamoDBStreamRecord
	if err := json.Unmarshal(js, &rec); err != nil {
		t.Fatal(err)
	}
	got, err := dynamo.QueueItemFromStream(rec.NewImage)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("from the stream:\n%+v\nfrom the table:\n%+v", got, want)
	}
	// StreamImage lays the item out as the adapter does.
	if again, err := dynamo.QueueItemFromStream(dynamo.StreamImage(want)); err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("StreamImage round trip = %+v, %v; want %+v", again, err, want)
	}
}

func TestStreamImageRefusesBadTypes(t *testing.T) {
	t.Parallel()
	img := dynamo.StreamImage(queue.Item{AccountID: "a", Action: queue.Suspend, Status: queue.Pending, Version: 1})
	img["version"] = events.NewStringAttribute("one")
	if _, err := dynamo.QueueItemFromStream(img); err == nil {
		t.Error("a version of type S decoded")
	}
}

// wire converts an SDK item to the stream's attribute values, the way
// DynamoDB Streams serialises the same item (a test-only mirror of the
// adapter's converter, written separately so the two check each other).
func wire(t *testing.T, item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	t.Helper()
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		out[k] = wireValue(t, v)
	}
	return out
}

func wireValue(t *testing.T, v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		var l []events.DynamoDBAttributeValue
		for _, e := range v.Value {
			l = append(l, wireValue(t, e))
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(wire(t, v.Value))
	}
	t.Fatalf("unexpected %T in a queue item", v)
	return events.DynamoDBAttributeValue{}
}

// TestTakeCapConcurrent: many invocations taking at once from the caps in
// the state table are granted exactly the cap, and a grant asked again
// (a retried call) is not counted twice.
func TestTakeCapConcurrent(t *testing.T) {
	t.Parallel()
	s := dynamo.New(dynamotest.Client(t), dynamotest.Tables(t))
	ctx := context.Background()
	l := caps.Limits{PerWindow: 7, Window: 10 * time.Minute, PerDay: 100}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	var granted, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			o, err := s.TakeCap(ctx, "id-"+string(rune('A'+i)), now, l)
			switch {
			case err != nil:
				t.Error(err)
			case o.Granted:
				granted.Add(1)
			default:
				refused.Add(1)
				if o.Refused != "blast-radius cap: 7 in 10 min reached" {
					t.Errorf("Refused = %q", o.Refused)
				}
			}
		})
	}
	wg.Wait()
	if granted.Load() != 7 || refused.Load() != 33 {
		t.Errorf("granted %d, refused %d; want 7 and 33", granted.Load(), refused.Load())
	}
	// A granted id asked again is granted again, without counting.
	o, err := s.TakeCap(ctx, "id-A", now, l)
	if o.Granted && !o.Again {
		t.Errorf("id-A again: %+v, %v", o, err)
	}
	// The window slides: 10 minutes after, 7 more, and the day cap holds.
	later := now.Add(10*time.Minute + time.Millisecond)
	n := 0
	for i := range 10 {
		o, err := s.TakeCap(ctx, "later-"+string(rune('A'+i)), later, l)
		if err != nil {
			t.Fatal(err)
		}
		if o.Granted {
			n++
		}
	}
	if n != 7 {
		t.Errorf("granted %d after the window slid, want 7", n)
	}
	day := caps.Limits{PerWindow: 100, Window: time.Minute, PerDay: 15}
	n = 0
	for i := range 5 {
		o, err := s.TakeCap(ctx, "day-"+string(rune('A'+i)), later.Add(time.Hour), day)
		if err != nil {
			t.Fatal(err)
		}
		if o.Granted {
			n++
		}
	}
	if n != 1 {
		t.Errorf("granted %d more on a day with 14 of 15 taken, want 1", n)
	}
}
