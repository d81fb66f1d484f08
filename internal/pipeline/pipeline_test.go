package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/storetest"
	"github.com/mailtrust/abusescan/internal/synth"
	"github.com/mailtrust/abusescan/internal/window"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// store is what these tests need of a store: the pipeline's interface plus
// reading the queue back.
type store interface {
	pipeline.Store
	ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error)
}

// stores opens a fresh store of each kind.
var stores = []struct {
	name string
	open func(t *testing.T) store
}{
	{"embedded", func(t *testing.T) store {
		st, err := embedded.Open(filepath.Join(t.TempDir(), "state.db"), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"dynamodb", func(t *testing.T) store {
		return dynamo.New(dynamotest.Client(t), dynamotest.Tables(t))
	}},
}

const geoDir = "../../testdata/geoip"

// testHashKey is the HMAC key of these tests' stores.
const testHashKey = "pipeline-test-hash-key:9fQ2xLr7Vb0Wm4Kc8Zt1Hy6Jn3Ps5Ud"

func newPipeline(t testing.TB, st pipeline.Store, policy decision.Policy) *pipeline.Pipeline {
	t.Helper()
	return buildPipeline(t, st, nil, policy, setup.Clock{}, false)
}

// buildPipeline builds a pipeline as the functions do, over the test
// GeoIP databases. clusters turns campaign clustering on: the per-event
// paths are tested without it, since a cluster's judgement depends on how
// events fell into batches, and cluster_test.go holds clustering to its own
// invariants.
func buildPipeline(t testing.TB, st pipeline.Store, objs pipeline.Objects, policy decision.Policy, clock setup.Clock, clusters bool) *pipeline.Pipeline {
	t.Helper()
	cfg := config.Config{
		GeoCityDB:  filepath.Join(geoDir, "GeoIP2-City-Test.mmdb"),
		GeoASNDB:   filepath.Join(geoDir, "GeoLite2-ASN-Test.mmdb"),
		GeoAnonDB:  filepath.Join(geoDir, "GeoIP2-Anonymous-IP-Test.mmdb"),
		Policy:     policy,
		NoClusters: !clusters,
	}
	sc, err := setup.Build(cfg, st, objs, nil, []byte(testHashKey), nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc.Pipeline
}

// scenario generates labelled traffic and its envelopes.
func scenario(t testing.TB, cfg synth.Config) ([]pipeline.Record, map[string]synth.Label) {
	t.Helper()
	evs, labels, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]pipeline.Record, len(evs))
	for i, e := range evs {
		b, err := event.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = pipeline.Record{ID: fmt.Sprintf("r%d", i), Body: b}
	}
	byAccount := make(map[string]synth.Label, len(labels))
	for _, l := range labels {
		byAccount[l.AccountID] = l
	}
	return recs, byAccount
}

// botWave is a short scenario: a day of genuine signups and one bot wave.
func botWave(seed int64) synth.Config {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	return synth.Config{
		Seed: seed, Start: start, Days: 2, GenuinePerDay: 150,
		Campaigns: []synth.Campaign{{ID: "wave", Type: synth.BotWave, Start: start.Add(30 * time.Hour), Accounts: 60, Spread: 15 * time.Minute}},
	}
}

func processAll(ctx context.Context, t testing.TB, p *pipeline.Pipeline, recs []pipeline.Record, batch int) []pipeline.Result {
	t.Helper()
	var out []pipeline.Result
	for i := 0; i < len(recs); i += batch {
		out = append(out, p.Process(ctx, recs[i:min(i+batch, len(recs))])...)
	}
	return out
}

// snapshot reads back everything the pipeline wrote for the accounts and
// keys of recs.
func snapshot(ctx context.Context, t *testing.T, st store, keys []window.Key, ids []string) (map[window.Key]window.Attrs, map[string]queue.Item, map[string]account.Account) {
	t.Helper()
	k, err := st.Keys(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	q, err := st.QueueItems(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.Accounts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	return k, q, a
}

func TestMalformedRecordFailsOnlyItself(t *testing.T) {
	t.Parallel()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			recs, _ := scenario(t, botWave(1))
			good := recs[:3]
			batch := []pipeline.Record{
				good[0],
				{ID: "bad-ip", Body: []byte(`{"id":"e-bad","detail-type":"Mailbox Signup","source":"s","time":"2026-03-02T10:00:00Z","detail":{"accountId":"a1","address":"x@mail.example","createdAt":"2026-03-02T10:00:00Z","ip":"999.1.2.3"}}`)},
				good[1],
				{ID: "not-json", Body: []byte(`{"id":`)},
				good[2],
			}
			res := newPipeline(t, s.open(t), decision.DefaultPolicy()).Process(ctx, batch)
			if len(res) != len(batch) {
				t.Fatalf("got %d results, want %d", len(res), len(batch))
			}
			wantField := map[int]string{1: "detail.ip", 3: "(event)"}
			for i, r := range res {
				if r.RecordID != batch[i].ID {
					t.Errorf("result %d is for %q, want %q", i, r.RecordID, batch[i].ID)
				}
				field, bad := wantField[i]
				if !bad {
					if r.Err != nil {
						t.Errorf("record %s: unexpected error %v", r.RecordID, r.Err)
					}
					continue
				}
				var fe *event.FieldError
				if !errors.As(r.Err, &fe) || !errors.Is(r.Err, event.ErrMalformed) || fe.Field != field {
					t.Errorf("record %s: error %v, want a malformed-event error naming %s", r.RecordID, r.Err, field)
				}
			}
		})
	}
}

// TestDuplicateDeliveryChangesNothing delivers every event twice, in the
// same batch and in a later one, and checks that counts, queue and account
// records are those of a single delivery.
func TestDuplicateDeliveryChangesNothing(t *testing.T) {
	t.Parallel()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			recs, labels := scenario(t, botWave(2))
			once, twice := s.open(t), s.open(t)
			p1 := newPipeline(t, once, decision.DefaultPolicy())
			p2 := newPipeline(t, twice, decision.DefaultPolicy())
			first := processAll(ctx, t, p1, recs, 100)

			// In-batch duplicates: each record followed by itself.
			doubled := make([]pipeline.Record, 0, 2*len(recs))
			for _, r := range recs {
				doubled = append(doubled, r, r)
			}
			processAll(ctx, t, p2, doubled, 100)
			again := processAll(ctx, t, p2, recs, 100)
			for i, r := range again {
				if r.Err != nil || !r.Duplicate {
					t.Fatalf("redelivered record %d: err %v duplicate %v, want a duplicate", i, r.Err, r.Duplicate)
				}
			}

			keys, ids := keysOf(t, recs), slices.Collect(mapKeys(labels))
			k1, q1, a1 := snapshot(ctx, t, once, keys, ids)
			k2, q2, a2 := snapshot(ctx, t, twice, keys, ids)
			if !equalKeys(k1, k2) {
				t.Errorf("counts differ between one delivery and three")
			}
			if len(q1) == 0 {
				t.Fatalf("the bot wave queued nothing: the test proves nothing")
			}
			if len(q1) != len(q2) {
				t.Errorf("queue has %d items after one delivery, %d after three", len(q1), len(q2))
			}
			for id, it := range q1 {
				it2 := q2[id]
				if it.Version != it2.Version || it.Score != it2.Score || it.Action != it2.Action || !slices.Equal(it.EventIDs, it2.EventIDs) {
					t.Errorf("queue item %s: once %+v, three times %+v", id, it, it2)
				}
			}
			if len(a1) != len(a2) || len(a1) != len(labels) {
				t.Errorf("account records: %d after one delivery, %d after three, want %d", len(a1), len(a2), len(labels))
			}
			queued := 0
			for _, r := range first {
				if r.Queued {
					queued++
				}
			}
			if queued != len(q1) {
				t.Errorf("%d results say queued, queue has %d items", queued, len(q1))
			}
		})
	}
}

// flaky fails the account-record write of chosen accounts once: the fault
// after counting and queueing that a retry must not double.
type flaky struct {
	store
	failOnce map[string]bool
}

func (f *flaky) CreateAccounts(ctx context.Context, as []account.Account) []error {
	errs := f.store.CreateAccounts(ctx, slices.DeleteFunc(slices.Clone(as), func(a account.Account) bool { return f.failOnce[a.ID] }))
	out := make([]error, 0, len(as))
	j := 0
	for _, a := range as {
		if f.failOnce[a.ID] {
			delete(f.failOnce, a.ID)
			out = append(out, errors.New("throttled"))
			continue
		}
		out = append(out, errs[j])
		j++
	}
	return out
}

func TestRetryAfterFaultCountsOnce(t *testing.T) {
	t.Parallel()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			recs, labels := scenario(t, botWave(3))
			clean := s.open(t)
			processAll(ctx, t, newPipeline(t, clean, decision.DefaultPolicy()), recs, 50)

			faulty := &flaky{store: s.open(t), failOnce: map[string]bool{}}
			// Fail one account in every batch of ten, spread over the stream.
			for i, r := range recs {
				if i%10 == 3 {
					ev, err := event.Decode(r.Body)
					if err != nil {
						t.Fatal(err)
					}
					faulty.failOnce[ev.AccountID()] = true
				}
			}
			p := newPipeline(t, faulty, decision.DefaultPolicy())
			failed := 0
			for i := 0; i < len(recs); i += 50 {
				batch := recs[i:min(i+50, len(recs))]
				res := p.Process(ctx, batch)
				var retry []pipeline.Record
				for j, r := range res {
					if r.Err != nil {
						if !errors.Is(r.Err, pipeline.ErrTransient) {
							t.Fatalf("record %s: %v, want a transient error", r.RecordID, r.Err)
						}
						failed++
						retry = append(retry, batch[j])
					}
				}
				for _, r := range p.Process(ctx, retry) {
					if r.Err != nil {
						t.Fatalf("retry of %s failed: %v", r.RecordID, r.Err)
					}
				}
			}
			if failed == 0 {
				t.Fatal("no fault was injected: the test proves nothing")
			}
			keys, ids := keysOf(t, recs), slices.Collect(mapKeys(labels))
			k1, q1, _ := snapshot(ctx, t, clean, keys, ids)
			k2, q2, _ := snapshot(ctx, t, faulty, keys, ids)
			if !equalKeys(k1, k2) {
				t.Errorf("counts after %d retried faults differ from a clean run", failed)
			}
			for id, it := range q1 {
				if q2[id].Score != it.Score || q2[id].Action != it.Action {
					t.Errorf("queue item %s: clean %d/%s, after faults %d/%s", id, it.Score, it.Action, q2[id].Score, q2[id].Action)
				}
			}
		})
	}
}

func TestShadowModeWritesNoQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stores[0].open(t)
	policy := decision.DefaultPolicy()
	policy.Shadow = true
	recs, _ := scenario(t, botWave(4))
	res := processAll(ctx, t, newPipeline(t, st, policy), recs, 100)
	shadowed := 0
	for _, r := range res {
		if r.Shadow {
			shadowed++
			if r.Queued {
				t.Errorf("%s: shadow result says queued", r.AccountID)
			}
		}
	}
	if shadowed == 0 {
		t.Fatal("nothing scored above allow: the test proves nothing")
	}
	items, err := st.ListQueue(ctx, queue.Pending, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 0 {
		t.Errorf("shadow mode wrote %d queue items", len(items))
	}
}

// TestGenuineHardCases runs a week of genuine traffic of a seed the rules
// were never tuned on and checks that the people who look most like a
// campaign (campus labs, carrier NAT, families on one device, VPN users) are
// not suspended, and rarely reviewed.
func TestGenuineHardCases(t *testing.T) {
	if testing.Short() {
		t.Skip("a week of traffic")
	}
	t.Parallel()
	ctx := context.Background()
	cfg := synth.Config{Seed: 99173, Start: time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), Days: 7, GenuinePerDay: 1500}
	recs, labels := scenario(t, cfg)
	res := processAll(ctx, t, newPipeline(t, stores[0].open(t), decision.DefaultPolicy()), recs, 500)
	type tally struct{ n, suspend, review int }
	byKind := map[string]*tally{}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.RecordID, r.Err)
		}
		l := labels[r.AccountID]
		tl := byKind[l.Kind]
		if tl == nil {
			tl = &tally{}
			byKind[l.Kind] = tl
		}
		tl.n++
		switch r.Verdict {
		case pipeline.Suspend:
			tl.suspend++
			t.Errorf("genuine %s account %s suspended: %v", l.Kind, r.AccountID, r.Reasons)
		case pipeline.Review:
			tl.review++
		}
	}
	for _, kind := range []string{"campus-lab", "mobile-cgnat", "family-device", "commercial-vpn"} {
		tl := byKind[kind]
		if tl == nil || tl.n < 20 {
			t.Fatalf("scenario has too few %s accounts to judge", kind)
		}
		if rate := float64(tl.review) / float64(tl.n); rate > 0.02 {
			t.Errorf("%s: %d of %d reviewed (%.1f%%), want at most 2%%", kind, tl.review, tl.n, 100*rate)
		}
	}
}

func TestBotWaveQueued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, seed := range []int64{11, 12, 13} {
		recs, labels := scenario(t, botWave(seed))
		res := processAll(ctx, t, newPipeline(t, stores[0].open(t), decision.DefaultPolicy()), recs, 100)
		wave, caught, genuineQueued := 0, 0, 0
		for _, r := range res {
			if labels[r.AccountID].Campaign == "" {
				if r.Verdict != pipeline.Allow {
					genuineQueued++
				}
				continue
			}
			wave++
			if r.Verdict != pipeline.Allow {
				caught++
			}
		}
		if wave == 0 || float64(caught)/float64(wave) < 0.95 {
			t.Errorf("seed %d: %d of %d bot-wave accounts queued, want 95%%", seed, caught, wave)
		}
		if genuineQueued > 1 {
			t.Errorf("seed %d: %d genuine accounts queued alongside the wave", seed, genuineQueued)
		}
	}
}

func keysOf(t testing.TB, recs []pipeline.Record) []window.Key {
	t.Helper()
	// Derive the IP, network and ASN keys; the hashed ones are covered by
	// the same code path and compared through the queue and counts of these.
	set := map[window.Key]bool{}
	for _, r := range recs {
		ev, err := event.Decode(r.Body)
		if err != nil || ev.Signup == nil {
			continue
		}
		set[window.NewKey(window.IP, pipeline.Host(ev.Signup.IP))] = true
		set[window.NewKey(window.Prefix, pipeline.Prefix(ev.Signup.IP).String())] = true
	}
	return slices.Collect(mapKeys(set))
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// equalKeys compares stored keys as state: write tokens (the bookkeeping of
// attempts) are left out, and so is what is past retention at the key's
// newest count, which a later write removes and nothing counts.
func equalKeys(a, b map[window.Key]window.Attrs) bool {
	if len(a) != len(b) {
		return false
	}
	for k, av := range a {
		av = storetest.Settled(av)
		bv, ok := b[k]
		bv = storetest.Settled(bv)
		if !ok || len(av) != len(bv) {
			return false
		}
		for name, v := range av {
			if bv[name] != v {
				return false
			}
		}
	}
	return true
}

// TestFutureEventsRejected: a deployed function's clock bounds event times,
// so one far-future signup cannot age out the history of the keys it shares.
func TestFutureEventsRejected(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := stores[0].open(t)
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	sc, err := setup.Build(config.Config{
		GeoCityDB: filepath.Join(geoDir, "GeoIP2-City-Test.mmdb"),
		GeoASNDB:  filepath.Join(geoDir, "GeoLite2-ASN-Test.mmdb"),
		Policy:    decision.DefaultPolicy(),
	}, st, nil, nil, []byte(testHashKey), nil, setup.Clock{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	signup := func(id, at string) pipeline.Record {
		return pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Signup","source":"s","time":"` + at +
			`","detail":{"accountId":"a-` + id + `","address":"x` + id + `@mail.example","createdAt":"` + at + `","ip":"73.45.1.2"}}`)}
	}
	res := sc.Pipeline.Process(ctx, []pipeline.Record{
		signup("past", "2026-03-02T11:00:00Z"),
		signup("soon", "2026-03-02T12:30:00Z"),
		signup("future", "2099-01-01T00:00:00Z"),
	})
	for i, want := range []string{"", "", "time"} {
		var fe *event.FieldError
		switch {
		case want == "" && res[i].Err != nil:
			t.Errorf("%s: %v", res[i].RecordID, res[i].Err)
		case want != "" && (!errors.As(res[i].Err, &fe) || fe.Field != want):
			t.Errorf("%s: error %v, want one naming %s", res[i].RecordID, res[i].Err, want)
		}
	}
}
