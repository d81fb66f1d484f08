package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/storetest"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

var _ pipeline.Store = (*embedded.Store)(nil)

func open(t *testing.T, path string, o embedded.Options) *embedded.Store {
	t.Helper()
	s, err := embedded.Open(path, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestContract(t *testing.T) {
	for _, o := range []embedded.Options{{}, {NoSync: true}, {NoSync: true, Buffer: 3}, {Buffer: 100_000}} {
		t.Run(fmt.Sprintf("NoSync=%v,Buffer=%d", o.NoSync, o.Buffer), func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, func(t *testing.T) storetest.Store {
				s := open(t, filepath.Join(t.TempDir(), "scan.db"), o)
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
				return s
			})
		})
	}
}

// TestReopen checks that what was written is there after Close and Open,
// index included, buffered or not.
func TestReopen(t *testing.T) {
	for _, o := range []embedded.Options{{}, {NoSync: true}, {NoSync: true, Buffer: 2}, {Buffer: 1000}} {
		t.Run(fmt.Sprintf("NoSync=%v,Buffer=%d", o.NoSync, o.Buffer), func(t *testing.T) {
			t.Parallel()
			testReopen(t, o)
		})
	}
}

func testReopen(t *testing.T, o embedded.Options) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scan.db")
	s := open(t, path, o)
	want := map[window.Key]window.Attrs{}
	for i := range 10 {
		d := window.Delta{Key: window.NewKey(window.IP, fmt.Sprint(i%4)), Incr: window.Attrs{"f1": 2}, SetOnce: window.Attrs{fmt.Sprint("m_", i): 5}, Expires: 99}
		want[d.Key] = window.Apply(want[d.Key], d)
		if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(s.CreateAccounts(ctx, []account.Account{{ID: fmt.Sprint("acc-", i), Score: i}})...); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	it := queue.Item{AccountID: "acc-1", Action: queue.Suspend, Status: queue.Pending, CreatedAt: at, UpdatedAt: at, Version: 1}
	if err := errors.Join(s.PutQueueItems(ctx, []queue.Write{{Item: it}})...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, embedded.Options{})
	defer s.Close()
	keys, err := s.Keys(ctx, slices.Collect(maps.Keys(want)))
	if err != nil || !maps.EqualFunc(keys, want, maps.Equal) {
		t.Errorf("Keys = %v, %v; want %v", keys, err, want)
	}
	accts, err := s.Accounts(ctx, []string{"acc-0", "acc-9"})
	if err != nil || len(accts) != 2 || accts["acc-9"].Score != 9 {
		t.Errorf("Accounts = %v, %v", accts, err)
	}
	if list, err := s.ListQueue(ctx, queue.Pending, queue.Suspend, 0); err != nil || len(list) != 1 {
		t.Errorf("ListQueue = %v, %v", list, err)
	}
}

// TestFlush checks that Flush puts buffered changes in the file, where a
// reader of the file, not of the buffer, finds them.
func TestFlush(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "scan.db")
	s := open(t, path, embedded.Options{Buffer: 1000})
	d := window.Delta{Key: "ip#1", Incr: window.Attrs{"f1": 1}}
	if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
		t.Fatal(err)
	}
	// The second update read the first from the file; a store without a
	// buffer reads the sum there.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, embedded.Options{})
	defer s.Close()
	keys, err := s.Keys(ctx, []window.Key{"ip#1"})
	if err != nil || keys["ip#1"]["f1"] != 2 {
		t.Errorf("Keys = %v, %v; want f1 2", keys, err)
	}
	if err := s.Flush(); err != nil {
		t.Errorf("Flush without buffer: %v", err)
	}
}

// TestOpenLocked checks that a file another opener holds fails fast, naming
// the file.
func TestOpenLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "scan.db")
	s := open(t, path, embedded.Options{})
	defer s.Close()
	start := time.Now()
	s2, err := embedded.Open(path, embedded.Options{})
	if err == nil {
		s2.Close()
		t.Fatal("second Open succeeded")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Open error %q does not say the file is in use", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v", d)
	}
}

func TestOpenBadPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "no-such-dir", "scan.db")
	if _, err := embedded.Open(path, embedded.Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open(%s) error = %v, want one naming the path", path, err)
	}
}

// TestKeyCount counts buffered keys too, and each key once.
func TestKeyCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "scan.db"), embedded.Options{Buffer: 1000})
	defer s.Close()
	for _, k := range []window.Key{"ip#1", "ip#2", "ip#1", "dev#3"} {
		if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{{Key: k, Incr: window.Attrs{"f1": 1}}})...); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.KeyCount(); n != 3 || err != nil {
		t.Errorf("KeyCount = %d, %v; want 3", n, err)
	}
}

// TestExpire deletes what is past its expiry, buffered or in the file, of
// every kind that has one, and keeps the rest and the queue.
func TestExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	past, later := now.Add(-time.Hour).Unix(), now.Add(time.Hour).Unix()
	for _, o := range []embedded.Options{{}, {Buffer: 1000}} {
		t.Run(fmt.Sprintf("Buffer=%d", o.Buffer), func(t *testing.T) {
			t.Parallel()
			s := open(t, filepath.Join(t.TempDir(), "scan.db"), o)
			defer s.Close()
			must := func(errs []error) {
				t.Helper()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
			}
			must(s.UpdateKeys(ctx, []window.Delta{
				{Key: "ip#old", Incr: window.Attrs{"f1": 1}, Expires: past},
				{Key: "ip#new", Incr: window.Attrs{"f1": 1}, Expires: later},
			}))
			must(s.PutClaims(ctx, []claim.Write{
				{Claim: claim.Claim{ID: "c-old", EventID: "e-old", Hash: "h", Owner: "o", LeaseUntil: past, Expires: past}},
				{Claim: claim.Claim{ID: "c-new", EventID: "e-new", Hash: "h", Owner: "o", LeaseUntil: past, Expires: later}},
			}))
			must(s.PutRecords(ctx, []versioned.Write{
				{Key: "r-old", Record: versioned.Record{Version: 1, Expires: past, Data: []byte("x")}},
				{Key: "r-new", Record: versioned.Record{Version: 1, Expires: later, Data: []byte("x")}},
			}))
			must(s.CreateAccounts(ctx, []account.Account{{ID: "a-old", Expires: past}, {ID: "a-new", Expires: later}}))
			must(s.PutQueueItems(ctx, []queue.Write{{Item: queue.Item{AccountID: "a-old", Action: queue.Review, Status: queue.Pending, Version: 1, ExpiresAt: past}}}))

			if n, err := s.Expire(now); err != nil || n != 4 {
				t.Fatalf("Expire = %d, %v; want 4 deleted", n, err)
			}
			if o.Buffer > 0 {
				// Written to the file, then expired there: with the
				// buffer's next write.
				if err := s.Flush(); err != nil { // the first call's cutoff
					t.Fatal(err)
				}
				must(s.UpdateKeys(ctx, []window.Delta{{Key: "ip#filed", Incr: window.Attrs{"f1": 1}, Expires: past}}))
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
				if n, err := s.Expire(now); err != nil || n != 0 {
					t.Fatalf("Expire of a key in the file = %d, %v; want 0 deleted at once", n, err)
				}
				if got, _ := s.Keys(ctx, []window.Key{"ip#filed"}); len(got) != 1 {
					t.Fatalf("the expired key went before the buffer's next write")
				}
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
				if got, _ := s.Keys(ctx, []window.Key{"ip#filed"}); len(got) != 0 {
					t.Fatalf("the expired key is still in the file after the buffer's write")
				}
			}
			keys, _ := s.Keys(ctx, []window.Key{"ip#old", "ip#new"})
			claims, _ := s.Claims(ctx, []string{"c-old", "c-new"})
			recs, _ := s.Records(ctx, []string{"r-old", "r-new"}, true)
			accts, _ := s.Accounts(ctx, []string{"a-old", "a-new"})
			items, _ := s.QueueItems(ctx, []string{"a-old"})
			if len(keys) != 1 || keys["ip#new"] == nil || len(claims) != 1 || claims["c-new"].ID == "" ||
				len(recs) != 1 || recs["r-new"].Version != 1 || len(accts) != 1 || accts["a-new"].ID == "" || len(items) != 1 {
				t.Errorf("after Expire: keys %v, claims %v, records %v, accounts %v, queue %v; want the new ones and the queue item", keys, claims, recs, accts, items)
			}
			if n, err := s.KeyCount(); n != 1 || err != nil {
				t.Errorf("KeyCount = %d, %v; want 1", n, err)
			}
		})
	}
}
