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
// A replay calls Expire with the time of its newest event: nothing the
// pipeline still reads is past expiry by then, as events older than the
// retention are refused.
//
// Without a buffer, Expire deletes from the file at once. With one, it
// deletes the expired changes not yet written, and the file's expired
// entries go in the same transaction as the buffer's next write (in the
// background, like the write; at the latest by Close): a transaction of
// its own would wait for a write in progress and stall the caller.
// It returns how many entries it deleted at once.
func (s *Store) Expire(now time.Time) (int, error) {
	cutoff := now.Unix()
	if s.limit == 0 {
		var n int
		err := s.db.Update(func(tx *bolt.Tx) (err error) {
			n, err = expireFile(tx, cutoff)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("expire: %w", err)
		}
		return n, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return 0, s.flushErr
	}
	s.dirty.expire = max(s.dirty.expire, cutoff)
	return s.dirty.expireChanges(cutoff), nil
}

// expireFile deletes the file's entries that expired before cutoff.
func expireFile(tx *bolt.Tx, cutoff int64) (int, error) {
	buckets := []struct {
		name    string
		expires func(v []byte) (int64, error)
	}{
		{bucketKeys, func(v []byte) (int64, error) { e, err := parseAttrs(v); return e.expires, err }},
		{bucketClaims, claimExpires},
		{bucketRecords, recordExpires},
		{bucketAccounts, accountExpires},
	}
	n := 0
	for _, b := range buckets {
		bk := bucket(tx, b.name)
		// Deleted after the walk: a cursor's next after a delete may skip
		// an entry.
		var gone [][]byte
		c := bk.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if expired(cutoff, b.expires, v) {
				gone = append(gone, bytes.Clone(k))
			}
		}
		for _, k := range gone {
			if err := bk.Delete(k); err != nil {
				return n, fmt.Errorf("expire %s: %w", b.name, err)
			}
		}
		n += len(gone)
	}
	return n, nil
}

// expired tells whether entry v, whose expiry expires reads, is gone at
// cutoff. An unreadable entry is left for the reads that will report it;
// an expiry of 0 is never.
func expired(cutoff int64, expires func([]byte) (int64, error), v []byte) bool {
	exp, err := expires(v)
	return err == nil && exp > 0 && exp < cutoff
}

// expireChanges deletes b's changes that expired before cutoff.
func (b buffer) expireChanges(cutoff int64) int {
	n := 0
	for k, r := range b.keys {
		if r.expires > 0 && r.expires < cutoff {
			delete(b.keys, k)
			n++
		}
	}
	for _, m := range []struct {
		entries map[string][]byte
		expires func([]byte) (int64, error)
	}{{b.claims, claimExpires}, {b.accounts, accountExpires}, {b.records, recordExpires}} {
		for k, v := range m.entries {
			if expired(cutoff, m.expires, v) {
				delete(m.entries, k)
				n++
			}
		}
	}
	return n
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

func recordExpires(v []byte) (int64, error) {
	r, err := parseRecord(v)
	return r.Expires, err
}
