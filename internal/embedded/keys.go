package embedded

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/mailtrust/abusescan/internal/storage"
	"github.com/mailtrust/abusescan/internal/window"
)

// Keys reads the stored attributes of keys; absent keys are absent from the
// map.
func (s *Store) Keys(ctx context.Context, keys []window.Key) (map[window.Key]window.Attrs, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	out := make(map[window.Key]window.Attrs, len(keys))
	var err error
	if s.limit > 0 {
		err = s.keysBuffered(keys, out)
	} else {
		err = s.db.View(func(tx *bolt.Tx) error {
			return readKeys(tx, keys, out)
		})
	}
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return out, nil
}

func readKeys(tx *bolt.Tx, keys []window.Key, out map[window.Key]window.Attrs) error {
	c := bucket(tx, bucketKeys).Cursor()
	for _, k := range keys {
		v := seek(c, string(k))
		if v == nil {
			continue
		}
		a, err := decodeAttrs(v)
		if err != nil {
			return fmt.Errorf("key %s: %w", k.Redacted(), err)
		}
		out[k] = a
	}
	return nil
}

func (s *Store) keysBuffered(keys []window.Key, out map[window.Key]window.Attrs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return s.flushErr
	}
	var missed []window.Key
	for _, k := range keys {
		r, ok := s.dirty.keys[string(k)]
		if !ok {
			r, ok = s.flushing.keys[string(k)]
		}
		if ok {
			out[k] = maps.Clone(r.attrs) // the caller's to keep
		} else {
			missed = append(missed, k)
		}
	}
	if len(missed) == 0 {
		return nil
	}
	return s.db.View(func(tx *bolt.Tx) error { return readKeys(tx, missed, out) })
}

// UpdateKeys applies each delta (window.Apply's semantics): in one
// transaction, or into the buffer. Deltas of the same key apply in the order
// given.
func (s *Store) UpdateKeys(ctx context.Context, deltas []window.Delta) []error {
	errs := make([]error, len(deltas))
	if err := ctx.Err(); err != nil {
		return fail(errs, err)
	}
	if s.limit > 0 {
		return s.updateBuffered(deltas, errs)
	}
	// In key order, the B+tree is walked once, not jumped about.
	order := make([]int, len(deltas))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return cmp.Or(strings.Compare(string(deltas[a].Key), string(deltas[b].Key)), cmp.Compare(a, b))
	})
	return s.update(ctx, errs, func(tx *bolt.Tx) error {
		b := bucket(tx, bucketKeys)
		// bbolt keeps the values passed to Put until the commit: they are cut
		// from one growing slab rather than allocated one by one.
		slab := make([]byte, 0, 96*len(deltas))
		var m merger
		for _, i := range order {
			d := deltas[i]
			k := bytesOf(string(d.Key))
			old := b.Get(k)
			if err := checkEncoded(old, d); err != nil {
				if !errors.Is(err, window.ErrApplied) {
					errs[i] = fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
				}
				continue
			}
			start := len(slab)
			var err error
			slab, err = m.apply(slab, old, d)
			if err == nil && len(slab)-start > storage.MaxItemBytes {
				err = errTooLarge
			}
			if err == nil {
				err = b.Put(k, slab[start:len(slab):len(slab)])
			}
			if err != nil {
				errs[i] = fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
				slab = slab[:start]
			}
		}
		return nil
	})
}

func (s *Store) updateBuffered(deltas []window.Delta, errs []error) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.flushErr != nil {
		return fail(errs, s.flushErr)
	}
	var tx *bolt.Tx
	for i, d := range deltas {
		k := string(d.Key)
		r, err := s.dirtyRecord(&tx, k)
		if err != nil {
			errs[i] = fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
			continue
		}
		if err := window.Check(r.attrs, d); err != nil {
			if !errors.Is(err, window.ErrApplied) {
				errs[i] = fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
			}
			continue
		}
		// Apply adds no more than the delta's names, and may take some
		// away: the bound plus the delta's size bounds the result.
		grow := deltaSize(d)
		if r.bound == 0 || r.bound+grow > storage.MaxItemBytes {
			r.bound = attrsSize(r.attrs)
			if r.bound+grow > storage.MaxItemBytes && attrsSize(window.Apply(maps.Clone(r.attrs), d)) > storage.MaxItemBytes {
				errs[i] = fmt.Errorf("update key %s: %w", d.Key.Redacted(), errTooLarge)
				continue
			}
		}
		r.attrs = window.Apply(r.attrs, d)
		r.bound += grow
		r.expires = max(r.expires, d.Expires)
	}
	rollback(tx) // before buffered may wait for a flush
	s.buffered()
	return errs
}

// dirtyRecord returns the record of k in the dirty buffer, copied there
// from the buffer being flushed or from the file, or new. Called with mu
// held.
func (s *Store) dirtyRecord(tx **bolt.Tx, k string) (*record, error) {
	if r, ok := s.dirty.keys[k]; ok {
		return r, nil
	}
	if k == "" {
		return nil, bolterrors.ErrKeyRequired
	}
	r := &record{}
	if f, ok := s.flushing.keys[k]; ok {
		r.attrs, r.expires = maps.Clone(f.attrs), f.expires
	} else {
		v, err := s.fileGet(tx, bucketKeys, k)
		if err != nil {
			return nil, err
		}
		if v != nil {
			e, err := parseAttrs(v)
			if err != nil {
				return nil, err
			}
			r.attrs, r.expires = e.decode(), e.expires
		}
	}
	if r.attrs == nil {
		r.attrs = window.Attrs{}
	}
	s.dirty.keys[k] = r
	return r, nil
}

// bytesOf returns the bytes of s without copying them. bbolt only reads a
// key it is given (Put copies it), so the string's memory is never written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// The encoding of a key's attributes, built so that decoding costs one
// string allocation for all the names:
//
//	version (1 byte) | expires (uvarint) | count (uvarint)
//	| count name lengths (uvarint) | the names, concatenated
//	| count values (zig-zag varint)
const attrsVersion = 1

var errCorrupt = errors.New("corrupt stored value")

// encodedAttrs is a parsed, bounds-checked encoding.
type encodedAttrs struct {
	expires int64
	count   int
	lens    []byte
	names   []byte
	values  []byte
}

func parseAttrs(b []byte) (encodedAttrs, error) {
	var e encodedAttrs
	if len(b) == 0 || b[0] != attrsVersion {
		return e, errCorrupt
	}
	p := 1
	exp, n := binary.Uvarint(b[p:])
	if n <= 0 {
		return e, errCorrupt
	}
	p += n
	count, n := binary.Uvarint(b[p:])
	if n <= 0 || count > uint64(len(b)) {
		return e, errCorrupt
	}
	p += n
	e.expires, e.count = int64(exp), int(count)
	lensStart, total := p, uint64(0)
	for range e.count {
		l, n := binary.Uvarint(b[p:])
		if n <= 0 || l > uint64(len(b)) {
			return e, errCorrupt
		}
		p += n
		total += l
	}
	if total > uint64(len(b)-p) {
		return e, errCorrupt
	}
	e.lens, e.names = b[lensStart:p], b[p:p+int(total)]
	p += int(total)
	valuesStart := p
	for range e.count {
		_, n := binary.Varint(b[p:])
		if n <= 0 {
			return e, errCorrupt
		}
		p += n
	}
	if p != len(b) {
		return e, errCorrupt
	}
	e.values = b[valuesStart:]
	return e, nil
}

func decodeAttrs(b []byte) (window.Attrs, error) {
	e, err := parseAttrs(b)
	if err != nil {
		return nil, err
	}
	return e.decode(), nil
}

func (e encodedAttrs) decode() window.Attrs {
	names := string(e.names) // one copy; the map keys are slices of it
	a := make(window.Attrs, e.count)
	lp, np, vp := 0, 0, 0
	for range e.count {
		l, n := binary.Uvarint(e.lens[lp:])
		lp += n
		v, m := binary.Varint(e.values[vp:])
		vp += m
		a[names[np:np+int(l)]] = v
		np += int(l)
	}
	return a
}

// merger applies deltas to encoded attributes without decoding them into a
// map: a busy key holds a hundred attributes of which a delta touches a
// few. Its slices are scratch space reused from delta to delta.
type merger struct {
	ops []op
	out []attr
}

// op is what a delta does to one name.
type op struct {
	name             string
	incr, once       int64
	hasIncr, hasOnce bool
	remove           bool
	seen             bool // the name was in the old encoding
}

type attr struct {
	nameB []byte // a name from the old encoding, or
	name  string // a name from the delta
	v     int64
}

func (m *merger) op(name string) *op {
	for i := range m.ops {
		if m.ops[i].name == name {
			return &m.ops[i]
		}
	}
	m.ops = append(m.ops, op{name: name})
	return &m.ops[len(m.ops)-1]
}

// apply appends to dst the encoding of window.Apply(old, d).
func (m *merger) apply(dst, old []byte, d window.Delta) ([]byte, error) {
	var e encodedAttrs
	if old != nil {
		var err error
		if e, err = parseAttrs(old); err != nil {
			return dst, err
		}
	}
	m.ops, m.out = m.ops[:0], m.out[:0]
	for name, v := range d.Incr {
		o := m.op(name)
		o.incr, o.hasIncr = v, true
	}
	for name, v := range d.SetOnce {
		o := m.op(name)
		o.once, o.hasOnce = v, true
	}
	for _, name := range d.Remove {
		m.op(name).remove = true
	}
	lp, np, vp := 0, 0, 0
	for range e.count {
		l, n := binary.Uvarint(e.lens[lp:])
		lp += n
		v, n := binary.Varint(e.values[vp:])
		vp += n
		name := e.names[np : np+int(l)]
		np += int(l)
		var o *op
		for i := range m.ops {
			if len(m.ops[i].name) == len(name) && m.ops[i].name == string(name) {
				o = &m.ops[i]
				break
			}
		}
		switch {
		case o == nil:
		case o.hasIncr:
			o.seen = true
			v += o.incr
		case o.remove:
			continue // dropped; a SetOnce of it sets it anew, below
		default:
			o.seen = true // SetOnce of a present name keeps it
		}
		m.out = append(m.out, attr{nameB: name, v: v})
	}
	for _, o := range m.ops {
		switch {
		case o.seen:
		case o.hasIncr:
			m.out = append(m.out, attr{name: o.name, v: o.incr})
		case o.hasOnce:
			m.out = append(m.out, attr{name: o.name, v: o.once})
		}
	}
	expires := max(e.expires, d.Expires)
	return m.encode(dst, expires), nil
}

// encodeAttrs appends the encoding of a and expires to dst; scratch is
// space for it to reuse.
func encodeAttrs(dst []byte, scratch []attr, a window.Attrs, expires int64) ([]byte, []attr) {
	m := merger{out: scratch[:0]}
	for name, v := range a {
		m.out = append(m.out, attr{name: name, v: v})
	}
	return m.encode(dst, expires), m.out
}

// encode appends the encoding of m.out and expires to dst.
func (m *merger) encode(dst []byte, expires int64) []byte {
	dst = append(dst, attrsVersion)
	dst = binary.AppendUvarint(dst, uint64(expires))
	dst = binary.AppendUvarint(dst, uint64(len(m.out)))
	for _, a := range m.out {
		dst = binary.AppendUvarint(dst, uint64(len(a.nameB)+len(a.name)))
	}
	for _, a := range m.out {
		dst = append(dst, a.nameB...)
		dst = append(dst, a.name...)
	}
	for _, a := range m.out {
		dst = binary.AppendVarint(dst, a.v)
	}
	return dst
}

// checkEncoded is window.Check on an encoded value (nil: absent), without
// decoding it: the names are compared in place.
func checkEncoded(old []byte, d window.Delta) error {
	if len(d.Tokens) == 0 {
		return nil
	}
	var e encodedAttrs
	if old != nil {
		var err error
		if e, err = parseAttrs(old); err != nil {
			return err
		}
	}
	present := 0
	lp, np := 0, 0
	for range e.count {
		l, n := binary.Uvarint(e.lens[lp:])
		lp += n
		name := e.names[np : np+int(l)]
		np += int(l)
		if len(name) > 2 && name[0] == 't' && name[1] == '_' && slices.Contains(d.Tokens, string(name)) {
			present++
		}
	}
	switch present {
	case 0:
		return nil
	case len(d.Tokens):
		return window.ErrApplied
	}
	return window.ErrTokenConflict
}

// KeyExpiry returns a key's expiry (unix seconds; 0 if it has none or is
// absent), for audits and the storage contract.
func (s *Store) KeyExpiry(ctx context.Context, k window.Key) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if s.limit > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r, ok := s.dirty.keys[string(k)]; ok {
			return r.expires, nil
		}
		if r, ok := s.flushing.keys[string(k)]; ok {
			return r.expires, nil
		}
	}
	var exp int64
	err := s.db.View(func(tx *bolt.Tx) error {
		v := bucket(tx, bucketKeys).Get(bytesOf(string(k)))
		if v == nil {
			return nil
		}
		e, err := parseAttrs(v)
		exp = e.expires
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read key %s: %w", k.Redacted(), err)
	}
	return exp, nil
}

// errTooLarge refuses a key that would outgrow the item size DynamoDB
// allows, as DynamoDB would.
var errTooLarge = fmt.Errorf("%w: the key's record would exceed %d bytes", storage.ErrPermanent, storage.MaxItemBytes)

// attrsSize is the size of a record in the encoding, near enough: a name
// and up to ten bytes of its value each.
func attrsSize(a window.Attrs) int {
	n := 16
	for name := range a {
		n += len(name) + 10
	}
	return n
}

// deltaSize bounds what d can add to a record's size.
func deltaSize(d window.Delta) int {
	n := 0
	for name := range d.Incr {
		n += len(name) + 10
	}
	for name := range d.SetOnce {
		n += len(name) + 10
	}
	return n
}
