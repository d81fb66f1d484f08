package embedded

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Expire deletes what DynamoDB's TTL deletes once now has passed: the
// window keys, claims, versioned records and account records whose expiry
// is before now. Without it a replay's file, which bbolt maps into
// memory, would keep every key and every event's claim of the whole span
// it replayed, not only those of the last 30 days; the pages it frees are
// reused. Queue items stay: people's decisions are read by the queue
// commands, and a closed item's own expiry is for DynamoDB alone.
//
// It deletes from the buffer of changes not yet written, then from the
// file in one write transaction (a buffer being written is left to the
// next call). Where the buffer replaces an expired copy in the file, the
// copy is deleted and the flush writes the new one: bbolt runs the two
// writes one after the other, in either order, with the same outcome. A replay calls Expire with the time
// of its newest event: nothing the pipeline still reads is past expiry by
// then, as events older than the retention are refused.
func (s *Store) Expire(now time.Time) (int, error) {
	cutoff := now.Unix()
	buckets := []struct {
		name    string
		expires func(v []byte) (int64, error)
	}{
		{bucketKeys, func(v []byte) (int64, error) { e, err := parseAttrs(v); return e.expires, err }},
		{bucketClaims, claimExpires},
		{bucketRecords, recordExpires},
		{bucketAccounts, accountExpires},
	}
	n := s.expireBuffered(cutoff)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			bk := bucket(tx, b.name)
			// Deleted after the walk: a cursor's next after a delete
			// may skip an entry.
			var gone [][]byte
			c := bk.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				// An unreadable value is left for the reads that will
				// report it; 0 is "never".
				if exp, err := b.expires(v); err == nil && exp > 0 && exp < cutoff {
					gone = append(gone, bytes.Clone(k))
				}
			}
			for _, k := range gone {
				if err := bk.Delete(k); err != nil {
					return fmt.Errorf("expire %s: %w", b.name, err)
				}
			}
			n += len(gone)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire: %w", err)
	}
	return n, nil
}

// claimExpires reads a stored claim's expiry alone: a replay holds a claim
// for every event of the last 30 days, and Expire walks them all once a day.
func claimExpires(v []byte) (int64, error) {
	d := decoder{b: v}
	if d.byte() != claimVersion {
		return 0, errCorrupt
	}
	d.byte()   // Done
	d.varint() // LeaseUntil
	exp := d.varint()
	if d.bad {
		return 0, errCorrupt
	}
	return exp, nil
}

// accountExpires reads an account record's expiry without making its
// strings.
func accountExpires(v []byte) (int64, error) {
	d := decoder{b: v}
	if version := d.byte(); version < 1 || version > accountVersion {
		return 0, errCorrupt
	}
	for range 5 { // ID, SignupEventID, Country, Prefix, DeviceHash
		if l := d.uvarint(); l <= uint64(len(d.b)) {
			d.b = d.b[l:]
		} else {
			d.bad = true
		}
	}
	if d.byte() == 1 { // CreatedAt
		d.varint()
		d.uvarint()
	}
	d.uvarint() // ASN
	d.varint()  // Score
	exp := d.varint()
	if d.bad {
		return 0, errCorrupt
	}
	return exp, nil
}

// expireBuffered deletes the expired changes of the buffer not yet written.
func (s *Store) expireBuffered(cutoff int64) int {
	if s.limit == 0 {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	gone := func(exp int64, err error) bool {
		if err == nil && exp > 0 && exp < cutoff {
			n++
			return true
		}
		return false
	}
	for k, r := range s.dirty.keys {
		if gone(r.expires, nil) {
			delete(s.dirty.keys, k)
		}
	}
	for k, v := range s.dirty.claims {
		if gone(claimExpires(v)) {
			delete(s.dirty.claims, k)
		}
	}
	for k, v := range s.dirty.accounts {
		if gone(accountExpires(v)) {
			delete(s.dirty.accounts, k)
		}
	}
	for k, v := range s.dirty.records {
		if gone(recordExpires(v)) {
			delete(s.dirty.records, k)
		}
	}
	return n
}

func recordExpires(v []byte) (int64, error) {
	r, err := parseRecord(v)
	return r.Expires, err
}
