package embedded

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/mailtrust/abusescan/internal/claim"
)

// The encoding of a claim, with the epoch of the Store that wrote it:
//
//	version (1 byte) | Done (1 byte) | LeaseUntil, Expires (varint each)
//	| ID, EventID, Hash, Owner, epoch, Result (uvarint length + bytes each)
const claimVersion = 1

func appendClaim(dst []byte, c claim.Claim, epoch string) []byte {
	done := byte(0)
	if c.Done {
		done = 1
	}
	dst = append(dst, claimVersion, done)
	dst = binary.AppendVarint(dst, c.LeaseUntil)
	dst = binary.AppendVarint(dst, c.Expires)
	for _, s := range []string{c.ID, c.EventID, c.Hash, c.Owner, epoch} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.Result)))
	return append(dst, c.Result...)
}

// newEpoch returns a random id for one Open of the file. bbolt locks the
// file for one process at a time, so an open claim written under another
// epoch belongs to an attempt that is gone (a replay killed mid-batch): it
// reads as expired at once, and a rerun takes it over without waiting out
// the lease.
func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// decodeClaim reads a stored claim as the current Store sees it.
func (s *Store) decodeClaim(v []byte) (claim.Claim, error) {
	d := decoder{b: v}
	version, done := d.byte(), d.byte()
	c := claim.Claim{Done: done == 1, LeaseUntil: d.varint(), Expires: d.varint()}
	c.ID, c.EventID, c.Hash, c.Owner = d.string(), d.string(), d.string(), d.string()
	epoch := d.string()
	if n := d.uvarint(); !d.bad && n <= uint64(len(d.b)) {
		c.Result = append([]byte(nil), d.b[:n]...)
		d.b = d.b[n:]
	} else {
		d.bad = true
	}
	if version != claimVersion || done > 1 || d.bad || len(d.b) != 0 {
		return claim.Claim{}, errCorrupt
	}
	if !c.Done && epoch != s.epoch {
		c.LeaseUntil = 0
	}
	return c, nil
}

// Claims reads claims; absent ones are absent from the map.
func (s *Store) Claims(ctx context.Context, ids []string) (map[string]claim.Claim, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	out := make(map[string]claim.Claim, len(ids))
	read := func(tx **bolt.Tx) error {
		var missed []string
		for _, id := range ids {
			v, ok := s.bufferedClaim(id)
			if !ok {
				missed = append(missed, id)
				continue
			}
			if err := s.addClaim(out, id, v); err != nil {
				return err
			}
		}
		if len(missed) == 0 {
			return nil
		}
		t, err := s.fileTx(tx)
		if err != nil {
			return err
		}
		// Most claims asked for are absent (new events): one cursor, in key
		// order, walks the tree once instead of once per id.
		slices.Sort(missed)
		c := bucket(t, bucketClaims).Cursor()
		for _, id := range missed {
			k, v := c.Seek(bytesOf(id))
			if k == nil || string(k) != id {
				continue
			}
			if err := s.addClaim(out, id, v); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.withClaims(read); err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	return out, nil
}

func (s *Store) addClaim(out map[string]claim.Claim, id string, v []byte) error {
	if v == nil {
		return nil
	}
	c, err := s.decodeClaim(v)
	if err != nil {
		return fmt.Errorf("claim %s: %w", id, err)
	}
	out[id] = c
	return nil
}

// bufferedClaim returns the claim id from the buffers, and ok false if the
// file must be asked. With a buffer, called
// with mu held.
func (s *Store) bufferedClaim(id string) (v []byte, ok bool) {
	if s.limit == 0 {
		return nil, false
	}
	if v, ok := s.dirty.claims[id]; ok {
		return v, true
	}
	if v, ok := s.flushing.claims[id]; ok {
		return v, true
	}
	return nil, false
}

// PutClaims writes each claim that claim.Allowed lets replace the stored
// one, in order.
func (s *Store) PutClaims(ctx context.Context, ws []claim.Write) []error {
	errs := make([]error, len(ws))
	if err := ctx.Err(); err != nil {
		return fail(errs, err)
	}
	put := func(tx **bolt.Tx, set func(id string, v []byte) error) error {
		for i, w := range ws {
			id := w.Claim.ID
			v, err := s.claimBytes(tx, id)
			if err != nil {
				errs[i] = fmt.Errorf("put claim %s: %w", id, err)
				continue
			}
			var stored *claim.Claim
			if v != nil {
				c, err := s.decodeClaim(v)
				if err != nil {
					errs[i] = fmt.Errorf("put claim %s: %w", id, err)
					continue
				}
				stored = &c
			}
			if !claim.Allowed(stored, w) {
				errs[i] = fmt.Errorf("put claim %s: %w", id, claim.ErrConflict)
				continue
			}
			if err := set(id, appendClaim(nil, w.Claim, s.epoch)); err != nil {
				errs[i] = fmt.Errorf("put claim %s: %w", id, err)
			}
		}
		return nil
	}
	if s.limit > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.flushErr != nil {
			return fail(errs, s.flushErr)
		}
		var tx *bolt.Tx
		_ = put(&tx, func(id string, v []byte) error { s.dirty.claims[id] = v; return nil })
		rollback(tx) // before buffered may wait for a flush
		s.buffered()
		return errs
	}
	return s.update(ctx, errs, func(btx *bolt.Tx) error {
		tx := btx
		return put(&tx, func(id string, v []byte) error { return bucket(btx, bucketClaims).Put([]byte(id), v) })
	})
}

// withClaims runs read with a way to the claims: the buffers (mu held) and
// the file.
func (s *Store) withClaims(read func(tx **bolt.Tx) error) error {
	if s.limit > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.flushErr != nil {
			return s.flushErr
		}
	}
	var tx *bolt.Tx
	defer func() { rollback(tx) }()
	return read(&tx)
}

// claimBytes returns the stored claim id from the buffers or the file, nil
// if there is none. With a buffer, called with mu held.
func (s *Store) claimBytes(tx **bolt.Tx, id string) ([]byte, error) {
	if s.limit > 0 {
		if v, ok := s.dirty.claims[id]; ok {
			return v, nil
		}
		if v, ok := s.flushing.claims[id]; ok {
			return v, nil
		}
	}
	if *tx != nil && (*tx).Writable() {
		return bucket(*tx, bucketClaims).Get(bytesOf(id)), nil
	}
	return s.fileGet(tx, bucketClaims, id)
}
