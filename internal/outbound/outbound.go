// Package outbound holds what the scanner remembers of the messages new
// mailboxes send, and judges them against it. It is pure: the pipeline
// reads and writes the records.
//
// Two kinds of record, both small versioned records (internal/versioned):
//
//   - an account's History: the message events it has applied (so a
//     redelivered one is a duplicate), the recipient domains it sent to
//     recently, as keyed hashes (fan-out), and what it raised;
//   - a content record's Carriers: the senders of one attachment (by its
//     content hash), or of the images or texts near one hash (by one band
//     of a perceptual or SimHash). Young senders are kept by account, so
//     the records link them; established senders are only counted, so a
//     meme or a school newsletter that established people forward is known
//     as popular and links nobody.
//
// Neither holds bodies, attachments, addresses or names: hashes, counts,
// times and account ids only.
package outbound

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/mailtrust/abusescan/internal/wire"
)

// ErrCorrupt is wrapped by the error of a record that does not decode.
var ErrCorrupt = wire.ErrCorrupt

// Settings tune the message judgement.
type Settings struct {
	// Young is how long after its signup an account counts as a new
	// mailbox; older accounts, and accounts whose signup the scanner never
	// saw, are established senders.
	Young time.Duration
	// FanOut is the window over which distinct recipient domains are
	// counted.
	FanOut time.Duration
	// Keep is how long records are kept after their last write (TTL).
	Keep time.Duration
	// Popular is the number of established senders at which content is
	// popular: it links nobody.
	Popular int
	// MaxYoung bounds the young senders a content record keeps (the oldest
	// go first); MaxEstablished the established ones (past Popular, more
	// add nothing).
	MaxYoung, MaxEstablished int
}

// DefaultSettings are the settings of a deployment that sets none.
func DefaultSettings() Settings {
	return Settings{Young: 30 * 24 * time.Hour, FanOut: 24 * time.Hour, Keep: 30 * 24 * time.Hour,
		Popular: 3, MaxYoung: 48, MaxEstablished: 8}
}

// Limits of a History.
const (
	MaxRecent  = 32  // message event ids remembered
	MaxDomains = 200 // recipient domains remembered
	MaxRaised  = 16  // rules remembered as raised
)

// History is one account's outbound record. Times are unix minutes.
type History struct {
	Recent      []uint32 // IDHash of the message events applied, oldest first
	Domains     []Domain // recipient domains, most recently sent to first
	Messages    int      // messages applied
	TurnedAway  int      // of which turned away unparsed
	Newest      int64    // the newest message applied
	Raised      int      // the highest score raised to the queue
	RaisedRules []uint32 // IDHash of the rules raised for
}

// Domain is a recipient domain (a keyed hash) and the minute it was last
// sent to.
type Domain struct {
	Key uint32
	Min int64
}

// IDHash is a short hash of an id (FNV-1a). Ids are not secret; a
// collision only makes a message be taken for a duplicate of one of the
// account's last few, or a rule for one already raised.
func IDHash(id string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h
}

// Seen reports whether the message event id was applied already.
func (h *History) Seen(id string) bool { return slices.Contains(h.Recent, IDHash(id)) }

// Apply records a message event sent at at, to the recipient domains
// given (keyed hashes), and returns the distinct domains the account sent
// to within set.FanOut up to at, this message's included.
func (h *History) Apply(id string, at time.Time, domains []uint32, turnedAway bool, set Settings) int {
	h.Recent = append(h.Recent, IDHash(id))
	if len(h.Recent) > MaxRecent {
		h.Recent = h.Recent[len(h.Recent)-MaxRecent:]
	}
	h.Messages++
	if turnedAway {
		h.TurnedAway++
	}
	now := at.Unix() / 60
	h.Newest = max(h.Newest, now)
	for _, k := range domains {
		i := slices.IndexFunc(h.Domains, func(d Domain) bool { return d.Key == k })
		if i >= 0 {
			h.Domains[i].Min = max(h.Domains[i].Min, now)
			continue
		}
		h.Domains = append(h.Domains, Domain{Key: k, Min: now})
	}
	slices.SortStableFunc(h.Domains, func(a, b Domain) int { return int(b.Min - a.Min) })
	if len(h.Domains) > MaxDomains {
		h.Domains = h.Domains[:MaxDomains]
	}
	from := now - int64(set.FanOut/time.Minute)
	n := 0
	for _, d := range h.Domains {
		if d.Min > from && d.Min <= now {
			n++
		}
	}
	return n
}

// Raise reports whether a verdict of score for rules would raise anything
// the account has not been raised for, and records it if so.
func (h *History) Raise(score int, rules []string) bool {
	more := score > h.Raised
	for _, r := range rules {
		k := IDHash(r)
		if slices.Contains(h.RaisedRules, k) {
			continue
		}
		more = true
		h.RaisedRules = append(h.RaisedRules, k)
		if len(h.RaisedRules) > MaxRaised {
			h.RaisedRules = h.RaisedRules[1:]
		}
	}
	if more {
		h.Raised = max(h.Raised, score)
	}
	return more
}

// Record encodings (internal/wire): a version byte, then count bytes,
// fixed-width hashes and varints.
const (
	historyCodec  = 1
	carriersCodec = 1
)

// Encode returns the record's bytes.
func (h *History) Encode() []byte {
	b := []byte{historyCodec}
	b = appendU32s(b, h.Recent)
	b = append(b, byte(len(h.Domains)))
	for _, d := range h.Domains {
		b = binary.LittleEndian.AppendUint32(b, d.Key)
		b = binary.AppendVarint(b, h.Newest-d.Min) // small: recent
	}
	b = binary.AppendUvarint(b, uint64(h.Messages))
	b = binary.AppendUvarint(b, uint64(h.TurnedAway))
	b = binary.AppendVarint(b, h.Newest)
	b = binary.AppendUvarint(b, uint64(h.Raised))
	return appendU32s(b, h.RaisedRules)
}

// DecodeHistory reads a record Encode wrote, holding it to its limits.
func DecodeHistory(data []byte) (History, error) {
	r := wire.NewReader(data)
	if v := r.Byte(); v != historyCodec {
		return History{}, fmt.Errorf("%w: history codec %d", ErrCorrupt, v)
	}
	var h History
	h.Recent = readU32s(r, MaxRecent)
	n := r.Count(MaxDomains)
	ago := make([]int64, n)
	for i := range n {
		h.Domains = append(h.Domains, Domain{Key: r.U32()})
		ago[i] = r.Varint()
	}
	h.Messages, h.TurnedAway = int(r.Uvarint()), int(r.Uvarint())
	h.Newest = r.Varint()
	h.Raised = int(r.Uvarint())
	h.RaisedRules = readU32s(r, MaxRaised)
	for i := range h.Domains {
		h.Domains[i].Min = h.Newest - ago[i]
	}
	if err := r.Done(); err != nil {
		return History{}, err
	}
	return h, nil
}

// Carriers are the senders of one piece of content, or of the content
// near one hash.
type Carriers struct {
	Young       []Carrier // oldest day first
	Established []Known
}

// Carrier is a young sender of content whose hash is Hash, last on Day
// (unix days).
type Carrier struct {
	Account string
	Day     int32
	Hash    uint64
}

// Known is an established sender (IDHash of its account) of content whose
// hash is Hash.
type Known struct {
	Who  uint32
	Hash uint64
}

// Join adds a sender of content hashed h on day, and reports whether the
// record changed. Joining twice changes nothing, so a redelivered message
// leaves the record as one delivery did.
func (c *Carriers) Join(account string, young bool, day int32, h uint64, set Settings) bool {
	if !young {
		who := IDHash(account)
		if len(c.Established) >= set.MaxEstablished ||
			slices.ContainsFunc(c.Established, func(k Known) bool { return k.Who == who && k.Hash == h }) {
			return false
		}
		c.Established = append(c.Established, Known{Who: who, Hash: h})
		return true
	}
	if slices.ContainsFunc(c.Young, func(x Carrier) bool { return x.Account == account && x.Hash == h }) {
		return false
	}
	c.Young = append(c.Young, Carrier{Account: account, Day: day, Hash: h})
	slices.SortStableFunc(c.Young, func(a, b Carrier) int { return int(a.Day) - int(b.Day) })
	if len(c.Young) > set.MaxYoung {
		c.Young = c.Young[len(c.Young)-set.MaxYoung:]
	}
	return true
}

// Match is what a content record says of one hash.
type Match struct {
	// Young are the young accounts other than the sender whose content is
	// within the distance of the hash.
	Young []string
	// Established are the established senders of such content (IDHash).
	Established []uint32
}

// Add merges o into m, naming each sender once: the matches of one
// content's several band records.
func (m *Match) Add(o Match) {
	for _, a := range o.Young {
		if !slices.Contains(m.Young, a) {
			m.Young = append(m.Young, a)
		}
	}
	for _, w := range o.Established {
		if !slices.Contains(m.Established, w) {
			m.Established = append(m.Established, w)
		}
	}
}

// Popular reports whether enough established senders carry the content
// that it links nobody.
func (m Match) Popular(set Settings) bool { return len(m.Established) >= set.Popular }

// Near returns the young senders of content within distance link of h
// (Hamming; 0: the same hash), leaving out self, each named once, and the
// established senders of content within distance popular. Popularity is
// judged the more generously: anything like the content that established
// people send makes it common, while a link must be close.
func (c Carriers) Near(self string, h uint64, link, popular int) Match {
	var m Match
	for _, x := range c.Young {
		if x.Account != self && bits.OnesCount64(x.Hash^h) <= link && !slices.Contains(m.Young, x.Account) {
			m.Young = append(m.Young, x.Account)
		}
	}
	for _, k := range c.Established {
		if bits.OnesCount64(k.Hash^h) <= popular && !slices.Contains(m.Established, k.Who) {
			m.Established = append(m.Established, k.Who)
		}
	}
	return m
}

// Encode returns the record's bytes.
func (c *Carriers) Encode() []byte {
	b := []byte{carriersCodec}
	b = append(b, byte(len(c.Young)))
	for _, x := range c.Young {
		b = wire.AppendStr(b, x.Account)
		b = binary.AppendVarint(b, int64(x.Day))
		b = binary.LittleEndian.AppendUint64(b, x.Hash)
	}
	b = append(b, byte(len(c.Established)))
	for _, k := range c.Established {
		b = binary.LittleEndian.AppendUint32(b, k.Who)
		b = binary.LittleEndian.AppendUint64(b, k.Hash)
	}
	return b
}

// DecodeCarriers reads a record Encode wrote, holding it to limits.
func DecodeCarriers(data []byte, set Settings) (Carriers, error) {
	r := wire.NewReader(data)
	if v := r.Byte(); v != carriersCodec {
		return Carriers{}, fmt.Errorf("%w: carriers codec %d", ErrCorrupt, v)
	}
	var c Carriers
	for range r.Count(set.MaxYoung) {
		c.Young = append(c.Young, Carrier{Account: r.Str(), Day: int32(r.Varint()), Hash: r.U64()})
	}
	for range r.Count(set.MaxEstablished) {
		c.Established = append(c.Established, Known{Who: r.U32(), Hash: r.U64()})
	}
	if err := r.Done(); err != nil {
		return Carriers{}, err
	}
	return c, nil
}

func appendU32s(b []byte, l []uint32) []byte {
	b = append(b, byte(len(l)))
	for _, x := range l {
		b = binary.LittleEndian.AppendUint32(b, x)
	}
	return b
}

func readU32s(r *wire.Reader, limit int) []uint32 {
	var out []uint32
	for range r.Count(limit) {
		out = append(out, r.U32())
	}
	return out
}
