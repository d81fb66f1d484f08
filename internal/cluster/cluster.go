// Package cluster holds the records of campaign clusters: accounts linked by
// what they share (a device, a recovery contact, a laptop-farm address, a
// message's content, a username shape made by one script in a burst),
// grouped union-find style so that a wave of thousands of accounts comes
// out as one cluster and is judged as a whole.
//
// Everything here is pure: the records' types, their binary encodings, and
// the rules of merging them. internal/pipeline reads and writes them as
// versioned records; every change is a set union or a maximum, so a change
// applied twice (a redelivered event, a retried write) is applied once.
//
// The records of one cluster:
//
//   - Root (cr#ID): the cluster's tallies by page, the clusters merged into
//     it (Children), its last judgement and the progress of queueing its
//     members (Sweep). A root merged into another keeps its members and
//     points to it by Parent.
//   - Page (cp#ID#N): the members whose account hashes to page N, with
//     the kinds of link that brought them and what is known of them.
//   - Member (cm#ACCOUNT): which cluster an account joined, when, and by
//     which links.
//   - Stats (ck#KIND): the link kind's history, from which its weight is
//     learned.
package cluster

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"slices"

	"github.com/mailtrust/abusescan/internal/wire"
)

// Kind is a kind of link between accounts.
type Kind uint8

// Link kinds. The order is the encoding: new kinds go at the end.
const (
	// Device: signed up on one device id.
	Device Kind = iota + 1
	// RecoveryEmail, RecoveryPhone: gave one recovery contact at signup.
	RecoveryEmail
	RecoveryPhone
	// UsernameBurst: usernames of one shape, signed up in a burst within
	// the hour (one script's construction).
	UsernameBurst
	// FarmAddress, FarmDevice: new mailboxes that sign in day after day
	// from one address, or one device, together (a laptop farm).
	FarmAddress
	FarmDevice
	// Attachment, Photo, Text: sent the same attachment, a near copy of an
	// image, or a near copy of a text that established senders do not.
	Attachment
	Photo
	Text
	// DisposableDomain: gave a recovery address at one disposable mail
	// domain (a public service: strangers share it too).
	DisposableDomain
	nKinds
)

var kindNames = [nKinds]string{
	Device: "device", RecoveryEmail: "recovery-email", RecoveryPhone: "recovery-phone",
	UsernameBurst: "username-burst", FarmAddress: "farm-address", FarmDevice: "farm-device",
	Attachment: "attachment", Photo: "photo", Text: "text", DisposableDomain: "disposable-domain",
}

var kindDocs = [nKinds]string{
	Device:           "signed up on the same device id",
	RecoveryEmail:    "gave the same recovery address at signup",
	RecoveryPhone:    "gave the same recovery phone at signup",
	UsernameBurst:    "usernames of one shape signed up in a burst within the hour",
	FarmAddress:      "new mailboxes signing in day after day from one address (laptop farm)",
	FarmDevice:       "new mailboxes signing in day after day from one device",
	Attachment:       "sent the same attachment, which established senders do not",
	Photo:            "sent a near copy of the same image, which established senders do not",
	Text:             "sent a near copy of the same text, which established senders do not",
	DisposableDomain: "gave a recovery address at the same disposable mail domain",
}

func (k Kind) String() string {
	if k == 0 || k >= nKinds {
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
	return kindNames[k]
}

// Doc says what a link of kind k means, for people.
func (k Kind) Doc() string {
	if k == 0 || k >= nKinds {
		return ""
	}
	return kindDocs[k]
}

// Kinds lists the link kinds in order.
func Kinds() []Kind {
	ks := make([]Kind, 0, nKinds-1)
	for k := Device; k < nKinds; k++ {
		ks = append(ks, k)
	}
	return ks
}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, bool) {
	for k := Device; k < nKinds; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// Mask is a set of link kinds.
type Mask uint16

// With returns m with k.
func (m Mask) With(k Kind) Mask { return m | 1<<k }

// Has reports whether m holds k.
func (m Mask) Has(k Kind) bool { return m&(1<<k) != 0 }

// Kinds lists the kinds of m in order.
func (m Mask) Kinds() []Kind {
	var ks []Kind
	for k := Device; k < nKinds; k++ {
		if m.Has(k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// Bounds. A cluster holds at most Pages*MaxPageMembers accounts of its own
// (6,400) and MaxChildren merged clusters; past them, links still resolve
// to it but new members are not listed, and the judgement says the cluster
// is full.
const (
	Pages          = 32
	MaxPageMembers = 200
	MaxChildren    = 48
	MaxMemberLinks = 4
	// MaxDepth bounds how many Parent pointers a reader follows: with
	// union by size a chain is at most log2 of the accounts long, and a
	// longer one is a corrupt record.
	MaxDepth = 8
)

// PageOf is the page an account is listed on.
func PageOf(account string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(account))
	return int(h.Sum32() % Pages)
}

// ID returns the stable id of a cluster founded by account: the same
// account founds the same id in every attempt, so two deliveries of one
// event cannot found two clusters.
func ID(founder string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(founder))
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	v := h.Sum64()
	b := []byte("c-")
	for range 10 {
		b = append(b, alphabet[v&31])
		v >>= 5
	}
	return string(b)
}

// Keys of a cluster's records.
func RootKey(id string) string           { return "cr#" + id }
func PageKey(id string, page int) string { return fmt.Sprintf("cp#%s#%d", id, page) }
func MemberKey(account string) string    { return "cm#" + account }
func StatsKey(k Kind) string             { return "ck#" + k.String() }

// Link is one link of an account: its kind, and an account it shares the
// value with.
type Link struct {
	Kind Kind
	Peer string
}

// Member records the cluster an account joined.
type Member struct {
	Cluster string
	Joined  int64 // unix seconds
	Links   []Link
}

const memberFormat = 1

// Encode appends m's binary form to dst.
func (m Member) Encode(dst []byte) []byte {
	dst = append(dst, memberFormat)
	dst = wire.AppendStr(dst, m.Cluster)
	dst = binary.AppendVarint(dst, m.Joined)
	links := m.Links[:min(len(m.Links), MaxMemberLinks)]
	dst = append(dst, byte(len(links)))
	for _, l := range links {
		dst = append(dst, byte(l.Kind))
		dst = wire.AppendStr(dst, l.Peer)
	}
	return dst
}

// DecodeMember reads a Member record.
func DecodeMember(b []byte) (Member, error) {
	r := wire.NewReader(b)
	var m Member
	if f := r.Byte(); f != memberFormat {
		return m, fmt.Errorf("member record: format %d: %w", f, wire.ErrCorrupt)
	}
	m.Cluster = r.Str()
	m.Joined = r.Varint()
	n := r.Count(MaxMemberLinks)
	for range n {
		m.Links = append(m.Links, Link{Kind: Kind(r.Byte()), Peer: r.Str()})
	}
	if err := r.Done(); err != nil {
		return Member{}, fmt.Errorf("member record: %w", err)
	}
	return m, nil
}

// Entry is one member listed on a page.
type Entry struct {
	Account string
	Joined  int64 // unix seconds
	Kinds   Mask  // the kinds of link that brought it
	// Queued: its own events queued it (review or suspend), before or
	// after it joined; Strong: they asked for its suspension. Released: a
	// person released its queue item.
	Queued, Strong, Released bool
}

// Page lists the members of a cluster whose accounts hash to one page,
// sorted by account.
type Page struct {
	Entries []Entry
}

// Add merges e into the page: a new member is listed (unless the page is
// full), a listed one gains e's kinds and flags, and the earlier join time
// stands. It reports whether the page changed; adding what is there
// already changes nothing.
func (p *Page) Add(e Entry) bool {
	i, found := slices.BinarySearchFunc(p.Entries, e.Account, func(x Entry, a string) int {
		switch {
		case x.Account < a:
			return -1
		case x.Account > a:
			return 1
		}
		return 0
	})
	if !found {
		if len(p.Entries) >= MaxPageMembers {
			return false
		}
		e.Queued = e.Queued || e.Strong
		p.Entries = slices.Insert(p.Entries, i, e)
		return true
	}
	cur := &p.Entries[i]
	next := *cur
	next.Kinds |= e.Kinds
	next.Strong = cur.Strong || e.Strong
	next.Queued = cur.Queued || e.Queued || next.Strong
	next.Released = cur.Released || e.Released
	if e.Joined != 0 && (cur.Joined == 0 || e.Joined < cur.Joined) {
		next.Joined = e.Joined
	}
	if next == *cur {
		return false
	}
	*cur = next
	return true
}

// Find returns the entry of account.
func (p *Page) Find(account string) (Entry, bool) {
	for _, e := range p.Entries {
		if e.Account == account {
			return e, true
		}
	}
	return Entry{}, false
}

// Full reports whether the page lists as many members as it may.
func (p *Page) Full() bool { return len(p.Entries) >= MaxPageMembers }

const pageFormat = 1

// Encode appends p's binary form to dst.
func (p Page) Encode(dst []byte) []byte {
	dst = append(dst, pageFormat)
	dst = binary.AppendUvarint(dst, uint64(len(p.Entries)))
	for _, e := range p.Entries {
		dst = wire.AppendStr(dst, e.Account)
		dst = binary.AppendVarint(dst, e.Joined)
		dst = binary.AppendUvarint(dst, uint64(e.Kinds))
		dst = append(dst, wire.Bool(e.Strong)|wire.Bool(e.Released)<<1|wire.Bool(e.Queued)<<2)
	}
	return dst
}

// DecodePage reads a Page record.
func DecodePage(b []byte) (Page, error) {
	r := wire.NewReader(b)
	var p Page
	if f := r.Byte(); f != pageFormat {
		return p, fmt.Errorf("page record: format %d: %w", f, wire.ErrCorrupt)
	}
	n := r.Uvarint()
	if n > MaxPageMembers {
		return Page{}, fmt.Errorf("page record: %d members, more than %d: %w", n, MaxPageMembers, wire.ErrCorrupt)
	}
	p.Entries = make([]Entry, 0, n)
	for range n {
		e := Entry{Account: r.Str(), Joined: r.Varint(), Kinds: Mask(r.Uvarint())}
		flags := r.Byte()
		e.Strong, e.Released, e.Queued = flags&1 != 0, flags&2 != 0, flags&4 != 0
		p.Entries = append(p.Entries, e)
	}
	if err := r.Done(); err != nil {
		return Page{}, fmt.Errorf("page record: %w", err)
	}
	return p, nil
}

// Tally sums what a page (or a cluster) lists, as of its Version: the
// root keeps one per page, so judging a cluster reads its root and the
// roots merged into it, not its thousands of members.
type Tally struct {
	Version  int64 // of the page it was taken from (0: summed)
	N        int   // members
	Queued   int
	Strong   int
	Released int
	Kinds    Mask
	First    int64 // the earliest join (unix seconds; 0: none)
	// Days[i] counts the members that joined on day LastDay-i (unix
	// days), for the cluster's growth.
	LastDay int32
	Days    [7]int32
}

// Tally sums the page's members.
func (p Page) Tally(version int64) Tally {
	t := Tally{Version: version}
	for _, e := range p.Entries {
		t.add(e)
	}
	return t
}

func (t *Tally) add(e Entry) {
	t.N++
	if e.Queued {
		t.Queued++
	}
	if e.Strong {
		t.Strong++
	}
	if e.Released {
		t.Released++
	}
	t.Kinds |= e.Kinds
	if e.Joined != 0 && (t.First == 0 || e.Joined < t.First) {
		t.First = e.Joined
	}
	t.countDay(int32(e.Joined/86400), 1)
}

// countDay adds n joins on day, moving the window forward when day is
// later than any counted.
func (t *Tally) countDay(day int32, n int32) {
	if day > t.LastDay {
		shift := day - t.LastDay
		if t.LastDay == 0 || shift >= int32(len(t.Days)) {
			t.Days = [7]int32{}
		} else {
			copy(t.Days[shift:], t.Days[:len(t.Days)-int(shift)])
			clear(t.Days[:shift])
		}
		t.LastDay = day
	}
	if i := t.LastDay - day; i >= 0 && i < int32(len(t.Days)) {
		t.Days[i] += n
	}
}

// Plus returns the sum of t and u.
func (t Tally) Plus(u Tally) Tally {
	s := t
	s.Version = 0
	s.N += u.N
	s.Queued += u.Queued
	s.Strong += u.Strong
	s.Released += u.Released
	s.Kinds |= u.Kinds
	if u.First != 0 && (s.First == 0 || u.First < s.First) {
		s.First = u.First
	}
	for i, n := range u.Days {
		if n != 0 {
			s.countDay(u.LastDay-int32(i), n)
		}
	}
	return s
}

// Joined returns how many members joined within days days up to day.
func (t Tally) Joined(day int32, days int) int {
	n := 0
	for i, c := range t.Days {
		d := t.LastDay - int32(i)
		if d <= day && d > day-int32(days) {
			n += int(c)
		}
	}
	return n
}

func appendTally(dst []byte, t Tally) []byte {
	dst = binary.AppendVarint(dst, t.Version)
	dst = binary.AppendUvarint(dst, uint64(t.N))
	dst = binary.AppendUvarint(dst, uint64(t.Queued))
	dst = binary.AppendUvarint(dst, uint64(t.Strong))
	dst = binary.AppendUvarint(dst, uint64(t.Released))
	dst = binary.AppendUvarint(dst, uint64(t.Kinds))
	dst = binary.AppendVarint(dst, t.First)
	dst = binary.AppendVarint(dst, int64(t.LastDay))
	for _, n := range t.Days {
		dst = binary.AppendUvarint(dst, uint64(n))
	}
	return dst
}

func readTally(r *wire.Reader) Tally {
	t := Tally{
		Version: r.Varint(), N: int(r.Uvarint()), Queued: int(r.Uvarint()), Strong: int(r.Uvarint()), Released: int(r.Uvarint()),
		Kinds: Mask(r.Uvarint()), First: r.Varint(), LastDay: int32(r.Varint()),
	}
	for i := range t.Days {
		t.Days[i] = int32(r.Uvarint())
	}
	return t
}

// Child is a cluster merged into another, with its tally as last read.
type Child struct {
	ID    string
	Tally Tally
}

// Judgement is a cluster's last verdict.
type Judgement struct {
	Verdict string // "", "review" or "suspend"
	Score   int
	At      int64 // unix seconds of the batch that judged it
}

// Sweep is the progress of queueing a cluster's members after its verdict
// rose: Level is the verdict being queued ("" none), and the sweep goes
// page by page, own pages first and then each child's, with Offset members
// of page Page done.
type Sweep struct {
	Level  string
	Page   int // 0..Pages-1: own pages; Pages*(1+i)+p: child i's page p
	Offset int
	Done   bool
}

// Root is a cluster's root record.
type Root struct {
	// Parent is the cluster this one was merged into ("" while it is a
	// root): its members are the parent's.
	Parent   string
	Created  int64 // unix seconds
	Tallies  [Pages]Tally
	Children []Child
	Judged   Judgement
	Sweep    Sweep
}

// Own sums the root's own pages.
func (r Root) Own() Tally {
	var t Tally
	for _, p := range r.Tallies {
		if p.N > 0 {
			t = t.Plus(p)
		}
	}
	return t
}

// Total sums the root's own pages and its children.
func (r Root) Total() Tally {
	t := r.Own()
	for _, c := range r.Children {
		t = t.Plus(c.Tally)
	}
	return t
}

// SetPage records the tally of a page as read at its version: a tally of
// an older version than the one kept changes nothing, so concurrent
// writers converge on the newest. It reports whether the root changed.
func (r *Root) SetPage(page int, t Tally) bool {
	cur := r.Tallies[page]
	if t.Version <= cur.Version {
		return false
	}
	r.Tallies[page] = t
	return true
}

// Adopt merges child into r: it is listed among the children (with its
// tally, replacing an older one), and so are the children it had, which
// now point through it to r. It reports whether r changed, and false when
// there is no room (MaxChildren).
func (r *Root) Adopt(id string, child Root) bool {
	changed := false
	add := func(c Child) bool {
		i := slices.IndexFunc(r.Children, func(x Child) bool { return x.ID == c.ID })
		if i >= 0 {
			if c.Tally.N > r.Children[i].Tally.N || c.Tally.Strong != r.Children[i].Tally.Strong ||
				c.Tally.Queued != r.Children[i].Tally.Queued || c.Tally.Released != r.Children[i].Tally.Released {
				r.Children[i].Tally = c.Tally
				changed = true
			}
			return true
		}
		if len(r.Children) >= MaxChildren {
			return false
		}
		r.Children = append(r.Children, c)
		changed = true
		return true
	}
	if !add(Child{ID: id, Tally: child.Own()}) {
		return false
	}
	for _, c := range child.Children {
		add(c)
	}
	return changed
}

const rootFormat = 1

// Encode appends r's binary form to dst.
func (r Root) Encode(dst []byte) []byte {
	dst = append(dst, rootFormat)
	dst = wire.AppendStr(dst, r.Parent)
	dst = binary.AppendVarint(dst, r.Created)
	n := 0
	for _, t := range r.Tallies {
		if t.Version != 0 {
			n++
		}
	}
	dst = append(dst, byte(n))
	for i, t := range r.Tallies {
		if t.Version != 0 {
			dst = append(dst, byte(i))
			dst = appendTally(dst, t)
		}
	}
	dst = append(dst, byte(len(r.Children)))
	for _, c := range r.Children {
		dst = wire.AppendStr(dst, c.ID)
		dst = appendTally(dst, c.Tally)
	}
	dst = wire.AppendStr(dst, r.Judged.Verdict)
	dst = binary.AppendVarint(dst, int64(r.Judged.Score))
	dst = binary.AppendVarint(dst, r.Judged.At)
	dst = wire.AppendStr(dst, r.Sweep.Level)
	dst = binary.AppendUvarint(dst, uint64(r.Sweep.Page))
	dst = binary.AppendUvarint(dst, uint64(r.Sweep.Offset))
	return append(dst, wire.Bool(r.Sweep.Done))
}

// DecodeRoot reads a Root record.
func DecodeRoot(b []byte) (Root, error) {
	rd := wire.NewReader(b)
	var r Root
	if f := rd.Byte(); f != rootFormat {
		return r, fmt.Errorf("cluster record: format %d: %w", f, wire.ErrCorrupt)
	}
	r.Parent = rd.Str()
	r.Created = rd.Varint()
	n := rd.Count(Pages)
	for range n {
		i := int(rd.Byte())
		if i >= Pages {
			return Root{}, fmt.Errorf("cluster record: page %d: %w", i, wire.ErrCorrupt)
		}
		r.Tallies[i] = readTally(rd)
	}
	n = rd.Count(MaxChildren)
	for range n {
		r.Children = append(r.Children, Child{ID: rd.Str(), Tally: readTally(rd)})
	}
	r.Judged = Judgement{Verdict: rd.Str(), Score: int(rd.Varint()), At: rd.Varint()}
	r.Sweep = Sweep{Level: rd.Str(), Page: int(rd.Uvarint()), Offset: int(rd.Uvarint()), Done: rd.Byte() != 0}
	if err := rd.Done(); err != nil {
		return Root{}, fmt.Errorf("cluster record: %w", err)
	}
	return r, nil
}

// Sketch estimates how many distinct values were added to it (a
// HyperLogLog of 128 registers, about 9% error). Adding a value twice, or
// merging a sketch into itself, changes nothing: the link statistics stay
// exact in effect under redelivery and concurrent writers.
type Sketch [128]uint8

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	// fnv's high bits are weak for short inputs: mix them.
	v := h.Sum64()
	v ^= v >> 33
	v *= 0xff51afd7ed558ccd
	v ^= v >> 33
	v *= 0xc4ceb9fe1a85ec53
	v ^= v >> 33
	return v
}

// Add adds s and reports whether the sketch changed.
func (s *Sketch) Add(v string) bool {
	h := hash64(v)
	i := h & 127
	rank := uint8(bits.LeadingZeros64(h>>7|1)) - 6 // 1..57
	if rank > s[i] {
		s[i] = rank
		return true
	}
	return false
}

// Merge takes the maximum of each register; it reports whether s changed.
func (s *Sketch) Merge(o *Sketch) bool {
	changed := false
	for i, v := range o {
		if v > s[i] {
			s[i] = v
			changed = true
		}
	}
	return changed
}

// Estimate returns the number of distinct values added.
func (s *Sketch) Estimate() float64 {
	const m = 128
	sum, zeros := 0.0, 0
	for _, v := range s {
		sum += 1 / float64(uint64(1)<<v)
		if v == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	e := alpha * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(float64(m)/float64(zeros))
	}
	return e
}

// Stats is a link kind's history: the accounts it linked, those of them
// that their own events asked to suspend (Strong), and those a person
// released.
type Stats struct {
	Links, Strong, Released Sketch
}

// Weight is the kind's learned weight, 0.05..1: the share of the accounts
// it linked that their own evidence condemned (suspend), less those people
// released,
// smoothed so that a kind with no history starts at 0.5. A kind that links
// families and offices far more than campaigns weighs little; a release
// lowers the weight of every kind that linked the released account.
func (s *Stats) Weight() float64 {
	links := s.Links.Estimate()
	strong := min(s.Strong.Estimate(), links)
	released := min(s.Released.Estimate(), links)
	w := (strong - 2*released + 1) / (links + 2)
	return max(0.05, min(1, w))
}

const statsFormat = 1

// Encode appends s's binary form to dst.
func (s *Stats) Encode(dst []byte) []byte {
	dst = append(dst, statsFormat)
	dst = append(dst, s.Links[:]...)
	dst = append(dst, s.Strong[:]...)
	return append(dst, s.Released[:]...)
}

// DecodeStats reads a Stats record.
func DecodeStats(b []byte) (Stats, error) {
	var s Stats
	if len(b) != 1+3*len(s.Links) || b[0] != statsFormat {
		return s, fmt.Errorf("link statistics: %d bytes: %w", len(b), wire.ErrCorrupt)
	}
	b = b[1:]
	copy(s.Links[:], b)
	copy(s.Strong[:], b[len(s.Links):])
	copy(s.Released[:], b[2*len(s.Links):])
	return s, nil
}
