// Package login keeps what the scanner remembers of an account's sign-ins
// and judges a new one against it: where the account signs in from, on which
// networks and devices, since when, and what it was raised to the queue for.
// It is pure: no I/O and no clock; the pipeline reads and writes the state
// (a small versioned record per account) and the peer sets (the accounts
// that began signing in from one address or device).
//
// Logins are the platform's biggest stream, so the state is built for a
// login that teaches nothing new to write nothing: it is rewritten only when
// the login brings a new place, network, device or country, when the
// account is still in its learning period, when the last-seen time of its
// place is older than Settings.Refresh, or when the login raised the queue.
package login

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Bounds on the state, so that a record stays under 1 KB (one DynamoDB
// write unit) whatever the account does.
const (
	MaxPlaces    = 8
	MaxNets      = 8
	MaxDevices   = 8
	MaxCountries = 8
	MaxRecent    = 8
	MaxRaised    = 16
)

// State is one account's login history. Times are unix minutes; days are
// unix days.
type State struct {
	First  int64  // the first login seen
	Newest int64  // the newest login applied
	Logins uint16 // logins applied while learning (saturates)

	Places    []Place // real places, most recently seen first
	Nets      []Seen  // networks (/24, /48) signed in from, most recent first
	Devices   []Seen  // devices, most recent first
	Countries []string

	// Recent holds hashes of the ids of the logins that wrote the state, so
	// a redelivered one is known as a duplicate.
	Recent []uint32

	Signup Signup

	// Raised is the highest score raised to the queue by a login, and
	// RaisedRules the rules it was raised for: a login that would raise
	// nothing new writes nothing.
	Raised      uint8
	RaisedRules []uint32
}

// Place is a real place the account signed in from: a located address that
// is no anonymizer.
type Place struct {
	Country     string
	Lat, Lon    float32
	RadiusKm    uint16
	City        bool // located to a city, not only a country
	First, Last int64
}

// Seen is a network or device (a keyed hash) and the day it was last
// recorded.
type Seen struct {
	Key uint32
	Day int32
}

// Signup is what the account's signup record said, copied at its first
// login so that later logins read one record.
type Signup struct {
	Looked    bool  // the signup record was looked for
	Seen      bool  // and found: the scanner saw the signup
	Created   int64 // unix minute of the signup
	Claimed   string
	Country   string // the signup IP's country
	Anonymous bool   // signed up through an anonymizer
	Score     uint8
}

// ErrCorrupt is wrapped by the error of a record that does not decode.
var ErrCorrupt = errors.New("corrupt login record")

const codecVersion = 1

// Encode lays s out compactly.
func (s *State) Encode(dst []byte) []byte {
	b := append(dst, codecVersion)
	b = binary.AppendVarint(b, s.First)
	b = binary.AppendVarint(b, s.Newest-s.First)
	b = binary.AppendUvarint(b, uint64(s.Logins))
	b = append(b, byte(len(s.Places)))
	for _, p := range s.Places {
		b = appendStr(b, p.Country)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Lat))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Lon))
		b = binary.AppendUvarint(b, uint64(p.RadiusKm))
		b = append(b, boolByte(p.City))
		b = binary.AppendVarint(b, p.First-s.First)
		b = binary.AppendVarint(b, p.Last-p.First)
	}
	for _, l := range [][]Seen{s.Nets, s.Devices} {
		b = append(b, byte(len(l)))
		for _, x := range l {
			b = binary.LittleEndian.AppendUint32(b, x.Key)
			b = binary.AppendVarint(b, int64(x.Day))
		}
	}
	b = append(b, byte(len(s.Countries)))
	for _, c := range s.Countries {
		b = appendStr(b, c)
	}
	for _, l := range [][]uint32{s.Recent, s.RaisedRules} {
		b = append(b, byte(len(l)))
		for _, x := range l {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	}
	su := s.Signup
	b = append(b, boolByte(su.Looked)|boolByte(su.Seen)<<1|boolByte(su.Anonymous)<<2)
	b = binary.AppendVarint(b, su.Created)
	b = appendStr(b, su.Claimed)
	b = appendStr(b, su.Country)
	b = append(b, su.Score, s.Raised)
	return b
}

// Decode reads a record Encode wrote.
func Decode(data []byte) (State, error) {
	r := reader{b: data}
	var s State
	if v := r.byte(); v != codecVersion {
		return State{}, fmt.Errorf("%w: codec version %d", ErrCorrupt, v)
	}
	s.First = r.varint()
	s.Newest = s.First + r.varint()
	s.Logins = uint16(min(r.uvarint(), math.MaxUint16))
	n := r.count(MaxPlaces)
	for range n {
		var p Place
		p.Country = r.str()
		p.Lat = math.Float32frombits(r.u32())
		p.Lon = math.Float32frombits(r.u32())
		p.RadiusKm = uint16(min(r.uvarint(), math.MaxUint16))
		p.City = r.byte() != 0
		p.First = s.First + r.varint()
		p.Last = p.First + r.varint()
		s.Places = append(s.Places, p)
	}
	for _, l := range []*[]Seen{&s.Nets, &s.Devices} {
		n := r.count(MaxNets)
		for range n {
			*l = append(*l, Seen{Key: r.u32(), Day: int32(r.varint())})
		}
	}
	n = r.count(MaxCountries)
	for range n {
		s.Countries = append(s.Countries, r.str())
	}
	for _, l := range []*[]uint32{&s.Recent, &s.RaisedRules} {
		n := r.count(MaxRaised)
		for range n {
			*l = append(*l, r.u32())
		}
	}
	f := r.byte()
	s.Signup.Looked, s.Signup.Seen, s.Signup.Anonymous = f&1 != 0, f&2 != 0, f&4 != 0
	s.Signup.Created = r.varint()
	s.Signup.Claimed = r.str()
	s.Signup.Country = r.str()
	s.Signup.Score = r.byte()
	s.Raised = r.byte()
	if r.err != nil {
		return State{}, r.err
	}
	if len(r.b) != 0 {
		return State{}, fmt.Errorf("%w: %d bytes left over", ErrCorrupt, len(r.b))
	}
	return s, nil
}

// Clone returns a deep copy of s.
func (s *State) Clone() State {
	c := *s
	c.Places = slices.Clone(s.Places)
	c.Nets = slices.Clone(s.Nets)
	c.Devices = slices.Clone(s.Devices)
	c.Countries = slices.Clone(s.Countries)
	c.Recent = slices.Clone(s.Recent)
	c.RaisedRules = slices.Clone(s.RaisedRules)
	return c
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func appendStr(b []byte, s string) []byte {
	if len(s) > 255 {
		s = s[:255]
	}
	b = append(b, byte(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated at %s", ErrCorrupt, what)
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) count(limit int) int {
	n := int(r.byte())
	if n > limit {
		if r.err == nil {
			r.err = fmt.Errorf("%w: %d entries, more than %d", ErrCorrupt, n, limit)
		}
		r.b = nil
		return 0
	}
	return n
}

func (r *reader) u32() uint32 {
	if len(r.b) < 4 {
		r.fail("uint32")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) str() string {
	n := int(r.byte())
	if len(r.b) < n {
		r.fail("string")
		return ""
	}
	v := string(r.b[:n])
	r.b = r.b[n:]
	return v
}
