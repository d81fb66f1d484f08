package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/window"
)

// now is the receiver's clock of these tests.
var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// onEachStore runs test on a fresh store of each kind, with a pipeline
// whose clock stands at now.
func onEachStore(t *testing.T, test func(t *testing.T, st store, p *pipeline.Pipeline)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			st := s.open(t)
			test(t, st, newPipelineAt(t, st, func() time.Time { return now }))
		})
	}
}

// signupAt is a signup from a shared home address at t.
func signupAt(id string, t time.Time) pipeline.Record {
	at := t.UTC().Format(time.RFC3339)
	return pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Signup","source":"s","time":"` + at +
		`","detail":{"accountId":"a-` + id + `","address":"x` + id + `@mail.example","createdAt":"` + at + `","ip":"73.45.1.2"}}`)}
}

// TestConflictingDuplicate: the same event id with other content is kept as
// a failed record naming the id, in the same batch and in a later one; the
// first delivery stands and is not scored again.
func TestConflictingDuplicate(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		orig := signupAt("e1", now.Add(-time.Hour))
		other := pipeline.Record{ID: "m2", Body: []byte(strings.Replace(string(orig.Body), "73.45.1.2", "73.45.1.3", 1))}
		exact := pipeline.Record{ID: "m3", Body: orig.Body}
		res := p.Process(context.Background(), []pipeline.Record{orig, other, exact})
		if res[0].Err != nil {
			t.Fatalf("first delivery: %v", res[0].Err)
		}
		checkConflict(t, res[1])
		if res[2].Err != nil || !res[2].Duplicate {
			t.Errorf("identical copy: err %v duplicate %v, want a duplicate", res[2].Err, res[2].Duplicate)
		}
		before, err := st.Keys(context.Background(), []window.Key{window.NewKey(window.IP, "73.45.1.3")})
		if err != nil {
			t.Fatal(err)
		}
		if len(before) != 0 {
			t.Errorf("the conflicting copy was counted: %v", before)
		}
		// A later batch: the same.
		res = p.Process(context.Background(), []pipeline.Record{other, exact})
		checkConflict(t, res[0])
		if res[1].Err != nil || !res[1].Duplicate {
			t.Errorf("identical copy later: err %v duplicate %v, want a duplicate", res[1].Err, res[1].Duplicate)
		}
	})
}

func checkConflict(t *testing.T, r pipeline.Result) {
	t.Helper()
	var fe *event.FieldError
	if !errors.As(r.Err, &fe) || fe.Field != "id" || !strings.Contains(fe.Reason, "other content") {
		t.Errorf("conflicting copy: %v, want an error naming id", r.Err)
	}
	if r.Duplicate {
		t.Errorf("conflicting copy reported as a plain duplicate")
	}
}

// TestEventTimesCannotEraseState: an event older than retention is refused
// by name and writes nothing; an old event within retention does not move
// a key's expiry back; one far ahead of a key's other events, within the
// skew allowed, does not age out what they count.
func TestEventTimesCannotEraseState(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		ctx := context.Background()
		ip := window.NewKey(window.IP, "73.45.1.2")
		var batch []pipeline.Record
		for i := range 4 {
			batch = append(batch, signupAt("n"+string(rune('0'+i)), now.Add(-90*time.Minute+time.Duration(i)*time.Minute)))
		}
		for _, r := range p.Process(ctx, batch) {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		probe := func(id string, at time.Time) window.Counts {
			t.Helper()
			k, err := st.Keys(ctx, []window.Key{ip})
			if err != nil {
				t.Fatal(err)
			}
			return window.Parse(k[ip]).Counts(at)
		}
		want := probe("", now.Add(-85*time.Minute))
		if want.Last1h != 4 {
			t.Fatalf("the first signups count %d in their hour, want 4", want.Last1h)
		}

		res := p.Process(ctx, []pipeline.Record{signupAt("ancient", now.AddDate(-2, 0, 0))})
		var fe *event.FieldError
		if !errors.As(res[0].Err, &fe) || fe.Field != "detail.createdAt" || !errors.Is(res[0].Err, event.ErrMalformed) {
			t.Errorf("a signup two years old: %v, want a malformed-event error naming detail.createdAt", res[0].Err)
		}
		// Within retention, but older than the key's events.
		if r := p.Process(ctx, []pipeline.Record{signupAt("old", now.AddDate(0, 0, -20))}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		// Just inside the skew allowed ahead of the receiver's clock.
		if r := p.Process(ctx, []pipeline.Record{signupAt("ahead", now.Add(59*time.Minute))}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		// Nothing the first four count was aged out.
		if got := probe("", now.Add(-85*time.Minute)); got.Last1h != want.Last1h {
			t.Errorf("an hour after the first signups: %d in the hour, want %d", got.Last1h, want.Last1h)
		}
		if got := probe("", now); got.Members != want.Members+2 {
			t.Errorf("members %d, want %d", got.Members, want.Members+2)
		}
		exp := expiryOf(t, st, ip)
		if min := now.Add(window.Retention).Unix(); exp != 0 && exp < min {
			t.Errorf("key expiry %s is before retention after its newest event", time.Unix(exp, 0).UTC())
		}
		// And the next signup at now sees every earlier one of the hour.
		res = p.Process(ctx, []pipeline.Record{signupAt("next", now)})
		if res[0].Err != nil {
			t.Fatal(res[0].Err)
		}
		if c := probe("", now.Add(-85*time.Minute)); c.Last1h != want.Last1h {
			t.Errorf("after the next signup, the first hour counts %d, want %d", c.Last1h, want.Last1h)
		}
	})
}

// expiryOf reads a key's expiry where the store can say; 0 where not.
func expiryOf(t *testing.T, st store, k window.Key) int64 {
	t.Helper()
	type expirer interface {
		KeyExpiry(ctx context.Context, k window.Key) (int64, error)
	}
	e, ok := st.(expirer)
	if !ok {
		return 0
	}
	exp, err := e.KeyExpiry(context.Background(), k)
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

// TestBusyKeyInALargeBatch: two hundred signups of one batch share their
// /24 and their username shape. DynamoDB refuses an expression over 4 KB
// (the adapter refuses it too, since dynalite does not), so one write
// cannot carry two hundred events' tokens: the key is written in several,
// and every event is counted once.
func TestBusyKeyInALargeBatch(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		var batch []pipeline.Record
		for i := range 200 {
			id := fmt.Sprintf("b%03d", i)
			at := now.Add(-time.Hour + time.Duration(i)*time.Second).UTC().Format(time.RFC3339)
			batch = append(batch, pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Signup","source":"s","time":"` + at +
				`","detail":{"accountId":"a-` + id + `","address":"user` + id + `@mail.example","createdAt":"` + at + `","ip":"73.45.1.` + fmt.Sprint(i%250) + `"}}`)})
		}
		for _, r := range p.Process(context.Background(), batch) {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.RecordID, r.Err)
			}
		}
		net := window.NewKey(window.Prefix, "73.45.1.0/24")
		k, err := st.Keys(context.Background(), []window.Key{net})
		if err != nil {
			t.Fatal(err)
		}
		if c := window.Parse(k[net]).Counts(now); c.Last1h+c.Last24h == 0 || c.Last24h != 200 {
			t.Errorf("the /24 counts %d in the day, want 200", c.Last24h)
		}
	})
}

// TestFinishedClaimKeepsNoDecision: once an event is done, its claim holds
// its content hash and state, not the reasons (which quote addresses and
// usernames).
func TestFinishedClaimKeepsNoDecision(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		if r := p.Process(context.Background(), []pipeline.Record{signupAt("fin", now.Add(-time.Minute))}); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
		id := claim.ID("fin")
		got, err := st.Claims(context.Background(), []string{id})
		if err != nil {
			t.Fatal(err)
		}
		c, ok := got[id]
		if !ok || !c.Done || c.Hash == "" || len(c.Result) != 0 {
			t.Errorf("claim after the event finished: %+v, want done with a hash and no decision", c)
		}
	})
}
