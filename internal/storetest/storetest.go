// Package storetest is the contract every storage adapter of the pipeline
// passes: one suite, run against the DynamoDB adapter (on dynalite) and the
// embedded one, so that a replay on the embedded store behaves as the
// deployment does.
//
// Beyond pipeline.Store's own comments, the contract says:
//   - A delta has window.Apply's effect, and makes its key present even when
//     it changes nothing; deltas of one key in one call have no defined order.
//   - Queue times are kept to the millisecond, in UTC, the history's too;
//     EventIDs are a set and come back sorted; empty Reasons, EventIDs and
//     History come back nil.
//   - Reads see every write that returned before them, eventually
//     consistent reads of versioned records included (dynalite and the
//     embedded store are always consistent; DynamoDB is not).
//   - Versioned writes of one key in one call apply in the order given.
//   - A versioned record's empty Data may come back nil.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/storage"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

// Store is what the suite tests: the pipeline's storage plus the queue
// reads of consumers and abusectl.
type Store interface {
	pipeline.Store
	// QueueItem reads one item; the error wraps queue.ErrNotFound when there
	// is none.
	QueueItem(ctx context.Context, accountID string) (queue.Item, error)
	// ListQueue returns the items of one status and action ("" for both) in
	// creation order, then by account id, at most limit of them (0: all).
	ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error)
	// KeyExpiry reads a key's expiry (0: none, or no key).
	KeyExpiry(ctx context.Context, k window.Key) (int64, error)
}

// Run runs the contract against stores made by open, which returns a new,
// empty store for each test and closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"DeltaSemantics", testDeltaSemantics},
		{"DeltasAgreeWithApply", testDeltasAgreeWithApply},
		{"WindowRecordRoundTrip", testWindowRecordRoundTrip},
		{"ManyKeys", testManyKeys},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Absent", testAbsent},
		{"CancelledContext", testCancelledContext},
		{"Accounts", testAccounts},
		{"Tokens", testTokens},
		{"ExpiryOnlyMovesForward", testExpiryOnlyMovesForward},
		{"Claims", testClaims},
		{"ClaimRace", testClaimRace},
		{"ItemTooLarge", testItemTooLarge},
		{"QueueCreateAndConflict", testQueueCreateAndConflict},
		{"QueueVersions", testQueueVersions},
		{"QueueRace", testQueueRace},
		{"QueueRoundTrip", testQueueRoundTrip},
		{"QueueHistory", testQueueHistory},
		{"ListQueue", testListQueue},
		{"Records", testRecords},
		{"ManyRecords", testManyRecords},
		{"RecordOrder", testRecordOrder},
		{"RecordConflicts", testRecordConflicts},
		{"RecordRace", testRecordRace},
		{"RecordRefused", testRecordRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

func testDeltaSemantics(t *testing.T, s Store) {
	ctx := t.Context()
	tests := []struct {
		name   string
		deltas []window.Delta // one UpdateKeys call each, Key filled in
		want   window.Attrs
	}{
		{"incr adds", []window.Delta{
			{Incr: window.Attrs{"f1": 1}},
			{Incr: window.Attrs{"f1": 2, "h1": 5}},
		}, window.Attrs{"f1": 3, "h1": 5}},
		{"negative and zero incr", []window.Delta{
			{Incr: window.Attrs{"d1": 5}},
			{Incr: window.Attrs{"d1": -7, "d2": 0}},
		}, window.Attrs{"d1": -2, "d2": 0}},
		{"set once twice keeps the first value", []window.Delta{
			{SetOnce: window.Attrs{"m_acc-1": 100}},
			{SetOnce: window.Attrs{"m_acc-1": 200, "m_acc-2": 300}},
		}, window.Attrs{"m_acc-1": 100, "m_acc-2": 300}},
		{"set once of a name incremented in the same delta", []window.Delta{
			{Incr: window.Attrs{"f1": 1}, SetOnce: window.Attrs{"f1": 50}},
		}, window.Attrs{"f1": 1}},
		{"remove", []window.Delta{
			{Incr: window.Attrs{"f1": 1, "f2": 1}, SetOnce: window.Attrs{"m_x": 9}},
			{Remove: []string{"f1", "m_x", "never-there"}},
		}, window.Attrs{"f2": 1}},
		{"remove does not remove what the delta increments", []window.Delta{
			{Incr: window.Attrs{"f1": 1}},
			{Incr: window.Attrs{"f1": 2}, Remove: []string{"f1"}},
		}, window.Attrs{"f1": 3}},
		{"remove and set once in one delta sets the new value", []window.Delta{
			{SetOnce: window.Attrs{"m_a": 1}},
			{SetOnce: window.Attrs{"m_a": 2}, Remove: []string{"m_a"}},
		}, window.Attrs{"m_a": 2}},
		{"repeated remove", []window.Delta{
			{Incr: window.Attrs{"f1": 1, "f2": 2}},
			{Remove: []string{"f1", "f1"}},
		}, window.Attrs{"f2": 2}},
		{"empty delta makes the key present", []window.Delta{{}}, window.Attrs{}},
		{"remove everything leaves the key present", []window.Delta{
			{Incr: window.Attrs{"f1": 1}},
			{Remove: []string{"f1"}},
		}, window.Attrs{}},
		{"expires is not an attribute", []window.Delta{
			{Incr: window.Attrs{"f1": 1}, Expires: 1_900_000_000},
			{Incr: window.Attrs{"f1": 1}, Expires: 1_900_000_100},
		}, window.Attrs{"f1": 2}},
		{"names that are no identifiers", []window.Delta{
			{Incr: window.Attrs{"f5870000": 1, "m_acc-123.x y#z": 7, "ünï": 1}},
		}, window.Attrs{"f5870000": 1, "m_acc-123.x y#z": 7, "ünï": 1}},
		{"large values", []window.Delta{
			{SetOnce: window.Attrs{"big": 1 << 62, "small": -(1 << 62)}},
		}, window.Attrs{"big": 1 << 62, "small": -(1 << 62)}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := window.NewKey(window.IP, fmt.Sprintf("192.0.2.%d", i))
			for _, d := range tc.deltas {
				d.Key = key
				if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
					t.Fatalf("UpdateKeys: %v", err)
				}
			}
			got, err := s.Keys(ctx, []window.Key{key})
			if err != nil {
				t.Fatalf("Keys: %v", err)
			}
			a, ok := got[key]
			if !ok {
				t.Fatalf("Keys: %s absent", key)
			}
			if !maps.Equal(a, tc.want) {
				t.Errorf("Keys = %v, want %v", a, tc.want)
			}
		})
	}
}

// testDeltasAgreeWithApply applies random deltas to random keys, call after
// call, and holds the store to window.Apply after each.
func testDeltasAgreeWithApply(t *testing.T, s Store) {
	ctx := t.Context()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			keys := make([]window.Key, 10)
			for i := range keys {
				keys[i] = window.NewKey(window.Prefix, fmt.Sprintf("seed%d-%d", seed, i))
			}
			names := []string{"f1", "f2", "f3", "h1", "h2", "d1", "m_a", "m_b", "m_c", "m_d"}
			pick := func(n int) []string {
				out := make([]string, 0, n)
				for range n {
					out = append(out, names[rng.IntN(len(names))])
				}
				return out
			}
			model := map[window.Key]window.Attrs{}
			for round := range 25 {
				var deltas []window.Delta
				for _, i := range rng.Perm(len(keys))[:1+rng.IntN(len(keys))] {
					d := window.Delta{Key: keys[i], Remove: pick(rng.IntN(3))}
					for _, n := range pick(rng.IntN(4)) {
						if d.Incr == nil {
							d.Incr = window.Attrs{}
						}
						d.Incr[n] = int64(rng.IntN(9) - 3)
					}
					for _, n := range pick(rng.IntN(3)) {
						if d.SetOnce == nil {
							d.SetOnce = window.Attrs{}
						}
						d.SetOnce[n] = rng.Int64N(2_000_000_000)
					}
					if rng.IntN(2) == 0 {
						d.Expires = rng.Int64N(2_000_000_000) + 1
					}
					deltas = append(deltas, d)
					model[d.Key] = window.Apply(model[d.Key], d)
				}
				errs := s.UpdateKeys(ctx, deltas)
				if len(errs) != len(deltas) {
					t.Fatalf("round %d: UpdateKeys returned %d errors for %d deltas", round, len(errs), len(deltas))
				}
				if err := errors.Join(errs...); err != nil {
					t.Fatalf("round %d: UpdateKeys: %v", round, err)
				}
				got, err := s.Keys(ctx, keys)
				if err != nil {
					t.Fatalf("round %d: Keys: %v", round, err)
				}
				if !maps.EqualFunc(got, model, maps.Equal) {
					for _, k := range keys {
						if !maps.Equal(got[k], model[k]) {
							t.Errorf("round %d: %s = %v, window.Apply says %v", round, k, got[k], model[k])
						}
					}
					t.Fatalf("round %d: %d keys stored, window.Apply says %d", round, len(got), len(model))
				}
			}
		})
	}
}

// testWindowRecordRoundTrip runs events through window.Record in batches as
// the pipeline does (read, parse, add, prune, write) and checks that what a
// reader parses back counts the same as the writer's view.
func testWindowRecordRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	key := window.NewKey(window.ASN, "64500")
	start := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 7))
	var view window.Record
	at := start
	for batch := range 40 {
		stored, err := s.Keys(ctx, []window.Key{key})
		if err != nil {
			t.Fatalf("batch %d: Keys: %v", batch, err)
		}
		rec := window.Parse(stored[key])
		if batch > 0 && !reflect.DeepEqual(rec.Counts(at), view.Counts(at)) {
			t.Fatalf("batch %d: stored counts %+v, writer's view %+v", batch, rec.Counts(at), view.Counts(at))
		}
		if batch > 0 && !slices.Equal(rec.Members(), view.Members()) {
			t.Fatalf("batch %d: stored members %v, writer's view %v", batch, rec.Members(), view.Members())
		}
		// A batch spans minutes, batches hours: what a batch counts is never
		// stale at its end.
		at = at.Add(time.Duration(rng.IntN(int(20 * time.Hour))))
		d := window.Delta{Key: key}
		for e := range 1 + rng.IntN(4) {
			at = at.Add(time.Duration(rng.IntN(int(10 * time.Minute))))
			d.Merge(rec.Add(at, fmt.Sprintf("acc-%d-%d", batch, e)))
		}
		d.Remove = rec.Stale(at)
		rec.Prune(at)
		d.Expires = at.Add(window.Retention).Unix()
		if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{d})...); err != nil {
			t.Fatalf("batch %d: UpdateKeys: %v", batch, err)
		}
		view = rec
	}
	stored, err := s.Keys(ctx, []window.Key{key})
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	got := window.Parse(stored[key])
	for _, now := range []time.Time{at, at.Add(time.Hour), at.Add(3 * 24 * time.Hour)} {
		if g, w := got.Counts(now), view.Counts(now); !reflect.DeepEqual(g, w) {
			t.Errorf("Counts(%v) = %+v, want %+v", now, g, w)
		}
	}
	if c := got.Counts(at); c.Members != window.MaxMembers || c.Last7d == 0 || c.DaysSeen == 0 {
		t.Errorf("Counts = %+v: the test should fill the member set and the history", c)
	}
	if len(got.Stale(at)) != 0 {
		t.Errorf("Stale = %v after pruning", got.Stale(at))
	}
}

func testManyKeys(t *testing.T, s Store) {
	ctx := t.Context()
	const n = 250
	var deltas []window.Delta
	var keys []window.Key
	for i := range n {
		k := window.NewKey(window.IP, fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		keys = append(keys, k)
		deltas = append(deltas, window.Delta{Key: k, Incr: window.Attrs{"f1": int64(i + 1)}, SetOnce: window.Attrs{"m_x": int64(i)}})
	}
	errs := s.UpdateKeys(ctx, deltas)
	if len(errs) != n {
		t.Fatalf("UpdateKeys returned %d errors for %d deltas", len(errs), n)
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateKeys: %v", err)
	}
	// Duplicates and absent keys among more than 100.
	ask := append(slices.Clone(keys), keys[:20]...)
	ask = append(ask, window.NewKey(window.IP, "absent-1"), window.NewKey(window.IP, "absent-2"))
	got, err := s.Keys(ctx, ask)
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	if len(got) != n {
		t.Errorf("Keys returned %d keys, want %d", len(got), n)
	}
	for i, k := range keys {
		if want := (window.Attrs{"f1": int64(i + 1), "m_x": int64(i)}); !maps.Equal(got[k], want) {
			t.Errorf("Keys[%s] = %v, want %v", k, got[k], want)
		}
	}
}

// testConcurrentUpdates has writers increment shared keys at once, and
// readers read them meanwhile: no increment is lost.
func testConcurrentUpdates(t *testing.T, s Store) {
	ctx := t.Context()
	const writers, rounds = 4, 15
	keys := []window.Key{"asn#64500", "asn#64501", "tpl#L5D2"}
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds+writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				var deltas []window.Delta
				for _, k := range keys {
					deltas = append(deltas, window.Delta{Key: k,
						Incr:    window.Attrs{"f1": 1, fmt.Sprintf("w%d", w): 1},
						SetOnce: window.Attrs{fmt.Sprintf("m_w%d-r%d", w, r): int64(r)}})
				}
				if err := errors.Join(s.UpdateKeys(ctx, deltas)...); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range rounds {
				if _, err := s.Keys(ctx, keys); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.Keys(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		a := got[k]
		if a["f1"] != writers*rounds || len(a) != 1+writers+writers*rounds {
			t.Errorf("%s: f1 = %d with %d attributes, want %d with %d", k, a["f1"], len(a), writers*rounds, 1+writers+writers*rounds)
		}
	}
}

func testAbsent(t *testing.T, s Store) {
	ctx := t.Context()
	keys, err := s.Keys(ctx, []window.Key{"ip#198.51.100.1"})
	if err != nil || len(keys) != 0 {
		t.Errorf("Keys(absent) = %v, %v; want empty, nil", keys, err)
	}
	keys, err = s.Keys(ctx, nil)
	if err != nil || len(keys) != 0 {
		t.Errorf("Keys(nil) = %v, %v; want empty, nil", keys, err)
	}
	accts, err := s.Accounts(ctx, []string{"nobody"})
	if err != nil || len(accts) != 0 {
		t.Errorf("Accounts(absent) = %v, %v; want empty, nil", accts, err)
	}
	items, err := s.QueueItems(ctx, []string{"nobody"})
	if err != nil || len(items) != 0 {
		t.Errorf("QueueItems(absent) = %v, %v; want empty, nil", items, err)
	}
	if _, err := s.QueueItem(ctx, "nobody"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("QueueItem(absent) error = %v, want queue.ErrNotFound", err)
	}
	list, err := s.ListQueue(ctx, queue.Pending, "", 0)
	if err != nil || len(list) != 0 {
		t.Errorf("ListQueue(empty) = %v, %v; want empty, nil", list, err)
	}
	if _, err := s.ListQueue(ctx, "bogus", queue.Suspend, 0); err == nil {
		t.Error("ListQueue(unknown status) succeeded")
	}
	if _, err := s.ListQueue(ctx, queue.Pending, "bogus", 0); err == nil {
		t.Error("ListQueue(unknown action) succeeded")
	}
}

func testCancelledContext(t *testing.T, s Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	deltas := []window.Delta{{Key: "ip#a", Incr: window.Attrs{"f1": 1}}, {Key: "ip#b", Incr: window.Attrs{"f1": 1}}}
	for i, err := range s.UpdateKeys(ctx, deltas) {
		if err == nil {
			t.Errorf("UpdateKeys(cancelled)[%d] = nil", i)
		}
	}
	for i, err := range s.CreateAccounts(ctx, []account.Account{{ID: "a"}}) {
		if err == nil || errors.Is(err, account.ErrExists) {
			t.Errorf("CreateAccounts(cancelled)[%d] = %v", i, err)
		}
	}
	for i, err := range s.PutQueueItems(ctx, []queue.Write{{Item: item("a", queue.Suspend, queue.Pending, time.Unix(0, 0))}}) {
		if err == nil || errors.Is(err, queue.ErrConflict) {
			t.Errorf("PutQueueItems(cancelled)[%d] = %v", i, err)
		}
	}
	for i, err := range s.PutRecords(ctx, []versioned.Write{{Key: "lgn#a", Record: versioned.Record{Version: 1}}}) {
		if err == nil || errors.Is(err, versioned.ErrConflict) {
			t.Errorf("PutRecords(cancelled)[%d] = %v", i, err)
		}
	}
	if _, err := s.Keys(ctx, []window.Key{"ip#a"}); err == nil {
		t.Error("Keys(cancelled) succeeded")
	}
	if _, err := s.Records(ctx, []string{"lgn#a"}, true); err == nil {
		t.Error("Records(cancelled) succeeded")
	}
	// Nothing was written.
	got, err := s.Keys(t.Context(), []window.Key{"ip#a", "ip#b"})
	if err != nil || len(got) != 0 {
		t.Errorf("Keys after cancelled writes = %v, %v; want empty", got, err)
	}
	recs, err := s.Records(t.Context(), []string{"lgn#a"}, true)
	if err != nil || len(recs) != 0 {
		t.Errorf("Records after a cancelled write = %v, %v; want empty", recs, err)
	}
}

func testAccounts(t *testing.T, s Store) {
	ctx := t.Context()
	created := time.Date(2025, 3, 1, 12, 30, 15, 123456789, time.UTC)
	full := account.Account{
		ID: "acc-full", SignupEventID: "evt-1", CreatedAt: created, Country: "US", ASN: 4294967295,
		Prefix: "2001:db8:1::/48", DeviceHash: "k1:abcdef", Score: 87, Expires: 1_900_000_000,
		Claimed: "DE", Anonymous: true, Zone: "Europe/Berlin", NameHash: "k1:0123abcd",
	}
	bare := account.Account{ID: "acc-bare"}
	other := account.Account{ID: "acc-other", SignupEventID: "evt-2", CreatedAt: created.Add(time.Hour), ASN: 64500, Score: -1}
	if err := errors.Join(s.CreateAccounts(ctx, []account.Account{full, bare, other})...); err != nil {
		t.Fatalf("CreateAccounts: %v", err)
	}
	got, err := s.Accounts(ctx, []string{"acc-full", "acc-bare", "acc-other", "acc-absent", "acc-full"})
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	want := map[string]account.Account{full.ID: full, bare.ID: bare, other.ID: other}
	checkAccounts(t, got, want)

	// The second creation of an id fails, and does not stop the others.
	changed := full
	changed.Score, changed.SignupEventID = 1, "evt-9"
	fresh := account.Account{ID: "acc-fresh", Score: 5}
	errs := s.CreateAccounts(ctx, []account.Account{changed, fresh, bare})
	if len(errs) != 3 {
		t.Fatalf("CreateAccounts returned %d errors for 3 records", len(errs))
	}
	for i, wantExists := range []bool{true, false, true} {
		if gotExists := errors.Is(errs[i], account.ErrExists); gotExists != wantExists || (!wantExists && errs[i] != nil) {
			t.Errorf("CreateAccounts[%d] = %v, want exists=%v", i, errs[i], wantExists)
		}
	}
	if errs[0] != nil && !strings.Contains(errs[0].Error(), full.ID) {
		t.Errorf("CreateAccounts error %q does not name the account", errs[0])
	}
	// The same id twice in one call: exactly one is created.
	twice := s.CreateAccounts(ctx, []account.Account{{ID: "acc-twice", Score: 1}, {ID: "acc-twice", Score: 2}})
	if (twice[0] == nil) == (twice[1] == nil) || !errors.Is(errors.Join(twice...), account.ErrExists) {
		t.Errorf("CreateAccounts(same id twice) = %v, want one nil and one ErrExists", twice)
	}
	got, err = s.Accounts(ctx, []string{"acc-full", "acc-fresh", "acc-bare", "acc-other"})
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	want[fresh.ID] = fresh
	checkAccounts(t, got, want)
}

func checkAccounts(t *testing.T, got, want map[string]account.Account) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("Accounts returned %d records, want %d", len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("Accounts: %s absent", id)
			continue
		}
		if !g.CreatedAt.Equal(w.CreatedAt) {
			t.Errorf("Accounts[%s].CreatedAt = %v, want %v", id, g.CreatedAt, w.CreatedAt)
		}
		g.CreatedAt, w.CreatedAt = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("Accounts[%s] = %+v, want %+v", id, g, w)
		}
	}
}

// item returns a pending-like queue item with every contract field set.
func item(id string, a queue.Action, st queue.Status, created time.Time) queue.Item {
	return queue.Item{
		AccountID: id, Action: a, Status: st, Score: 80,
		Reasons: []queue.Reason{
			{Rule: "signup_burst_prefix", Points: 50, Detail: "27 signups from 198.51.100.0/24 in 10 min"},
			{Rule: "hosting_asn", Points: 30, Detail: "AS64500 is a hosting network"},
		},
		Cluster:   &queue.Cluster{Key: "net#198.51.100.0/24", Size: 27},
		EventIDs:  []string{"evt-" + id},
		CreatedAt: created, UpdatedAt: created, Version: 1,
	}
}

func put(t *testing.T, s Store, ws ...queue.Write) {
	t.Helper()
	errs := s.PutQueueItems(t.Context(), ws)
	if len(errs) != len(ws) {
		t.Fatalf("PutQueueItems returned %d errors for %d writes", len(errs), len(ws))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("PutQueueItems: %v", err)
	}
}

func readItem(t *testing.T, s Store, id string) queue.Item {
	t.Helper()
	it, err := s.QueueItem(t.Context(), id)
	if err != nil {
		t.Fatalf("QueueItem(%s): %v", id, err)
	}
	return it
}

func testQueueCreateAndConflict(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	first := item("acc-1", queue.Review, queue.Pending, at)
	put(t, s, queue.Write{Item: first})
	second := item("acc-1", queue.Suspend, queue.Pending, at.Add(time.Minute))
	errs := s.PutQueueItems(ctx, []queue.Write{{Item: second}, {Item: item("acc-2", queue.Review, queue.Pending, at)}})
	if !errors.Is(errs[0], queue.ErrConflict) {
		t.Errorf("second create = %v, want queue.ErrConflict", errs[0])
	}
	if errs[1] != nil {
		t.Errorf("create beside a conflict = %v", errs[1])
	}
	if d := diffItem(readItem(t, s, "acc-1"), first); d != "" {
		t.Errorf("after conflict: %s", d)
	}
}

func testQueueVersions(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	v1 := item("acc-v", queue.Review, queue.Pending, at)
	put(t, s, queue.Write{Item: v1})
	v2, changed := queue.Raise(&v1, queue.Proposal{
		AccountID: "acc-v", Action: queue.Suspend, Score: 95, EventID: "evt-2", At: at.Add(time.Hour),
		Reasons: []queue.Reason{{Rule: "geo_jump", Points: 40, Detail: "US then CN in 4 min"}},
	})
	if !changed || v2.Version != 2 {
		t.Fatalf("queue.Raise = %+v, %v", v2, changed)
	}
	put(t, s, queue.Write{Item: v2, PrevVersion: 1})
	if d := diffItem(readItem(t, s, "acc-v"), v2); d != "" {
		t.Errorf("after update: %s", d)
	}
	stale := v2
	stale.Score, stale.Version = 99, 3
	tests := []struct {
		name string
		w    queue.Write
	}{
		{"stale version", queue.Write{Item: stale, PrevVersion: 1}},
		{"future version", queue.Write{Item: stale, PrevVersion: 7}},
		{"create over existing", queue.Write{Item: stale}},
		{"update of absent item", queue.Write{Item: item("acc-none", queue.Review, queue.Pending, at), PrevVersion: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := s.PutQueueItems(ctx, []queue.Write{tc.w})
			if !errors.Is(errs[0], queue.ErrConflict) {
				t.Errorf("PutQueueItems = %v, want queue.ErrConflict", errs[0])
			}
		})
	}
	if d := diffItem(readItem(t, s, "acc-v"), v2); d != "" {
		t.Errorf("after conflicts: %s", d)
	}
	if _, err := s.QueueItem(ctx, "acc-none"); !errors.Is(err, queue.ErrNotFound) {
		t.Errorf("QueueItem(acc-none) = %v, want queue.ErrNotFound", err)
	}
}

// testQueueRace has writers race on the same version, from goroutines and
// within one call: exactly one wins, the others get ErrConflict.
func testQueueRace(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cur := item("acc-race", queue.Review, queue.Pending, at)
	put(t, s, queue.Write{Item: cur})
	for round := range 6 {
		const writers = 4
		errs := make([]error, writers)
		var wg sync.WaitGroup
		nexts := make([]queue.Item, writers)
		for w := range writers {
			nexts[w] = cur
			nexts[w].Score, nexts[w].Version = w, cur.Version+1
			nexts[w].Note = fmt.Sprintf("writer %d", w)
		}
		if round%2 == 0 {
			for w := range writers {
				wg.Go(func() {
					errs[w] = s.PutQueueItems(ctx, []queue.Write{{Item: nexts[w], PrevVersion: cur.Version}})[0]
				})
			}
			wg.Wait()
		} else {
			var ws []queue.Write
			for w := range writers {
				ws = append(ws, queue.Write{Item: nexts[w], PrevVersion: cur.Version})
			}
			errs = s.PutQueueItems(ctx, ws)
		}
		winner := -1
		for w, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, w)
			case err == nil:
				winner = w
			case !errors.Is(err, queue.ErrConflict):
				t.Fatalf("round %d: writer %d: %v, want queue.ErrConflict", round, w, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		cur = readItem(t, s, "acc-race")
		if d := diffItem(cur, nexts[winner]); d != "" {
			t.Fatalf("round %d: stored item is not the winner's: %s", round, d)
		}
	}
}

func testQueueRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	full := item("acc-full", queue.Suspend, queue.Applied, at.Add(1500*time.Millisecond))
	full.UpdatedAt = at.Add(25*time.Hour + 7*time.Millisecond)
	full.EventIDs = []string{"evt-c", "evt-a", "evt-b"} // a set: comes back sorted
	full.Score, full.Version = 100, 17
	full.RulesVersion, full.DecidedBy, full.Note = "rules-2025-03-01", "suspender@platform", "auto: ümlaut & \"quotes\""
	full.ClusterID = "c-7hq2m4xk"
	full.ExpiresAt = 1_800_000_000
	bare := queue.Item{AccountID: "acc-bare", Action: queue.Review, Status: queue.Pending, CreatedAt: at, UpdatedAt: at, Version: 1}
	emptyStrings := item("acc-empty", queue.Review, queue.Dismissed, at)
	emptyStrings.Cluster = nil
	emptyStrings.Reasons = []queue.Reason{{Rule: "r", Points: 0}, {Points: -3, Detail: "no rule name"}}
	emptyStrings.EventIDs = []string{}
	nanos := item("acc-nanos", queue.Review, queue.Pending, at.Add(123456789*time.Nanosecond))
	nanos.UpdatedAt = time.Date(2025, 3, 1, 13, 0, 0, 999999999, time.FixedZone("CET", 3600))
	zeroCluster := item("acc-zero-cluster", queue.Review, queue.Pending, at)
	zeroCluster.Cluster = &queue.Cluster{}
	// The audit trail: the creation (from nothing), a person's decision
	// with a note, a change with neither who nor why.
	full.History = []queue.Change{
		{At: at.Add(1500 * time.Millisecond), By: queue.ByScanner, To: "pending/review", Note: "raised by event evt-a", Version: 1},
		{At: at.Add(time.Hour), By: queue.ByScanner, From: "pending/review", To: "pending/suspend", Note: "raised by event evt-b", Version: 4},
		{At: at.Add(25 * time.Hour), By: "suspender@platform", From: "pending/suspend", To: "applied/suspend", Note: "auto: ümlaut & \"quotes\" \\u202e", Version: 16},
		{At: at.Add(25*time.Hour + 7*time.Millisecond), From: "applied/suspend", To: "applied/review", Version: 17},
	}
	emptyStrings.History = []queue.Change{}
	// History times have the item times' precision and zone.
	nanos.History = []queue.Change{{At: nanos.UpdatedAt, By: queue.ByEnforcer, From: "pending/suspend", To: "pending/review", Version: 1}}

	put(t, s, queue.Write{Item: full}, queue.Write{Item: bare}, queue.Write{Item: emptyStrings},
		queue.Write{Item: nanos}, queue.Write{Item: zeroCluster})

	wantFull := full
	wantFull.EventIDs = []string{"evt-a", "evt-b", "evt-c"}
	wantEmpty := emptyStrings
	wantEmpty.EventIDs = nil
	wantEmpty.History = nil
	wantNanos := nanos
	wantNanos.CreatedAt = at.Add(123 * time.Millisecond)
	wantNanos.UpdatedAt = time.Date(2025, 3, 1, 12, 0, 0, 999000000, time.UTC)
	wantNanos.History = []queue.Change{{At: wantNanos.UpdatedAt, By: queue.ByEnforcer, From: "pending/suspend", To: "pending/review", Version: 1}}
	want := map[string]queue.Item{
		full.AccountID: wantFull, bare.AccountID: bare, emptyStrings.AccountID: wantEmpty,
		nanos.AccountID: wantNanos, zeroCluster.AccountID: zeroCluster,
	}
	ids := slices.Sorted(maps.Keys(want))
	got, err := s.QueueItems(ctx, append(ids, "acc-absent"))
	if err != nil {
		t.Fatalf("QueueItems: %v", err)
	}
	if len(got) != len(want) {
		t.Errorf("QueueItems returned %d items, want %d", len(got), len(want))
	}
	for _, id := range ids {
		if d := diffItem(got[id], want[id]); d != "" {
			t.Errorf("QueueItems[%s]: %s", id, d)
		}
		if d := diffItem(readItem(t, s, id), want[id]); d != "" {
			t.Errorf("QueueItem(%s): %s", id, d)
		}
	}
	listed, err := s.ListQueue(ctx, queue.Applied, queue.Suspend, 0)
	if err != nil || len(listed) != 1 {
		t.Fatalf("ListQueue(applied, suspend) = %v, %v; want acc-full", listed, err)
	}
	if d := diffItem(listed[0], wantFull); d != "" {
		t.Errorf("ListQueue: %s", d)
	}
	// The caller's item is not changed by the write.
	if !full.History[0].At.Equal(at.Add(1500*time.Millisecond)) || nanos.History[0].At.Location() == time.UTC {
		t.Error("PutQueueItems changed the history of the item it was given")
	}
}

// testQueueHistory: the audit trail written by queue's own changes comes
// back whole through a decision, a reopening and later raises, and a full
// one (queue.MaxHistory entries, every note and author at its bound, the
// item's other lists full too) fits in an item.
func testQueueHistory(t *testing.T, s Store) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	p := func(event string, a queue.Action, at time.Time) queue.Proposal {
		return queue.Proposal{
			AccountID: "acc-h", Action: a, Score: 90, EventID: event, At: at,
			Reasons: []queue.Reason{{Rule: "rule_" + event, Points: 40, Detail: "evidence of " + event}},
		}
	}
	// write stores next over cur and checks it reads back as written.
	write := func(cur *queue.Item, next queue.Item) queue.Item {
		t.Helper()
		var prev int64
		if cur != nil {
			prev = cur.Version
		}
		put(t, s, queue.Write{Item: next, PrevVersion: prev})
		got := readItem(t, s, next.AccountID)
		if d := diffItem(got, next); d != "" {
			t.Fatalf("version %d: %s", next.Version, d)
		}
		return got
	}
	raise := func(cur *queue.Item, p queue.Proposal) queue.Item {
		t.Helper()
		next, changed := queue.Raise(cur, p)
		if !changed {
			t.Fatalf("queue.Raise(%s) changed nothing", p.EventID)
		}
		return write(cur, next)
	}
	it := raise(nil, p("evt-1", queue.Review, at.Add(123*time.Millisecond)))
	it = raise(&it, p("evt-2", queue.Suspend, at.Add(time.Minute)))
	released, err := queue.Decide(it, queue.Released, "alice@trust", "verified by phone \u202e", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	it = write(&it, released)
	it = raise(&it, p("evt-3", queue.Review, at.Add(2*time.Hour)))
	it = raise(&it, p("evt-4", queue.Suspend, at.Add(3*time.Hour)))
	var tos []string
	for _, c := range it.History {
		tos = append(tos, c.By+" "+c.To)
	}
	want := []string{"scanner pending/review", "scanner pending/suspend", "alice@trust released/suspend", "scanner pending/review", "scanner pending/suspend"}
	if !slices.Equal(tos, want) {
		t.Errorf("history %q, want %q", tos, want)
	}

	t.Run("full", func(t *testing.T) {
		long := strings.Repeat("\u202e\x1b", queue.MaxDetailBytes) // escaped, each character is 6 bytes
		big := item("acc-big", queue.Suspend, queue.Pending, at)
		big.Reasons = nil
		for i := range queue.MaxReasons {
			big.Reasons = append(big.Reasons, queue.Reason{Rule: fmt.Sprintf("rule_%02d_%s", i, strings.Repeat("r", 40)), Points: 100 - i, Detail: queue.Detail(long)})
		}
		big.EventIDs = nil
		for i := range queue.MaxEventIDs {
			big.EventIDs = append(big.EventIDs, fmt.Sprintf("%08d-b417-40f2-86ad-028ff6a0b073", i))
		}
		for i := range queue.MaxHistory {
			big.History = append(big.History, queue.Change{
				At: at.Add(time.Duration(i) * time.Minute), By: queue.Detail(long), From: "dismissed/suspend", To: "released/suspend",
				Note: queue.Detail(long), Version: int64(i + 1),
			})
		}
		big.Version = queue.MaxHistory
		big.DecidedBy, big.Note, big.RulesVersion = queue.Detail(long), queue.Detail(long), "rules-2025-03-01"
		if n := len(big.History[0].Note); n < queue.MaxDetailBytes-6 {
			t.Fatalf("a note of %d bytes: the test does not reach the bound", n)
		}
		put(t, s, queue.Write{Item: big})
		if d := diffItem(readItem(t, s, big.AccountID), big); d != "" {
			t.Errorf("a full item: %s", d)
		}
	})
}

func testListQueue(t *testing.T, s Store) {
	ctx := t.Context()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(11, 11))
	model := map[string]queue.Item{}
	var ws []queue.Write
	shards := map[int]bool{}
	for i := range 80 {
		id := fmt.Sprintf("acc-%03d", i)
		created := base.Add(time.Duration(1+rng.IntN(100000)) * time.Second)
		if i < 6 {
			created = base // a tie across shards, first in creation order
		}
		a, st := queue.Suspend, queue.Pending
		if i%3 == 1 {
			a = queue.Review
		}
		if i%10 == 9 {
			st = queue.Applied
		}
		it := item(id, a, st, created)
		model[id] = it
		ws = append(ws, queue.Write{Item: it})
		if a == queue.Suspend && st == queue.Pending {
			shards[queue.Shard(id)] = true
		}
	}
	if len(shards) < queue.Shards/2 {
		t.Fatalf("test items cover %d shards only", len(shards))
	}
	put(t, s, ws...)

	check := func(t *testing.T, st queue.Status, a queue.Action, limit int) {
		t.Helper()
		var want []queue.Item
		for _, it := range model {
			if it.Status == st && (a == "" || it.Action == a) {
				want = append(want, it)
			}
		}
		sort.Slice(want, func(i, j int) bool {
			if !want[i].CreatedAt.Equal(want[j].CreatedAt) {
				return want[i].CreatedAt.Before(want[j].CreatedAt)
			}
			return want[i].AccountID < want[j].AccountID
		})
		if limit > 0 && len(want) > limit {
			want = want[:limit]
		}
		got, err := s.ListQueue(ctx, st, a, limit)
		if err != nil {
			t.Fatalf("ListQueue(%s, %q, %d): %v", st, a, limit, err)
		}
		if g, w := ids(got), ids(want); !slices.Equal(g, w) {
			t.Fatalf("ListQueue(%s, %q, %d) = %v, want %v", st, a, limit, g, w)
		}
		for i := range got {
			if d := diffItem(got[i], want[i]); d != "" {
				t.Errorf("ListQueue(%s, %q, %d)[%d]: %s", st, a, limit, i, d)
			}
		}
	}
	tests := []struct {
		status queue.Status
		action queue.Action
		limit  int
	}{
		{queue.Pending, queue.Suspend, 0},
		{queue.Pending, queue.Suspend, 1},
		{queue.Pending, queue.Suspend, 3}, // within the tie of six
		{queue.Pending, queue.Suspend, 10},
		{queue.Pending, queue.Suspend, 1000},
		{queue.Pending, queue.Review, 0},
		{queue.Pending, "", 0},
		{queue.Pending, "", 7},
		{queue.Applied, queue.Suspend, 0},
		{queue.Applied, "", 2},
		{queue.Released, "", 0},
		{queue.Dismissed, queue.Review, 5},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %s limit %d", tc.status, tc.action, tc.limit), func(t *testing.T) {
			check(t, tc.status, tc.action, tc.limit)
		})
	}

	// Status and action changes move items between listings.
	t.Run("changes", func(t *testing.T) {
		pending, err := s.ListQueue(ctx, queue.Pending, queue.Suspend, 2)
		if err != nil || len(pending) != 2 {
			t.Fatalf("ListQueue = %v, %v", pending, err)
		}
		released, err := queue.Decide(pending[0], queue.Released, "analyst@trust", "false positive", base.Add(200000*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var reviewed queue.Item
		for _, it := range model {
			if it.Action == queue.Review && it.Status == queue.Pending {
				reviewed = it
				break
			}
		}
		raised := reviewed
		raised.Action, raised.Version = queue.Suspend, reviewed.Version+1
		put(t, s, queue.Write{Item: released, PrevVersion: pending[0].Version},
			queue.Write{Item: raised, PrevVersion: reviewed.Version})
		model[released.AccountID], model[raised.AccountID] = released, raised
		check(t, queue.Pending, queue.Suspend, 0)
		check(t, queue.Pending, queue.Review, 0)
		check(t, queue.Released, "", 0)
		check(t, queue.Pending, "", 0)
	})
}

func ids(items []queue.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.AccountID
	}
	return out
}

// diffItem describes how got differs from want, "" if it does not: times
// compare as instants, the rest field by field.
func diffItem(got, want queue.Item) string {
	var diffs []string
	if !got.CreatedAt.Equal(want.CreatedAt) {
		diffs = append(diffs, fmt.Sprintf("CreatedAt %v, want %v", got.CreatedAt, want.CreatedAt))
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		diffs = append(diffs, fmt.Sprintf("UpdatedAt %v, want %v", got.UpdatedAt, want.UpdatedAt))
	}
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
		diffs = append(diffs, "times not in UTC")
	}
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(got.History) != len(want.History) {
		diffs = append(diffs, fmt.Sprintf("history of %d entries, want %d", len(got.History), len(want.History)))
	} else {
		got.History, want.History = slices.Clone(got.History), slices.Clone(want.History)
		for i := range got.History {
			g, w := &got.History[i], &want.History[i]
			if !g.At.Equal(w.At) {
				diffs = append(diffs, fmt.Sprintf("history[%d].At %v, want %v", i, g.At, w.At))
			}
			if g.At.Location() != time.UTC {
				diffs = append(diffs, fmt.Sprintf("history[%d].At not in UTC", i))
			}
			g.At, w.At = time.Time{}, time.Time{}
		}
	}
	if len(want.History) == 0 {
		want.History = nil
	}
	if len(want.Reasons) == 0 {
		want.Reasons = nil
	}
	if len(want.EventIDs) == 0 {
		want.EventIDs = nil
	} else {
		want.EventIDs = slices.Compact(slices.Sorted(slices.Values(want.EventIDs)))
	}
	if !reflect.DeepEqual(got, want) {
		diffs = append(diffs, fmt.Sprintf("got %+v (cluster %+v), want %+v (cluster %+v)", got, got.Cluster, want, want.Cluster))
	}
	return strings.Join(diffs, "; ")
}

// testTokens: a delta applies only where none of its tokens is on the key;
// where all are, it is skipped and succeeds (a repeated write); where some
// are, it is refused and changes nothing.
func testTokens(t *testing.T, s Store) {
	ctx := t.Context()
	k := window.NewKey(window.IP, "192.0.2.7")
	t1, t2 := window.Token("c1"), window.Token("c2")
	first := window.Delta{Key: k, Incr: window.Attrs{"f1": 2}, SetOnce: window.Attrs{t1: 10, "m_a": 5}, Tokens: []string{t1}}
	steps := []struct {
		name    string
		d       window.Delta
		wantErr error
		want    window.Attrs
	}{
		{"first write", first, nil, window.Attrs{"f1": 2, t1: 10, "m_a": 5}},
		{"the same again", first, nil, window.Attrs{"f1": 2, t1: 10, "m_a": 5}},
		{"partly applied", window.Delta{Key: k, Incr: window.Attrs{"f1": 1}, SetOnce: window.Attrs{t1: 10, t2: 11}, Tokens: []string{t1, t2}},
			window.ErrTokenConflict, window.Attrs{"f1": 2, t1: 10, "m_a": 5}},
		{"a new token", window.Delta{Key: k, Incr: window.Attrs{"f1": 1}, SetOnce: window.Attrs{t2: 11}, Tokens: []string{t2}, Remove: []string{t1}},
			nil, window.Attrs{"f1": 3, t2: 11, "m_a": 5}},
	}
	for _, st := range steps {
		errs := s.UpdateKeys(ctx, []window.Delta{st.d})
		if len(errs) != 1 || !errors.Is(errs[0], st.wantErr) || (st.wantErr == nil && errs[0] != nil) {
			t.Fatalf("%s: UpdateKeys = %v, want %v", st.name, errs, st.wantErr)
		}
		if want := window.Apply(nil, first); st.name == "first write" && !maps.Equal(want, st.want) {
			t.Fatalf("window.Apply disagrees with the test: %v", want)
		}
		got, err := s.Keys(ctx, []window.Key{k})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got[k], st.want) {
			t.Errorf("%s: key = %v, want %v", st.name, got[k], st.want)
		}
	}
}

// testExpiryOnlyMovesForward: a key keeps the later of its expiry and a
// write's, so an old event cannot bring its deletion forward.
func testExpiryOnlyMovesForward(t *testing.T, s Store) {
	ctx := t.Context()
	k := window.NewKey(window.Prefix, "192.0.2.0/24")
	for _, st := range []struct{ write, want int64 }{{2_000, 2_000}, {1_000, 2_000}, {0, 2_000}, {3_000, 3_000}} {
		if err := errors.Join(s.UpdateKeys(ctx, []window.Delta{{Key: k, Incr: window.Attrs{"f1": 1}, Expires: st.write}})...); err != nil {
			t.Fatal(err)
		}
		got, err := s.KeyExpiry(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if got != st.want {
			t.Errorf("after a write expiring at %d: expiry %d, want %d", st.write, got, st.want)
		}
	}
	got, err := s.Keys(ctx, []window.Key{k})
	if err != nil {
		t.Fatal(err)
	}
	if got[k]["f1"] != 4 {
		t.Errorf("f1 = %d after four writes, want 4: a write kept from moving the expiry back was lost", got[k]["f1"])
	}
}

// testClaims: the life of a claim, by claim.Allowed.
func testClaims(t *testing.T, s Store) {
	ctx := t.Context()
	id := claim.ID("evt-claims")
	a := claim.Claim{ID: id, EventID: "evt-claims", Hash: "h1", Owner: "A", LeaseUntil: 1_000, Result: []byte(`{"score":7}`), Expires: 1_900_000_000}
	b := a
	b.Owner, b.LeaseUntil = "B", 2_000
	done := b
	done.Done = true
	stale := a
	stale.LeaseUntil = 999
	steps := []struct {
		name      string
		w         claim.Write
		conflict  bool
		wantOwner string
	}{
		{"create", claim.Write{Claim: a}, false, "A"},
		{"create again", claim.Write{Claim: b}, true, "A"},
		{"take over from a lease that moved", claim.Write{Claim: b, Prev: &stale}, true, "A"},
		{"take over", claim.Write{Claim: b, Prev: &a}, false, "B"},
		{"the old owner finishes", claim.Write{Claim: func() claim.Claim { c := a; c.Done = true; return c }(), Prev: &a}, true, "B"},
		{"finish", claim.Write{Claim: done, Prev: &b}, false, "B"},
		{"take over a finished claim", claim.Write{Claim: a, Prev: &done}, true, "B"},
	}
	for _, st := range steps {
		errs := s.PutClaims(ctx, []claim.Write{st.w})
		if len(errs) != 1 || errors.Is(errs[0], claim.ErrConflict) != st.conflict || (!st.conflict && errs[0] != nil) {
			t.Fatalf("%s: PutClaims = %v, want conflict %v", st.name, errs, st.conflict)
		}
		got, err := s.Claims(ctx, []string{id, claim.ID("absent")})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[id].Owner != st.wantOwner {
			t.Fatalf("%s: claims %+v, want one owned by %s", st.name, got, st.wantOwner)
		}
	}
	got, err := s.Claims(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	c := got[id]
	if !c.Done || c.Hash != "h1" || c.EventID != "evt-claims" || string(c.Result) != `{"score":7}` || c.Expires != 1_900_000_000 {
		t.Errorf("claim read back as %+v", c)
	}
}

// testClaimRace: of many attempts creating one claim at once, one wins.
func testClaimRace(t *testing.T, s Store) {
	ctx := t.Context()
	id := claim.ID("evt-race")
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Go(func() {
			c := claim.Claim{ID: id, EventID: "evt-race", Hash: "h", Owner: fmt.Sprint("owner-", i), LeaseUntil: 5}
			err := s.PutClaims(ctx, []claim.Write{{Claim: c}})[0]
			if err != nil && !errors.Is(err, claim.ErrConflict) {
				t.Errorf("PutClaims: %v", err)
			}
			if err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d attempts created the claim, want 1", won)
	}
}

// Settled returns a key's stored attributes as state, for comparing two
// stores: less its write tokens (the bookkeeping of attempts) and less what
// is past retention at its newest count, which the key's next write removes
// and nothing counts.
func Settled(a window.Attrs) window.Attrs {
	out := maps.Clone(a)
	for name := range out {
		if _, tok := window.TokenClaim(name); tok {
			delete(out, name)
		}
	}
	r := window.Parse(out)
	if newest, ok := r.Newest(); ok {
		for _, name := range r.Stale(newest) {
			delete(out, name)
		}
	}
	return out
}

// testItemTooLarge: a key grown past DynamoDB's item limit is refused as
// permanent (retrying cannot help), and keeps what it had.
func testItemTooLarge(t *testing.T, s Store) {
	ctx := t.Context()
	k := window.NewKey(window.Template, "huge")
	name := strings.Repeat("n", 60)
	var last error
	for round := range 200 {
		d := window.Delta{Key: k, SetOnce: window.Attrs{}}
		for i := range 50 {
			d.SetOnce[fmt.Sprintf("%s%05d", name, round*50+i)] = 1
		}
		if last = s.UpdateKeys(ctx, []window.Delta{d})[0]; last != nil {
			break
		}
	}
	if !errors.Is(last, storage.ErrPermanent) {
		t.Fatalf("growing a key past %d bytes: last error %v, want one wrapping storage.ErrPermanent", storage.MaxItemBytes, last)
	}
	got, err := s.Keys(ctx, []window.Key{k})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got[k]); n == 0 || n%50 != 0 {
		t.Errorf("the key holds %d attributes after the refused write, want a whole number of writes' 50", n)
	}
}

// readRecords reads keys both ways, and fails t unless both reads agree.
func readRecords(t *testing.T, s Store, keys ...string) map[string]versioned.Record {
	t.Helper()
	var first map[string]versioned.Record
	for _, consistent := range []bool{true, false} {
		got, err := s.Records(t.Context(), keys, consistent)
		if err != nil {
			t.Fatalf("Records(consistent %v): %v", consistent, err)
		}
		if first == nil {
			first = got
		} else if d := diffRecords(got, first); d != "" {
			t.Fatalf("an eventually consistent read after a completed write differs from a consistent one: %s", d)
		}
	}
	return first
}

// checkRecords fails t unless got holds exactly want.
func checkRecords(t *testing.T, got, want map[string]versioned.Record) {
	t.Helper()
	if d := diffRecords(got, want); d != "" {
		t.Error(d)
	}
}

func diffRecords(got, want map[string]versioned.Record) string {
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch w := want[k]; {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%.40s absent, want version %d", k, w.Version))
		case g.Version != w.Version || g.Expires != w.Expires || !bytes.Equal(g.Data, w.Data):
			diffs = append(diffs, fmt.Sprintf("%.40s = version %d expiring %d with %d bytes %.20q, want version %d expiring %d with %d bytes %.20q",
				k, g.Version, g.Expires, len(g.Data), g.Data, w.Version, w.Expires, len(w.Data), w.Data))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%.40s present, want absent", k))
		}
	}
	return strings.Join(diffs, "; ")
}

// putRecords writes ws in one call and fails t unless every write
// succeeded.
func putRecords(t *testing.T, s Store, ws ...versioned.Write) {
	t.Helper()
	errs := s.PutRecords(t.Context(), ws)
	if len(errs) != len(ws) {
		t.Fatalf("PutRecords returned %d errors for %d writes", len(errs), len(ws))
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("PutRecords: %v", err)
	}
}

// testRecords: records round-trip, several in one call, of any content,
// and the caller's slices stay its own.
func testRecords(t *testing.T, s Store) {
	records := func() map[string]versioned.Record {
		return map[string]versioned.Record{
			"lgn#acc-1":     {Version: 1, Data: []byte("login history 1"), Expires: 1_900_000_000},
			"lip#c0ffee":    {Version: 1, Data: []byte{0, 1, 0xff, 0x80, '\n', 0}},
			"lgn#acc-empty": {Version: 1, Expires: 1_800_000_000},
			"ldv#full":      {Version: 1, Data: bytes.Repeat([]byte{0xa5, 0}, versioned.MaxData/2), Expires: 1},
		}
	}
	var ws []versioned.Write
	for k, r := range records() {
		ws = append(ws, versioned.Write{Key: k, Record: r})
	}
	putRecords(t, s, ws...)
	want := records()
	got := readRecords(t, s, "lgn#acc-1", "lip#c0ffee", "lgn#absent", "lgn#acc-empty", "ldv#full", "lgn#acc-1")
	checkRecords(t, got, want)

	// Changing the slices written or read changes nothing stored.
	for _, w := range ws {
		if len(w.Record.Data) > 0 {
			w.Record.Data[0] ^= 0xff
		}
	}
	for _, r := range got {
		if len(r.Data) > 0 {
			r.Data[len(r.Data)-1] ^= 0xff
		}
	}
	checkRecords(t, readRecords(t, s, slices.Collect(maps.Keys(want))...), want)

	// An update replaces data and expiry; no expiry removes it.
	next := []versioned.Write{
		{Key: "lgn#acc-1", Prev: 1, Record: versioned.Record{Version: 2, Data: []byte("login history 2")}},
		{Key: "lip#c0ffee", Prev: 1, Record: versioned.Record{Version: 2, Expires: 1_900_000_500}},
	}
	putRecords(t, s, next...)
	for _, w := range next {
		want[w.Key] = w.Record
	}
	checkRecords(t, readRecords(t, s, slices.Collect(maps.Keys(want))...), want)

	if got, err := s.Records(t.Context(), nil, true); err != nil || len(got) != 0 {
		t.Errorf("Records(nil) = %v, %v; want empty, nil", got, err)
	}
}

// testManyRecords: more records than one request reads (DynamoDB's
// BatchGetItem takes 100 keys) or one write-behind buffer holds, each
// written once and updated once, are all read back.
func testManyRecords(t *testing.T, s Store) {
	const n, perCall = 250, 25
	want := map[string]versioned.Record{}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("lip#%04d", i)
	}
	for prev := range int64(2) {
		for start := 0; start < n; start += perCall {
			var ws []versioned.Write
			for _, k := range keys[start : start+perCall] {
				r := versioned.Record{Version: prev + 1, Data: fmt.Appendf(nil, "%s at %d", k, prev+1), Expires: 1_900_000_000 + prev}
				ws = append(ws, versioned.Write{Key: k, Prev: prev, Record: r})
				want[k] = r
			}
			putRecords(t, s, ws...)
		}
	}
	checkRecords(t, readRecords(t, s, append(keys, "lip#absent")...), want)
}

// testRecordOrder: writes of one key in one call apply in the order given,
// each against what the one before it left.
func testRecordOrder(t *testing.T, s Store) {
	w := func(k string, prev int64, data string) versioned.Write {
		return versioned.Write{Key: k, Prev: prev, Record: versioned.Record{Version: prev + 1, Data: []byte(data)}}
	}
	putRecords(t, s, w("lgn#chain", 0, "one"), w("lgn#other", 0, "other"), w("lgn#chain", 1, "two"), w("lgn#chain", 2, "three"))
	errs := s.PutRecords(t.Context(), []versioned.Write{w("lgn#backwards", 1, "two"), w("lgn#backwards", 0, "one")})
	if len(errs) != 2 || !errors.Is(errs[0], versioned.ErrConflict) || errs[1] != nil {
		t.Errorf("PutRecords(version 2, then version 1 of a new key) = %v, want a conflict, then nil", errs)
	}
	checkRecords(t, readRecords(t, s, "lgn#chain", "lgn#other", "lgn#backwards"), map[string]versioned.Record{
		"lgn#chain":     {Version: 3, Data: []byte("three")},
		"lgn#other":     {Version: 1, Data: []byte("other")},
		"lgn#backwards": {Version: 1, Data: []byte("one")},
	})
}

// testRecordConflicts: a write succeeds only on the version it read, or
// when it finds its very own record (its first answer lost); a refused
// write leaves the stored record as it was.
func testRecordConflicts(t *testing.T, s Store) {
	const k = "lgn#acc-conflict"
	w := func(prev int64, data string, expires int64) versioned.Write {
		return versioned.Write{Key: k, Prev: prev, Record: versioned.Record{Version: prev + 1, Data: []byte(data), Expires: expires}}
	}
	v1, v2 := w(0, "a", 100), w(1, "b", 200)
	steps := []struct {
		name     string
		w        versioned.Write
		conflict bool
		want     versioned.Record // stored after the write
	}{
		{"create", v1, false, v1.Record},
		{"create again, other data", w(0, "other", 100), true, v1.Record},
		{"create repeated (its answer lost)", v1, false, v1.Record},
		{"update", v2, false, v2.Record},
		{"update repeated (its answer lost)", v2, false, v2.Record},
		{"stale: the same version read, other data", w(1, "c", 200), true, v2.Record},
		{"stale: the same version read, other expiry", w(1, "b", 300), true, v2.Record},
		{"stale: the create repeated after the update", v1, true, v2.Record},
		{"ahead: a version never stored", w(5, "z", 0), true, v2.Record},
		{"update again", w(2, "", 0), false, versioned.Record{Version: 3}},
	}
	for _, st := range steps {
		errs := s.PutRecords(t.Context(), []versioned.Write{st.w})
		if len(errs) != 1 || errors.Is(errs[0], versioned.ErrConflict) != st.conflict || (!st.conflict && errs[0] != nil) {
			t.Fatalf("%s: PutRecords = %v, want conflict %v", st.name, errs, st.conflict)
		}
		if st.conflict && !strings.Contains(errs[0].Error(), k) {
			t.Errorf("%s: error %q does not name the key", st.name, errs[0])
		}
		if d := diffRecords(readRecords(t, s, k), map[string]versioned.Record{k: st.want}); d != "" {
			t.Fatalf("%s: %s", st.name, d)
		}
	}

	// An update of a record that never existed conflicts and creates
	// nothing; it does not stop the other writes of its call.
	errs := s.PutRecords(t.Context(), []versioned.Write{
		{Key: "lgn#never", Prev: 1, Record: versioned.Record{Version: 2, Data: []byte("x")}},
		{Key: "lgn#fresh", Record: versioned.Record{Version: 1, Data: []byte("y")}},
		w(0, "late create", 0),
	})
	if len(errs) != 3 || !errors.Is(errs[0], versioned.ErrConflict) || errs[1] != nil || !errors.Is(errs[2], versioned.ErrConflict) {
		t.Errorf("PutRecords(update of nothing, create, create of an existing key) = %v, want conflict, nil, conflict", errs)
	}
	checkRecords(t, readRecords(t, s, "lgn#never", "lgn#fresh", k), map[string]versioned.Record{
		"lgn#fresh": {Version: 1, Data: []byte("y")},
		k:           {Version: 3},
	})
}

// testRecordRace: of writers racing from one version, in calls of their
// own, exactly one wins and its record is stored; in one call, the first
// wins.
func testRecordRace(t *testing.T, s Store) {
	const k, writers = "lip#race", 8
	for round := range 4 {
		prev := int64(round)
		ws := make([]versioned.Write, writers)
		for i := range ws {
			ws[i] = versioned.Write{Key: k, Prev: prev, Record: versioned.Record{
				Version: prev + 1, Data: fmt.Appendf(nil, "round %d writer %d", round, i), Expires: int64(1000*round + i),
			}}
		}
		errs := make([]error, writers)
		if round%2 == 0 {
			var wg sync.WaitGroup
			for i := range ws {
				wg.Go(func() { errs[i] = s.PutRecords(t.Context(), ws[i:i+1])[0] })
			}
			wg.Wait()
		} else {
			errs = s.PutRecords(t.Context(), ws)
		}
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, versioned.ErrConflict):
				t.Fatalf("round %d: writer %d: %v, want versioned.ErrConflict", round, i, err)
			}
		}
		switch {
		case winner < 0:
			t.Fatalf("round %d: no writer won", round)
		case round%2 == 1 && winner != 0:
			t.Errorf("round %d: writer %d of one call won, want the first", round, winner)
		}
		checkRecords(t, readRecords(t, s, k), map[string]versioned.Record{k: ws[winner].Record})
	}
}

// testRecordRefused: a write that is malformed or too large for DynamoDB
// is refused as permanent (retrying cannot help) and stores nothing, and
// does not stop the other writes of its call.
func testRecordRefused(t *testing.T, s Store) {
	putRecords(t, s, versioned.Write{Key: "lgn#grow", Record: versioned.Record{Version: 1, Data: []byte("small")}})
	long := strings.Repeat("k", 2049) // DynamoDB's limit on a partition key is 2048 bytes
	ok := []versioned.Write{
		{Key: "lgn#ok", Record: versioned.Record{Version: 1, Data: []byte("ok")}},
		{Key: long[:2048], Record: versioned.Record{Version: 1, Data: []byte("long key")}},
	}
	refused := []struct {
		name string
		w    versioned.Write
	}{
		{"version skipped", versioned.Write{Key: "lgn#skip", Record: versioned.Record{Version: 2}}},
		{"version kept", versioned.Write{Key: "lgn#grow", Prev: 1, Record: versioned.Record{Version: 1}}},
		{"negative previous version", versioned.Write{Key: "lgn#neg", Prev: -1, Record: versioned.Record{Version: 0}}},
		{"empty key", versioned.Write{Record: versioned.Record{Version: 1}}},
		{"data over versioned.MaxData", versioned.Write{Key: "lgn#big", Record: versioned.Record{Version: 1, Data: make([]byte, versioned.MaxData+1)}}},
		{"a record grown too large", versioned.Write{Key: "lgn#grow", Prev: 1, Record: versioned.Record{Version: 2, Data: make([]byte, versioned.MaxData+1)}}},
		{"key over 2048 bytes", versioned.Write{Key: long, Record: versioned.Record{Version: 1}}},
	}
	ws := []versioned.Write{ok[0]}
	for _, r := range refused {
		ws = append(ws, r.w)
	}
	ws = append(ws, ok[1])
	errs := s.PutRecords(t.Context(), ws)
	if len(errs) != len(ws) {
		t.Fatalf("PutRecords returned %d errors for %d writes", len(errs), len(ws))
	}
	if errs[0] != nil || errs[len(errs)-1] != nil {
		t.Errorf("PutRecords of the valid writes among refused ones = %v, %v; want nil", errs[0], errs[len(errs)-1])
	}
	for i, r := range refused {
		if err := errs[i+1]; !errors.Is(err, storage.ErrPermanent) || errors.Is(err, versioned.ErrConflict) {
			t.Errorf("%s: PutRecords = %v, want an error wrapping storage.ErrPermanent", r.name, err)
		}
	}
	checkRecords(t, readRecords(t, s, "lgn#ok", long[:2048], "lgn#skip", "lgn#grow", "lgn#neg", "lgn#big"), map[string]versioned.Record{
		"lgn#ok":    ok[0].Record,
		long[:2048]: ok[1].Record,
		"lgn#grow":  {Version: 1, Data: []byte("small")},
	})
	if _, err := s.Records(t.Context(), []string{"lgn#ok", long}, true); !errors.Is(err, storage.ErrPermanent) {
		t.Errorf("Records(a key over 2048 bytes) error = %v, want one wrapping storage.ErrPermanent", err)
	}
}
