package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/imagehash"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/mail"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/outbound"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/textsim"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// Record key prefixes of the message path in the state table.
const (
	messagePrefix = "msh#" // + account id: the account's outbound history
	attachPrefix  = "mca#" // + the attachment's SHA-256 (first 16 bytes, hex): its senders
	imagePrefix   = "mci#" // + band (0-3) + 16 bits of a perceptual hash (hex): senders of images near it
	textPrefix    = "mct#" // + band + 16 bits of a SimHash: senders of texts near it
)

// Bounds on the content one message links by.
const (
	maxLinkedAttachments = 8
	maxLinkedImages      = 4
	hashBands            = 4 // 16-bit bands of a 64-bit hash: any two within 3 bits share one
	// maxObjectReads bounds the objects read (and parsed) at once: reads
	// from S3 wait on the network, so a batch's are not read one by one.
	maxObjectReads = 8
	// maxParseBytes bounds the raw bytes of the messages being parsed at
	// once: enmime holds several copies of a message while it parses, and
	// eight 10 MiB messages at once would not fit a function's memory. A
	// message larger than this is parsed alone.
	maxParseBytes = 24 << 20
	// textLink is the SimHash distance at which two texts link their
	// senders: stricter than textsim.Near, which finds a template's
	// variants in pairs, because a link is looked for among every text
	// of a month, where loose matches between unrelated texts add up.
	textLink = 8
)

// messageWork is one outbound message being scored.
type messageWork struct {
	idx int
	ev  event.Event
	msg *event.Message

	facts      mail.Facts
	turnedAway string // why the message was turned away unparsed ("" if parsed)
	origin     string // the public sending address, "" if none
	geo        ipinfo.Info
	domains    []uint32 // keyed hashes of the recipient domains
	items      []*contentItem

	fanOut int
	dec    decided
	raise  *raising
}

// contentItem is one piece of a message's content that links senders: an
// attachment by its content hash, an image or the text by the bands of
// its perceptual hash or SimHash.
type contentItem struct {
	kind    byte // 'a'ttachment, 'i'mage, 't'ext
	hash    uint64
	link    int // Hamming distance at which another young sender's content links
	popular int // Hamming distance at which an established sender's makes it popular
	keys    []string
	match   outbound.Match // merged from its keys' records
}

// messageAccount is the messages of one account in a batch.
type messageAccount struct {
	held
	signup  account.Account
	seen    bool // the scanner saw the signup
	young   bool
	hist    outbound.History
	msgs    []*messageWork
	zone    *time.Location
	hasZone bool
}

type messageBatch struct {
	p       *Pipeline
	results []Result
	accts   []*messageAccount
	held    []*held // the same accounts
}

// processMessages scores the outbound messages of a batch. As with logins,
// an account's messages stand or fall together, and its history is
// written last: every write before it is idempotent (content records by
// sender and hash, the queue by event id).
func (p *Pipeline) processMessages(ctx context.Context, mws []*messageWork, results []Result) {
	if len(mws) == 0 {
		return
	}
	if p.c.Objects == nil {
		for _, w := range mws {
			results[w.idx].Skipped = "no object store configured: message events are not scored"
		}
		return
	}
	parsing := newBudget(maxParseBytes)
	concurrently(len(mws), maxObjectReads, func(i int) { p.readMessage(ctx, mws[i], &results[mws[i].idx], parsing) })
	b := &messageBatch{p: p, results: results}
	byID := map[string]*messageAccount{}
	for _, w := range mws {
		if results[w.idx].Err != nil {
			continue
		}
		a := byID[w.msg.AccountID]
		if a == nil {
			a = &messageAccount{held: held{id: w.msg.AccountID}}
			byID[a.id] = a
			b.accts = append(b.accts, a)
			b.held = append(b.held, &a.held)
		}
		a.msgs = append(a.msgs, w)
		a.idxs = append(a.idxs, w.idx)
	}
	if len(b.accts) == 0 {
		return
	}
	if err := b.read(ctx); err != nil {
		b.failAll(err)
		return
	}
	for _, a := range b.accts {
		b.apply(a)
	}
	b.link(ctx)
	for _, a := range b.accts {
		if a.err != nil || !a.young {
			continue
		}
		for _, w := range a.msgs {
			if !b.results[w.idx].Duplicate {
				w.dec = p.decideMessage(ctx, a, w)
			}
		}
	}
	b.raise(ctx)
	b.joinClusters(ctx)
	b.writeHistories(ctx)
	b.report(ctx)
}

// concurrently runs f(0..n-1) on up to limit goroutines.
func concurrently(n, limit int, f func(i int)) {
	if n <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(i)
		})
	}
	wg.Wait()
}

// budget is a weighted semaphore: what is taken waits until enough is free
// (a take larger than the whole waits for all of it).
type budget struct {
	mu   sync.Mutex
	cond *sync.Cond
	free int64
	all  int64
}

func newBudget(n int64) *budget {
	b := &budget{free: n, all: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// take waits for n (at most the whole budget) and returns what it took.
func (b *budget) take(n int64) int64 {
	n = min(n, b.all)
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.free < n {
		b.cond.Wait()
	}
	b.free -= n
	return n
}

// give returns what take took.
func (b *budget) give(n int64) {
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// readMessage reads a message's object and parses it. A message past the
// limits is turned away: scored on that alone, never lost.
func (p *Pipeline) readMessage(ctx context.Context, w *messageWork, res *Result, parsing *budget) {
	o := w.msg.Object
	raw, err := p.c.Objects.Read(ctx, o.Bucket, o.Key)
	switch {
	case errors.Is(err, objects.ErrTooLarge):
		w.turnedAway = "too_large"
		return
	case errors.Is(err, objects.ErrBadName):
		res.Err = fmt.Errorf("detail.object: %w: %w", event.ErrMalformed, err)
		return
	case err != nil:
		// Not found may cure itself (the object written after its event
		// was read), and so may a fault: retry.
		res.Err = fmt.Errorf("read message object: %w: %w", ErrTransient, err)
		return
	}
	n := parsing.take(int64(len(raw)))
	w.facts, err = mail.Parse(raw, p.c.Mail)
	parsing.give(n)
	if rej, ok := errors.AsType[*mail.Rejection](err); ok {
		w.turnedAway = rej.Reason
		return
	}
	if err != nil {
		w.turnedAway = "unparseable"
		return
	}
	f := &w.facts
	if f.OriginIP.IsValid() && f.OriginIP.IsGlobalUnicast() && !f.OriginIP.IsPrivate() {
		w.origin = f.OriginIP.String()
		w.geo = p.c.Geo.Lookup(f.OriginIP)
	}
	for _, d := range f.RecipientDomains {
		w.domains = append(w.domains, outbound.IDHash(p.c.Hasher.Sum("rdom", d)))
	}
	w.items = contentItems(f)
}

// contentItems lists what a message links its sender by.
func contentItems(f *mail.Facts) []*contentItem {
	var items []*contentItem
	na, ni := 0, 0
	for _, at := range f.Attachments {
		switch {
		case at.Image && at.Hashed && ni < maxLinkedImages:
			ni++
			items = append(items, bandItem('i', imagePrefix, uint64(at.ImageHash), imagehash.Match, imagehash.Match))
		case !at.Image && na < maxLinkedAttachments:
			na++
			items = append(items, &contentItem{kind: 'a', hash: binary.BigEndian.Uint64(at.SHA256[:8]),
				keys: []string{attachPrefix + hex.EncodeToString(at.SHA256[:16])}})
		}
	}
	if f.Text != 0 {
		items = append(items, bandItem('t', textPrefix, uint64(f.Text), textLink, textsim.Near))
	}
	return items
}

// bandItem is content found by the 16-bit bands of its 64-bit hash: two
// hashes within 3 bits share a band for certain, and further ones often.
func bandItem(kind byte, prefix string, h uint64, link, popular int) *contentItem {
	it := &contentItem{kind: kind, hash: h, link: link, popular: popular}
	for band := range hashBands {
		v := uint16(h >> (16 * band))
		it.keys = append(it.keys, fmt.Sprintf("%s%d%04x", prefix, band, v))
	}
	return it
}

// read loads the accounts' signup records and histories.
func (b *messageBatch) read(ctx context.Context) error {
	ids := make([]string, len(b.accts))
	keys := make([]string, len(b.accts))
	for i, a := range b.accts {
		ids[i], keys[i] = a.id, messagePrefix+a.id
	}
	signups, err := b.p.c.Store.Accounts(ctx, ids)
	if err != nil {
		return fmt.Errorf("read signup records: %w: %w", ErrTransient, err)
	}
	recs, err := b.p.c.Store.Records(ctx, keys, false)
	if err != nil {
		return fmt.Errorf("read message histories: %w: %w", ErrTransient, err)
	}
	set := b.p.c.Outbound
	for i, a := range b.accts {
		a.signup, a.seen = signups[a.id]
		first := a.msgs[0].msg.SentAt
		a.young = a.seen && !a.signup.CreatedAt.IsZero() && first.Sub(a.signup.CreatedAt) < set.Young
		if a.signup.Zone != "" {
			a.zone, a.hasZone = b.p.zone(a.signup.Zone)
		}
		if r, ok := recs[keys[i]]; ok {
			h, err := outbound.DecodeHistory(r.Data)
			if err != nil {
				b.p.log.LogAttrs(ctx, slog.LevelWarn, "corrupt message history", slog.String("accountId", a.id), slog.Any("error", err))
				h = outbound.History{}
			}
			a.prev, a.hist = r.Version, h
		}
	}
	return nil
}

// zone loads an IANA time zone once per pipeline. Only zones that load are
// kept, so hostile names cannot grow the cache: there are a few hundred.
func (p *Pipeline) zone(name string) (*time.Location, bool) {
	if l, ok := p.zones.Load(name); ok {
		return l.(*time.Location), true
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		return nil, false
	}
	p.zones.Store(name, loc)
	return loc, true
}

// apply judges an account's messages in order against its history. Only
// young accounts keep one: an established sender's messages only count as
// established carriers of their content.
func (b *messageBatch) apply(a *messageAccount) {
	for _, w := range a.msgs {
		if !a.young {
			continue
		}
		if a.hist.Seen(w.ev.ID) {
			b.results[w.idx].Duplicate = true
			continue
		}
		w.fanOut = a.hist.Apply(w.ev.ID, w.msg.SentAt, w.domains, w.turnedAway != "", b.p.c.Outbound)
		a.write = true
	}
}

// link joins each message's content to its records and leaves each item
// the other senders of the same or near content.
func (b *messageBatch) link(ctx context.Context) {
	set := b.p.c.Outbound
	type joiner struct {
		a    *messageAccount
		w    *messageWork
		item *contentItem
	}
	byKey := map[string][]joiner{}
	var order []string
	for _, a := range b.accts {
		for _, w := range a.msgs {
			if b.results[w.idx].Duplicate {
				continue
			}
			for _, it := range w.items {
				for _, k := range it.keys {
					if byKey[k] == nil {
						order = append(order, k)
					}
					byKey[k] = append(byKey[k], joiner{a, w, it})
				}
			}
		}
	}
	if len(order) == 0 {
		return
	}
	ops := make([]*recordOp, len(order))
	matches := make(map[string][]outbound.Match, len(order))
	for i, key := range order {
		js := byKey[key]
		matches[key] = make([]outbound.Match, len(js))
		ops[i] = &recordOp{key: key, change: func(r versioned.Record) ([]byte, int64, bool) {
			var c outbound.Carriers
			if r.Version > 0 {
				var err error
				if c, err = outbound.DecodeCarriers(r.Data, set); err != nil {
					c = outbound.Carriers{}
				}
			}
			changed := false
			newest := int64(0)
			for _, j := range js {
				day := int32(j.w.msg.SentAt.Unix() / 86400)
				changed = c.Join(j.a.id, j.a.young, day, j.item.hash, set) || changed
				newest = max(newest, j.w.msg.SentAt.Unix())
			}
			for n, j := range js {
				matches[key][n] = c.Near(j.a.id, j.item.hash, j.item.link, j.item.popular)
			}
			return c.Encode(), newest + int64(set.Keep/time.Second), changed
		}}
	}
	failed := b.p.updateRecords(ctx, ops)
	for ro, err := range failed {
		for _, j := range byKey[ro.key] {
			b.failAccount(j.a.id, err)
		}
	}
	for _, key := range order {
		for n, j := range byKey[key] {
			j.item.match.Add(matches[key][n])
		}
	}
}

// decideMessage scores one message of a young account.
func (p *Pipeline) decideMessage(ctx context.Context, a *messageAccount, w *messageWork) decided {
	su := a.signup
	f := &w.facts
	in := signal.MessageInput{
		Young: a.young, AgeDays: -1, ClaimedCountry: su.Claimed, ClaimedZone: su.Zone,
		SignupAnon: su.Anonymous, SignupScore: su.Score,
		Origin: w.origin, OriginGeo: w.geo, TurnedAway: w.turnedAway, Messages: a.hist.Messages,
		FanOut: w.fanOut, Recipients: f.Recipients, Domains: len(f.RecipientDomains),
		Attachments: len(f.Attachments),
	}
	if a.seen && !su.CreatedAt.IsZero() {
		in.AgeDays = int(w.msg.SentAt.Sub(su.CreatedAt) / (24 * time.Hour))
	}
	if f.HasDate {
		in.HasDate, in.DateOffset = true, f.DateOffset
		if a.hasZone {
			_, off := f.Date.In(a.zone).Zone()
			in.HasZone, in.ZoneOffset = true, off
		}
	}
	if su.NameHash != "" && f.FromName != "" {
		in.NameDiffers = nameHash(p.c.Hasher, f.FromName) != su.NameHash
	}
	var best *contentItem
	for _, it := range w.items {
		if it.kind == 'i' {
			in.Images++
		}
		if it.match.Popular(p.c.Outbound) {
			in.Popular = true
			continue
		}
		n := len(it.match.Young)
		switch it.kind {
		case 'a':
			in.SharedAttach = max(in.SharedAttach, n)
		case 'i':
			in.SharedImage = max(in.SharedImage, n)
		case 't':
			in.SharedText = max(in.SharedText, n)
		}
		if n > 0 && (best == nil || n > len(best.match.Young)) {
			best = it
		}
	}
	sig := signal.Message(p.c.MessageCatalog, in)
	reasons, score, err := p.c.MessageRules.Score(sig)
	if err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "message rule evaluation failed",
			slog.String("eventId", w.ev.ID), slog.Any("error", err))
	}
	d := decided{Score: score, Reasons: reasons, Rules: p.c.MessageRules.Version()}
	d.Verdict = p.c.Policy.Decide(score, reasons)
	if d.Verdict != Allow && best != nil {
		d.Cluster = &queue.Cluster{Key: "message:" + best.keys[0], Size: len(best.match.Young) + 1}
	}
	return d
}

// raise writes the queue for the messages whose verdict asks for it and
// would raise something their account has not been raised for.
func (b *messageBatch) raise(ctx context.Context) {
	var rs []heldRaise
	for _, a := range b.accts {
		if a.err != nil {
			continue
		}
		for _, w := range a.msgs {
			w.raise = b.p.propose(&b.results[w.idx], w.dec, a.id, w.ev.ID, w.msg.SentAt, func(score int, rules []string) bool {
				if !a.hist.Raise(score, rules) {
					return false
				}
				a.write = true
				return true
			})
			if w.raise != nil {
				rs = append(rs, heldRaise{r: w.raise, idx: w.idx, h: &a.held})
			}
		}
	}
	b.p.raiseHeld(ctx, b.results, rs)
}

// writeHistories writes the histories that changed, last.
func (b *messageBatch) writeHistories(ctx context.Context) {
	keep := int64(b.p.c.Outbound.Keep / time.Second)
	b.p.writeLast(ctx, "message history", messagePrefix, b.results, b.held, func(i int) ([]byte, int64) {
		h := &b.accts[i].hist
		return h.Encode(), h.Newest*60 + keep
	})
}

func (b *messageBatch) failAccount(id string, err error) { failHeld(b.results, b.held, id, err) }

func (b *messageBatch) failAll(err error) { failHeld(b.results, b.held, "", err) }

func (b *messageBatch) report(ctx context.Context) {
	for _, a := range b.accts {
		for _, w := range a.msgs {
			res := &b.results[w.idx]
			if w.turnedAway != "" && res.Err == nil && !res.Duplicate {
				b.p.log.LogAttrs(ctx, slog.LevelInfo, "message turned away",
					slog.String("eventId", w.ev.ID), slog.String("accountId", a.id), slog.String("reason", w.turnedAway))
			}
			b.p.logVerdict(ctx, "message", a.id, res)
		}
	}
}

// MessageKey is the key of an account's outbound history among the
// versioned records, for tools that show it.
func MessageKey(accountID string) string { return messagePrefix + accountID }
