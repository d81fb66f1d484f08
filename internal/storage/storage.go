// Package storage holds what the storage adapters and their users share
// beyond the data itself: how a failed write is to be judged.
package storage

import "errors"

// ErrPermanent is wrapped by a storage error that a retry cannot cure: the
// request itself is refused (an item over the size limit, an invalid
// expression). Every other storage error is taken as transient (throttling,
// a lost connection, a timeout) and retried.
var ErrPermanent = errors.New("refused by the store; a retry would be refused too")

// MaxItemBytes is DynamoDB's limit on one item, which the embedded store
// holds its records to as well, so that a replay fails where the deployment
// would.
const MaxItemBytes = 400 << 10
