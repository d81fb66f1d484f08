package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mailtrust/abusescan/internal/account"
)

// Accounts reads account records; absent ones are absent from the map.
func (s *Store) Accounts(ctx context.Context, ids []string) (map[string]account.Account, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	out := make(map[string]account.Account, len(ids))
	read := func(id string, v []byte) error {
		if v == nil {
			return nil
		}
		a, err := decodeAccount(v)
		if err != nil {
			return fmt.Errorf("account %s: %w", id, err)
		}
		out[id] = a
		return nil
	}
	var err error
	if s.limit > 0 {
		err = s.accountsBuffered(ids, read)
	} else {
		err = s.db.View(func(tx *bolt.Tx) error {
			c := bucket(tx, bucketAccounts).Cursor()
			for _, id := range ids {
				if err := read(id, seek(c, id)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	return out, nil
}

// CreateAccounts writes each record whose ID has none yet: in one
// transaction, or into the buffer. The same ID twice in as is created once.
func (s *Store) CreateAccounts(ctx context.Context, as []account.Account) []error {
	errs := make([]error, len(as))
	if err := ctx.Err(); err != nil {
		return fail(errs, err)
	}
	slab := make([]byte, 0, 96*len(as))
	if s.limit > 0 {
		return s.createBuffered(as, errs, slab)
	}
	return s.update(ctx, errs, func(tx *bolt.Tx) error {
		b := bucket(tx, bucketAccounts)
		for i, a := range as {
			k := bytesOf(a.ID)
			if b.Get(k) != nil {
				errs[i] = fmt.Errorf("create account %s: %w", a.ID, account.ErrExists)
				continue
			}
			start := len(slab)
			slab = appendAccount(slab, a)
			if err := b.Put(k, slab[start:len(slab):len(slab)]); err != nil {
				errs[i] = fmt.Errorf("create account %s: %w", a.ID, err)
			}
		}
		return nil
	})
}

func (s *Store) createBuffered(as []account.Account, errs []error, slab []byte) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return fail(errs, s.flushErr)
	}
	var tx *bolt.Tx
	for i, a := range as {
		if a.ID == "" {
			errs[i] = fmt.Errorf("create account %q: %w", a.ID, bolterrors.ErrKeyRequired)
			continue
		}
		old, err := s.account(&tx, a.ID)
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("create account %s: %w", a.ID, err)
			continue
		case old != nil:
			errs[i] = fmt.Errorf("create account %s: %w", a.ID, account.ErrExists)
			continue
		}
		start := len(slab)
		slab = appendAccount(slab, a)
		s.dirty.accounts[a.ID] = slab[start:len(slab):len(slab)]
	}
	rollback(tx) // before buffered may wait for a flush
	s.buffered()
	return errs
}

func (s *Store) accountsBuffered(ids []string, read func(id string, v []byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return s.flushErr
	}
	var tx *bolt.Tx
	defer func() { rollback(tx) }()
	for _, id := range ids {
		v, err := s.account(&tx, id)
		if err == nil {
			err = read(id, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// account returns the encoded record of id from the buffers or the file,
// nil if there is none. Called with mu held.
func (s *Store) account(tx **bolt.Tx, id string) ([]byte, error) {
	if v, ok := s.dirty.accounts[id]; ok {
		return v, nil
	}
	if v, ok := s.flushing.accounts[id]; ok {
		return v, nil
	}
	return s.fileGet(tx, bucketAccounts, id)
}

// The encoding of an account record:
//
//	version (1 byte) | ID, SignupEventID, Country, Prefix, DeviceHash
//	(uvarint length + bytes each) | has CreatedAt (1 byte)
//	[ unix seconds (varint) | nanoseconds (uvarint) ]
//	| ASN (uvarint) | Score (varint) | Expires (varint)
//
// accountVersion is the encoding appendAccount writes; versions 1 (before
// Claimed and Anonymous) and 2 (before Zone and NameHash) are still read.
const accountVersion = 3

func appendAccount(dst []byte, a account.Account) []byte {
	dst = append(dst, accountVersion)
	for _, s := range []string{a.ID, a.SignupEventID, a.Country, a.Prefix, a.DeviceHash} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	if a.CreatedAt.IsZero() {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = binary.AppendVarint(dst, a.CreatedAt.Unix())
		dst = binary.AppendUvarint(dst, uint64(a.CreatedAt.Nanosecond()))
	}
	dst = binary.AppendUvarint(dst, uint64(a.ASN))
	dst = binary.AppendVarint(dst, int64(a.Score))
	dst = binary.AppendVarint(dst, a.Expires)
	// Version 2.
	dst = binary.AppendUvarint(dst, uint64(len(a.Claimed)))
	dst = append(dst, a.Claimed...)
	if a.Anonymous {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	// Version 3.
	for _, s := range []string{a.Zone, a.NameHash} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

func decodeAccount(b []byte) (account.Account, error) {
	d := decoder{b: b}
	version := d.byte()
	if version < 1 || version > accountVersion {
		return account.Account{}, errCorrupt
	}
	a := account.Account{
		ID: d.string(), SignupEventID: d.string(), Country: d.string(), Prefix: d.string(), DeviceHash: d.string(),
	}
	if d.byte() == 1 {
		sec := d.varint()
		a.CreatedAt = time.Unix(sec, int64(d.uvarint())).UTC()
	}
	asn := d.uvarint()
	a.Score = int(d.varint())
	a.Expires = d.varint()
	if version >= 2 {
		a.Claimed = d.string()
		a.Anonymous = d.byte() == 1
	}
	if version >= 3 {
		a.Zone, a.NameHash = d.string(), d.string()
	}
	if d.bad || len(d.b) != 0 || asn > 1<<32-1 {
		return account.Account{}, errCorrupt
	}
	a.ASN = uint32(asn)
	return a, nil
}

// decoder reads a binary encoding, remembering whether it ran short.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	l := d.uvarint()
	if l > uint64(len(d.b)) {
		d.bad = true
		return ""
	}
	s := string(d.b[:l])
	d.b = d.b[l:]
	return s
}
