package dynamo_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// TestRecordLayout reads stored records raw: the version, the data, and the
// table's TTL attribute only when the record expires.
func TestRecordLayout(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	s := dynamo.New(c, tabs)
	ws := []versioned.Write{
		{Key: "lgn#acc-1", Record: versioned.Record{Version: 1, Data: []byte{0, 'x'}, Expires: 1_800_000_000}},
		{Key: "lip#h", Record: versioned.Record{Version: 1, Data: []byte("y"), Expires: 1_800_000_000}},
		{Key: "lip#h", Prev: 1, Record: versioned.Record{Version: 2}},
	}
	if err := errors.Join(s.PutRecords(ctx, ws)...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key  string
		want map[string]string
	}{
		{"lgn#acc-1", map[string]string{"pk": "S lgn#acc-1", "v": "N 1", "b": "B \x00x", "expiresAt": "N 1800000000"}},
		{"lip#h", map[string]string{"pk": "S lip#h", "v": "N 2"}},
	}
	for _, tc := range tests {
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(tabs.State), Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: tc.key}},
		})
		if err != nil || out.Item == nil {
			t.Fatalf("GetItem %s: %v, %v", tc.key, out, err)
		}
		got := map[string]string{}
		for name, v := range out.Item {
			switch v := v.(type) {
			case *types.AttributeValueMemberS:
				got[name] = "S " + v.Value
			case *types.AttributeValueMemberN:
				got[name] = "N " + v.Value
			case *types.AttributeValueMemberB:
				got[name] = "B " + string(v.Value)
			default:
				got[name] = "?"
			}
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: attributes %q, want %q", tc.key, got, tc.want)
		}
		for name, want := range tc.want {
			if got[name] != want {
				t.Errorf("%s: %s = %q, want %q", tc.key, name, got[name], want)
			}
		}
	}
}

// TestRecordUsage checks the capacity count of records: an eventually
// consistent read costs half a strongly consistent one, a missing record
// included; a refused write's re-read is counted.
func TestRecordUsage(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := dynamo.New(dynamotest.Client(t), dynamotest.Tables(t))
	before := s.Usage()
	grew := func(name string, want dynamo.Usage) {
		t.Helper()
		u := s.Usage()
		got := dynamo.Usage{
			Requests: u.Requests - before.Requests, ReadUnits: u.ReadUnits - before.ReadUnits,
			WriteUnits: u.WriteUnits - before.WriteUnits, IndexWriteUnits: u.IndexWriteUnits - before.IndexWriteUnits,
		}
		if got != want {
			t.Errorf("%s: Usage grew by %+v, want %+v", name, got, want)
		}
		before = u
	}
	read := func(consistent bool, keys ...string) {
		t.Helper()
		if _, err := s.Records(ctx, keys, consistent); err != nil {
			t.Fatal(err)
		}
	}
	read(true, "lgn#none")
	grew("consistent read of a missing record", dynamo.Usage{Requests: 1, ReadUnits: 1})
	read(false, "lgn#none")
	grew("eventually consistent read of a missing record", dynamo.Usage{Requests: 1, ReadUnits: 0.5})

	w := versioned.Write{Key: "lgn#a", Record: versioned.Record{Version: 1, Data: []byte(strings.Repeat("x", 5000))}}
	if err := s.PutRecords(ctx, []versioned.Write{w})[0]; err != nil {
		t.Fatal(err)
	}
	grew("a write of 5 KB", dynamo.Usage{Requests: 1, WriteUnits: 5})
	read(true, "lgn#a", "lgn#none")
	grew("consistent read of 5 KB and a missing record", dynamo.Usage{Requests: 1, ReadUnits: 3})
	read(false, "lgn#a", "lgn#none")
	grew("eventually consistent read of 5 KB and a missing record", dynamo.Usage{Requests: 1, ReadUnits: 1.5})

	// The refused put reports no capacity (DynamoDB charges it all the
	// same); the re-read that finds the write its own is counted.
	if err := s.PutRecords(ctx, []versioned.Write{w})[0]; err != nil {
		t.Fatal(err)
	}
	grew("a repeated write", dynamo.Usage{Requests: 1, ReadUnits: 2})
}

// TestRecordLostAnswer sends a put and loses its answer: the SDK repeats
// it, the repeat finds the first one's record, and the write succeeds,
// created or updated.
func TestRecordLostAnswer(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := &loseAnswers{base: http.DefaultTransport.(*http.Transport).Clone(), ops: map[string]int{}}
	c := dynamotest.ClientWith(t, func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: f} })
	s := dynamo.New(c, dynamotest.Tables(t))
	ws := []versioned.Write{
		{Key: "lgn#lost", Record: versioned.Record{Version: 1, Data: []byte("one"), Expires: 5}},
		{Key: "lgn#lost", Prev: 1, Record: versioned.Record{Version: 2, Data: []byte("two"), Expires: 6}},
	}
	for i, w := range ws {
		f.arm()
		if err := s.PutRecords(ctx, []versioned.Write{w})[0]; err != nil {
			t.Fatalf("write %d, its answer lost: %v", i, err)
		}
		if n := f.count("PutItem"); n != 2*(i+1) {
			t.Fatalf("write %d: %d puts sent in all, want %d: the fault did not fire", i, n, 2*(i+1))
		}
	}
	got, err := s.Records(ctx, []string{"lgn#lost"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if r := got["lgn#lost"]; !versioned.Same(ws[1], r) {
		t.Errorf("stored %+v, want %+v", r, ws[1].Record)
	}
}

// loseAnswers sends the next PutItem after arm and drops its answer, as a
// reset connection does.
type loseAnswers struct {
	base  http.RoundTripper
	mu    sync.Mutex
	armed bool
	ops   map[string]int
}

func (f *loseAnswers) arm() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed = true
}

func (f *loseAnswers) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[op]
}

func (f *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	f.mu.Lock()
	f.ops[op]++
	lose := f.armed && op == "PutItem"
	if lose {
		f.armed = false
	}
	f.mu.Unlock()
	resp, err := f.base.RoundTrip(r)
	if !lose || err != nil {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return nil, errors.New("read tcp: connection reset by peer (injected after the write was made)")
}
