package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/storetest"
	"github.com/mailtrust/abusescan/internal/synth"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

// errInjected is the fault faultStore reports.
var errInjected = errors.New("injected fault")

// faultStore fails one write: the n-th item written through any write call
// (claims, keys, queue items, account records), counted from 1. With
// applied, the write is made and then reported failed, as when its answer
// is lost. It counts every write, so a run with n = 0 measures a batch.
type faultStore struct {
	store
	mu      sync.Mutex
	n       int
	applied bool
	writes  int
	fired   bool
}

var _ pipeline.Store = (*faultStore)(nil)

// pick numbers the k writes of one call and returns the index of the one
// to fail, or -1.
func (f *faultStore) pick(k int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := -1
	if !f.fired && f.n > f.writes && f.n <= f.writes+k {
		at, f.fired = f.n-f.writes-1, true
	}
	f.writes += k
	return at
}

// faulty runs one write call through the fault: write writes the items
// whose indexes it is given and returns their errors.
func faulty[T any](f *faultStore, items []T, write func([]T) []error) []error {
	at := f.pick(len(items))
	if at < 0 {
		return write(items)
	}
	if f.applied {
		errs := write(items)
		errs[at] = errInjected
		return errs
	}
	rest := append(slices.Clone(items[:at]), items[at+1:]...)
	errs := write(rest)
	return slices.Insert(errs, at, error(errInjected))
}

func (f *faultStore) UpdateKeys(ctx context.Context, ds []window.Delta) []error {
	return faulty(f, ds, func(ds []window.Delta) []error { return f.store.UpdateKeys(ctx, ds) })
}

func (f *faultStore) PutClaims(ctx context.Context, ws []claim.Write) []error {
	return faulty(f, ws, func(ws []claim.Write) []error { return f.store.PutClaims(ctx, ws) })
}

func (f *faultStore) CreateAccounts(ctx context.Context, as []account.Account) []error {
	return faulty(f, as, func(as []account.Account) []error { return f.store.CreateAccounts(ctx, as) })
}

func (f *faultStore) PutQueueItems(ctx context.Context, ws []queue.Write) []error {
	return faulty(f, ws, func(ws []queue.Write) []error { return f.store.PutQueueItems(ctx, ws) })
}

func (f *faultStore) PutRecords(ctx context.Context, ws []versioned.Write) []error {
	return faulty(f, ws, func(ws []versioned.Write) []error { return f.store.PutRecords(ctx, ws) })
}

// clock is a receiver's clock a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newPipelineAt is newPipeline with a receiver's clock, as deployed.
func newPipelineAt(t testing.TB, st pipeline.Store, now func() time.Time) *pipeline.Pipeline {
	t.Helper()
	return buildPipeline(t, st, nil, decision.DefaultPolicy(), setup.Clock{Now: now}, false)
}

// smallWave is a few hours of genuine signups around a bot wave: enough
// shared keys (one /24, one username shape) that every write matters.
func smallWave() synth.Config {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	return synth.Config{
		Seed: 11, Start: start, Days: 1, GenuinePerDay: 40,
		Campaigns: []synth.Campaign{{ID: "wave", Type: synth.BotWave, Start: start.Add(3 * time.Hour), Accounts: 16, Spread: 10 * time.Minute}},
	}
}

// state is everything the pipeline leaves in a store, as one delivery
// defines it: keys as settled state, queue items, account records.
type state struct {
	keys     map[window.Key]window.Attrs
	queue    map[string]queue.Item
	accounts map[string]account.Account
}

func readState(t *testing.T, st store, keys []window.Key, ids []string) state {
	t.Helper()
	k, q, a := snapshot(context.Background(), t, st, keys, ids)
	for key, attrs := range k {
		k[key] = storetest.Settled(attrs)
	}
	return state{k, q, a}
}

// diffState says how got differs from want, "" if it does not.
func diffState(got, want state) string {
	var out []string
	for k, w := range want.keys {
		if g := got.keys[k]; !maps.Equal(g, w) {
			out = append(out, fmt.Sprintf("key %s: %v, want %v", k, g, w))
		}
	}
	if len(got.keys) != len(want.keys) {
		out = append(out, fmt.Sprintf("%d keys, want %d", len(got.keys), len(want.keys)))
	}
	if !reflect.DeepEqual(got.queue, want.queue) {
		out = append(out, fmt.Sprintf("queue differs: %d items, want %d", len(got.queue), len(want.queue)))
		for id, w := range want.queue {
			if g := got.queue[id]; !reflect.DeepEqual(g, w) {
				out = append(out, fmt.Sprintf("  %s: v%d %s %d %v, want v%d %s %d %v", id, g.Version, g.Action, g.Score, g.EventIDs, w.Version, w.Action, w.Score, w.EventIDs))
			}
		}
	}
	if !reflect.DeepEqual(got.accounts, want.accounts) {
		out = append(out, fmt.Sprintf("account records differ: %d, want %d", len(got.accounts), len(want.accounts)))
	}
	if len(out) > 6 {
		out = append(out[:6], "…")
	}
	return fmt.Sprint(out)
}

// deliver processes recs in batches, retrying each batch's failed records
// until none fail, as SQS would redeliver them. A retry moves the clock
// past any lease a failed attempt left. It returns how many records failed
// at least once.
func deliver(t *testing.T, p *pipeline.Pipeline, c *clock, recs []pipeline.Record, batch int) int {
	t.Helper()
	failed := 0
	for i := 0; i < len(recs); i += batch {
		todo := recs[i:min(i+batch, len(recs))]
		for round := 0; len(todo) > 0; round++ {
			if round == 5 {
				t.Fatalf("records still failing after %d retries", round)
			}
			var again []pipeline.Record
			for j, r := range p.Process(context.Background(), todo) {
				if r.Err != nil {
					if !errors.Is(r.Err, pipeline.ErrTransient) {
						t.Fatalf("record %s: %v, want a transient error", r.RecordID, r.Err)
					}
					if round == 0 {
						failed++
					}
					again = append(again, todo[j])
				}
			}
			todo = again
			if len(todo) > 0 {
				c.Add(10 * time.Minute)
			}
		}
	}
	return failed
}

// cleanRun delivers recs once, in batches, with no fault, and returns how
// many writes (as writes counts them) came before the second batch and how
// many it made: the batch the fault tests break.
func cleanRun(t *testing.T, p *pipeline.Pipeline, recs []pipeline.Record, batch int, writes func() int) (before, during int) {
	t.Helper()
	for i := 0; i < len(recs); i += batch {
		if i == batch {
			before = writes()
		}
		for _, r := range p.Process(context.Background(), recs[i:min(i+batch, len(recs))]) {
			if r.Err != nil {
				t.Fatalf("clean run: %s: %v", r.RecordID, r.Err)
			}
		}
		if i == batch {
			during = writes() - before
		}
	}
	return before, during
}

// TestFaultAtEveryWrite fails each write of one batch in turn, once before
// it is made and once after (a lost answer), retries the failed records,
// and checks that the store ends as one clean delivery leaves it.
func TestFaultAtEveryWrite(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, smallWave())
	keys, ids := keysOf(t, recs), slices.Collect(maps.Keys(labels))
	const batch = 20
	start := time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC) // after the stream
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			counter := &faultStore{store: s.open(t)}
			before, during := cleanRun(t, newPipelineAt(t, counter, (&clock{now: start}).Now), recs, batch, func() int { return counter.writes })
			want := readState(t, counter.store, keys, ids)
			if len(want.queue) == 0 {
				t.Fatal("the scenario queues nothing: the test proves nothing")
			}
			step := 1
			if s.name == "dynamodb" {
				step = 3 // each run needs new tables; a third of the writes, spread over all kinds
			}
			for _, applied := range []bool{false, true} {
				for n := 1; n <= during; n += step {
					name := fmt.Sprintf("fail write %d of %d", n, during)
					if applied {
						name = fmt.Sprintf("apply then fail write %d of %d", n, during)
					}
					f := &faultStore{store: s.open(t), n: before + n, applied: applied}
					c := &clock{now: start}
					failed := deliver(t, newPipelineAt(t, f, c.Now), c, recs, batch)
					if !f.fired || failed == 0 {
						t.Fatalf("%s: the fault did not fail a record", name)
					}
					if d := diffState(readState(t, f.store, keys, ids), want); d != "[]" {
						t.Errorf("%s: %s", name, d)
					}
				}
			}
		})
	}
}

// deliverTwice delivers recs, batch by batch, to p1 and p2 at once, each
// retrying what it could not finish (the other is finishing it), and
// returns how many records were reported as duplicates.
func deliverTwice(t *testing.T, p1, p2 *pipeline.Pipeline, recs []pipeline.Record, batch int) int {
	t.Helper()
	dups := 0
	var mu sync.Mutex
	for i := 0; i < len(recs); i += batch {
		b := recs[i:min(i+batch, len(recs))]
		var wg sync.WaitGroup
		for _, p := range []*pipeline.Pipeline{p1, p2} {
			wg.Go(func() {
				todo := b
				for round := 0; len(todo) > 0; round++ {
					if round == 50 {
						t.Errorf("records still failing after %d rounds", round)
						return
					}
					var again []pipeline.Record
					for j, r := range p.Process(context.Background(), todo) {
						switch {
						case r.Err != nil:
							again = append(again, todo[j])
						case r.Duplicate:
							mu.Lock()
							dups++
							mu.Unlock()
						}
					}
					todo = again
					if len(todo) > 0 {
						time.Sleep(5 * time.Millisecond) // the other is finishing them
					}
				}
			})
		}
		wg.Wait()
	}
	return dups
}

// TestConcurrentDuplicateDelivery delivers the whole stream to two
// invocations at once, batch by batch, each retrying what it could not
// finish, and checks the store against one delivery.
func TestConcurrentDuplicateDelivery(t *testing.T) {
	t.Parallel()
	recs, labels := scenario(t, botWave(5))
	keys, ids := keysOf(t, recs), slices.Collect(maps.Keys(labels))
	start := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clean := s.open(t)
			c0 := &clock{now: start}
			deliver(t, newPipelineAt(t, clean, c0.Now), c0, recs, 50)
			want := readState(t, clean, keys, ids)

			st := s.open(t)
			c := &clock{now: start}
			dups := deliverTwice(t, newPipelineAt(t, st, c.Now), newPipelineAt(t, st, c.Now), recs, 50)
			if dups < len(recs) {
				t.Errorf("%d duplicates seen, want at least %d (every record twice)", dups, len(recs))
			}
			if d := diffState(readState(t, st, keys, ids), want); d != "[]" {
				t.Errorf("two deliveries at once: %s", d)
			}
		})
	}
}
