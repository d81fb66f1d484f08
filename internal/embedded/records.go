package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mailtrust/abusescan/internal/storage"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// maxKeyBytes is DynamoDB's limit on a partition key, which a record's key
// is there: a longer one is refused here too (read or written), as
// permanent, rather than stored by a replay and refused by the deployment.
const maxKeyBytes = 2048

// The encoding of a versioned record:
//
//	format (1 byte) | Version (uvarint) | Expires (varint) | Data
const recordFormat = 1

func appendRecord(dst []byte, r versioned.Record) []byte {
	dst = append(dst, recordFormat)
	dst = binary.AppendUvarint(dst, uint64(r.Version))
	dst = binary.AppendVarint(dst, r.Expires)
	return append(dst, r.Data...)
}

// parseRecord reads an encoded record; its Data is a slice of b, which the
// caller copies if b is a bbolt page or a buffer's.
func parseRecord(b []byte) (versioned.Record, error) {
	if len(b) == 0 || b[0] != recordFormat {
		return versioned.Record{}, errCorrupt
	}
	p := 1
	v, n := binary.Uvarint(b[p:])
	if n <= 0 || v == 0 || v > 1<<63-1 {
		return versioned.Record{}, errCorrupt
	}
	p += n
	exp, n := binary.Varint(b[p:])
	if n <= 0 {
		return versioned.Record{}, errCorrupt
	}
	p += n
	r := versioned.Record{Version: int64(v), Expires: exp}
	if p < len(b) {
		r.Data = b[p:len(b):len(b)]
	}
	return r, nil
}

// Records reads versioned records; absent ones are absent from the map.
// The store is always consistent, so consistent changes nothing.
func (s *Store) Records(ctx context.Context, keys []string, consistent bool) (map[string]versioned.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	r := recordReader{out: make(map[string]versioned.Record, len(keys)), left: len(keys)}
	var err error
	if s.limit > 0 {
		err = s.recordsBuffered(keys, &r)
	} else {
		var tx *bolt.Tx
		if tx, err = s.db.Begin(false); err == nil {
			c := bucket(tx, bucketRecords).Cursor()
			for _, k := range keys {
				if err = r.add(k, seek(c, k)); err != nil {
					break
				}
			}
			_ = tx.Rollback()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read records: %w", err)
	}
	return r.out, nil
}

func (s *Store) recordsBuffered(keys []string, r *recordReader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return s.flushErr
	}
	var tx *bolt.Tx
	defer func() { rollback(tx) }()
	var c *bolt.Cursor
	for _, k := range keys {
		v, ok := s.dirty.records[k]
		if !ok {
			v, ok = s.flushing.records[k]
		}
		if !ok {
			if c == nil {
				t, err := s.fileTx(&tx)
				if err != nil {
					return err
				}
				c = bucket(t, bucketRecords).Cursor()
			}
			v = seek(c, k)
		}
		if err := r.add(k, v); err != nil {
			return err
		}
	}
	return nil
}

// seek returns the value of k, nil if there is none. One cursor for all
// the keys of a call spares bbolt's Get the allocation of one each.
func seek(c *bolt.Cursor, k string) []byte {
	found, v := c.Seek(bytesOf(k))
	if !bytes.Equal(found, bytesOf(k)) {
		return nil
	}
	return v
}

// recordReader decodes records into out, copying their data out of the
// bbolt page (valid only during its transaction) or the buffer (which a
// later write replaces, and which the caller must not be able to change).
// The copies are cut from one slab for the whole call rather than
// allocated one by one: Records is on the login path.
type recordReader struct {
	out  map[string]versioned.Record
	slab []byte
	left int // keys not yet read, to size the next slab
}

// maxSlab bounds a slab, so that one small record kept by the caller
// keeps little else alive.
const maxSlab = 64 << 10

func (r *recordReader) add(k string, v []byte) error {
	r.left--
	if len(k) > maxKeyBytes {
		return fmt.Errorf("%w: key of %d bytes, over DynamoDB's %d", storage.ErrPermanent, len(k), maxKeyBytes)
	}
	if v == nil {
		return nil
	}
	rec, err := parseRecord(v)
	if err != nil {
		return fmt.Errorf("record %s: %w", k, err)
	}
	if n := len(rec.Data); n > 0 {
		if cap(r.slab)-len(r.slab) < n {
			r.slab = make([]byte, 0, max(n, min(n*(r.left+1), maxSlab)))
		}
		start := len(r.slab)
		r.slab = append(r.slab, rec.Data...)
		rec.Data = r.slab[start:len(r.slab):len(r.slab)]
	}
	r.out[k] = rec
	return nil
}

// recordBytes returns the encoded record k from the buffers or the file,
// nil if there is none. With a buffer, called with mu held.
func (s *Store) recordBytes(tx **bolt.Tx, k string) ([]byte, error) {
	if s.limit > 0 {
		if v, ok := s.dirty.records[k]; ok {
			return v, nil
		}
		if v, ok := s.flushing.records[k]; ok {
			return v, nil
		}
	}
	return s.fileGet(tx, bucketRecords, k)
}

// PutRecords writes each record on condition that the stored version is
// still w.Prev (0: no record may exist): in one transaction, or into the
// buffer. Writes of one key apply in the order given. A write that finds
// its own record stored (repeated after its first answer was lost)
// succeeds.
func (s *Store) PutRecords(ctx context.Context, ws []versioned.Write) []error {
	errs := make([]error, len(ws))
	if err := ctx.Err(); err != nil {
		return fail(errs, err)
	}
	// bbolt keeps the values passed to Put until the commit: they are cut
	// from one slab rather than allocated one by one.
	size := 0
	for _, w := range ws {
		size += 24 + len(w.Record.Data)
	}
	slab := make([]byte, 0, size)
	put := func(tx **bolt.Tx, set func(k string, v []byte) error) {
		for i, w := range ws {
			start := len(slab)
			slab = appendRecord(slab, w.Record)
			enc := slab[start:len(slab):len(slab)]
			write, err := s.decide(tx, w, enc)
			if write && err == nil {
				err = set(w.Key, enc)
			}
			if !write || err != nil {
				slab = slab[:start]
			}
			if err != nil {
				errs[i] = fmt.Errorf("put record %s: %w", w.Key, err)
			}
		}
	}
	if s.limit > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.flushErr != nil {
			return fail(errs, s.flushErr)
		}
		var tx *bolt.Tx
		put(&tx, func(k string, v []byte) error { s.dirty.records[k] = v; return nil })
		rollback(tx) // before buffered may wait for a flush
		s.buffered()
		return errs
	}
	return s.update(ctx, errs, func(btx *bolt.Tx) error {
		tx, b := btx, bucket(btx, bucketRecords)
		put(&tx, func(k string, v []byte) error { return b.Put(bytesOf(k), v) })
		return nil
	})
}

// decide reports whether w, encoded as enc, is to be written over what
// is stored, or the error it gets; a write that finds its own record
// stored gets neither.
func (s *Store) decide(tx **bolt.Tx, w versioned.Write, enc []byte) (write bool, err error) {
	if err := check(w, enc); err != nil {
		return false, err
	}
	old, err := s.recordBytes(tx, w.Key)
	if err != nil {
		return false, err
	}
	stored := versioned.Record{}
	if old != nil {
		if stored, err = parseRecord(old); err != nil {
			return false, err
		}
	}
	switch {
	case stored.Version == w.Prev:
		return true, nil
	case versioned.Same(w, stored):
		return false, nil
	}
	return false, fmt.Errorf("stored version %d, not %d: %w", stored.Version, w.Prev, versioned.ErrConflict)
}

// check refuses, as permanent, a write that is malformed or that DynamoDB
// would refuse for its size.
func check(w versioned.Write, enc []byte) error {
	if err := w.Check(); err != nil {
		return fmt.Errorf("%w: %w", storage.ErrPermanent, err)
	}
	if len(w.Key) > maxKeyBytes {
		return fmt.Errorf("%w: key of %d bytes, over DynamoDB's %d", storage.ErrPermanent, len(w.Key), maxKeyBytes)
	}
	if len(w.Key)+len(enc) > storage.MaxItemBytes {
		return errTooLarge
	}
	return nil
}
