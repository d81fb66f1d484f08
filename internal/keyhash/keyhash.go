// Package keyhash turns personal values that the scanner needs only as keys
// (devices, recovery addresses and phones) into keyed hashes, so the state
// tables link accounts without holding the values. The key comes from the
// deployment's configuration (an SSM SecureString in AWS); without it the
// hashes cannot be reversed by guessing common values.
package keyhash

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strings"
	"sync"
)

// MinKeyBytes is the shortest key accepted.
const MinKeyBytes = 16

// ErrShortKey is returned for a key shorter than MinKeyBytes.
var ErrShortKey = errors.New("hash key too short")

// Hasher computes keyed hashes. It is safe for concurrent use.
type Hasher struct {
	pool sync.Pool
}

// New returns a hasher for key.
func New(key []byte) (*Hasher, error) {
	if len(key) < MinKeyBytes {
		return nil, ErrShortKey
	}
	k := append([]byte(nil), key...)
	return &Hasher{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}, nil
}

// Sum returns a short, URL-safe keyed hash of value within a domain ("dev",
// "rem", "rph"), so equal values of different kinds do not collide. Values are
// normalised first (trimmed, lowercased) so trivial variants link.
func (h *Hasher) Sum(domain, value string) string {
	m := h.pool.Get().(hash.Hash)
	defer h.pool.Put(m)
	m.Reset()
	m.Write([]byte(domain))
	m.Write([]byte{0})
	m.Write([]byte(strings.ToLower(strings.TrimSpace(value))))
	var buf [sha256.Size]byte
	sum := m.Sum(buf[:0])
	// 16 bytes: collisions are out of reach at any mailbox volume.
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
