package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/storetest"
	"github.com/mailtrust/abusescan/internal/window"
)

var _ pipeline.Store = (*dynamo.Store)(nil)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return dynamo.New(dynamotest.Client(t), dynamotest.Tables(t))
	})
}

// TestLayout reads the stored items raw: the attribute names and types are
// a contract with other readers (spec/queue.md).
func TestLayout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	s := dynamo.New(c, tabs)
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	it := queue.Item{
		AccountID: "acc-1", Action: queue.Suspend, Status: queue.Pending, Score: 90,
		Reasons:  []queue.Reason{{Rule: "burst", Points: 50, Detail: "27 signups"}},
		Cluster:  &queue.Cluster{Key: "net#198.51.100.0/24", Size: 27},
		EventIDs: []string{"e1", "e2"}, CreatedAt: at, UpdatedAt: at.Add(time.Second), Version: 1,
	}
	if err := errors.Join(s.PutQueueItems(ctx, []queue.Write{{Item: it}})...); err != nil {
		t.Fatal(err)
	}
	d := window.Delta{Key: "ip#192.0.2.1", Incr: window.Attrs{"f5870000": 1}, SetOnce: window.Attrs{"m_acc-1": 1740830400}, Expires: 1_800_000_000}
	if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
		t.Fatal(err)
	}
	acct := account.Account{ID: "acc-1", CreatedAt: at, ASN: 64500, Expires: 1_800_000_000}
	if err := errors.Join(s.CreateAccounts(ctx, []account.Account{acct})...); err != nil {
		t.Fatal(err)
	}

	get := func(table, name, key string) map[string]types.AttributeValue {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table), Key: map[string]types.AttributeValue{name: &types.AttributeValueMemberS{Value: key}},
		})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem %s %s: %v, %v", table, key, out, err)
		}
		return out.Item
	}
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want map[string]string // attribute -> type and value
	}{
		{"queue item", get(tabs.Queue, "accountId", "acc-1"), map[string]string{
			"accountId": "S acc-1", "action": "S suspend", "status": "S pending", "score": "N 90",
			"reasons": "L [M map[detail:S 27 signups points:N 50 rule:S burst]]",
			"cluster": "M map[key:S net#198.51.100.0/24 size:N 27]", "eventIds": "SS [e1 e2]",
			"createdAt": "S 2025-03-01T12:00:00.000Z", "updatedAt": "S 2025-03-01T12:00:01.000Z",
			"version": "N 1", "queueKey": "S " + it.IndexKey(),
		}},
		{"window key", get(tabs.State, "pk", "ip#192.0.2.1"), map[string]string{
			"pk": "S ip#192.0.2.1", "f5870000": "N 1", "m_acc-1": "N 1740830400", "expiresAt": "N 1800000000",
		}},
		{"account", get(tabs.State, "pk", "acct#acc-1"), map[string]string{
			"pk": "S acct#acc-1", "id": "S acc-1", "createdAt": "S 2025-03-01T12:00:00Z", "asn": "N 64500",
			"score": "N 0", "expiresAt": "N 1800000000",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for name, v := range tc.item {
				got[name] = show(v)
			}
			for name, want := range tc.want {
				if got[name] != want {
					t.Errorf("%s = %q, want %q", name, got[name], want)
				}
			}
			for name := range got {
				if _, ok := tc.want[name]; !ok {
					t.Errorf("unexpected attribute %s = %s", name, got[name])
				}
			}
		})
	}
}

// show renders an attribute value as "TYPE value".
func show(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S " + v.Value
	case *types.AttributeValueMemberN:
		return "N " + v.Value
	case *types.AttributeValueMemberSS:
		vs := append([]string(nil), v.Value...)
		slices.Sort(vs)
		return "SS [" + strings.Join(vs, " ") + "]"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = show(e)
		}
		return "L [" + strings.Join(parts, ", ") + "]"
	case *types.AttributeValueMemberM:
		names := make([]string, 0, len(v.Value))
		for n := range v.Value {
			names = append(names, n)
		}
		slices.Sort(names)
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = n + ":" + show(v.Value[n])
		}
		return "M map[" + strings.Join(parts, " ") + "]"
	}
	return "?"
}

// TestUsage checks the capacity count: one write unit per small item, and
// the index write of a queue put, which dynalite does not report.
func TestUsage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := dynamo.New(dynamotest.Client(t), dynamotest.Tables(t))
	deltas := []window.Delta{
		{Key: "ip#1", Incr: window.Attrs{"f1": 1}},
		{Key: "ip#2", Incr: window.Attrs{"f1": 1}},
		{Key: "ip#3", Incr: window.Attrs{"f1": 1}},
	}
	if err := errors.Join(s.UpdateKeys(ctx, deltas)...); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Keys(ctx, []window.Key{"ip#1", "ip#2", "ip#3"}); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Usage(), (dynamo.Usage{Requests: 4, ReadUnits: 3, WriteUnits: 3}); got != want {
		t.Errorf("after 3 updates and a read: Usage = %+v, want %+v", got, want)
	}

	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	it := queue.Item{AccountID: "acc-1", Action: queue.Review, Status: queue.Pending, CreatedAt: at, UpdatedAt: at, Version: 1}
	before := s.Usage()
	put := func(w queue.Write) dynamo.Usage {
		t.Helper()
		if err := errors.Join(s.PutQueueItems(ctx, []queue.Write{w})...); err != nil {
			t.Fatal(err)
		}
		u := s.Usage()
		d := dynamo.Usage{
			Requests: u.Requests - before.Requests, ReadUnits: u.ReadUnits - before.ReadUnits,
			WriteUnits: u.WriteUnits - before.WriteUnits, IndexWriteUnits: u.IndexWriteUnits - before.IndexWriteUnits,
		}
		before = u
		return d
	}
	tests := []struct {
		name string
		w    queue.Write
		want dynamo.Usage
	}{
		{"create: table and index", queue.Write{Item: it}, dynamo.Usage{Requests: 1, WriteUnits: 2, IndexWriteUnits: 1}},
		{"update in place", queue.Write{Item: withVersion(it, 2, it.Status, 50), PrevVersion: 1}, dynamo.Usage{Requests: 1, WriteUnits: 2, IndexWriteUnits: 1}},
		{"status change: index delete and put", queue.Write{Item: withVersion(it, 3, queue.Applied, 50), PrevVersion: 2}, dynamo.Usage{Requests: 1, WriteUnits: 3, IndexWriteUnits: 2}},
	}
	for _, tc := range tests {
		if got := put(tc.w); got != tc.want {
			t.Errorf("%s: Usage grew by %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func withVersion(it queue.Item, v int64, st queue.Status, score int) queue.Item {
	it.Version, it.Status, it.Score = v, st, score
	return it
}

func TestNewClient(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := dynamo.NewClient(ctx, dynamotest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("ListTables with dummy credentials: %v", err)
	}
	if c.Options().Region != "us-east-1" {
		t.Errorf("Region = %q, want us-east-1", c.Options().Region)
	}
	for _, bad := range []string{"localhost:8000", "ftp://x", "http://"} {
		if _, err := dynamo.NewClient(ctx, bad); err == nil {
			t.Errorf("NewClient(%q) succeeded", bad)
		}
	}
}
