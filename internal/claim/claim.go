// Package claim holds the record that makes scoring an event happen once in
// effect under at-least-once delivery (docs/exactly-once.md).
//
// Before the pipeline writes anything for an event it claims it: one
// conditional single-item write that records who is working on it (Owner),
// until when (LeaseUntil), a hash of its content, and the decision it
// reached (Result). Every key write then carries the event's write token
// (window.Token(ID)), so a later attempt knows exactly which keys the failed
// one reached; the queue write is idempotent by event id; and the last write
// marks the claim Done. A retry after the lease ends takes the claim over and
// finishes the recorded decision instead of judging again on state that
// already holds the event. A duplicate whose content differs is refused.
package claim

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// ErrConflict is returned by a store asked to write a claim whose stored
// version is not the one the write expects: another attempt holds it, or
// took it over, or finished it.
var ErrConflict = errors.New("claim held by another attempt")

// Claim is one event's claim.
type Claim struct {
	// ID is the claim's id, derived from the event id (see ID).
	ID string
	// EventID is the event's own id, kept for people reading the store.
	EventID string
	// Hash identifies the event's content: the same id with another hash is
	// a conflicting duplicate.
	Hash string
	// Owner is the attempt (one Process call) that holds or finished it.
	Owner string
	// LeaseUntil is when, in unix milliseconds by the receiver's clock, the
	// owner's attempt is over for sure; after it another may take over.
	LeaseUntil int64
	// Done: every write of the event is in. Done is final.
	Done bool
	// Result is the decision the owner reached, in the pipeline's encoding;
	// a store keeps it as it is.
	Result []byte
	// Expires is the unix time after which the claim may be deleted (TTL):
	// the event's time plus state retention, past which the event is refused
	// as too old, so a claim never disappears while its event could still
	// be accepted.
	Expires int64
}

// Write is one conditional write of a claim.
type Write struct {
	Claim Claim
	// Prev is the stored claim the write replaces: nil means there must be
	// none. Otherwise the stored claim must still have Prev's Owner and
	// LeaseUntil and not be Done.
	Prev *Claim
}

// ID returns the claim id of an event id: 16 URL-safe characters (96 bits
// of SHA-256), short enough to be a write token on every key, long enough
// that two events never share one by chance.
func ID(eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Same reports whether stored is what w wrote: a store that lost the answer
// to a write it retried uses it to tell its own write from another's.
func Same(stored Claim, w Claim) bool {
	return stored.Owner == w.Owner && stored.LeaseUntil == w.LeaseUntil && stored.Done == w.Done && stored.Hash == w.Hash
}

// Allowed reports whether w may replace stored (nil: absent), by the rule
// every store applies.
func Allowed(stored *Claim, w Write) bool {
	if w.Prev == nil {
		return stored == nil
	}
	return stored != nil && !stored.Done && stored.Owner == w.Prev.Owner && stored.LeaseUntil == w.Prev.LeaseUntil
}
