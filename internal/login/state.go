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
	"fmt"
	"math"
	"slices"

	"github.com/mailtrust/abusescan/internal/wire"
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
var ErrCorrupt = wire.ErrCorrupt

const codecVersion = 1

// Encode lays s out compactly.
func (s *State) Encode(dst []byte) []byte {
	b := append(dst, codecVersion)
	b = binary.AppendVarint(b, s.First)
	b = binary.AppendVarint(b, s.Newest-s.First)
	b = binary.AppendUvarint(b, uint64(s.Logins))
	b = append(b, byte(len(s.Places)))
	for _, p := range s.Places {
		b = wire.AppendStr(b, p.Country)
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Lat))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.Lon))
		b = binary.AppendUvarint(b, uint64(p.RadiusKm))
		b = append(b, wire.Bool(p.City))
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
		b = wire.AppendStr(b, c)
	}
	for _, l := range [][]uint32{s.Recent, s.RaisedRules} {
		b = append(b, byte(len(l)))
		for _, x := range l {
			b = binary.LittleEndian.AppendUint32(b, x)
		}
	}
	su := s.Signup
	b = append(b, wire.Bool(su.Looked)|wire.Bool(su.Seen)<<1|wire.Bool(su.Anonymous)<<2)
	b = binary.AppendVarint(b, su.Created)
	b = wire.AppendStr(b, su.Claimed)
	b = wire.AppendStr(b, su.Country)
	b = append(b, su.Score, s.Raised)
	return b
}

// Decode reads a record Encode wrote.
func Decode(data []byte) (State, error) {
	r := wire.NewReader(data)
	var s State
	if v := r.Byte(); v != codecVersion {
		return State{}, fmt.Errorf("%w: codec version %d", ErrCorrupt, v)
	}
	s.First = r.Varint()
	s.Newest = s.First + r.Varint()
	s.Logins = uint16(min(r.Uvarint(), math.MaxUint16))
	// Each list is made at its size: a login reads its account's history
	// on every sign-in.
	n := r.Count(MaxPlaces)
	s.Places = sized(s.Places, n)
	for range n {
		var p Place
		p.Country = r.Code()
		p.Lat = math.Float32frombits(r.U32())
		p.Lon = math.Float32frombits(r.U32())
		p.RadiusKm = uint16(min(r.Uvarint(), math.MaxUint16))
		p.City = r.Byte() != 0
		p.First = s.First + r.Varint()
		p.Last = p.First + r.Varint()
		s.Places = append(s.Places, p)
	}
	for _, l := range []*[]Seen{&s.Nets, &s.Devices} {
		n := r.Count(MaxNets)
		*l = sized(*l, n)
		for range n {
			*l = append(*l, Seen{Key: r.U32(), Day: int32(r.Varint())})
		}
	}
	n = r.Count(MaxCountries)
	s.Countries = sized(s.Countries, n)
	for range n {
		s.Countries = append(s.Countries, r.Code())
	}
	for _, l := range []*[]uint32{&s.Recent, &s.RaisedRules} {
		n := r.Count(MaxRaised)
		*l = sized(*l, n)
		for range n {
			*l = append(*l, r.U32())
		}
	}
	f := r.Byte()
	s.Signup.Looked, s.Signup.Seen, s.Signup.Anonymous = f&1 != 0, f&2 != 0, f&4 != 0
	s.Signup.Created = r.Varint()
	s.Signup.Claimed = r.Code()
	s.Signup.Country = r.Code()
	s.Signup.Score = r.Byte()
	s.Raised = r.Byte()
	if err := r.Done(); err != nil {
		return State{}, err
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

// sized returns s (nil when n is 0) with room for n more.
func sized[T any](s []T, n int) []T {
	if n == 0 {
		return s
	}
	return slices.Grow(s, n)
}
