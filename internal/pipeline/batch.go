package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/geo"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/window"
)

// maxQueueAttempts bounds the read-raise-write loop on a contended item.
const maxQueueAttempts = 5

// work is one signup being scored.
type work struct {
	idx     int // into results
	ev      event.Event
	su      *event.Signup
	geo     geo.Info
	prefix  netip.Prefix
	keys    [7]window.Key // by position in window.Kinds; "" = absent
	counts  [7]window.Counts
	failed  bool
	propose *queue.Proposal
}

func (p *Pipeline) process(ctx context.Context, recs []Record) []Result {
	results := make([]Result, len(recs))
	events := make([]event.Event, len(recs))
	var horizon time.Time
	if p.c.Now != nil {
		horizon = p.c.Now().Add(event.MaxSkew)
	}
	parallel(len(recs), func(i int) {
		results[i].RecordID = recs[i].ID
		events[i], results[i].Err = event.Decode(recs[i].Body)
		if results[i].Err == nil && !horizon.IsZero() && events[i].Time.After(horizon) {
			results[i].Err = &event.FieldError{Field: "time", Reason: "more than " + event.MaxSkew.String() + " ahead of the receiver's clock"}
		}
	})
	var ws []*work
	seen := make(map[string]int, len(recs))
	for i := range recs {
		res := &results[i]
		if res.Err != nil {
			continue
		}
		ev := events[i]
		res.EventID, res.AccountID = ev.ID, ev.AccountID()
		if _, dup := seen[ev.ID]; dup {
			res.Duplicate = true
			continue
		}
		seen[ev.ID] = i
		if ev.Kind != event.KindSignup {
			res.Skipped = string(ev.Kind) + " events are not scored yet"
			continue
		}
		ws = append(ws, &work{idx: i, ev: ev, su: ev.Signup})
	}
	if len(ws) == 0 {
		return results
	}
	p.enrich(ws)
	if err := p.score(ctx, ws, results); err != nil {
		for _, w := range ws {
			if results[w.idx].Err == nil && !results[w.idx].Duplicate {
				results[w.idx].Err = err
			}
		}
	}
	return results
}

// enrich looks up each signup's address and derives its keys, on every core.
func (p *Pipeline) enrich(ws []*work) {
	parallel(len(ws), func(i int) {
		w := ws[i]
		ip := w.su.IP
		info := p.c.Geo.Lookup(ip)
		w.geo = info
		w.prefix = Prefix(ip)
		local, _ := signal.SplitAddress(w.su.Address)
		w.keys[0] = window.NewKey(window.IP, Host(ip))
		w.keys[1] = window.NewKey(window.Prefix, w.prefix.String())
		if info.ASN != 0 {
			w.keys[2] = window.NewKey(window.ASN, strconv.FormatUint(uint64(info.ASN), 10))
		}
		if w.su.DeviceID != "" {
			w.keys[3] = window.NewKey(window.Device, p.c.Hasher.Sum("dev", w.su.DeviceID))
		}
		if w.su.RecoveryEmail != "" {
			w.keys[4] = window.NewKey(window.RecoveryEmail, p.c.Hasher.Sum("rem", NormalizeEmail(w.su.RecoveryEmail)))
		}
		if w.su.RecoveryPhone != "" {
			w.keys[5] = window.NewKey(window.RecoveryPhone, p.c.Hasher.Sum("rph", w.su.RecoveryPhone))
		}
		if tpl := p.c.Extractor.Template(local); tpl != "" {
			w.keys[6] = window.NewKey(window.Template, tpl)
		}
	})
}

// score reads state, scores every signup in order, and writes state, queue
// and account records. An error it returns applies to every record not
// already decided.
func (p *Pipeline) score(ctx context.Context, ws []*work, results []Result) error {
	ids := make([]string, 0, len(ws))
	keySet := make(map[window.Key]struct{}, len(ws)*4)
	for _, w := range ws {
		ids = append(ids, w.su.AccountID)
		for _, k := range w.keys {
			if k != "" {
				keySet[k] = struct{}{}
			}
		}
	}
	keys := make([]window.Key, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	accounts, err := p.c.Store.Accounts(ctx, ids)
	if err != nil {
		return fmt.Errorf("read accounts: %w: %w", ErrTransient, err)
	}
	stored, err := p.c.Store.Keys(ctx, keys)
	if err != nil {
		return fmt.Errorf("read keys: %w: %w", ErrTransient, err)
	}
	records := make(map[window.Key]*window.Record, len(keys))
	deltas := make(map[window.Key]*window.Delta, len(keys))
	latest := make(map[window.Key]time.Time, len(keys))
	claimed := make(map[string]string, len(ws)) // account -> event id, within the batch

	var live []*work
	for _, w := range ws {
		res := &results[w.idx]
		acct := w.su.AccountID
		if a, ok := accounts[acct]; ok {
			res.Duplicate = true
			if a.SignupEventID != w.ev.ID {
				res.Skipped = "account already signed up in event " + a.SignupEventID
			}
			continue
		}
		if prev, ok := claimed[acct]; ok {
			res.Duplicate = true
			res.Skipped = "account already signed up in event " + prev
			continue
		}
		claimed[acct] = w.ev.ID
		t := w.su.CreatedAt
		for i, k := range w.keys {
			if k == "" {
				continue
			}
			rec := records[k]
			if rec == nil {
				r := window.Parse(stored[k])
				rec = &r
				records[k] = rec
			}
			// An account already among the key's members was counted by an
			// earlier attempt of this event that failed later on. ASNs keep
			// no members: they link strangers, never a campaign.
			member := acct
			if window.Kinds[i] == window.ASN {
				member = ""
			}
			if member == "" || !rec.Has(member) {
				cur := deltas[k]
				if cur == nil {
					cur = &window.Delta{Key: k}
					deltas[k] = cur
				}
				rec.AddTo(cur, t, member)
			}
			if t.After(latest[k]) {
				latest[k] = t
			}
			w.counts[i] = rec.Counts(t)
		}
		live = append(live, w)
	}

	// Signals and rules depend only on each event's own inputs and counts:
	// they run on every core.
	parallel(len(live), func(i int) {
		w := live[i]
		res := &results[w.idx]
		present := make(map[window.Kind]window.Counts, len(w.keys))
		for i, k := range w.keys {
			if k != "" {
				present[window.Kinds[i]] = w.counts[i]
			}
		}
		sig := p.c.Extractor.Extract(signal.Input{
			Signup: w.su, Geo: w.geo, GeoCity: p.c.GeoCity, GeoASN: p.c.GeoASN,
			Prefix: w.prefix, Counts: present,
		})
		reasons, score, evalErr := p.c.Rules.Score(sig)
		if evalErr != nil {
			p.log.LogAttrs(ctx, slog.LevelWarn, "rule evaluation", slog.String("eventId", w.ev.ID), slog.String("error", evalErr.Error()))
		}
		verdict := p.c.Policy.Decide(score, reasons)
		res.Verdict, res.Score, res.Reasons = verdict, score, reasons
		if action, ok := verdict.Action(); ok {
			res.Cluster = cluster(w, w.counts)
			w.propose = &queue.Proposal{
				AccountID: w.su.AccountID, Action: action, Score: score, Reasons: reasons,
				Cluster: res.Cluster, EventID: w.ev.ID, At: w.su.CreatedAt, RulesVersion: p.c.Rules.Version(),
			}
		}
	})

	if err := p.writeKeys(ctx, live, deltas, records, latest, results); err != nil {
		return err
	}
	p.writeQueue(ctx, live, results)
	p.writeAccounts(ctx, live, results)
	for _, w := range live {
		res := &results[w.idx]
		if res.Err == nil && w.propose != nil {
			p.log.LogAttrs(ctx, slog.LevelInfo, "verdict",
				slog.String("eventId", w.ev.ID), slog.String("accountId", w.su.AccountID),
				slog.String("verdict", string(res.Verdict)), slog.Int("score", res.Score),
				slog.Any("rules", ruleNames(res.Reasons)), slog.Bool("shadow", res.Shadow))
		}
	}
	return nil
}

// writeKeys stores one delta per key; a key that fails fails the events that
// counted into it (their other keys recognise them as members on retry).
func (p *Pipeline) writeKeys(ctx context.Context, live []*work, deltas map[window.Key]*window.Delta,
	records map[window.Key]*window.Record, latest map[window.Key]time.Time, results []Result) error {
	list := make([]window.Delta, 0, len(deltas))
	for k, d := range deltas {
		now := latest[k]
		d.Remove = records[k].Stale(now)
		// What is already past retention is not written at all, so the
		// stored item does not depend on where batch boundaries fell.
		for _, name := range d.Remove {
			delete(d.Incr, name)
			delete(d.SetOnce, name)
		}
		records[k].Prune(now)
		d.Expires = now.Add(window.Retention).Unix()
		list = append(list, *d)
	}
	slices.SortFunc(list, func(a, b window.Delta) int { return strings.Compare(string(a.Key), string(b.Key)) })
	errs := p.c.Store.UpdateKeys(ctx, list)
	if len(errs) != len(list) {
		return fmt.Errorf("update keys: %w: store returned %d results for %d writes", ErrTransient, len(errs), len(list))
	}
	failed := map[window.Key]error{}
	for i, err := range errs {
		if err != nil {
			failed[list[i].Key] = err
		}
	}
	if len(failed) == 0 {
		return nil
	}
	for _, w := range live {
		for _, k := range w.keys {
			if err, bad := failed[k]; bad && k != "" {
				w.failed = true
				results[w.idx].Err = fmt.Errorf("update key %s: %w: %w", k.Kind(), ErrTransient, err)
				break
			}
		}
	}
	return nil
}

// writeQueue raises the queue items of the events that proposed one, with
// conditional writes retried on conflict.
func (p *Pipeline) writeQueue(ctx context.Context, live []*work, results []Result) {
	var pending []*work
	for _, w := range live {
		if w.failed || w.propose == nil {
			continue
		}
		if p.c.Policy.Shadow {
			results[w.idx].Shadow = true
			continue
		}
		pending = append(pending, w)
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		ids := make([]string, 0, len(pending))
		for _, w := range pending {
			ids = append(ids, w.propose.AccountID)
		}
		cur, err := p.c.Store.QueueItems(ctx, ids)
		if err != nil {
			for _, w := range pending {
				p.fail(w, results, fmt.Errorf("read queue: %w: %w", ErrTransient, err))
			}
			return
		}
		// Raise per account in event order; one write per account.
		next := map[string]*queue.Item{}
		prev := map[string]int64{}
		var order []string
		owners := map[string][]*work{}
		for _, w := range pending {
			id := w.propose.AccountID
			base, ok := next[id]
			if !ok {
				if it, exists := cur[id]; exists {
					base = &it
					prev[id] = it.Version
				}
				order = append(order, id)
			}
			it, changed := queue.Raise(base, *w.propose)
			if changed {
				next[id] = &it
				results[w.idx].Queued = true
			} else if base != nil {
				next[id] = base
			}
			owners[id] = append(owners[id], w)
		}
		var writes []QueueWrite
		var writeIDs []string
		for _, id := range order {
			it := next[id]
			if it == nil || it.Version == prev[id] {
				continue
			}
			writes = append(writes, QueueWrite{Item: *it, PrevVersion: prev[id]})
			writeIDs = append(writeIDs, id)
		}
		errs := p.c.Store.PutQueueItems(ctx, writes)
		var retry []*work
		for i, id := range writeIDs {
			var err error
			if i < len(errs) {
				err = errs[i]
			} else {
				err = errors.New("store returned no result")
			}
			switch {
			case err == nil:
			case errors.Is(err, queue.ErrConflict) && attempt < maxQueueAttempts:
				for _, w := range owners[id] {
					results[w.idx].Queued = false
				}
				retry = append(retry, owners[id]...)
			default:
				for _, w := range owners[id] {
					results[w.idx].Queued = false
					p.fail(w, results, fmt.Errorf("write queue item: %w: %w", ErrTransient, err))
				}
			}
		}
		pending = retry
	}
}

// writeAccounts records the signups that were fully handled, which makes a
// redelivery of their events a no-op.
func (p *Pipeline) writeAccounts(ctx context.Context, live []*work, results []Result) {
	var as []account.Account
	var owners []*work
	for _, w := range live {
		if w.failed {
			continue
		}
		as = append(as, account.Account{
			ID: w.su.AccountID, SignupEventID: w.ev.ID, CreatedAt: w.su.CreatedAt,
			Country: w.geo.Country, ASN: w.geo.ASN, Prefix: w.prefix.String(),
			DeviceHash: w.keys[3].Value(), Score: results[w.idx].Score,
			Expires: w.su.CreatedAt.Add(window.Retention).Unix(),
		})
		owners = append(owners, w)
	}
	if len(as) == 0 {
		return
	}
	errs := p.c.Store.CreateAccounts(ctx, as)
	for i, w := range owners {
		var err error
		if i < len(errs) {
			err = errs[i]
		} else {
			err = errors.New("store returned no result")
		}
		if err != nil && !errors.Is(err, account.ErrExists) {
			p.fail(w, results, fmt.Errorf("write account record: %w: %w", ErrTransient, err))
		}
	}
}

func (p *Pipeline) fail(w *work, results []Result, err error) {
	w.failed = true
	if results[w.idx].Err == nil {
		results[w.idx].Err = err
	}
}

// clusterKinds are the attributes that can link a campaign, most specific
// first; an ASN links too many strangers to name a campaign.
var clusterKinds = []int{3, 5, 4, 0, 6, 1} // dev, rph, rem, ip, tpl, net

// cluster names the shared attribute that links the account to the most
// other recent signups, if any links at least three.
func cluster(w *work, counts [7]window.Counts) *queue.Cluster {
	var best *queue.Cluster
	for _, i := range clusterKinds {
		if w.keys[i] == "" {
			continue
		}
		size := int(counts[i].Last7d)
		if size >= 3 && (best == nil || size > best.Size) {
			best = &queue.Cluster{Key: string(w.keys[i]), Size: size}
		}
	}
	return best
}

// Prefix returns the network an IP is counted in: its /24 (IPv4) or /48
// (IPv6), the usual unit of one customer or one server rack.
func Prefix(ip netip.Addr) netip.Prefix {
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Host returns what the scanner counts as one client address: the IPv4
// address, or the IPv6 /64, which one subscriber gets and within which bots
// rotate addresses freely.
func Host(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// NormalizeEmail folds the variants of one mailbox that providers deliver to
// the same inbox (case, +tags, and dots in Gmail local parts), so that an
// operator cannot unlink personas by decorating one recovery address.
func NormalizeEmail(addr string) string {
	local, domain := signal.SplitAddress(addr)
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
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
