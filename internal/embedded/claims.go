package embedded

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/mailtrust/abusescan/internal/claim"
)

// storedClaim is a claim as the file holds it: JSON (claims are written
// once or twice per event, and read rarely), with the epoch of the Store
// that wrote it.
type storedClaim struct {
	claim.Claim
	Epoch string `json:"epoch"`
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
	var sc storedClaim
	if err := json.Unmarshal(v, &sc); err != nil {
		return claim.Claim{}, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if !sc.Done && sc.Epoch != s.epoch {
		sc.LeaseUntil = 0
	}
	return sc.Claim, nil
}

// Claims reads claims; absent ones are absent from the map.
func (s *Store) Claims(ctx context.Context, ids []string) (map[string]claim.Claim, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	out := make(map[string]claim.Claim, len(ids))
	read := func(tx **bolt.Tx) error {
		for _, id := range ids {
			v, err := s.claimBytes(tx, id)
			if err != nil || v == nil {
				if err != nil {
					return fmt.Errorf("claim %s: %w", id, err)
				}
				continue
			}
			c, err := s.decodeClaim(v)
			if err != nil {
				return fmt.Errorf("claim %s: %w", id, err)
			}
			out[id] = c
		}
		return nil
	}
	if err := s.withClaims(read); err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	return out, nil
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
			b, err := json.Marshal(storedClaim{Claim: w.Claim, Epoch: s.epoch})
			if err == nil {
				err = set(id, b)
			}
			if err != nil {
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
	t, err := s.fileTx(tx)
	if err != nil {
		return nil, err
	}
	return bucket(t, bucketClaims).Get(bytesOf(id)), nil
}
