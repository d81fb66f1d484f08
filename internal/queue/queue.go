// Package queue holds the suspension queue's items and their life
// (spec/queue.md): created pending when an account first crosses a threshold,
// raised but never lowered by later evidence, applied by the auto-suspension,
// released or dismissed by a person whose decision the scanner does not undo
// on the same evidence. Every change bumps Version, which stores use for
// conditional writes.
package queue

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors returned by queue stores and transitions.
var (
	// ErrConflict: the item changed (or appeared) since it was read; read it
	// again and retry.
	ErrConflict = errors.New("queue item changed concurrently")
	// ErrNotFound: no item for that account.
	ErrNotFound = errors.New("queue item not found")
	// ErrTransition: the requested status change is not allowed from the
	// item's current status.
	ErrTransition = errors.New("status change not allowed")
)

// Action is what the scanner asks for.
type Action string

// Actions, in rising priority.
const (
	Review  Action = "review"
	Suspend Action = "suspend"
)

// Priority orders actions: suspend outranks review.
func (a Action) Priority() int {
	switch a {
	case Suspend:
		return 2
	case Review:
		return 1
	}
	return 0
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { return a.Priority() > 0 }

// Status is where an item is in its life.
type Status string

// Statuses.
const (
	Pending   Status = "pending"
	Applied   Status = "applied"
	Released  Status = "released"
	Dismissed Status = "dismissed"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Pending, Applied, Released, Dismissed:
		return true
	}
	return false
}

// Closed reports whether a person has decided the item.
func (s Status) Closed() bool { return s == Released || s == Dismissed }

// Reason is one rule that fired, with its evidence in words.
type Reason struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
	Detail string `json:"detail"`
}

// Bounds on an item's reasons. Reasons are rendered from rules files and
// quote event text, so neither their number nor their size may depend on
// either: the item must always fit a DynamoDB item (400 KB), and a refused
// write would be retried as if it were a transient fault.
const (
	// MaxReasons bounds the reasons kept on an item, strongest first.
	MaxReasons = 50
	// MaxDetailBytes bounds one reason's detail.
	MaxDetailBytes = 300
)

// Detail returns s as a reason's detail: characters that are not graphic
// (controls, bidi and other format characters, line separators) escaped as
// \uXXXX and invalid UTF-8 as \xXX, so that a detail shows exactly what it
// holds wherever it is displayed; then cut to MaxDetailBytes on a character
// boundary, ending with "…". Detail(Detail(s)) == Detail(s).
func Detail(s string) string {
	if len(s) <= MaxDetailBytes && !strings.ContainsFunc(s, func(r rune) bool { return !graphic(r) }) {
		return s
	}
	const ellipsis = "…"
	limit, cut := MaxDetailBytes, !fits(s)
	if cut {
		limit -= len(ellipsis)
	}
	var b strings.Builder
	b.Grow(min(len(s), MaxDetailBytes))
	for i := 0; i < len(s); {
		piece, size := escaped(s, i)
		if b.Len()+len(piece) > limit {
			break
		}
		b.WriteString(piece)
		i += size
	}
	if cut {
		b.WriteString(ellipsis)
	}
	return b.String()
}

// escaped returns the character of s at i as Detail writes it, and its
// length in s.
func escaped(s string, i int) (string, int) {
	r, size := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && size == 1:
		return fmt.Sprintf(`\x%02x`, s[i]), size
	case graphic(r):
		return s[i : i+size], size
	case r > 0xffff:
		return fmt.Sprintf(`\U%08x`, r), size
	}
	return fmt.Sprintf(`\u%04x`, r), size
}

// fits reports whether s, escaped, fits in MaxDetailBytes. It stops at the
// limit, so that a huge detail costs no more than a small one.
func fits(s string) bool {
	n := 0
	for i := 0; i < len(s) && n <= MaxDetailBytes; {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += len(`\xff`)
		case graphic(r):
			n += size
		case r > 0xffff:
			n += len(`\U0010ffff`)
		default:
			n += len(`\uffff`)
		}
		i += size
	}
	return n <= MaxDetailBytes
}

// graphic reports whether r is safe to show as itself: letters, marks,
// numbers, punctuation, symbols and spaces, but not U+FFFD, which stands for
// bytes that were lost.
func graphic(r rune) bool { return r != utf8.RuneError && unicode.IsGraphic(r) }

// Cluster is the shared attribute linking an account to others of the same
// campaign.
type Cluster struct {
	Key  string `json:"key"`
	Size int    `json:"size"`
}

// Shards is the number of partitions of the reading index per status and
// action, so that a wave of pending items does not pile onto one partition.
// Readers query every shard and merge by creation time.
const Shards = 16

// MaxEventIDs bounds the audit trail kept on an item.
const MaxEventIDs = 20

// Item is one account in the queue (spec/queue.md).
type Item struct {
	AccountID string   `json:"accountId"`
	Action    Action   `json:"action"`
	Status    Status   `json:"status"`
	Score     int      `json:"score"`
	Reasons   []Reason `json:"reasons"`
	Cluster   *Cluster `json:"cluster,omitempty"`
	// ClusterID is the stable id of the campaign cluster whose judgement
	// queued or raised the item ("" when none did): abusectl cluster show
	// takes it.
	ClusterID string    `json:"clusterId,omitempty"`
	EventIDs  []string  `json:"eventIds"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`

	// Optional fields beyond the contract.

	// RulesVersion identifies the rule set that last raised the item.
	RulesVersion string `json:"rulesVersion,omitempty"`
	// DecidedBy and Note record the person behind the last manual change.
	DecidedBy string `json:"decidedBy,omitempty"`
	Note      string `json:"note,omitempty"`
	// ExpiresAt is the unix time after which a closed item may be deleted
	// (the table's TTL); 0 while it is pending. Reasons quote addresses and
	// usernames, which are kept only as long as appeals and audits need.
	ExpiresAt int64 `json:"expiresAt,omitempty"`
	// History is the item's audit trail (the contract's optional
	// `history`): one Change per change of its status or action, by the
	// scanner, the enforcer or a person, oldest first; append-only,
	// bounded by MaxHistory (the creation is always kept).
	History []Change `json:"history,omitempty"`
}

// Change is one entry of an item's history: what an appeal or an audit
// asks (who suspended or released this account, when, and why).
type Change struct {
	At time.Time `json:"at"`
	// By is who changed it: ByScanner, ByEnforcer, or a person's identity
	// (as abusectl's --by or the review page's caller gives it).
	By string `json:"by"`
	// From and To are the status and action, "pending/review"; From is ""
	// when the item was created.
	From string `json:"from"`
	To   string `json:"to"`
	// Note is why: the scanner's names the event, a person's is theirs.
	Note string `json:"note,omitempty"`
	// Version is the item's version after the change.
	Version int64 `json:"version"`
}

// Who changes items besides people.
const (
	ByScanner  = "scanner"
	ByEnforcer = "enforcer"
)

// MaxHistory bounds an item's history: past it, the oldest entries after
// the creation are dropped.
const MaxHistory = 50

// State names an item's status and action as history records them.
func (it Item) State() string { return string(it.Status) + "/" + string(it.Action) }

// record appends to next's history the change from prev ("" for none) to
// next's state, if there is one. by and note come from people and events:
// they are escaped and bounded as a reason's detail (Detail), so that a
// full history always fits the item and prints as what it holds.
func record(next *Item, prev, by, note string, at time.Time) {
	to := next.State()
	if prev == to {
		return
	}
	c := Change{At: at, By: Detail(by), From: prev, To: to, Note: Detail(note), Version: next.Version}
	h := append(slices.Clone(next.History), c)
	if len(h) > MaxHistory {
		h = append(h[:1], h[len(h)-MaxHistory+1:]...)
	}
	next.History = h
}

// ClosedRetention is how long an item is kept after it is applied,
// released or dismissed.
const ClosedRetention = 365 * 24 * time.Hour

// IndexKey is the partition key of the item in the reading index:
// status#action#shard.
func (it Item) IndexKey() string {
	return IndexKey(it.Status, it.Action, Shard(it.AccountID))
}

// IndexKey returns the reading-index partition for one status, action and
// shard.
func IndexKey(s Status, a Action, shard int) string {
	return fmt.Sprintf("%s#%s#%02d", s, a, shard)
}

// Partitions returns the reading-index partitions that hold the items of one
// status and action ("" for both actions): every shard of each. A reader
// queries them all and merges by creation time.
func Partitions(s Status, a Action) ([]string, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("unknown status %q", s)
	}
	actions := []Action{Review, Suspend}
	if a != "" {
		if !a.Valid() {
			return nil, fmt.Errorf("unknown action %q", a)
		}
		actions = []Action{a}
	}
	parts := make([]string, 0, len(actions)*Shards)
	for _, a := range actions {
		for shard := range Shards {
			parts = append(parts, IndexKey(s, a, shard))
		}
	}
	return parts, nil
}

// Shard returns the index shard of an account.
func Shard(accountID string) int {
	h := fnv.New32a()
	h.Write([]byte(accountID))
	return int(h.Sum32() % Shards)
}

// Write is one conditional write of an item: it applies only if the
// stored item's version is still PrevVersion (0: no item may exist).
type Write struct {
	Item        Item
	PrevVersion int64
}

// Proposal is the scanner's verdict on one event of an account.
type Proposal struct {
	AccountID    string
	Action       Action
	Score        int
	Reasons      []Reason
	Cluster      *Cluster
	ClusterID    string // set by a cluster's judgement
	EventID      string
	At           time.Time
	RulesVersion string
}

// Raise applies p to the current item (nil if the account is not queued) and
// returns the item to write, or changed=false when the write would change
// nothing: the event was already applied, the evidence is not stronger, or a
// person closed the item and p is no later than their decision (see reopen).
func Raise(cur *Item, p Proposal) (next Item, changed bool) {
	if cur == nil {
		it := Item{
			AccountID: p.AccountID, Action: p.Action, Status: Pending,
			Score: clampScore(p.Score), Reasons: boundReasons(slices.Clone(p.Reasons)),
			Cluster: p.Cluster, ClusterID: p.ClusterID, EventIDs: []string{p.EventID},
			CreatedAt: p.At, UpdatedAt: p.At, Version: 1, RulesVersion: p.RulesVersion,
		}
		record(&it, "", ByScanner, "raised by event "+p.EventID, p.At)
		return it, true
	}
	if slices.Contains(cur.EventIDs, p.EventID) {
		return *cur, false
	}
	if cur.Status.Closed() {
		return reopen(cur, p)
	}
	next = *cur
	next.Reasons = slices.Clone(cur.Reasons)
	next.EventIDs = slices.Clone(cur.EventIDs)
	for _, r := range p.Reasons {
		i := slices.IndexFunc(next.Reasons, func(x Reason) bool { return x.Rule == r.Rule })
		switch {
		case i < 0:
			next.Reasons = append(next.Reasons, r)
		case r.Points > next.Reasons[i].Points:
			next.Reasons[i] = r
		}
	}
	next.Reasons = boundReasons(next.Reasons)
	// Only a new rule that is kept counts: one cut by the bound is not
	// evidence anybody will see.
	newRule := slices.ContainsFunc(next.Reasons, func(r Reason) bool {
		return !slices.ContainsFunc(cur.Reasons, func(c Reason) bool { return c.Rule == r.Rule })
	})
	stronger := newRule || p.Score > cur.Score || p.Action.Priority() > cur.Action.Priority()
	if !stronger {
		return *cur, false
	}
	next.Score = max(cur.Score, clampScore(p.Score))
	if p.Action.Priority() > cur.Action.Priority() {
		next.Action = p.Action
	}
	if p.Cluster != nil && (cur.Cluster == nil || p.Cluster.Size > cur.Cluster.Size) {
		next.Cluster = p.Cluster
	}
	next.ClusterID = cmp.Or(p.ClusterID, cur.ClusterID)
	next.EventIDs = append(next.EventIDs, p.EventID)
	if len(next.EventIDs) > MaxEventIDs {
		next.EventIDs = next.EventIDs[len(next.EventIDs)-MaxEventIDs:]
	}
	next.UpdatedAt = laterOf(cur.UpdatedAt, p.At)
	next.RulesVersion = cmp.Or(p.RulesVersion, cur.RulesVersion)
	next.Version = cur.Version + 1
	record(&next, cur.State(), ByScanner, "raised by event "+p.EventID, next.UpdatedAt)
	return next, true
}

// reopen applies p to an item a person released or dismissed. The
// decision stands against everything known when it was made: only an event
// after it reopens the item, judged on its own (its reasons and score, not
// merged with the evidence the person saw), and then for review, never
// straight to suspension. DecidedBy and Note keep the decision that is
// reopened, for the audit.
func reopen(cur *Item, p Proposal) (Item, bool) {
	if !p.At.After(cur.UpdatedAt) {
		return *cur, false
	}
	next := *cur
	next.Status, next.Action = Pending, Review
	next.Score = clampScore(p.Score)
	next.Reasons = boundReasons(slices.Clone(p.Reasons))
	next.Cluster, next.ClusterID = p.Cluster, p.ClusterID
	next.EventIDs = append(slices.Clone(cur.EventIDs), p.EventID)
	if len(next.EventIDs) > MaxEventIDs {
		next.EventIDs = next.EventIDs[len(next.EventIDs)-MaxEventIDs:]
	}
	next.ExpiresAt = 0
	next.UpdatedAt = p.At
	next.RulesVersion = cmp.Or(p.RulesVersion, cur.RulesVersion)
	next.Version = cur.Version + 1
	record(&next, cur.State(), ByScanner, "reopened by event "+p.EventID+", after the decision", p.At)
	return next, true
}

// Decide is a person's or a consumer's change of status: apply (the account
// was suspended), release (false positive) or dismiss (no action).
func Decide(cur Item, to Status, by, note string, at time.Time) (Item, error) {
	allowed := map[Status][]Status{
		Pending:   {Applied, Released, Dismissed},
		Applied:   {Released},
		Released:  {},
		Dismissed: {Applied, Released},
	}
	if !slices.Contains(allowed[cur.Status], to) {
		return cur, fmt.Errorf("%s -> %s: %w", cur.Status, to, ErrTransition)
	}
	next := cur
	next.Status = to
	next.DecidedBy, next.Note = by, note
	next.UpdatedAt = laterOf(cur.UpdatedAt, at)
	next.ExpiresAt = next.UpdatedAt.Add(ClosedRetention).Unix()
	next.Version = cur.Version + 1
	record(&next, cur.State(), by, note, next.UpdatedAt)
	return next, nil
}

// Hold turns a pending suspension into a review, for an enforcer that will
// not suspend the account itself (a cap reached, the endpoint refusing it):
// a person decides. by and note say who and why.
func Hold(cur Item, by, note string, at time.Time) (Item, error) {
	if cur.Status != Pending || cur.Action != Suspend {
		return cur, fmt.Errorf("hold %s: %w", cur.State(), ErrTransition)
	}
	next := cur
	next.Action = Review
	next.UpdatedAt = laterOf(cur.UpdatedAt, at)
	next.Version = cur.Version + 1
	record(&next, cur.State(), by, note, next.UpdatedAt)
	return next, nil
}

func clampScore(s int) int { return min(max(s, 0), 100) }

// boundReasons sorts rs, strongest first, keeps at most MaxReasons of them
// and bounds their details, whoever made them.
func boundReasons(rs []Reason) []Reason {
	rs = sortReasons(rs)
	if len(rs) > MaxReasons {
		rs = rs[:MaxReasons]
	}
	for i := range rs {
		rs[i].Detail = Detail(rs[i].Detail)
	}
	return rs
}

func sortReasons(rs []Reason) []Reason {
	slices.SortStableFunc(rs, func(a, b Reason) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.Rule, b.Rule))
	})
	return rs
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
