package pipeline

import (
	"context"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

// Store is what the pipeline needs from storage. The DynamoDB and embedded
// adapters implement it; internal/storetest holds the contract both pass.
type Store interface {
	// Claims reads the claims of events (claim.ID), strongly consistent;
	// absent ones are absent from the map.
	Claims(ctx context.Context, ids []string) (map[string]claim.Claim, error)
	// PutClaims writes each claim that claim.Allowed lets replace the stored
	// one, and returns one error per write: nil, one wrapping
	// claim.ErrConflict, or a storage fault. A write the store repeated
	// itself (its first answer lost) succeeds.
	PutClaims(ctx context.Context, ws []claim.Write) []error
	// Keys reads the stored attributes of keys; absent keys are absent from
	// the map.
	Keys(ctx context.Context, keys []window.Key) (map[window.Key]window.Attrs, error)
	// UpdateKeys applies each delta to its key as one single-item write
	// (window.Apply is the reference semantics, on condition window.Check:
	// a delta whose tokens are all there already is skipped, and succeeds),
	// keeps the later of the stored and the delta's expiry, and returns one
	// error per delta, nil where it was applied.
	UpdateKeys(ctx context.Context, deltas []window.Delta) []error
	// Accounts reads account records; absent ones are absent from the map.
	Accounts(ctx context.Context, ids []string) (map[string]account.Account, error)
	// CreateAccounts writes each record whose ID has no record yet, and
	// returns one error per record: nil, one wrapping account.ErrExists, or a
	// storage fault.
	CreateAccounts(ctx context.Context, as []account.Account) []error
	// QueueItems reads queue items; absent ones are absent from the map.
	QueueItems(ctx context.Context, ids []string) (map[string]queue.Item, error)
	// PutQueueItems writes each item if its stored version is still
	// PrevVersion (0: no item may exist), and returns one error per write:
	// nil, one wrapping queue.ErrConflict, or a storage fault.
	PutQueueItems(ctx context.Context, ws []queue.Write) []error
	// Records reads versioned records; absent ones are absent from the map.
	// consistent asks DynamoDB for a strongly consistent read (the embedded
	// store is always consistent).
	Records(ctx context.Context, keys []string, consistent bool) (map[string]versioned.Record, error)
	// PutRecords writes each record on condition that the stored version is
	// still w.Prev (0: no record may exist), writes of one key in the order
	// given, and returns one error per write: nil, one wrapping
	// versioned.ErrConflict, or a storage fault; a write failing w.Check()
	// or too large for the store wraps storage.ErrPermanent. A write the
	// store repeated itself (its first answer lost) succeeds: a write that
	// finds its own record stored (versioned.Same) has succeeded.
	PutRecords(ctx context.Context, ws []versioned.Write) []error
}
