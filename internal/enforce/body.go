package enforce

import (
	"strconv"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// Types of call, the body's "type".
const (
	TypeSuspend   = "account.suspend"
	TypeUnsuspend = "account.unsuspend"
)

// SuspendID is the idempotency key (webhook-id) of the suspension of an
// account's item at version: the same for every retry and replay of the
// stream record that made it pending/suspend.
func SuspendID(accountID string, version int64) string {
	return "suspend." + accountID + ".v" + strconv.FormatInt(version, 10)
}

// UnsuspendID is the idempotency key of the undo of that suspension.
func UnsuspendID(accountID string, version int64) string {
	return "unsuspend." + accountID + ".v" + strconv.FormatInt(version, 10)
}

// Body is what the platform's endpoint receives: what it needs to act and
// to tell the account holder or its support staff why, nothing more (no
// cluster, event ids, history or scanner internals). Reasons carry the
// rules' evidence in words ("27 signups from 198.51.100.0/24 in 10 min"):
// the endpoint must treat them as personal data. An unsuspension carries
// no score and no reasons: only which suspension it undoes and why.
type Body struct {
	Type      string         `json:"type"`
	AccountID string         `json:"accountId"`
	Action    queue.Action   `json:"action,omitempty"`
	Score     int            `json:"score,omitempty"`
	Reasons   []queue.Reason `json:"reasons,omitempty"`
	// ItemVersion is the queue item's version the call is about.
	ItemVersion int64 `json:"itemVersion"`
	// Note says why an unsuspension is asked for; never who decided.
	Note        string    `json:"note,omitempty"`
	RequestedAt time.Time `json:"requestedAt"`
}

// SuspendBody is the body of the suspension of it, raised to pending/suspend
// at version.
func SuspendBody(it queue.Item, version int64, now time.Time) Body {
	return Body{
		Type: TypeSuspend, AccountID: it.AccountID, Action: queue.Suspend, Score: it.Score,
		Reasons: it.Reasons, ItemVersion: version, RequestedAt: now.UTC().Truncate(time.Millisecond),
	}
}

// UnsuspendBody is the body of the undo of the suspension at version of
// it, which a person closed as it was being suspended.
func UnsuspendBody(it queue.Item, version int64, now time.Time) Body {
	return Body{
		Type: TypeUnsuspend, AccountID: it.AccountID, ItemVersion: version,
		Note: "the queue item was " + string(it.Status) + " by a person", RequestedAt: now.UTC().Truncate(time.Millisecond),
	}
}
