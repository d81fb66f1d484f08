package login

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

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
	Young   bool  // its signup, seen by the scanner, was recent when it joined
}

// Join adds account on day, and reports whether the set changed. Joining
// again changes nothing, so a redelivered login joins once.
func (p *Peers) Join(account string, day int32, young bool) bool {
	if p.First == 0 {
		p.First = day
	}
	if i := slices.IndexFunc(p.Members, func(m Member) bool { return m.Account == account }); i >= 0 {
		return false
	}
	p.Members = append(p.Members, Member{Account: account, Day: day, Young: young})
	if len(p.Members) > MaxMembers {
		p.Members = slices.Delete(p.Members, 0, len(p.Members)-MaxMembers)
	}
	if p.Total < math.MaxUint32 {
		p.Total++
	}
	return true
}

// Farm is a peer set's judgement on a day.
type Farm struct {
	Recent int     // young accounts that joined within the window
	Joined int     // all accounts that joined within the window
	Usual  float64 // accounts that joined per window in the set's earlier history
	Is     bool
}

// Judge says whether the set looks like a farm on day: at least need young
// accounts began signing in within the window, more than Baseline times
// the set's own usual rate.
func (p *Peers) Judge(day int32, need int, set Settings) Farm {
	var f Farm
	window := int32(set.PeerWindow / (24 * time.Hour))
	from := day - window + 1
	for _, m := range p.Members {
		if m.Day >= from && m.Day <= day {
			f.Joined++
			if m.Young {
				f.Recent++
			}
		}
	}
	// The earlier history: joins before the window, over the windows the
	// set existed before it.
	if earlier := int64(p.Total) - int64(f.Joined); earlier > 0 && from > p.First {
		f.Usual = float64(earlier) / max(float64(from-p.First)/float64(window), 1)
	}
	f.Is = f.Recent >= need && float64(f.Recent) > set.Baseline*f.Usual
	return f
}

// Young returns the young accounts that joined within the window, for the
// reason a person reads and the links the campaign work follows.
func (p *Peers) Young(day int32, set Settings) []string {
	from := day - int32(set.PeerWindow/(24*time.Hour)) + 1
	var out []string
	for _, m := range p.Members {
		if m.Young && m.Day >= from && m.Day <= day {
			out = append(out, m.Account)
		}
	}
	return out
}

const peersVersion = 1

// Encode lays p out compactly.
func (p *Peers) Encode(dst []byte) []byte {
	b := append(dst, peersVersion)
	b = binary.AppendVarint(b, int64(p.First))
	b = binary.AppendUvarint(b, uint64(p.Total))
	b = append(b, byte(len(p.Members)))
	for _, m := range p.Members {
		b = appendStr(b, m.Account)
		b = binary.AppendVarint(b, int64(m.Day-p.First))
		b = append(b, boolByte(m.Young))
	}
	return b
}

// DecodePeers reads a record Peers.Encode wrote.
func DecodePeers(data []byte) (Peers, error) {
	r := reader{b: data}
	var p Peers
	if v := r.byte(); v != peersVersion {
		return Peers{}, fmt.Errorf("%w: peers codec version %d", ErrCorrupt, v)
	}
	p.First = int32(r.varint())
	p.Total = uint32(min(r.uvarint(), math.MaxUint32))
	n := r.count(MaxMembers)
	for range n {
		m := Member{Account: r.str()}
		m.Day = p.First + int32(r.varint())
		m.Young = r.byte() != 0
		p.Members = append(p.Members, m)
	}
	if r.err != nil {
		return Peers{}, r.err
	}
	if len(r.b) != 0 {
		return Peers{}, fmt.Errorf("%w: %d bytes left over", ErrCorrupt, len(r.b))
	}
	return p, nil
}
