package login

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/mailtrust/abusescan/internal/wire"
)

// memberRefreshDays: a member known to come back has its last day moved
// only once it is this old, so one seen every day costs a write every
// third day; the farm window (7 days) still holds it.
const memberRefreshDays = 3

// MaxMembers bounds a peer set: past it the earliest joins are forgotten
// (Total still counts them). A farm needs far fewer.
const MaxMembers = 32

// Peers is the set of accounts that began signing in from one address or
// one device: the record of links between them, and what a laptop farm is
// judged on.
type Peers struct {
	First   int32  // the day the set was created
	Total   uint32 // joins ever, forgotten ones included (saturates)
	Members []Member
}

// Member is one account of a peer set.
type Member struct {
	Account string
	Day     int32 // the day it joined
	Last    int32 // the last day it was seen (young members only come back)
	Young   bool  // its signup, seen by the scanner, was recent
}

// returning reports whether m is a young member seen within [from, day]
// on another day than the one it joined: it lives here, rather than
// passing through (a hotel, a café, a carrier NAT's rotating address).
func (m Member) returning(from, day int32) bool {
	return m.Young && m.Last >= from && m.Last <= day && m.Last > m.Day
}

// Join records that account signed in on day: a new member joins, a
// member seen on a later day than before comes back. It reports whether
// the set changed, so a redelivered login changes nothing.
func (p *Peers) Join(account string, day int32, young bool) bool {
	if p.First == 0 {
		p.First = day
	}
	if i := slices.IndexFunc(p.Members, func(m Member) bool { return m.Account == account }); i >= 0 {
		m := &p.Members[i]
		if (day <= m.Last || (m.Last > m.Day && day-m.Last < memberRefreshDays)) && (!young || m.Young) {
			return false
		}
		m.Last = max(m.Last, day)
		m.Young = m.Young || young
		return true
	}
	p.Members = append(p.Members, Member{Account: account, Day: day, Last: day, Young: young})
	if len(p.Members) > MaxMembers {
		// Forget the member seen longest ago.
		old := 0
		for i, m := range p.Members {
			if m.Last < p.Members[old].Last {
				old = i
			}
		}
		p.Members = slices.Delete(p.Members, old, old+1)
	}
	if p.Total < math.MaxUint32 {
		p.Total++
	}
	return true
}

// Farm is a peer set's judgement on a day.
type Farm struct {
	Recent int     // young members that came back within the window
	Seen   int     // members seen within the window
	Young  int     // young members among them
	Usual  float64 // accounts that joined per window in the set's earlier history
	Is     bool
	// Peers are the young members that came back within the window, when
	// the set is a farm: the accounts it links.
	Peers []string
}

// Judge says whether the set looks like a farm on day: at least need young
// accounts live here (they signed in on two days or more, the last within
// the window), more than Baseline times the set's own usual rate of new
// accounts, and young accounts are most of the members seen in the window.
// Where established accounts sign in too (a carrier NAT, a campus, an
// office, even before the address has a history), they are the address's
// people and the young ones its newcomers.
func (p *Peers) Judge(day int32, need int, set Settings) Farm {
	var f Farm
	window := int32(set.PeerWindow / (24 * time.Hour))
	from := day - window + 1
	joined := 0
	for _, m := range p.Members {
		if m.Day >= from && m.Day <= day {
			joined++
		}
		if m.Last < from || m.Last > day {
			continue
		}
		f.Seen++
		if m.Young {
			f.Young++
		}
		if m.returning(from, day) {
			f.Recent++
		}
	}
	// The earlier history: joins before the window, over the windows the
	// set existed before it.
	if earlier := int64(p.Total) - int64(joined); earlier > 0 && from > p.First {
		f.Usual = float64(earlier) / max(float64(from-p.First)/float64(window), 1)
	}
	f.Is = f.Recent >= need && float64(f.Recent) > set.Baseline*f.Usual && 2*f.Young > f.Seen
	if f.Is {
		for _, m := range p.Members {
			if m.returning(from, day) {
				f.Peers = append(f.Peers, m.Account)
			}
		}
	}
	return f
}

const peersVersion = 2

// Encode lays p out compactly.
func (p *Peers) Encode(dst []byte) []byte {
	b := append(dst, peersVersion)
	b = binary.AppendVarint(b, int64(p.First))
	b = binary.AppendUvarint(b, uint64(p.Total))
	b = append(b, byte(len(p.Members)))
	for _, m := range p.Members {
		b = wire.AppendStr(b, m.Account)
		b = binary.AppendVarint(b, int64(m.Day-p.First))
		b = binary.AppendVarint(b, int64(m.Last-m.Day))
		b = append(b, wire.Bool(m.Young))
	}
	return b
}

// DecodePeers reads a record Peers.Encode wrote.
func DecodePeers(data []byte) (Peers, error) {
	r := wire.NewStringReader(data) // under 1 KB, read for one batch
	var p Peers
	if v := r.Byte(); v != peersVersion {
		return Peers{}, fmt.Errorf("%w: peers codec version %d", ErrCorrupt, v)
	}
	p.First = int32(r.Varint())
	p.Total = uint32(min(r.Uvarint(), math.MaxUint32))
	n := r.Count(MaxMembers)
	if n > 0 {
		p.Members = make([]Member, 0, n)
	}
	for range n {
		m := Member{Account: r.Str()}
		m.Day = p.First + int32(r.Varint())
		m.Last = m.Day + int32(r.Varint())
		m.Young = r.Byte() != 0
		p.Members = append(p.Members, m)
	}
	if err := r.Done(); err != nil {
		return Peers{}, err
	}
	return p, nil
}
