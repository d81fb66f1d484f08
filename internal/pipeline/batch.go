package pipeline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/window"
)

// work is one signup being scored.
type work struct {
	idx        int // into results
	ev         event.Event
	su         *event.Signup
	claimID    string
	token      string // the write token of the claim on the keys
	memberName string // window.MemberName of its account, made on first need
	hash       string
	// prev is the stored claim of an earlier attempt that this one takes
	// over (nil: the event is new); its Result is the decision to finish.
	prev *claim.Claim
	mine claim.Claim // the claim this attempt holds, once written

	geo    ipinfo.Info
	prefix netip.Prefix
	keys   []counted
	counts []window.Counts // by keys' position
	// fresh[i]: the event is not yet counted under keys[i] (its token is
	// not there), so this attempt's write of that key counts it.
	fresh []bool

	dec    decided
	held   bool // this attempt holds the claim
	failed bool
	// foreign: another live attempt holds the event's claim. It is counted
	// in memory (its owner is writing it), so that the events after it are
	// judged as one delivery would judge them, but nothing else.
	foreign bool
}

// decided is what judging an event concluded: the claim keeps it, so that
// a retry finishes the same decision.
type decided struct {
	Verdict Verdict        `json:"verdict"`
	Score   int            `json:"score"`
	Reasons []queue.Reason `json:"reasons,omitempty"`
	Cluster *queue.Cluster `json:"cluster,omitempty"`
	Rules   string         `json:"rules,omitempty"`
}

func (p *Pipeline) process(ctx context.Context, recs []Record) []Result {
	results := make([]Result, len(recs))
	events := make([]event.Event, len(recs))
	hashes := make([]string, len(recs)) // of the signups, made on every core
	now := p.clock()
	present := p.present(now) // before this batch moves a replay's on
	parallel(len(recs), func(i int) {
		results[i].RecordID = recs[i].ID
		events[i], results[i].Err = event.Decode(recs[i].Body)
		if results[i].Err == nil {
			results[i].Err = p.checkTime(events[i], now)
		}
		if results[i].Err == nil && events[i].Kind == event.KindSignup {
			hashes[i] = contentHash(events[i])
		}
	})
	var ws []*work
	var lws []*loginWork
	var mws []*messageWork
	var again []copyOf
	first := make(map[string]*work, len(recs))
	for i := range recs {
		res := &results[i]
		if res.Err != nil {
			continue
		}
		ev := events[i]
		p.advance(eventTime(ev))
		res.EventID, res.AccountID, res.Kind = ev.ID, ev.AccountID(), ev.Kind
		if ev.Login != nil {
			if r := ev.Login.Result; r != "" && r != "success" {
				res.Skipped = "a sign-in that did not succeed is not scored"
				continue
			}
			lws = append(lws, &loginWork{idx: i, ev: ev, lg: ev.Login})
			continue
		}
		if ev.Message != nil {
			mws = append(mws, &messageWork{idx: i, ev: ev, msg: ev.Message})
			continue
		}
		if ev.Kind != event.KindSignup {
			res.Skipped = string(ev.Kind) + " events are not scored"
			continue
		}
		w := &work{idx: i, ev: ev, su: ev.Signup, claimID: claim.ID(ev.ID), hash: hashes[i]}
		w.token = window.Token(w.claimID)
		if f, dup := first[ev.ID]; dup {
			again = append(again, copyOf{w, f})
			continue
		}
		first[ev.ID] = w
		ws = append(ws, w)
	}
	if len(ws) == 0 && len(lws) == 0 && len(mws) == 0 {
		return results
	}
	a := &attempt{p: p, owner: newOwner(), now: now, present: present, results: results, parent: ctx}
	ctx, lease, cancel := p.attempt(ctx, now)
	defer cancel()
	a.lease = lease
	if len(ws) > 0 {
		a.run(ctx, ws)
		for _, c := range again {
			results[c.w.idx].Duplicate, results[c.w.idx].Err = c.judge(a.claims[c.first.claimID], results[c.first.idx].Err)
		}
	}
	// Logins after signups: a login of an account signed up in the same
	// batch finds its signup record.
	p.processLogins(ctx, lws, results)
	// Messages last: they are judged against the signup records.
	p.processMessages(ctx, mws, results)
	// Then a little of the sweeps of clusters whose verdict rose.
	p.sweepClusters(ctx)
	return results
}

// copyOf is a later copy, in one batch, of the event w first.
type copyOf struct{ w, first *work }

// judge says what the copy is, once its first has been classified against
// the stored claim (if any): a duplicate of the content that stands, or a
// conflicting one.
func (c copyOf) judge(stored claim.Claim, firstErr error) (duplicate bool, err error) {
	standing := c.first.hash
	if errors.Is(firstErr, errConflicting) {
		standing = stored.Hash
	}
	if c.w.hash != standing {
		return false, errConflicting
	}
	return true, nil
}

// errConflicting is the error of an event whose id was delivered before
// with other content: the first delivery stands, and this one is kept as a
// failed record for a person to look at.
var errConflicting = &event.FieldError{Field: "id", Reason: "already delivered with other content; the first delivery stands"}

// attempt is one Process call's work on the events it scores.
type attempt struct {
	p       *Pipeline
	parent  context.Context        // the caller's, whose deadline bounds release
	claims  map[string]claim.Claim // as classify read them
	owner   string
	lease   time.Time
	now     time.Time
	present time.Time
	results []Result
}

// run reads, judges and writes the events of ws. Each step leaves a failed
// event's error in its result and goes on with the others.
func (a *attempt) run(ctx context.Context, ws []*work) {
	live := a.classify(ctx, ws)
	if len(live) == 0 {
		return
	}
	a.p.enrich(live)
	records, err := a.readKeys(ctx, live)
	if err != nil {
		a.failAll(live, fmt.Errorf("read keys: %w: %w", ErrTransient, err))
		return
	}
	a.count(live, records)
	a.p.judge(ctx, live, a.results)
	held := a.claim(ctx, live)
	defer a.release(ctx, live)
	held = a.writeKeys(ctx, held, records)
	held = a.writeQueue(ctx, held)
	held = a.linkSignups(ctx, held, records)
	held = a.writeAccounts(ctx, held)
	a.complete(ctx, held)
	for _, w := range held {
		a.report(ctx, w)
	}
}

// classify reads the claims of ws and the accounts they sign up, and returns
// the events this attempt may score: new ones, and ones whose earlier
// attempt ended without finishing.
func (a *attempt) classify(ctx context.Context, ws []*work) []*work {
	ids := make([]string, len(ws))
	accts := make([]string, len(ws))
	for i, w := range ws {
		ids[i], accts[i] = w.claimID, w.su.AccountID
	}
	claims, err := a.p.c.Store.Claims(ctx, ids)
	if err != nil {
		a.failAll(ws, fmt.Errorf("read claims: %w: %w", ErrTransient, err))
		return nil
	}
	a.claims = claims
	accounts, err := a.p.c.Store.Accounts(ctx, accts)
	if err != nil {
		a.failAll(ws, fmt.Errorf("read accounts: %w: %w", ErrTransient, err))
		return nil
	}
	byAccount := make(map[string]string, len(ws)) // account -> event id, within the batch
	var live []*work
	for _, w := range ws {
		res := &a.results[w.idx]
		if c, ok := claims[w.claimID]; ok {
			switch {
			case c.Hash != w.hash:
				res.Err = errConflicting
				continue
			case c.Done:
				res.Duplicate = true
				continue
			case c.LeaseUntil > a.now.UnixMilli():
				res.Err = fmt.Errorf("event is being scored by another attempt until %s: %w",
					time.UnixMilli(c.LeaseUntil).UTC().Format(time.RFC3339), ErrTransient)
				w.foreign = true
				live = append(live, w)
				continue
			}
			var d decided
			if err := d.decode(c.Result); err != nil {
				res.Err = fmt.Errorf("claim of an earlier attempt: %w: %w", ErrTransient, err)
				continue
			}
			w.prev, w.dec = &c, d
		} else if acct, ok := accounts[w.su.AccountID]; ok {
			// Signed up before claims existed, or by another event.
			res.Duplicate = true
			if acct.SignupEventID != w.ev.ID {
				res.Skipped = "account already signed up in event " + acct.SignupEventID
			}
			continue
		}
		if prev, ok := byAccount[w.su.AccountID]; ok {
			res.Duplicate = true
			res.Skipped = "account already signed up in event " + prev
			continue
		}
		byAccount[w.su.AccountID] = w.ev.ID
		live = append(live, w)
	}
	return live
}

// enrich looks up each signup's address and derives its keys, on every core.
func (p *Pipeline) enrich(ws []*work) {
	parallel(len(ws), func(i int) {
		w := ws[i]
		w.geo = p.c.Geo.Lookup(w.su.IP)
		w.prefix = Prefix(w.su.IP)
		w.keys = signupKeys(w.su, w.geo, p.c.Hasher, p.c.Extractor.Template)
	})
}

// keyState is one key as this attempt sees it: what is stored, and the
// events of the batch counted into it in memory.
type keyState struct {
	rec    window.Record
	tokens map[string]bool // write tokens on the stored key, by claim id
	// newest is the newest time stored before this batch (zero: none),
	// latest the latest of the batch's events counted here.
	newest, latest time.Time
}

func (a *attempt) readKeys(ctx context.Context, ws []*work) (map[window.Key]*keyState, error) {
	set := make(map[window.Key]struct{}, len(ws)*4)
	for _, w := range ws {
		for _, k := range w.keys {
			set[k.key] = struct{}{}
		}
	}
	keys := make([]window.Key, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	stored, err := a.p.c.Store.Keys(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[window.Key]*keyState, len(keys))
	for _, k := range keys {
		attrs := stored[k]
		ks := &keyState{rec: window.Parse(attrs)}
		for name := range attrs {
			if id, ok := window.TokenClaim(name); ok {
				if ks.tokens == nil {
					ks.tokens = map[string]bool{}
				}
				ks.tokens[id] = true
			}
		}
		ks.newest, _ = ks.rec.Newest()
		out[k] = ks
	}
	return out, nil
}

// count adds each event, in order, to the in-memory view of its keys, where
// an earlier attempt has not already, and notes the counts it sees.
func (a *attempt) count(ws []*work, records map[window.Key]*keyState) {
	for _, w := range ws {
		t := w.su.CreatedAt
		w.counts = make([]window.Counts, len(w.keys))
		w.fresh = make([]bool, len(w.keys))
		for i, k := range w.keys {
			ks := records[k.key]
			if !ks.tokens[w.claimID] {
				w.fresh[i] = true
				ks.rec.Observe(t, member(k.kind, w.su.AccountID))
			}
			if t.After(ks.latest) {
				ks.latest = t
			}
			w.counts[i] = ks.rec.Counts(t)
		}
	}
}

// member is the account an event adds to a key's shared-account set: none
// for an ASN, which links strangers, never a campaign.
func member(k window.Kind, account string) string {
	if k == window.ASN {
		return ""
	}
	return account
}

// claim writes the claims of ws, each with the decision reached, and
// returns the events this attempt now holds.
func (a *attempt) claim(ctx context.Context, ws []*work) []*work {
	ws = slices.DeleteFunc(slices.Clone(ws), func(w *work) bool { return w.foreign })
	writes := make([]claim.Write, len(ws))
	for i, w := range ws {
		result := w.dec.encode()
		w.mine = claim.Claim{
			ID: w.claimID, EventID: w.ev.ID, Hash: w.hash, Owner: a.owner,
			LeaseUntil: a.lease.UnixMilli(), Result: result,
			Expires: eventTime(w.ev).Add(window.Retention).Unix(),
		}
		writes[i] = claim.Write{Claim: w.mine, Prev: w.prev}
	}
	errs := a.p.c.Store.PutClaims(ctx, writes)
	// An event that could not be claimed will be judged again when it is
	// retried, before the events after it that share a key: those were
	// judged counting it, so they are not written now either, but retried
	// with it, in order, as one delivery would judge them.
	var tainted map[window.Key]bool
	var held []*work
	for i, w := range ws {
		err := resultErr(errs, i)
		switch {
		case err == nil:
			w.held = true
			if shares(w, tainted) {
				a.fail(w, fmt.Errorf("counted after an event that could not be claimed: %w", ErrTransient))
				taint(&tainted, w)
				continue
			}
			held = append(held, w)
		case errors.Is(err, claim.ErrConflict):
			a.fail(w, fmt.Errorf("claim event: taken by another attempt: %w", ErrTransient))
			taint(&tainted, w)
		default:
			a.fail(w, storeErr("claim event", err))
			taint(&tainted, w)
		}
	}
	return held
}

func shares(w *work, keys map[window.Key]bool) bool {
	for _, k := range w.keys {
		if keys[k.key] {
			return true
		}
	}
	return false
}

func taint(keys *map[window.Key]bool, w *work) {
	if *keys == nil {
		*keys = map[window.Key]bool{}
	}
	for _, k := range w.keys {
		(*keys)[k.key] = true
	}
}

// writeKeys writes each key once per batch (in pieces, if many events
// share it): the held events not yet counted there, with their tokens; what
// is past retention; and the tokens of finished events. A write that fails
// fails the events it counts.
func (a *attempt) writeKeys(ctx context.Context, held []*work, records map[window.Key]*keyState) []*work {
	writes := make(map[window.Key][]*keyWrite, len(records))
	mine := make(map[string]bool, len(held))
	for _, w := range held {
		mine[w.claimID] = true
		for i, k := range w.keys {
			if !w.fresh[i] {
				continue
			}
			kws := writes[k.key]
			if len(kws) == 0 || len(kws[len(kws)-1].owners) == maxEventsPerWrite {
				kws = append(kws, &keyWrite{d: window.Delta{Key: k.key, SetOnce: window.Attrs{}}})
				writes[k.key] = kws
			}
			kw := kws[len(kws)-1]
			name := ""
			if member(k.kind, w.su.AccountID) != "" {
				if w.memberName == "" {
					w.memberName = window.MemberName(w.su.AccountID)
				}
				name = w.memberName
			}
			kw.d.AddMember(w.su.CreatedAt, name)
			kw.d.Tokens = append(kw.d.Tokens, w.token)
			// The token's value is the event's time: deterministic, so a key
			// reads the same whichever attempt wrote it.
			kw.d.SetOnce[w.token] = w.su.CreatedAt.Unix()
			kw.owners = append(kw.owners, w)
		}
	}
	if len(writes) == 0 {
		return held
	}
	done := a.finished(ctx, writes, records, mine)
	var list []window.Delta
	var owners [][]*work
	for k, kws := range writes {
		ks := records[k]
		at := pruneTime(ks, a.present)
		stale := ks.rec.Stale(at)
		remove := stale
		for id := range ks.tokens {
			if done[id] && len(remove) < maxRemovals {
				remove = append(remove, window.Token(id))
			}
		}
		ks.rec.Prune(at)
		expires := a.keyExpiry(ks)
		for i, kw := range kws {
			// What is already past retention is not written at all, so the
			// stored item does not depend on where batch boundaries fell.
			for _, name := range stale {
				delete(kw.d.Incr, name)
				delete(kw.d.SetOnce, name)
			}
			if i == 0 {
				kw.d.Remove = remove[:min(len(remove), maxRemovals)]
			}
			kw.d.Expires = expires
			list = append(list, kw.d)
			owners = append(owners, kw.owners)
		}
	}
	errs := a.p.c.Store.UpdateKeys(ctx, list)
	failed := map[*work]error{}
	for i, d := range list {
		if err := resultErr(errs, i); err != nil {
			for _, w := range owners[i] {
				failed[w] = storeErr("update key "+string(d.Key.Kind()), err)
			}
		}
	}
	return a.keep(held, failed)
}

// keyWrite is one write of a key and the events it counts.
type keyWrite struct {
	d      window.Delta
	owners []*work
}

// Bounds on one key write. DynamoDB refuses an update or condition
// expression over 4 KB: a write counts at most maxEventsPerWrite events
// (a member and a token each, about 45 bytes of expression) and removes at
// most maxRemovals attributes; a busy key in a large batch gets several
// writes, and what is left to remove goes with a later one.
const (
	maxEventsPerWrite = 32
	maxRemovals       = 200
)

// finished returns which of the foreign tokens on the keys to be written
// belong to finished events (or to claims past retention), whose tokens are
// no longer needed.
func (a *attempt) finished(ctx context.Context, writes map[window.Key][]*keyWrite, records map[window.Key]*keyState, mine map[string]bool) map[string]bool {
	var ids []string
	seen := map[string]bool{}
	for k := range writes {
		for id := range records[k].tokens {
			if !mine[id] && !seen[id] && len(ids) < maxTokenChecks {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	claims, err := a.p.c.Store.Claims(ctx, ids)
	if err != nil {
		return nil // the tokens stay until a later write
	}
	done := make(map[string]bool, len(ids))
	for _, id := range ids {
		if c, ok := claims[id]; !ok || c.Done {
			done[id] = true
		}
	}
	return done
}

// maxTokenChecks bounds the claims one batch reads to clear tokens.
const maxTokenChecks = 1000

// pruneTime is the time a key's stale attributes are judged at: the latest
// of the batch's events there, but never past both the newest time the key
// held before and the present as it stood before this batch, so that one
// event ahead of the rest (within the skew allowed) cannot age out what the
// others still count.
func pruneTime(ks *keyState, present time.Time) time.Time {
	bound := ks.newest
	if present.After(bound) {
		bound = present
	}
	if ks.latest.Before(bound) {
		return ks.latest
	}
	return bound
}

// keyExpiry is when a key may be deleted: retention after its latest event,
// to the day (so that concurrent writers mostly agree on it), never later
// than retention after the receiver's present.
func (a *attempt) keyExpiry(ks *keyState) int64 {
	t := ks.latest
	if limit := a.p.present(a.now).Add(event.MaxSkew); t.After(limit) {
		t = limit
	}
	return t.Add(window.Retention).Truncate(24 * time.Hour).Add(24 * time.Hour).Unix()
}

// keep returns held less the events in failed, which it fails.
func (a *attempt) keep(held []*work, failed map[*work]error) []*work {
	if len(failed) == 0 {
		return held
	}
	out := held[:0:0]
	for _, w := range held {
		if err, bad := failed[w]; bad {
			a.fail(w, err)
			continue
		}
		out = append(out, w)
	}
	return out
}

// complete marks the claims of the events whose every write is in as done.
func (a *attempt) complete(ctx context.Context, held []*work) {
	writes := make([]claim.Write, len(held))
	for i, w := range held {
		done := w.mine
		// A finished event is only ever a duplicate: its decision, whose
		// reasons quote addresses and usernames, is not kept.
		done.Done, done.Result = true, nil
		writes[i] = claim.Write{Claim: done, Prev: &w.mine}
	}
	errs := a.p.c.Store.PutClaims(ctx, writes)
	for i, w := range held {
		if err := resultErr(errs, i); err != nil {
			a.fail(w, storeErr("finish claim", err))
			continue
		}
		w.held = false // nothing to release
	}
}

// release gives up, at once, the claims of the held events that failed, so
// that a retry need not wait for the lease to end. If this write fails too,
// the lease ends on its own.
func (a *attempt) release(ctx context.Context, ws []*work) {
	var writes []claim.Write
	for _, w := range ws {
		if !w.held || !w.failed {
			continue
		}
		gone := w.mine
		gone.LeaseUntil = 0
		writes = append(writes, claim.Write{Claim: gone, Prev: &w.mine})
	}
	if len(writes) == 0 {
		return
	}
	// The attempt's own context may be spent; the caller's deadline, past
	// the reserve kept for this, still bounds the release.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if d, ok := a.parent.Deadline(); ok {
		var c2 context.CancelFunc
		ctx, c2 = context.WithDeadline(ctx, d)
		defer c2()
	}
	a.p.c.Store.PutClaims(ctx, writes)
}

// releaseTimeout bounds the release of failed claims, which runs after the
// attempt's own deadline.
const releaseTimeout = 2 * time.Second

func (a *attempt) fail(w *work, err error) {
	w.failed = true
	if a.results[w.idx].Err == nil {
		a.results[w.idx].Err = err
	}
	a.results[w.idx].Queued = false
}

func (a *attempt) failAll(ws []*work, err error) {
	for _, w := range ws {
		a.fail(w, err)
	}
}

func (a *attempt) report(ctx context.Context, w *work) {
	res := &a.results[w.idx]
	if res.Err != nil || w.dec.Verdict == Allow {
		return
	}
	a.p.log.LogAttrs(ctx, slog.LevelInfo, "verdict",
		slog.String("eventId", w.ev.ID), slog.String("accountId", w.su.AccountID),
		slog.String("verdict", string(res.Verdict)), slog.Int("score", res.Score),
		slog.Any("rules", ruleNames(res.Reasons)), slog.Bool("shadow", res.Shadow))
}

// resultErr is errs[i], or an error if the store returned too few.
func resultErr(errs []error, i int) error {
	if i < len(errs) {
		return errs[i]
	}
	return errors.New("store returned no result")
}

// eventTime is the time an event happened, by its own detail.
func eventTime(ev event.Event) time.Time {
	switch {
	case ev.Signup != nil:
		return ev.Signup.CreatedAt
	case ev.Login != nil:
		return ev.Login.At
	case ev.Message != nil:
		return ev.Message.SentAt
	}
	return ev.Time
}

// contentHash identifies an event's content: its canonical encoding, so
// that the same event delivered through SQS, EventBridge or a file (which
// may order or space its JSON differently) hashes alike.
func contentHash(ev event.Event) string {
	b, err := event.Marshal(ev)
	if err != nil {
		b = []byte(ev.ID)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// newOwner returns a random id for one attempt.
func newOwner() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func ruleNames(rs []queue.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Rule
	}
	return out
}

// parallel runs f(0..n-1) on every core; small batches run inline, where
// starting goroutines would cost more than it saves.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/32)
	if workers < 2 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Go(func() {
			for i := start; i < end; i++ {
				f(i)
			}
		})
	}
	wg.Wait()
}
