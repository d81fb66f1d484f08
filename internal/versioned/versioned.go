// Package versioned holds the contract of small versioned records: opaque
// bytes under a key, changed only by a conditional write on the version
// read. The login path keeps an account's login history and the accounts
// seen at one address or device in them; the storage adapters keep them
// without knowing what they hold.
package versioned

import (
	"errors"
	"fmt"
)

// ErrConflict is wrapped by the error of a write whose record was changed
// (or created, or never existed) since it was read: re-read and redo.
var ErrConflict = errors.New("record changed since it was read")

// MaxData bounds one record's bytes, well under an item's 400 KB: a record
// that grows past it is a bug in its writer, and is refused as permanent.
const MaxData = 16 << 10

// Record is one stored record.
type Record struct {
	// Version is 1 for a new record and +1 on every write.
	Version int64
	Data    []byte
	// Expires is the unix time after which the store may delete the record
	// (DynamoDB TTL); 0: never. Readers must not trust an expired record's
	// content beyond what its own data says of time.
	Expires int64
}

// Write replaces the record under Key with Record if the stored version is
// still Prev (0: no record may exist). Record.Version must be Prev+1.
type Write struct {
	Key    string
	Record Record
	Prev   int64
}

// Check returns an error naming what is wrong with w, or nil.
func (w Write) Check() error {
	switch {
	case w.Key == "":
		return errors.New("versioned write: empty key")
	case w.Prev < 0:
		return fmt.Errorf("versioned write %s: previous version %d < 0", w.Key, w.Prev)
	case w.Record.Version != w.Prev+1:
		return fmt.Errorf("versioned write %s: version %d after %d, want %d", w.Key, w.Record.Version, w.Prev, w.Prev+1)
	case len(w.Record.Data) > MaxData:
		return fmt.Errorf("versioned write %s: %d bytes, more than %d", w.Key, len(w.Record.Data), MaxData)
	}
	return nil
}

// Same reports whether stored is what w wrote: a write whose first answer
// was lost and that the store (or the SDK) repeated finds its own record,
// and has succeeded.
func Same(w Write, stored Record) bool {
	return stored.Version == w.Record.Version && stored.Expires == w.Record.Expires && string(stored.Data) == string(w.Record.Data)
}
