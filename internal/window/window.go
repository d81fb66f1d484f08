// Package window keeps sliding-window counts and shared-attribute sets for
// one attribute value (an IP, a /24, an ASN, a device, a recovery contact, a
// username template): how many signups it had in the last 10 minutes, hour,
// day and week, its usual rate over the previous four weeks (the baseline a
// carrier NAT or a campus is judged against), and the recent accounts that
// share it.
//
// A Record is stored as a flat set of named integer attributes so that every
// storage adapter can apply a Delta with commutative, single-item operations
// (DynamoDB UpdateItem ADD / SET if_not_exists / REMOVE), with no read-modify-
// write race between concurrent writers. The names are this package's
// business: adapters store and return them verbatim.
package window

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Kind is the kind of attribute a key counts.
type Kind string

// The counted attribute kinds. Values of Device, RecoveryEmail and
// RecoveryPhone are keyed hashes, never the raw value.
const (
	IP            Kind = "ip"
	Prefix        Kind = "net" // IPv4 /24, IPv6 /48
	ASN           Kind = "asn"
	Device        Kind = "dev"
	RecoveryEmail Kind = "rem"
	RecoveryPhone Kind = "rph"
	Template      Kind = "tpl"
)

// Kinds lists every kind, in the order signals are named.
var Kinds = []Kind{IP, Prefix, ASN, Device, RecoveryEmail, RecoveryPhone, Template}

// Key names one counted value: "net#198.51.100.0/24".
type Key string

// NewKey returns the key of value v of kind k.
func NewKey(k Kind, v string) Key { return Key(string(k) + "#" + v) }

// Kind returns the kind part of the key.
func (k Key) Kind() Kind {
	kind, _, _ := strings.Cut(string(k), "#")
	return Kind(kind)
}

// Value returns the value part of the key.
func (k Key) Value() string {
	_, v, _ := strings.Cut(string(k), "#")
	return v
}

// Resolutions and retention. Fine buckets answer "in the last 10 minutes /
// hour", hourly ones "in the last day", daily ones "in the last week" and the
// four-week baseline.
const (
	FineStep     = 5 * time.Minute
	fineKeep     = 24 // 2 h
	hourKeep     = 48 // 2 days
	dayKeep      = 29 // today and 28 days of history
	BaselineDays = 28

	// MaxMembers bounds the shared-account set kept per key: the most recent
	// accounts. It is enough to link a campaign and to recognise a retried
	// event, and keeps an item of a busy key under a few KiB.
	MaxMembers = 32

	// Retention is how long a key is kept after its last event: the baseline
	// needs four weeks, personal data should not outlive that.
	Retention = 30 * 24 * time.Hour
)

// Attribute name prefixes.
const (
	finePrefix   = "f"
	hourPrefix   = "h"
	dayPrefix    = "d"
	memberPrefix = "m_"
)

// Attrs is the stored form of a Record: attribute name -> integer.
type Attrs map[string]int64

// Record is one key's counts and members, as read from a store. The zero
// Record is an empty one.
//
// Copies of a Record that holds anything share it, as copies of a map do:
// what Add or Prune does through one is seen through the others.
type Record struct {
	s *state
}

// state is a Record's contents. A key holds at most a few dozen buckets of
// each resolution and MaxMembers members between batches, so small sorted
// slices beat maps on every operation the pipeline makes.
type state struct {
	fine, hour, day []bucket // ascending idx, distinct
	// members are the shared accounts, in no particular order; byName
	// indexes them in ascending order of account. A new member is appended,
	// and only its index entry moved into place: entries hold no pointers,
	// so shifting them costs no write barriers.
	members []member
	byName  []memberRef

	// Most keys of a batch are new, or seen once before: their buckets and
	// member fit in here, with no allocation of their own.
	bucketBuf [6]bucket
	memberBuf [2]member
	refBuf    [2]memberRef
}

// newState returns an empty state whose slices use its own arrays.
func newState() *state {
	s := new(state)
	s.fine, s.hour, s.day = s.bucketBuf[0:0:2], s.bucketBuf[2:2:4], s.bucketBuf[4:4:6]
	s.members, s.byName = s.memberBuf[:0], s.refBuf[:0]
	return s
}

// bucket is one counter: its index (unix time / resolution) and count.
type bucket struct {
	idx, n int64
}

// bucketName is the attribute name of a bucket.
type bucketName struct {
	idx  int64
	name string
}

// names caches, per resolution, the name of the bucket an event was last
// counted into, across all Records: the events of a batch mostly share
// their buckets.
var names [3]atomic.Pointer[bucketName]

func cachedName(res int, prefix byte, idx int64) string {
	if c := names[res].Load(); c != nil && c.idx == idx {
		return c.name
	}
	c := &bucketName{idx, formatName(prefix, idx)}
	names[res].Store(c)
	return c.name
}

// member is one shared account: its attribute name (memberPrefix+account,
// so the account is a substring of it) and when it was first seen.
type member struct {
	name  string
	first int64
}

func (m member) account() string { return m.name[len(memberPrefix):] }

// memberRef is an entry of the index of members by account: the first 8
// bytes of the account, which order most pairs of accounts without reading
// them, and the member's position.
type memberRef struct {
	head uint64
	pos  int32
}

// head returns the first 8 bytes of account, big-endian and padded with
// zeros: if head(a) < head(b), then a < b.
func head(account string) uint64 {
	var h uint64
	for i := range 8 {
		h <<= 8
		if i < len(account) {
			h |= uint64(account[i])
		}
	}
	return h
}

// older orders members by first seen, then account: Members' order.
func older(a, b member) int {
	if a.first != b.first {
		return cmp.Compare(a.first, b.first)
	}
	return strings.Compare(a.name, b.name)
}

func byIdx(a, b bucket) int { return cmp.Compare(a.idx, b.idx) }

func nameOrder(a, b member) int { return strings.Compare(a.name, b.name) }

// Parse reads a Record from its stored attributes. Unknown names are ignored.
func Parse(a Attrs) Record {
	var nf, nh, nd, nm int
	for name := range a {
		switch {
		case strings.HasPrefix(name, memberPrefix):
			nm++
		case len(name) < 2:
		case name[0] == finePrefix[0]:
			nf++
		case name[0] == hourPrefix[0]:
			nh++
		case name[0] == dayPrefix[0]:
			nd++
		}
	}
	if nf+nh+nd+nm == 0 {
		return Record{}
	}
	s := newState()
	// Room for what a batch usually adds: a member, and a bucket of each
	// resolution.
	if nm+1 > len(s.memberBuf) {
		s.members = make([]member, 0, nm+1)
	}
	// One array for all buckets, each resolution's part capped so that
	// growing it never overwrites the next one.
	nf, nh, nd = nf+1, nh+1, nd+1
	buf := s.bucketBuf[:]
	if n := nf + nh + nd; n > len(buf) {
		buf = make([]bucket, n)
	}
	s.fine, s.hour, s.day = buf[:0:nf], buf[nf:nf:nf+nh], buf[nf+nh:nf+nh:nf+nh+nd]
	for name, v := range a {
		if strings.HasPrefix(name, memberPrefix) {
			s.members = append(s.members, member{name: name, first: v})
			continue
		}
		if len(name) < 2 {
			continue
		}
		var dst *[]bucket
		switch name[0] {
		case finePrefix[0]:
			dst = &s.fine
		case hourPrefix[0]:
			dst = &s.hour
		case dayPrefix[0]:
			dst = &s.day
		default:
			continue
		}
		if idx, ok := parseIdx(name[1:]); ok {
			*dst = append(*dst, bucket{idx, v})
		}
	}
	slices.SortFunc(s.members, nameOrder)
	s.byName = s.index(s.byName)
	s.fine, s.hour, s.day = sortBuckets(s.fine), sortBuckets(s.hour), sortBuckets(s.day)
	return Record{s}
}

// sortBuckets sorts bs by index and sums buckets stored under more than one
// name ("f7", "f07").
func sortBuckets(bs []bucket) []bucket {
	if len(bs) < 2 {
		return bs
	}
	slices.SortFunc(bs, byIdx)
	out := bs[:1]
	for _, b := range bs[1:] {
		if last := &out[len(out)-1]; last.idx == b.idx {
			last.n += b.n
			continue
		}
		out = append(out, b)
	}
	return out
}

// parseIdx parses a bucket index as strconv.ParseInt(s, 10, 64) does.
func parseIdx(s string) (int64, bool) {
	digits := s
	if len(s) > 0 && s[0] == '-' {
		digits = s[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return parseIdxSlow(s)
	}
	var u int64
	for i := 0; i < len(digits); i++ {
		c := digits[i] - '0'
		if c > 9 {
			return parseIdxSlow(s)
		}
		u = u*10 + int64(c)
	}
	if len(digits) < len(s) {
		u = -u
	}
	return u, true
}

func parseIdxSlow(s string) (int64, bool) {
	idx, err := strconv.ParseInt(s, 10, 64)
	return idx, err == nil
}

func formatName(prefix byte, idx int64) string {
	var buf [24]byte
	return string(strconv.AppendInt(append(buf[:0], prefix), idx, 10))
}

// index returns buf filled with the index of s.members, which must be
// sorted by account.
func (s *state) index(buf []memberRef) []memberRef {
	buf = slices.Grow(buf[:0], cap(s.members))
	for i, m := range s.members {
		buf = append(buf, memberRef{head(m.account()), int32(i)})
	}
	return buf
}

// findMember returns where account is in s.byName, or where it would go.
func (s *state) findMember(account string) (int, bool) {
	h := head(account)
	return slices.BinarySearchFunc(s.byName, account, func(e memberRef, a string) int {
		if e.head != h {
			return cmp.Compare(e.head, h)
		}
		return strings.Compare(s.members[e.pos].account(), a)
	})
}

// Has reports whether account is among the key's recent members, that is,
// whether its event has already been counted here.
func (r Record) Has(account string) bool {
	if r.s == nil {
		return false
	}
	_, ok := r.s.findMember(account)
	return ok
}

// Add counts one event of account at t into r (the in-memory view, so later
// events of a batch see earlier ones) and returns the change to store.
func (r *Record) Add(t time.Time, account string) Delta {
	fine, hour, day, mname := r.add(t, account)
	d := Delta{Incr: Attrs{fine: 1, hour: 1, day: 1}}
	if mname != "" {
		d.SetOnce = Attrs{mname: t.Unix()}
	}
	return d
}

// AddTo counts one event of account at t into r, as Add does, and merges the
// change into d: the same as d.Merge(r.Add(t, account)), without building a
// Delta per event. d.Key is left as it is.
func (r *Record) AddTo(d *Delta, t time.Time, account string) {
	fine, hour, day, mname := r.add(t, account)
	if d.Incr == nil {
		d.Incr = make(Attrs, 4)
	}
	d.Incr[fine]++
	d.Incr[hour]++
	d.Incr[day]++
	if mname != "" {
		if d.SetOnce == nil {
			d.SetOnce = make(Attrs, 4)
		}
		if _, ok := d.SetOnce[mname]; !ok {
			d.SetOnce[mname] = t.Unix()
		}
	}
	d.Expires = max(d.Expires, 0)
}

// add counts one event into r and returns the names of its buckets, and the
// member attribute to set if account is new to r ("" if not).
func (r *Record) add(t time.Time, account string) (fine, hour, day, mname string) {
	if r.s == nil {
		r.s = newState()
	}
	s := r.s
	f, h, d := buckets(t)
	s.fine = inc(s.fine, f)
	s.hour = inc(s.hour, h)
	s.day = inc(s.day, d)
	fine = cachedName(0, finePrefix[0], f)
	hour = cachedName(1, hourPrefix[0], h)
	day = cachedName(2, dayPrefix[0], d)
	if account != "" {
		if i, ok := s.findMember(account); !ok {
			mname = memberPrefix + account
			s.byName = slices.Insert(s.byName, i, memberRef{head(account), int32(len(s.members))})
			s.members = append(s.members, member{name: mname, first: t.Unix()})
		}
	}
	return fine, hour, day, mname
}

// inc adds one to bucket idx of bs, creating it if absent.
func inc(bs []bucket, idx int64) []bucket {
	// Events mostly arrive in time order: try the newest bucket first.
	n := len(bs)
	if n > 0 && bs[n-1].idx == idx {
		bs[n-1].n++
		return bs
	}
	if n > 0 && bs[n-1].idx > idx {
		i, found := slices.BinarySearchFunc(bs, bucket{idx: idx}, byIdx)
		if found {
			bs[i].n++
			return bs
		}
		return slices.Insert(bs, i, bucket{idx, 1})
	}
	return append(bs, bucket{idx, 1})
}

func buckets(t time.Time) (fine, hour, day int64) {
	u := t.Unix()
	return floorDiv(u, int64(FineStep/time.Second)), floorDiv(u, 3600), floorDiv(u, 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Counts is what signals see of a key at a moment.
type Counts struct {
	Last10m, Last1h, Last24h, Last7d int64
	// Usual1h is the key's mean hourly count over the days before today on
	// which it had any event (at most BaselineDays): 0 for a key never seen
	// before today. Averaging over active days rather than the whole window
	// keeps a young deployment, or a key that is busy on some days only (a
	// campus lab), from looking like a spike on its next busy day.
	Usual1h float64
	// DaysSeen is how many of those days had any event.
	DaysSeen int
	// Members is the number of recent accounts that share the key (at most
	// MaxMembers).
	Members int
}

// Counts returns the windowed counts at now. Windows are bucket-aligned: "10
// minutes" is the current and previous 5-minute bucket, "1 hour" the last 12
// of them, "24 hours" the last 24 hourly buckets, "7 days" the last 7 days.
func (r Record) Counts(now time.Time) Counts {
	var c Counts
	s := r.s
	if s == nil {
		return c
	}
	f, h, d := buckets(now)
	// Buckets are in ascending order: walk back from the newest and stop at
	// the first one older than the window.
	for i := len(s.fine) - 1; i >= 0; i-- {
		b := s.fine[i]
		if b.idx > f {
			continue
		}
		if b.idx <= f-12 {
			break
		}
		c.Last1h += b.n
		if b.idx > f-2 {
			c.Last10m += b.n
		}
	}
	for i := len(s.hour) - 1; i >= 0; i-- {
		b := s.hour[i]
		if b.idx > h {
			continue
		}
		if b.idx <= h-24 {
			break
		}
		c.Last24h += b.n
	}
	var hist int64
	for i := len(s.day) - 1; i >= 0; i-- {
		b := s.day[i]
		if b.idx > d {
			continue
		}
		if b.idx < d-BaselineDays {
			break
		}
		if b.idx > d-7 {
			c.Last7d += b.n
		}
		if b.idx < d && b.n > 0 {
			hist += b.n
			c.DaysSeen++
		}
	}
	if c.DaysSeen > 0 {
		c.Usual1h = float64(hist) / float64(c.DaysSeen*24)
	}
	c.Members = len(s.members)
	return c
}

// Members returns the recent accounts that share the key, oldest first.
func (r Record) Members() []string {
	if r.s == nil {
		return []string{}
	}
	ms := slices.Clone(r.s.members)
	slices.SortFunc(ms, older)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.account()
	}
	return out
}

// oldestKept returns the oldest of the MaxMembers newest members: members
// older than it are past the bound. ok is false if there are at most
// MaxMembers.
func oldestKept(ms []member) (m member, ok bool) {
	if len(ms) <= MaxMembers {
		return member{}, false
	}
	// A min-heap of the MaxMembers newest seen so far. Members are appended
	// as they come, so starting from the last ones the heap is mostly right
	// from the start, and each earlier member costs one comparison.
	var h [MaxMembers]member
	rest := len(ms) - MaxMembers
	copy(h[:], ms[rest:])
	for i := MaxMembers/2 - 1; i >= 0; i-- {
		siftDown(&h, i)
	}
	for i := rest - 1; i >= 0; i-- {
		if m := &ms[i]; isOlder(&h[0], m) {
			h[0] = *m
			siftDown(&h, 0)
		}
	}
	return h[0], true
}

// isOlder is older(*a, *b) < 0.
func isOlder(a, b *member) bool {
	if a.first != b.first {
		return a.first < b.first
	}
	return a.name < b.name
}

func siftDown(h *[MaxMembers]member, i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && isOlder(&h[c+1], &h[c]) {
			c++
		}
		if !isOlder(&h[c], &h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// staleBuckets is how many of the oldest buckets of bs have idx <= limit.
func staleBuckets(bs []bucket, limit int64) int {
	n := 0
	for n < len(bs) && bs[n].idx <= limit {
		n++
	}
	return n
}

// Stale returns the stored attributes of r that are past retention at now:
// old buckets, and the oldest members beyond MaxMembers. Removing them in the
// same write keeps a busy key's item small.
func (r Record) Stale(now time.Time) []string {
	s := r.s
	if s == nil {
		return nil
	}
	f, h, d := buckets(now)
	nd := staleBuckets(s.day, d-dayKeep)
	nf := staleBuckets(s.fine, f-fineKeep)
	nh := staleBuckets(s.hour, h-hourKeep)
	cut, over := oldestKept(s.members)
	n := nd + nf + nh
	if over {
		n += len(s.members) - MaxMembers
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	// The names of all stale buckets share one allocation: a Builder only
	// appends, so what String returned stays as it was.
	var sb strings.Builder
	sb.Grow((nd + nf + nh) * 10)
	var num [20]byte
	// In prefix order (d, f, h, m_), each group ascending: sorted already
	// unless indexes differ in length or sign.
	for _, g := range [...]struct {
		prefix byte
		bs     []bucket
	}{{dayPrefix[0], s.day[:nd]}, {finePrefix[0], s.fine[:nf]}, {hourPrefix[0], s.hour[:nh]}} {
		for _, b := range g.bs {
			start := sb.Len()
			sb.WriteByte(g.prefix)
			sb.Write(strconv.AppendInt(num[:0], b.idx, 10))
			out = append(out, sb.String()[start:])
		}
	}
	if over {
		for _, e := range s.byName {
			if m := s.members[e.pos]; older(m, cut) < 0 {
				out = append(out, m.name)
			}
		}
	}
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return out
}

// Prune drops from r what Stale reports, so the in-memory view matches the
// store after the write.
func (r *Record) Prune(now time.Time) {
	s := r.s
	if s == nil {
		return
	}
	f, h, d := buckets(now)
	s.fine = dropOldest(s.fine, staleBuckets(s.fine, f-fineKeep))
	s.hour = dropOldest(s.hour, staleBuckets(s.hour, h-hourKeep))
	s.day = dropOldest(s.day, staleBuckets(s.day, d-dayKeep))
	if cut, over := oldestKept(s.members); over {
		kept := make([]member, 0, MaxMembers+MaxMembers/4) // room for the next batch's
		for _, e := range s.byName {
			if m := s.members[e.pos]; older(m, cut) >= 0 {
				kept = append(kept, m)
			}
		}
		s.members = kept
		s.byName = s.index(s.byName)
	}
}

func dropOldest(bs []bucket, n int) []bucket {
	if n == 0 {
		return bs
	}
	return slices.Delete(bs, 0, n)
}

// Delta is one write to one key: counters to add to, attributes to set only
// if absent, attributes to remove, and the new expiry. Applying the same
// Delta's SetOnce twice has the effect of once; Incr does not, which is why
// every delta the pipeline writes carries the write tokens of its events.
type Delta struct {
	Key     Key
	Incr    Attrs
	SetOnce Attrs
	Remove  []string
	// Tokens are attribute names (see Token) that the delta also sets, in
	// SetOnce: the delta applies only where none of them is on the key yet
	// (Check), which makes a repeated write of it harmless.
	Tokens []string
	// Expires is the unix time after which the whole item may be deleted
	// (the store's TTL). A store keeps the later of the stored expiry and
	// this one: no write moves a key's expiry backwards.
	Expires int64
}

// Merge folds d2 into d: one write per key per batch.
func (d *Delta) Merge(d2 Delta) {
	for k, v := range d2.Incr {
		if d.Incr == nil {
			d.Incr = Attrs{}
		}
		d.Incr[k] += v
	}
	for k, v := range d2.SetOnce {
		if d.SetOnce == nil {
			d.SetOnce = Attrs{}
		}
		if _, ok := d.SetOnce[k]; !ok {
			d.SetOnce[k] = v
		}
	}
	for _, name := range d2.Remove {
		if !slices.Contains(d.Remove, name) {
			d.Remove = append(d.Remove, name)
		}
	}
	for _, t := range d2.Tokens {
		if !slices.Contains(d.Tokens, t) {
			d.Tokens = append(d.Tokens, t)
		}
	}
	d.Expires = max(d.Expires, d2.Expires)
}

// Apply applies d to stored attributes a, as a store must: the reference
// semantics the storage contract tests hold every adapter to. A delta that
// Check refuses changes nothing. (Expires is not an attribute: a store keeps
// max(stored, d.Expires) beside them.)
func Apply(a Attrs, d Delta) Attrs {
	if a == nil {
		a = Attrs{}
	}
	if Check(a, d) != nil {
		return a
	}
	for _, name := range d.Remove {
		if _, inc := d.Incr[name]; inc {
			continue
		}
		delete(a, name)
	}
	for k, v := range d.Incr {
		a[k] += v
	}
	for k, v := range d.SetOnce {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

// Write tokens make a delta idempotent. The pipeline gives each event it
// counts a token (the id of its claim) and sets it, in the same single-item
// write, on every key the event is counted into. A delta whose tokens are
// already on the key has been applied before (by an earlier attempt of the
// same events, or by this write whose answer was lost), and a store must
// not apply it again. A token is removed once its event's claim is done.
const tokenPrefix = "t_"

// Token returns the attribute name of the write token of a claim id.
func Token(claimID string) string { return tokenPrefix + claimID }

// TokenClaim returns the claim id of a token's attribute name, and whether
// name is a token at all.
func TokenClaim(name string) (string, bool) {
	if len(name) > len(tokenPrefix) && name[:len(tokenPrefix)] == tokenPrefix {
		return name[len(tokenPrefix):], true
	}
	return "", false
}

// Errors of conditional key writes.
var (
	// ErrApplied: every token of the delta is on the key already; the delta
	// was applied before and a store skips it (and reports success).
	ErrApplied = errors.New("delta already applied")
	// ErrTokenConflict: some of the delta's tokens are on the key and some
	// are not. Attempts of one event never split that way through the
	// pipeline; a store refuses the delta, and the events are retried.
	ErrTokenConflict = errors.New("delta partly applied before")
)

// Check reports whether d may be applied to stored attributes a: nil, or
// ErrApplied, or ErrTokenConflict. It is the condition of every key write.
func Check(a Attrs, d Delta) error {
	if len(d.Tokens) == 0 {
		return nil
	}
	present := 0
	for _, t := range d.Tokens {
		if _, ok := a[t]; ok {
			present++
		}
	}
	switch present {
	case 0:
		return nil
	case len(d.Tokens):
		return ErrApplied
	}
	return ErrTokenConflict
}

// Observe counts one event of account at t into the in-memory view r only,
// so that later events of a batch see it; the write is built separately
// (Delta.Add) once the events' claims are known to be held.
func (r *Record) Observe(t time.Time, account string) {
	r.add(t, account)
}

// Add merges into d the change that counting one event of account at t
// makes to a key: one in each bucket, and the member if account is not "".
func (d *Delta) Add(t time.Time, account string) {
	if account != "" {
		account = MemberName(account)
	}
	d.AddMember(t, account)
}

// MemberName is the attribute name of account as a key's member.
func MemberName(account string) string { return memberPrefix + account }

// AddMember is Add with the member's attribute name already made
// (MemberName; "" for none): an event adds itself to about ten keys.
func (d *Delta) AddMember(t time.Time, name string) {
	f, h, dy := buckets(t)
	if d.Incr == nil {
		d.Incr = make(Attrs, 4)
	}
	d.Incr[cachedName(0, finePrefix[0], f)]++
	d.Incr[cachedName(1, hourPrefix[0], h)]++
	d.Incr[cachedName(2, dayPrefix[0], dy)]++
	if name != "" {
		if d.SetOnce == nil {
			d.SetOnce = make(Attrs, 4)
		}
		if v, ok := d.SetOnce[name]; !ok || t.Unix() < v {
			d.SetOnce[name] = t.Unix()
		}
	}
}

// Newest returns the start of the newest 5-minute bucket that holds a count,
// and false if the record holds none. Pruning is judged from it, so that one
// event far ahead of the others cannot age out the history of a key.
func (r Record) Newest() (time.Time, bool) {
	if r.s == nil || len(r.s.fine)+len(r.s.hour)+len(r.s.day) == 0 {
		return time.Time{}, false
	}
	var u int64 = math.MinInt64
	step := int64(FineStep / time.Second)
	if n := len(r.s.fine); n > 0 {
		u = max(u, r.s.fine[n-1].idx*step)
	}
	if n := len(r.s.hour); n > 0 {
		u = max(u, r.s.hour[n-1].idx*3600)
	}
	if n := len(r.s.day); n > 0 {
		u = max(u, r.s.day[n-1].idx*86400)
	}
	return time.Unix(u, 0).UTC(), true
}
