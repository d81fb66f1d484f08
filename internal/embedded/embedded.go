// Package embedded is the storage adapter for runs without AWS: one bbolt
// file holds what the DynamoDB adapter keeps in its two tables, with the
// same semantics (internal/storetest holds both to one contract), so that
// `abusectl replay` scores as the deployment does. It is the only importer
// of bbolt.
//
// By default every method is one bbolt transaction for its whole batch.
// Window keys, account records and versioned records use a compact binary
// encoding, since a replay writes them for every event; queue items are
// JSON.
//
// A B+tree write costs about a page per key changed, whatever the batch
// size, and most keys (an IP, a device) are new ones at random places in the
// tree. So for replays, Options.Buffer keeps changed keys and accounts in
// memory and writes them to the file in one large transaction, in the
// background, when the buffer is full and at Close: a busy key changed by
// every batch is written once per flush, and the write overlaps the scoring
// of the next batches.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mailtrust/abusescan/internal/window"
)

// Buckets.
const (
	bucketKeys       = "keys"       // window.Key -> encoded Attrs
	bucketAccounts   = "accounts"   // account id -> encoded account.Account
	bucketQueue      = "queue"      // account id -> JSON queue.Item
	bucketQueueIndex = "queueIndex" // queueKey \0 createdAt \0 account id -> account id
	bucketClaims     = "claims"     // claim id -> JSON claim
	bucketRecords    = "records"    // record key -> encoded versioned.Record
)

// bucket returns the named bucket, which Open made sure of.
func bucket(tx *bolt.Tx, name string) *bolt.Bucket { return tx.Bucket(bytesOf(name)) }

// lockTimeout is how long Open waits for another process to let go of the
// file before it gives up.
const lockTimeout = time.Second

// Options tune a Store.
type Options struct {
	// NoSync skips the fsync of every transaction, for replays that can be
	// run again after a crash; Close still syncs.
	NoSync bool
	// Buffer, if positive, is how many changed keys, account records,
	// claims and versioned records are held in memory before they are
	// written to the file in one background transaction (at most two
	// buffers' worth are held). Reads see buffered changes; a crash loses
	// them. 0 writes each call's changes in its own transaction before it
	// returns. Queue items are never buffered.
	Buffer int
}

// Store is the embedded store. It is safe for concurrent use; writes are
// serialized.
type Store struct {
	db     *bolt.DB
	path   string
	noSync bool
	limit  int    // Options.Buffer
	epoch  string // this Open's id, on the claims it writes

	// Write-behind state, when limit > 0, guarded by mu. A changed record is
	// in dirty until a flush takes the whole map as flushing and writes it;
	// reads look in dirty, then flushing, then the file.
	mu       sync.Mutex
	dirty    buffer
	flushing buffer
	flushed  *sync.Cond // signalled when a flush ends
	inFlight bool
	flushErr error // a failed flush: the data is lost, every later call fails

	// The cursors of the read transaction fileGet last read through, by
	// bucket, guarded by mu.
	cursorTx *bolt.Tx
	cursors  map[string]*bolt.Cursor
}

// buffer is a set of changed records. Window keys are held decoded, so that
// a busy key of a hundred attributes costs a delta's few map operations to
// change rather than a re-encoding; account records, written once, are held
// encoded. A buffer being flushed is read-only.
type buffer struct {
	keys     map[string]*record
	accounts map[string][]byte
	claims   map[string][]byte
	records  map[string][]byte // encoded versioned.Record
	// expire, if not 0, is the cutoff of an Expire call: writing the
	// buffer deletes the file's entries that expired before it.
	expire int64
}

// record is a window key's stored state.
type record struct {
	attrs   window.Attrs
	expires int64
	// bound is at least attrs' stored size (attrsSize), 0 until measured:
	// a delta's size is added to it, which spares measuring a busy key of
	// hundreds of attributes on every update.
	bound int
}

func newBuffer(n int) buffer {
	return buffer{
		keys: make(map[string]*record, n), accounts: make(map[string][]byte, n/4),
		claims: make(map[string][]byte, n/4), records: make(map[string][]byte, n/4),
	}
}

func (b buffer) len() int { return len(b.keys) + len(b.accounts) + len(b.claims) + len(b.records) }

// Open opens or creates the store at path. A file that another process has
// open fails after a second instead of waiting.
func Open(path string, o Options) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        lockTimeout,
		NoSync:         o.NoSync,
		NoFreelistSync: true, // rebuilt on open; saves a write per commit
		FreelistType:   bolt.FreelistMapType,
		// Address space only; a read transaction does not make a growing
		// write wait for a remap below this size.
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: the file is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketKeys, bucketAccounts, bucketQueue, bucketQueueIndex, bucketClaims, bucketRecords} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, noSync: o.NoSync, limit: max(o.Buffer, 0), epoch: newEpoch()}
	s.flushed = sync.NewCond(&s.mu)
	if s.limit > 0 {
		s.dirty = newBuffer(s.limit)
	}
	return s, nil
}

// Close writes what is buffered, syncs the file if the Store was opened
// with NoSync, and closes it.
func (s *Store) Close() error {
	var errs []error
	if s.limit > 0 {
		s.mu.Lock()
		for s.inFlight {
			s.flushed.Wait()
		}
		if s.flushErr == nil && (s.dirty.len() > 0 || s.dirty.expire != 0) {
			s.flushing, s.dirty = s.dirty, buffer{}
			s.flushErr = s.write(s.flushing)
			s.flushing = buffer{}
		}
		errs = append(errs, s.flushErr)
		s.mu.Unlock()
	}
	if s.noSync {
		if err := s.db.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("sync %s: %w", s.path, err))
		}
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close %s: %w", s.path, err))
	}
	return errors.Join(errs...)
}

// Flush writes what is buffered to the file and returns when it is there.
// Without Options.Buffer there is nothing to do.
func (s *Store) Flush() error {
	if s.limit == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.inFlight {
		s.flushed.Wait()
	}
	if s.flushErr != nil || (s.dirty.len() == 0 && s.dirty.expire == 0) {
		return s.flushErr
	}
	s.flushing, s.dirty = s.dirty, newBuffer(s.limit)
	s.flushErr = s.write(s.flushing)
	s.flushing = buffer{}
	return s.flushErr
}

// buffered is called with mu held after a call's changes went into dirty:
// when dirty is full it becomes flushing and is written in the background;
// if the previous flush is still running, the caller waits for it first, so
// that memory stays bounded.
func (s *Store) buffered() {
	if s.dirty.len() < s.limit {
		return
	}
	for s.inFlight {
		s.flushed.Wait()
	}
	if s.flushErr != nil {
		return
	}
	s.flushing, s.dirty = s.dirty, newBuffer(s.limit)
	s.inFlight = true
	go func(b buffer) {
		err := s.write(b)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.flushing = buffer{}
		s.inFlight = false
		if err != nil && s.flushErr == nil {
			s.flushErr = err
		}
		s.flushed.Broadcast()
	}(s.flushing)
}

// write puts a buffer into the file in one transaction, in key order.
func (s *Store) write(b buffer) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		keys := slices.Sorted(maps.Keys(b.keys))
		bk := bucket(tx, bucketKeys)
		var slab []byte
		var scratch []attr
		for _, k := range keys {
			if cap(slab)-len(slab) < 4096 {
				slab = make([]byte, 0, 1<<20)
			}
			r := b.keys[k]
			start := len(slab)
			slab, scratch = encodeAttrs(slab, scratch, r.attrs, r.expires)
			if err := bk.Put(bytesOf(k), slab[start:len(slab):len(slab)]); err != nil {
				return fmt.Errorf("key %s: %w", k, err)
			}
		}
		ids := slices.Sorted(maps.Keys(b.accounts))
		ba := bucket(tx, bucketAccounts)
		for _, id := range ids {
			if err := ba.Put(bytesOf(id), b.accounts[id]); err != nil {
				return fmt.Errorf("account %s: %w", id, err)
			}
		}
		bc := bucket(tx, bucketClaims)
		for _, id := range slices.Sorted(maps.Keys(b.claims)) {
			if err := bc.Put(bytesOf(id), b.claims[id]); err != nil {
				return fmt.Errorf("claim %s: %w", id, err)
			}
		}
		br := bucket(tx, bucketRecords)
		for _, k := range slices.Sorted(maps.Keys(b.records)) {
			if err := br.Put(bytesOf(k), b.records[k]); err != nil {
				return fmt.Errorf("record %s: %w", k, err)
			}
		}
		if b.expire != 0 {
			if _, err := expireFile(tx, b.expire); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write buffered changes to %s: %w", s.path, err)
	}
	return nil
}

// fileTx opens the read transaction *tx on first need. Called with mu held;
// the caller rolls it back before waiting for a flush, which could otherwise
// wait for it to grow the file's map.
func (s *Store) fileTx(tx **bolt.Tx) (*bolt.Tx, error) {
	if *tx == nil {
		var err error
		if *tx, err = s.db.Begin(false); err != nil {
			return nil, err
		}
	}
	return *tx, nil
}

// fileGet reads key from the named bucket in the read transaction *tx,
// opened on first need, through one cursor per bucket and transaction
// (see seek). Called with mu held.
func (s *Store) fileGet(tx **bolt.Tx, name, key string) ([]byte, error) {
	t, err := s.fileTx(tx)
	if err != nil {
		return nil, err
	}
	if s.cursorTx != t {
		if s.cursors == nil {
			s.cursors = map[string]*bolt.Cursor{}
		}
		s.cursorTx = t
		clear(s.cursors)
	}
	c := s.cursors[name]
	if c == nil {
		c = bucket(t, name).Cursor()
		s.cursors[name] = c
	}
	return seek(c, key), nil
}

func rollback(tx *bolt.Tx) {
	if tx != nil {
		_ = tx.Rollback()
	}
}

// update runs fn in a write transaction and returns errs, every entry of it
// set to the transaction's error if it failed.
func (s *Store) update(ctx context.Context, errs []error, fn func(tx *bolt.Tx) error) []error {
	err := ctx.Err()
	if err == nil {
		err = s.db.Update(fn)
	}
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
	}
	return errs
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// fail sets every entry of errs to err.
func fail(errs []error, err error) []error {
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// KeyCount returns how many window keys the file holds, after writing what
// is buffered (expired ones included until Expire deletes them): what a
// replay's memory is measured against (infra/memreplay).
func (s *Store) KeyCount() (int, error) {
	if err := s.Flush(); err != nil {
		return 0, err
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = bucket(tx, bucketKeys).Stats().KeyN
		return nil
	})
	return n, err
}
