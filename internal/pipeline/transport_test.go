package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/pipeline"
)

// faultTransport sits below the SDK and misbehaves on chosen write
// requests (PutItem, UpdateItem, BatchWriteItem), counted from 1: it fails
// the n-th before sending it, or sends it and drops the answer (the write is
// made, the client sees a reset connection and retries it), or answers
// every throttle-th one with throttling.
type faultTransport struct {
	base     http.RoundTripper
	mu       sync.Mutex
	n        int
	drop     bool // send the n-th, then lose the answer
	throttle func(op string, i int) bool
	writes   int
	ops      map[string]int
	fired    bool
}

func (f *faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	write := op == "PutItem" || op == "UpdateItem" || op == "BatchWriteItem"
	f.mu.Lock()
	if f.ops == nil {
		f.ops = map[string]int{}
	}
	f.ops[op]++
	i := f.ops[op]
	var fire bool
	if write {
		f.writes++
		fire = f.n == f.writes
		f.fired = f.fired || fire
	}
	throttled := f.throttle != nil && f.throttle(op, i)
	f.mu.Unlock()
	switch {
	case throttled:
		body := `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput (injected)"}`
		return &http.Response{
			StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Request: r,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Errortype": {"ThrottlingException"}},
			Body:   io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)),
		}, nil
	case fire && !f.drop:
		return nil, errors.New("write tcp: connection reset by peer (injected before sending)")
	case fire:
		resp, err := f.base.RoundTrip(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, errors.New("read tcp: connection reset by peer (injected after the write was made)")
	}
	return f.base.RoundTrip(r)
}

// transportStore returns a DynamoDB store whose client sends through f.
func transportStore(t *testing.T, f *faultTransport) store {
	t.Helper()
	f.base = http.DefaultTransport.(*http.Transport).Clone()
	c := dynamotest.ClientWith(t, func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: f} })
	return dynamo.New(c, dynamotest.Tables(t))
}

// TestLostAnswers drops the answer to each write of one batch in turn (and,
// for a spread of them, fails the request before it is sent): the SDK
// retries it, the retry meets the first write's effect, and the store must
// still end as one clean delivery leaves it, with no record failed.
func TestLostAnswers(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	keys, ids := keysOf(t, recs), slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)
	const batch = 20

	counter := &faultTransport{}
	st := transportStore(t, counter)
	c := &clock{now: start}
	before, during := cleanRun(t, newPipelineAt(t, st, c.Now), recs, batch, func() int {
		counter.mu.Lock()
		defer counter.mu.Unlock()
		return counter.writes
	})
	want := readState(t, st, keys, ids)
	for n := 1; n <= during; n += 9 {
		for _, drop := range []bool{true, false} {
			if !drop && n%27 != 1 {
				continue
			}
			name := fmt.Sprintf("answer to write %d of %d lost", n, during)
			if !drop {
				name = fmt.Sprintf("write %d of %d failed before sending", n, during)
			}
			f := &faultTransport{n: before + n, drop: drop}
			st := transportStore(t, f)
			c := &clock{now: start}
			if failed := deliver(t, newPipelineAt(t, st, c.Now), c, recs, batch); failed != 0 {
				t.Errorf("%s: %d records failed, want the SDK's retry to cure it", name, failed)
			}
			if !f.fired {
				t.Fatalf("%s: never injected", name)
			}
			if d := diffState(readState(t, st, keys, ids), want); d != "[]" {
				t.Errorf("%s: %s", name, d)
			}
		}
	}
}

// TestThrottling throttles two of every three UpdateItem requests. Every
// record must still be scored within the invocation's deadline, counted
// once; and when DynamoDB throttles everything, every record must be
// reported failed before the deadline, with nothing half-written left
// unclaimed for its retry.
func TestThrottling(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	keys, ids := keysOf(t, recs), slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)

	clean := &faultTransport{}
	cst := transportStore(t, clean)
	c0 := &clock{now: start}
	deliver(t, newPipelineAt(t, cst, c0.Now), c0, recs, 100)
	want := readState(t, cst, keys, ids)

	t.Run("two of three", func(t *testing.T) {
		f := &faultTransport{throttle: func(op string, i int) bool { return op == "UpdateItem" && i%3 != 0 }}
		st := transportStore(t, f)
		c := &clock{now: start}
		p := newPipelineAt(t, st, c.Now)
		// A function's timeout: every write needs three tries on average,
		// each after a backoff, so this batch takes some seconds.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, r := range p.Process(ctx, recs) {
			if r.Err != nil {
				t.Errorf("%s: %v", r.RecordID, r.Err)
			}
		}
		if f.ops["UpdateItem"] < 2*len(want.keys) {
			t.Fatalf("%d UpdateItem requests: the throttling was not exercised", f.ops["UpdateItem"])
		}
		if d := diffState(readState(t, st, keys, ids), want); d != "[]" {
			t.Errorf("after throttling: %s", d)
		}
	})
	t.Run("all", func(t *testing.T) {
		f := &faultTransport{throttle: func(op string, _ int) bool { return op == "UpdateItem" }}
		st := transportStore(t, f)
		c := &clock{now: start}
		p := newPipelineAt(t, st, c.Now)
		deadline := time.Now().Add(4 * time.Second)
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		defer cancel()
		res := p.Process(ctx, recs)
		if time.Now().After(deadline) {
			t.Errorf("Process returned after its deadline")
		}
		for _, r := range res {
			if !errors.Is(r.Err, pipeline.ErrTransient) {
				t.Fatalf("%s: %v, want a transient failure", r.RecordID, r.Err)
			}
		}
		// The claims were released: once DynamoDB recovers, a retry at the
		// same moment finishes every record, counted once.
		f.mu.Lock()
		f.throttle = nil
		f.mu.Unlock()
		if failed := deliver(t, p, c, recs, 100); failed != 0 {
			t.Errorf("%d records failed after the throttling ended", failed)
		}
		if d := diffState(readState(t, st, keys, ids), want); d != "[]" {
			t.Errorf("after recovery: %s", d)
		}
	})
}
