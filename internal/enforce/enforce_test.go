package enforce_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/enforce/caps"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/webhook"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is the platform's suspension endpoint, for real, on loopback
// over TLS: it checks every call's signature (a bad one is a test
// failure), answers what the test asks, and keeps, per webhook id, how
// often it was called and what it took (2xx).
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	key []byte

	mu sync.Mutex
	// answer, if set, answers a call (n: the call's number for its id);
	// nil answers 200.
	answer func(w http.ResponseWriter, id string, n int, b enforce.Body) bool
	calls  map[string]int
	taken  map[string]enforce.Body
	total  atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	key, err := webhook.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, key: key, calls: map[string]int{}, taken: map[string]enforce.Body{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.total.Add(1)
	raw, _ := io.ReadAll(req.Body)
	if err := webhook.Verify(r.key, req.Header, raw, time.Now(), 5*time.Minute); err != nil {
		r.t.Errorf("receiver: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var b enforce.Body
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		r.t.Errorf("receiver: body %s: %v", raw, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id := req.Header.Get(webhook.HeaderID)
	r.mu.Lock()
	r.calls[id]++
	n, answer := r.calls[id], r.answer
	r.mu.Unlock()
	if answer != nil && answer(w, id, n, b) {
		return
	}
	r.mu.Lock()
	r.taken[id] = b
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) setAnswer(f func(w http.ResponseWriter, id string, n int, b enforce.Body) bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

// took returns the ids the receiver took (answered 2xx), sorted.
func (r *receiver) took() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id := range r.taken {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *receiver) client(attempt time.Duration) *webhook.Client {
	h := r.srv.Client() // trusts the server's certificate, nothing else
	h.Timeout = attempt
	return &webhook.Client{URL: r.srv.URL, Key: r.key, HTTP: h, Now: time.Now,
		Backoff: webhook.Backoff{Base: 2 * time.Millisecond, Max: 20 * time.Millisecond, Reserve: 100 * time.Millisecond}}
}

// store is what an enforcer needs of storage, as both adapters give it.
type store interface {
	enforce.Queue
	enforce.Caps
}

// memCaps adds the in-process caps to a queue store (the embedded store
// keeps no caps: it runs in one process).
type memCaps struct {
	enforce.Queue
	caps.Memory
}

// stores returns the stores the tests run on: DynamoDB (dynalite, real
// conditional writes, the caps in the state table) and the embedded store.
func stores(t *testing.T) map[string]func(t *testing.T) store {
	return map[string]func(t *testing.T) store{
		"dynamo": func(t *testing.T) store { return dynamo.New(dynamotest.Client(t), dynamotest.Tables(t)) },
		"embedded": func(t *testing.T) store {
			s, err := embedded.Open(filepath.Join(t.TempDir(), "q.db"), embedded.Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return &memCaps{Queue: s}
		},
	}
}

// on is a switch that is always on.
type on bool

func (o on) Enabled(context.Context) (bool, error) { return bool(o), nil }

var limits = caps.Limits{PerWindow: 20, Window: 10 * time.Minute, PerDay: 1000}

func newEnforcer(t *testing.T, s store, sender enforce.Sender, sw enforce.Switch, opts enforce.Options) *enforce.Enforcer {
	t.Helper()
	if opts.Limits == (caps.Limits{}) {
		opts.Limits = limits
	}
	e, err := enforce.New(s, s, sender, sw, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var t0 = time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)

// raise queues an account as pending/suspend, as the scanner does, and
// returns the stream change that made it so.
func raise(t *testing.T, s store, id string) enforce.Change {
	t.Helper()
	it, _ := queue.Raise(nil, queue.Proposal{AccountID: id, Action: queue.Suspend, Score: 92, At: t0, EventID: "ev-" + id,
		Reasons: []queue.Reason{{Rule: "signup_burst", Points: 60, Detail: "27 signups from 198.51.100.0/24 in 10 min"}, {Rule: "shared_device", Points: 32, Detail: "device shared by 12 accounts"}}})
	if err := s.PutQueueItems(t.Context(), []queue.Write{{Item: it}})[0]; err != nil {
		t.Fatal(err)
	}
	return enforce.Change{ID: "seq-" + id, New: &it}
}

func item(t *testing.T, s store, id string) queue.Item {
	t.Helper()
	it, err := s.QueueItem(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func deadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func outcomes(rs []enforce.Result) []enforce.Outcome {
	out := make([]enforce.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func TestWants(t *testing.T) {
	t.Parallel()
	it := func(st queue.Status, a queue.Action) *queue.Item { return &queue.Item{Status: st, Action: a} }
	cases := []struct {
		name string
		c    enforce.Change
		want bool
	}{
		{"insert pending/suspend", enforce.Change{New: it(queue.Pending, queue.Suspend)}, true},
		{"review raised to suspend", enforce.Change{Old: it(queue.Pending, queue.Review), New: it(queue.Pending, queue.Suspend)}, true},
		{"dismissed, applied again by a person? no: reopened items are review", enforce.Change{Old: it(queue.Dismissed, queue.Review), New: it(queue.Pending, queue.Review)}, false},
		{"suspend raised with more evidence", enforce.Change{Old: it(queue.Pending, queue.Suspend), New: it(queue.Pending, queue.Suspend)}, false},
		{"insert review", enforce.Change{New: it(queue.Pending, queue.Review)}, false},
		{"applied", enforce.Change{Old: it(queue.Pending, queue.Suspend), New: it(queue.Applied, queue.Suspend)}, false},
		{"released", enforce.Change{Old: it(queue.Pending, queue.Suspend), New: it(queue.Released, queue.Suspend)}, false},
		{"removed by TTL", enforce.Change{Old: it(queue.Applied, queue.Suspend)}, false},
	}
	for _, c := range cases {
		if got := enforce.Wants(c.c); got != c.want {
			t.Errorf("%s: Wants = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestSuspendOnceInEffect: an item that becomes pending/suspend is
// suspended by one signed call, marked applied with the enforcer in its
// history; the batch replayed calls nothing again.
func TestSuspendOnceInEffect(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, rcv := open(t), newReceiver(t)
			e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{})
			batch := []enforce.Change{raise(t, s, "acct-1"), raise(t, s, "acct-2")}
			// A change that asks for nothing, in between.
			review := queue.Item{AccountID: "acct-3", Status: queue.Pending, Action: queue.Review, Version: 1}
			batch = append(batch, enforce.Change{ID: "seq-3", New: &review})
			rs := e.Process(deadline(t, 10*time.Second), batch)
			if got := outcomes(rs); !slices.Equal(got, []enforce.Outcome{enforce.Suspended, enforce.Suspended, enforce.Skipped}) {
				t.Fatalf("outcomes %v", got)
			}
			if got, want := rcv.took(), []string{"suspend.acct-1.v1", "suspend.acct-2.v1"}; !slices.Equal(got, want) {
				t.Errorf("receiver took %v, want %v", got, want)
			}
			b := rcv.taken["suspend.acct-1.v1"]
			if b.Type != enforce.TypeSuspend || b.AccountID != "acct-1" || b.Score != 92 || len(b.Reasons) != 2 || b.ItemVersion != 1 || b.Action != queue.Suspend {
				t.Errorf("body %+v", b)
			}
			it := item(t, s, "acct-1")
			if it.Status != queue.Applied || it.DecidedBy != queue.ByEnforcer || it.Version != 2 {
				t.Errorf("item after: %s by %q v%d", it.State(), it.DecidedBy, it.Version)
			}
			// Replayed (the stream delivers a batch again): nothing is
			// called twice.
			before := rcv.total.Load()
			rs = e.Process(deadline(t, 10*time.Second), batch)
			if got := outcomes(rs); !slices.Equal(got, []enforce.Outcome{enforce.Skipped, enforce.Skipped, enforce.Skipped}) {
				t.Errorf("replay outcomes %v", got)
			}
			if rcv.total.Load() != before {
				t.Errorf("the replay made %d calls", rcv.total.Load()-before)
			}
		})
	}
}

// TestRetriesKeepTheID: 5xx, 429 and a slow answer are retried within the
// deadline under the same webhook id; past the deadline the record fails,
// the item stays pending, and its retry (the stream's) suspends it under
// the same id, counted once against the caps.
func TestRetriesKeepTheID(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, rcv := open(t), newReceiver(t)
			e := newEnforcer(t, s, rcv.client(200*time.Millisecond), on(true), enforce.Options{Limits: caps.Limits{PerWindow: 2, Window: 10 * time.Minute, PerDay: 2}})
			rcv.setAnswer(func(w http.ResponseWriter, id string, n int, _ enforce.Body) bool {
				switch n {
				case 1:
					w.WriteHeader(http.StatusInternalServerError)
				case 2:
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusTooManyRequests)
				case 3:
					time.Sleep(400 * time.Millisecond) // past the attempt timeout
				default:
					return false
				}
				return true
			})
			c := raise(t, s, "acct-r")
			rs := e.Process(deadline(t, 10*time.Second), []enforce.Change{c})
			if rs[0].Outcome != enforce.Suspended || rs[0].Calls != 4 {
				t.Fatalf("result %+v, want suspended after 4 calls", rs[0])
			}
			if rcv.calls["suspend.acct-r.v1"] != 4 || len(rcv.calls) != 1 {
				t.Errorf("calls by id %v, want 4 of suspend.acct-r.v1", rcv.calls)
			}

			// Down for longer than the invocation: the record fails, and
			// the rest of the batch is not tried.
			rcv.setAnswer(func(w http.ResponseWriter, _ string, _ int, _ enforce.Body) bool {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			})
			c2, c3 := raise(t, s, "acct-down"), raise(t, s, "acct-next")
			rs = e.Process(deadline(t, 500*time.Millisecond), []enforce.Change{c2, c3})
			if rs[0].Outcome != enforce.Failed || !errors.Is(rs[0].Err, webhook.ErrUnavailable) || !errors.Is(rs[1].Err, enforce.ErrNotTried) {
				t.Fatalf("results %+v", rs)
			}
			if it := item(t, s, "acct-down"); it.State() != "pending/suspend" {
				t.Errorf("item after a failed call: %s", it.State())
			}
			// The stream retries: same id, and the grant taken by the
			// failed try is not counted again (the cap is 2: acct-r and
			// acct-down; acct-next is held).
			rcv.setAnswer(nil)
			rs = e.Process(deadline(t, 10*time.Second), []enforce.Change{c2, c3})
			if got := outcomes(rs); !slices.Equal(got, []enforce.Outcome{enforce.Suspended, enforce.Held}) {
				t.Errorf("retry outcomes %v (%v)", got, rs)
			}
			if got := rcv.took(); !slices.Equal(got, []string{"suspend.acct-down.v1", "suspend.acct-r.v1"}) {
				t.Errorf("receiver took %v", got)
			}
		})
	}
}

// TestRefusedGoesToReview: a 4xx other than 429 is not retried; the item
// becomes a review, with why, and the history names the enforcer.
func TestRefusedGoesToReview(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, rcv := open(t), newReceiver(t)
			rcv.setAnswer(func(w http.ResponseWriter, _ string, _ int, _ enforce.Body) bool {
				w.WriteHeader(http.StatusUnprocessableEntity)
				_, _ = io.WriteString(w, `{"error":"account is a protected VIP"}`)
				return true
			})
			e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{})
			rs := e.Process(deadline(t, 10*time.Second), []enforce.Change{raise(t, s, "acct-vip")})
			if rs[0].Outcome != enforce.Refused || rs[0].Err != nil || rs[0].Calls != 1 {
				t.Fatalf("result %+v", rs[0])
			}
			it := item(t, s, "acct-vip")
			if it.State() != "pending/review" {
				t.Errorf("item %s, want pending/review", it.State())
			}
			wantNote := `suspension endpoint refused: 422 Unprocessable Entity: {"error":"account is a protected VIP"}`
			if h := it.History; len(h) > 0 {
				last := h[len(h)-1]
				if last.By != queue.ByEnforcer || last.Note != wantNote || last.From != "pending/suspend" || last.To != "pending/review" {
					t.Errorf("last change %+v, want by enforcer with note %q", last, wantNote)
				}
			} else if name == "embedded" {
				t.Error("no history")
			}
		})
	}
}

// TestFlood: a bad rule queues 10,000 accounts for suspension at once;
// four invocations at a time work through them in batches of 10. Exactly
// the cap is suspended; every other item is held for review with the
// cap's note, so nothing is lost when the cap lifts. On dynalite the flood
// is 2,000 (a hundred times the cap, the four invocations sharing the caps
// item), which keeps the test within seconds.
func TestFlood(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := 10_000
			if name == "dynamo" {
				n = 2_000
			}
			if testing.Short() {
				n = 500
			}
			s, rcv := open(t), newReceiver(t)
			e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{})
			ws := make([]queue.Write, n)
			cs := make([]enforce.Change, n)
			for i := range n {
				id := fmt.Sprintf("flood-%05d", i)
				it, _ := queue.Raise(nil, queue.Proposal{AccountID: id, Action: queue.Suspend, Score: 85, At: t0, EventID: "ev-" + id,
					Reasons: []queue.Reason{{Rule: "bad_rule", Points: 85, Detail: "fires on everyone"}}})
				ws[i] = queue.Write{Item: it}
				cs[i] = enforce.Change{ID: "seq-" + id, New: &it}
			}
			for i, err := range s.PutQueueItems(t.Context(), ws) {
				if err != nil {
					t.Fatalf("put %d: %v", i, err)
				}
			}
			batches := make(chan []enforce.Change)
			var mu sync.Mutex
			count := map[enforce.Outcome]int{}
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for b := range batches {
						for _, r := range e.Process(deadline(t, time.Minute), b) {
							mu.Lock()
							count[r.Outcome]++
							mu.Unlock()
							if r.Err != nil {
								t.Errorf("%s: %v", r.ID, r.Err)
							}
						}
					}
				})
			}
			for i := 0; i < n; i += 10 {
				batches <- cs[i:min(i+10, n)]
			}
			close(batches)
			wg.Wait()
			if count[enforce.Suspended] != limits.PerWindow || count[enforce.Held] != n-limits.PerWindow {
				t.Errorf("outcomes %v, want %d suspended and %d held", count, limits.PerWindow, n-limits.PerWindow)
			}
			if got := len(rcv.took()); got != limits.PerWindow || rcv.total.Load() != int64(limits.PerWindow) {
				t.Errorf("receiver took %d accounts in %d calls, want %d", got, rcv.total.Load(), limits.PerWindow)
			}
			held := 0
			for i := 0; i < n; i += 97 {
				it := item(t, s, fmt.Sprintf("flood-%05d", i))
				switch it.State() {
				case "applied/suspend":
				case "pending/review":
					held++
					if h := it.History; len(h) > 0 && h[len(h)-1].Note != "blast-radius cap: 20 in 10 min reached" {
						t.Errorf("%s: last change %+v", it.AccountID, h[len(h)-1])
					}
				default:
					t.Errorf("%s: %s", it.AccountID, it.State())
				}
			}
			if held == 0 {
				t.Error("no held item among the sampled")
			}
		})
	}
}

// TestKillSwitch: off, nothing is sent and the items stay pending (the
// records succeed); it is read at most once a minute, so turning it on
// takes effect within a minute.
func TestKillSwitch(t *testing.T) {
	t.Parallel()
	s, rcv := stores(t)["dynamo"](t), newReceiver(t)
	var value atomic.Value
	value.Store("off")
	var reads atomic.Int64
	now := t0
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	sw := &enforce.KillSwitch{Now: clock, TTL: time.Minute, Stale: 5 * time.Minute,
		Fetch: func(context.Context) (string, error) { reads.Add(1); return value.Load().(string), nil }}
	e := newEnforcer(t, s, rcv.client(time.Second), sw, enforce.Options{})
	var cs []enforce.Change
	for i := range 5 {
		cs = append(cs, raise(t, s, fmt.Sprintf("ks-%d", i)))
	}
	rs := e.Process(deadline(t, 10*time.Second), cs)
	for _, r := range rs {
		if r.Outcome != enforce.Off || r.Err != nil {
			t.Errorf("switched off: %+v", r)
		}
	}
	if rcv.total.Load() != 0 || reads.Load() != 1 {
		t.Errorf("switched off: %d calls, %d reads of the switch; want 0 and 1", rcv.total.Load(), reads.Load())
	}
	if it := item(t, s, "ks-0"); it.State() != "pending/suspend" {
		t.Errorf("item %s, want pending/suspend", it.State())
	}
	// Turned on: still off for the rest of the minute, then on.
	value.Store("on")
	clockMu.Lock()
	now = now.Add(59 * time.Second)
	clockMu.Unlock()
	if rs := e.Process(deadline(t, 10*time.Second), cs[:1]); rs[0].Outcome != enforce.Off {
		t.Errorf("within the minute: %+v", rs[0])
	}
	clockMu.Lock()
	now = now.Add(time.Second)
	clockMu.Unlock()
	if rs := e.Process(deadline(t, 10*time.Second), cs[:1]); rs[0].Outcome != enforce.Suspended {
		t.Errorf("after the minute: %+v", rs[0])
	}
	// A failing read keeps the last value for a while, then fails.
	sw.Fetch = nil
	fail := &enforce.KillSwitch{Now: clock, TTL: time.Minute, Stale: 5 * time.Minute,
		Fetch: func(context.Context) (string, error) { return "", errors.New("ssm down") }}
	if _, err := fail.Enabled(t.Context()); err == nil {
		t.Error("a switch never read answered")
	}
	for v, want := range map[string]bool{"on": true, "ON ": true, "true": true, "off": false, "of": false, "": false, "yes please": false} {
		if enforce.SwitchOn(v) != want {
			t.Errorf("SwitchOn(%q) = %v", v, !want)
		}
	}
}

func TestShadowSendsNothing(t *testing.T) {
	t.Parallel()
	s, rcv := stores(t)["embedded"](t), newReceiver(t)
	e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{Shadow: true})
	rs := e.Process(deadline(t, 10*time.Second), []enforce.Change{raise(t, s, "sh-1")})
	if rs[0].Outcome != enforce.Shadow || rcv.total.Load() != 0 {
		t.Errorf("shadow: %+v, %d calls", rs[0], rcv.total.Load())
	}
	if it := item(t, s, "sh-1"); it.State() != "pending/suspend" || it.Version != 1 {
		t.Errorf("shadow wrote the item: %s v%d", it.State(), it.Version)
	}
}

// TestReleaseRace: a person releases the item while the platform is
// suspending the account. The enforcer's applied write loses, it reads
// the release, and asks the platform to undo the suspension under an id of
// its own; the item stays released.
func TestReleaseRace(t *testing.T) {
	t.Parallel()
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, rcv := open(t), newReceiver(t)
			rcv.setAnswer(func(w http.ResponseWriter, id string, _ int, b enforce.Body) bool {
				if b.Type != enforce.TypeSuspend {
					return false
				}
				cur, err := s.QueueItem(context.Background(), b.AccountID)
				if err != nil {
					t.Error(err)
					return false
				}
				next, err := queue.Decide(cur, queue.Released, "alice@trust.example", "known customer", time.Now())
				if err != nil {
					t.Error(err)
					return false
				}
				if err := s.PutQueueItems(context.Background(), []queue.Write{{Item: next, PrevVersion: cur.Version}})[0]; err != nil {
					t.Error(err)
				}
				return false // and take the suspension
			})
			e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{})
			rs := e.Process(deadline(t, 10*time.Second), []enforce.Change{raise(t, s, "race-1")})
			if rs[0].Outcome != enforce.Undone || rs[0].Err != nil {
				t.Fatalf("result %+v", rs[0])
			}
			if got := rcv.took(); !slices.Equal(got, []string{"suspend.race-1.v1", "unsuspend.race-1.v1"}) {
				t.Errorf("receiver took %v", got)
			}
			undo := rcv.taken["unsuspend.race-1.v1"]
			if undo.Type != enforce.TypeUnsuspend || undo.AccountID != "race-1" || undo.ItemVersion != 1 || strings.Contains(undo.Note, "alice") || len(undo.Reasons) != 0 {
				t.Errorf("undo body %+v", undo)
			}
			if it := item(t, s, "race-1"); it.Status != queue.Released {
				t.Errorf("item %s, want released", it.State())
			}
		})
	}
}

// TestReleasedBeforeTheCall: the stream is late; the item was released
// before the enforcer got to it: nothing is called.
func TestReleasedBeforeTheCall(t *testing.T) {
	t.Parallel()
	s, rcv := stores(t)["dynamo"](t), newReceiver(t)
	c := raise(t, s, "late-1")
	cur := item(t, s, "late-1")
	next, _ := queue.Decide(cur, queue.Released, "bob", "false positive", time.Now())
	if err := s.PutQueueItems(t.Context(), []queue.Write{{Item: next, PrevVersion: cur.Version}})[0]; err != nil {
		t.Fatal(err)
	}
	e := newEnforcer(t, s, rcv.client(time.Second), on(true), enforce.Options{})
	if rs := e.Process(deadline(t, 10*time.Second), []enforce.Change{c}); rs[0].Outcome != enforce.Skipped || rcv.total.Load() != 0 {
		t.Errorf("result %+v, %d calls", rs[0], rcv.total.Load())
	}
}
