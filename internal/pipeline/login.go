package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/login"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// Record key prefixes of the login path in the state table.
const (
	loginPrefix      = "lgn#" // + account id: the account's login history
	peerIPPrefix     = "lip#" // + keyed hash of the address: accounts that began signing in from it
	peerDevicePrefix = "ldv#" // + keyed hash of the device id
)

// loginWork is one login being scored.
type loginWork struct {
	idx    int
	ev     event.Event
	lg     *event.Login
	geo    ipinfo.Info
	prefix netip.Prefix
	in     login.Input

	facts           login.Facts
	change          login.Change
	ipFarm, devFarm login.Farm
	ipKey, devKey   string // peer set keys, when looked at

	dec   decided
	raise *raising
}

// loginAccount is the logins of one account in a batch, and its history.
type loginAccount struct {
	held
	state  login.State
	logins []*loginWork
}

// loginBatch is one Process call's work on its logins.
type loginBatch struct {
	p       *Pipeline
	results []Result
	accts   []*loginAccount
	held    []*held // the same accounts
}

// processLogins scores the logins of a batch. An account's logins stand or
// fall together: if any of its writes fails, none of its history is
// written, and all of them fail as transient, so a retry redoes them (every
// write before the history's is idempotent: peer sets by member, the queue
// by event id).
func (p *Pipeline) processLogins(ctx context.Context, lws []*loginWork, results []Result) {
	if len(lws) == 0 {
		return
	}
	b := &loginBatch{p: p, results: results}
	parallel(len(lws), func(i int) { p.enrichLogin(lws[i]) })
	byID := map[string]*loginAccount{}
	for _, w := range lws {
		a := byID[w.lg.AccountID]
		if a == nil {
			a = &loginAccount{held: held{id: w.lg.AccountID}}
			byID[a.id] = a
			b.accts = append(b.accts, a)
			b.held = append(b.held, &a.held)
		}
		a.logins = append(a.logins, w)
		a.idxs = append(a.idxs, w.idx)
	}
	if err := b.read(ctx); err != nil {
		b.failAll(err)
		return
	}
	for _, a := range b.accts {
		b.observe(a)
	}
	b.peers(ctx)
	parallel(len(lws), func(i int) {
		w := lws[i]
		if b.results[w.idx].Duplicate {
			return
		}
		w.dec = p.decideLogin(ctx, w)
	})
	b.raise(ctx)
	b.joinClusters(ctx)
	b.writeStates(ctx)
	b.report(ctx)
}

// enrichLogin looks up a login's address and hashes its network and device.
func (p *Pipeline) enrichLogin(w *loginWork) {
	w.geo = p.c.Geo.Lookup(w.lg.IP)
	w.prefix = Prefix(w.lg.IP)
	w.in = login.Input{ID: w.ev.ID, At: w.lg.At, Geo: w.geo, Protocol: w.lg.Protocol,
		Net: login.IDHash(p.c.Hasher.Sum("lnet", w.prefix.String()))}
	if w.lg.DeviceID != "" {
		w.in.Device = login.IDHash(p.c.Hasher.Sum("dev", w.lg.DeviceID))
	}
}

// read loads the accounts' histories, and the signup records of those
// whose history has not joined one yet.
func (b *loginBatch) read(ctx context.Context) error {
	keys := make([]string, len(b.accts))
	for i, a := range b.accts {
		keys[i] = loginPrefix + a.id
	}
	// Eventually consistent: a stale read costs a conflict on write, never
	// a wrong history, and half the read units.
	recs, err := b.p.c.Store.Records(ctx, keys, false)
	if err != nil {
		return fmt.Errorf("read login histories: %w: %w", ErrTransient, err)
	}
	var need []string
	for i, a := range b.accts {
		if r, ok := recs[keys[i]]; ok {
			st, err := login.Decode(r.Data)
			if err != nil {
				// A corrupt history is started again rather than block the
				// account's logins for ever; the version still guards it.
				b.p.log.LogAttrs(ctx, slog.LevelWarn, "corrupt login history", slog.String("accountId", a.id), slog.Any("error", err))
				st = login.State{}
			}
			a.prev, a.state = r.Version, st
		}
		if a.state.NeedsSignup(a.logins[0].lg.At) {
			need = append(need, a.id)
		}
	}
	if len(need) == 0 {
		return nil
	}
	signups, err := b.p.c.Store.Accounts(ctx, need)
	if err != nil {
		return fmt.Errorf("read signup records: %w: %w", ErrTransient, err)
	}
	for _, a := range b.accts {
		if !a.state.NeedsSignup(a.logins[0].lg.At) {
			continue
		}
		su := login.Signup{Looked: true}
		if r, ok := signups[a.id]; ok {
			su = login.Signup{Looked: true, Seen: true, Created: r.CreatedAt.Unix() / 60,
				Claimed: r.Claimed, Country: r.Country, Anonymous: r.Anonymous,
				Score: uint8(min(max(r.Score, 0), math.MaxUint8))}
		}
		if su != a.state.Signup {
			a.state.Signup, a.write = su, true
		}
	}
	return nil
}

// observe judges an account's logins in order against its history.
func (b *loginBatch) observe(a *loginAccount) {
	for _, w := range a.logins {
		w.facts, w.change = a.state.Observe(w.in, b.p.c.Login)
		if w.change.Duplicate {
			b.results[w.idx].Duplicate = true
			continue
		}
		if w.change.Write {
			a.write = true
			a.state.Remember(w.ev.ID)
		}
	}
}

// peerOp is what a batch does to one peer set: the logins that join it
// (or come back to it), each judging it.
type peerOp struct {
	key   string
	need  int
	joins []*loginWork
}

// peers joins the accounts that began signing in from an address or device
// to its peer set, and marks young accounts seen again when their login
// writes anyway (at most once per refresh period); each such login judges
// the set, so a farm's early members are caught when they come back.
func (b *loginBatch) peers(ctx context.Context) {
	set := b.p.c.Login
	ops := map[string]*peerOp{}
	var order []*peerOp
	op := func(key string, need int) *peerOp {
		o := ops[key]
		if o == nil {
			o = &peerOp{key: key, need: need}
			ops[key] = o
			order = append(order, o)
		}
		return o
	}
	for _, a := range b.accts {
		for _, w := range a.logins {
			if w.change.Duplicate {
				continue
			}
			// A young account's login that writes anyway also marks it
			// seen today in its address's and device's sets, so that a
			// farm's members are known by coming back day after day.
			look := w.facts.Young && w.change.Write
			if w.change.JoinNet || (look && !w.geo.Anonymous) {
				w.ipKey = peerIPPrefix + b.p.c.Hasher.Sum("lip", w.lg.IP.String())
				o := op(w.ipKey, set.FarmAccounts)
				o.joins = append(o.joins, w)
			}
			if w.lg.DeviceID != "" && (w.change.JoinDevice || (look && !w.geo.Tor)) {
				w.devKey = peerDevicePrefix + b.p.c.Hasher.Sum("dev", w.lg.DeviceID)
				o := op(w.devKey, set.DeviceAccounts)
				o.joins = append(o.joins, w)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	failed := b.applyPeers(ctx, order)
	for _, o := range order {
		if err := failed[o]; err != nil {
			for _, w := range o.joins {
				b.failAccount(w.lg.AccountID, err)
			}
		}
	}
}

// applyPeers joins the peer sets' new members, and leaves each judging
// login its set's verdict.
func (b *loginBatch) applyPeers(ctx context.Context, ops []*peerOp) map[*peerOp]error {
	set := b.p.c.Login
	rops := make([]*recordOp, len(ops))
	for i, o := range ops {
		rops[i] = &recordOp{key: o.key, change: func(r versioned.Record) ([]byte, int64, bool) {
			var ps login.Peers
			if r.Version > 0 {
				var err error
				if ps, err = login.DecodePeers(r.Data); err != nil {
					ps = login.Peers{}
				}
			}
			changed := false
			newest := int64(0)
			for _, w := range o.joins {
				day := int32(w.lg.At.Unix() / 86400)
				changed = ps.Join(w.lg.AccountID, day, w.facts.Young) || changed
				newest = max(newest, w.lg.At.Unix())
			}
			for _, w := range o.joins {
				f := ps.Judge(int32(w.lg.At.Unix()/86400), o.need, set)
				if o.key == w.ipKey {
					w.ipFarm = f
				} else {
					w.devFarm = f
				}
			}
			return ps.Encode(nil), newest + int64(set.Keep/time.Second), changed
		}}
	}
	of := make(map[*recordOp]*peerOp, len(ops))
	for i, o := range ops {
		of[rops[i]] = o
	}
	failed := map[*peerOp]error{}
	for ro, err := range b.p.updateRecords(ctx, rops) {
		failed[of[ro]] = err
	}
	return failed
}

// decideLogin scores one login: signals, rules, policy. A login that shows
// nothing notable scores 0 without evaluating the rules.
func (p *Pipeline) decideLogin(ctx context.Context, w *loginWork) decided {
	in := signal.LoginInput{IP: w.lg.IP, Prefix: w.prefix, Protocol: w.lg.Protocol, Geo: w.geo,
		Facts: w.facts, IPFarm: w.ipFarm, DeviceFarm: w.devFarm}
	if !signal.Notable(in) {
		return decided{Verdict: Allow}
	}
	sig := signal.Login(p.c.LoginCatalog, in)
	reasons, score, err := p.c.LoginRules.Score(sig)
	if err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "login rule evaluation failed",
			slog.String("eventId", w.ev.ID), slog.Any("error", err))
	}
	d := decided{Score: score, Reasons: reasons, Rules: p.c.LoginRules.Version()}
	d.Verdict = p.c.Policy.Decide(score, reasons)
	if d.Verdict != Allow && (w.ipFarm.Is || w.devFarm.Is) {
		key, f := w.ipKey, w.ipFarm
		if !f.Is {
			key, f = w.devKey, w.devFarm
		}
		d.Cluster = &queue.Cluster{Key: "login:" + key, Size: f.Recent}
	}
	return d
}

// raise writes the queue for the logins whose verdict asks for it and that
// would raise something their account has not been raised for.
func (b *loginBatch) raise(ctx context.Context) {
	var rs []heldRaise
	for _, a := range b.accts {
		if a.err != nil {
			continue
		}
		for _, w := range a.logins {
			w.raise = b.p.propose(&b.results[w.idx], w.dec, a.id, w.ev.ID, w.lg.At, func(score int, rules []string) bool {
				if !a.state.Raise(score, rules) {
					return false
				}
				a.write = true
				a.state.Remember(w.ev.ID)
				return true
			})
			if w.raise != nil {
				rs = append(rs, heldRaise{r: w.raise, idx: w.idx, h: &a.held})
			}
		}
	}
	b.p.raiseHeld(ctx, b.results, rs)
}

// writeStates writes the histories that changed, last.
func (b *loginBatch) writeStates(ctx context.Context) {
	keep := b.p.c.Login.Keep
	b.p.writeLast(ctx, "login history", loginPrefix, b.results, b.held, func(i int) ([]byte, int64) {
		st := &b.accts[i].state
		return st.Encode(nil), time.Unix(st.Newest*60, 0).Add(keep).Unix()
	})
}

func (b *loginBatch) failAccount(id string, err error) { failHeld(b.results, b.held, id, err) }

func (b *loginBatch) failAll(err error) { failHeld(b.results, b.held, "", err) }

func (b *loginBatch) report(ctx context.Context) {
	for _, a := range b.accts {
		for _, w := range a.logins {
			b.p.logVerdict(ctx, "login", a.id, &b.results[w.idx])
		}
	}
}

// LoginKey is the key of an account's login history among the versioned
// records, for tools that show it.
func LoginKey(accountID string) string { return loginPrefix + accountID }
