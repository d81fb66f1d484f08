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
	"time"
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
	AccountID string    `json:"accountId"`
	Action    Action    `json:"action"`
	Status    Status    `json:"status"`
	Score     int       `json:"score"`
	Reasons   []Reason  `json:"reasons"`
	Cluster   *Cluster  `json:"cluster,omitempty"`
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

// Proposal is the scanner's verdict on one event of an account.
type Proposal struct {
	AccountID    string
	Action       Action
	Score        int
	Reasons      []Reason
	Cluster      *Cluster
	EventID      string
	At           time.Time
	RulesVersion string
}

// Raise applies p to the current item (nil if the account is not queued) and
// returns the item to write, or changed=false when the write would change
// nothing: the event was already applied, the evidence is not stronger, or a
// person closed the item and p brings no rule the person has not seen.
func Raise(cur *Item, p Proposal) (next Item, changed bool) {
	if cur == nil {
		return Item{
			AccountID: p.AccountID, Action: p.Action, Status: Pending,
			Score: clampScore(p.Score), Reasons: sortReasons(slices.Clone(p.Reasons)),
			Cluster: p.Cluster, EventIDs: []string{p.EventID},
			CreatedAt: p.At, UpdatedAt: p.At, Version: 1, RulesVersion: p.RulesVersion,
		}, true
	}
	if slices.Contains(cur.EventIDs, p.EventID) {
		return *cur, false
	}
	next = *cur
	next.Reasons = slices.Clone(cur.Reasons)
	next.EventIDs = slices.Clone(cur.EventIDs)
	newRule := false
	for _, r := range p.Reasons {
		i := slices.IndexFunc(next.Reasons, func(x Reason) bool { return x.Rule == r.Rule })
		switch {
		case i < 0:
			next.Reasons = append(next.Reasons, r)
			newRule = true
		case r.Points > next.Reasons[i].Points:
			next.Reasons[i] = r
		}
	}
	if cur.Status.Closed() && !newRule {
		// A person's decision stands against the evidence they saw.
		return *cur, false
	}
	stronger := newRule || p.Score > cur.Score || p.Action.Priority() > cur.Action.Priority()
	if !stronger {
		return *cur, false
	}
	next.Score = max(cur.Score, clampScore(p.Score))
	if p.Action.Priority() > cur.Action.Priority() {
		next.Action = p.Action
	}
	if cur.Status.Closed() {
		next.Status = Pending
		next.DecidedBy, next.Note = "", ""
		next.ExpiresAt = 0
	}
	if p.Cluster != nil && (cur.Cluster == nil || p.Cluster.Size > cur.Cluster.Size) {
		next.Cluster = p.Cluster
	}
	next.EventIDs = append(next.EventIDs, p.EventID)
	if len(next.EventIDs) > MaxEventIDs {
		next.EventIDs = next.EventIDs[len(next.EventIDs)-MaxEventIDs:]
	}
	next.Reasons = sortReasons(next.Reasons)
	next.UpdatedAt = laterOf(cur.UpdatedAt, p.At)
	next.RulesVersion = cmp.Or(p.RulesVersion, cur.RulesVersion)
	next.Version = cur.Version + 1
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
	return next, nil
}

func clampScore(s int) int { return min(max(s, 0), 100) }

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
