package login

import (
	"math"
	"slices"
	"time"

	"github.com/mailtrust/abusescan/internal/ipinfo"
)

// Settings are the login signals' knobs. DefaultSettings documents each.
type Settings struct {
	// MaxKmh is the speed no airliner reaches: a jump between two real
	// places faster than it is impossible travel.
	MaxKmh float64
	// MinKm: a jump shorter than this, once both ends' accuracy radii are
	// taken off, is never impossible travel (GeoIP places are that rough).
	MinKm float64
	// CoarseKm: when either end is located only to a country, the jump must
	// be at least this long, so that neighbours (whose country centroids are
	// closer) never fire on coarse data.
	CoarseKm float64
	// Learning is how long after its first login an account is still being
	// learned (no new-country signal), unless LearningLogins came first.
	Learning       time.Duration
	LearningLogins int
	// Refresh is the coarseness of the stored last-seen time of a place: a
	// login at a known place rewrites the state only when the stored time
	// is older than this. The travel check measures from the stored time,
	// so a jump of d km is caught when the real gap since the last login at
	// the old place is under d/MaxKmh − Refresh.
	Refresh time.Duration
	// CountriesWindow: "several countries within minutes" counts the
	// distinct countries of real places seen within it.
	CountriesWindow time.Duration
	// SamePlaceKm: two located logins within this distance (plus their
	// radii) in one country are one place.
	SamePlaceKm float64
	// Young: an account whose signup the scanner saw within this long is
	// young; laptop farms are judged on young accounts.
	Young time.Duration
	// PeerWindow: a farm is judged on the accounts that began signing in
	// from one address or device within this window.
	PeerWindow time.Duration
	// FarmAccounts and DeviceAccounts: the young accounts that must have
	// begun signing in from one address (one device) within PeerWindow.
	FarmAccounts, DeviceAccounts int
	// Baseline: the window's new accounts must also exceed this many times
	// the address's own usual rate (new accounts per window in its earlier
	// history), so a campus or a carrier NAT, which always brings new
	// accounts, is not a farm.
	Baseline float64
	// Keep is how long a login history outlives its last write (TTL).
	Keep time.Duration
}

// DefaultSettings returns the settings the README documents.
func DefaultSettings() Settings {
	return Settings{
		MaxKmh: 900, MinKm: 500, CoarseKm: 3000,
		Learning: 14 * 24 * time.Hour, LearningLogins: 10,
		Refresh:         6 * time.Hour,
		CountriesWindow: time.Hour,
		SamePlaceKm:     100,
		Young:           30 * 24 * time.Hour,
		PeerWindow:      7 * 24 * time.Hour,
		FarmAccounts:    6, DeviceAccounts: 5,
		Baseline: 3,
		Keep:     60 * 24 * time.Hour,
	}
}

// Input is one successful login, enriched.
type Input struct {
	ID  string // the event id
	At  time.Time
	Geo ipinfo.Info
	// Net and Device are keyed hashes of the login's network (/24, /48)
	// and device id (Device 0: none given).
	Net, Device uint32
	Protocol    string
}

// Facts is what a login shows, against the account's history.
type Facts struct {
	Known    bool // the account had a login history
	Learning bool // still in its learning period (this login included)
	Late     bool // older than the newest login applied: judged, not learned from
	Young    bool
	AgeDays  int // days since the signup the scanner saw; -1 if none
	Real     bool

	TravelKm, TravelKmh float64 // from the previous real place; 0 if none
	TravelMinutes       int
	TravelFrom          string
	Impossible          bool

	NewCountry   bool
	Countries    int // distinct countries of real places within CountriesWindow, this one included
	NewNet       bool
	NewDevice    bool
	Legacy       bool // imap, pop or smtp
	LivesAbroad  bool // signs in, over days, from a country other than the one claimed at signup
	PlaceDays    int  // days this place has been seen over
	ClaimedIn    string
	SignupAnon   bool
	SignupScore  int
	SignupLooked bool
}

// Change says what a login asks of storage.
type Change struct {
	Duplicate bool // the login was applied before: nothing to do
	Write     bool // the state must be written
	// JoinNet and JoinDevice: the account began signing in from this
	// address or device; it joins the peer set.
	JoinNet, JoinDevice bool
}

// IDHash is the hash a login id is remembered by.
func IDHash(id string) uint32 {
	// FNV-1a: ids are not secret, and a collision only makes a login be
	// taken for a duplicate of one of the account's last eight.
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h
}

func minutes(t time.Time) int64 { return t.Unix() / 60 }
func days(t time.Time) int32    { return int32(t.Unix() / 86400) }

// Observe judges in against s and learns from it, changing s. It is pure.
func (s *State) Observe(in Input, set Settings) (Facts, Change) {
	var f Facts
	var ch Change
	h := IDHash(in.ID)
	if slices.Contains(s.Recent, h) {
		return f, Change{Duplicate: true}
	}
	now := minutes(in.At)
	f.Known = s.First != 0
	if !f.Known {
		s.First, s.Newest = now, now
		ch.Write = true
	}
	f.Late = now < s.Newest
	f.Learning = int(s.Logins) < set.LearningLogins && now-s.First < int64(set.Learning/time.Minute)
	if f.Learning && !f.Late {
		s.Logins++
		ch.Write = true
	}
	su := s.Signup
	f.SignupLooked, f.ClaimedIn, f.SignupAnon, f.SignupScore = su.Looked, su.Claimed, su.Anonymous, int(su.Score)
	f.AgeDays = -1
	if su.Seen {
		f.AgeDays = int(max(now-su.Created, 0) / (24 * 60))
		f.Young = now-su.Created < int64(set.Young/time.Minute)
	}
	f.Legacy = in.Protocol == "imap" || in.Protocol == "pop" || in.Protocol == "smtp"

	g := in.Geo
	f.Real = g.HasLocation && !g.Anonymous && g.Country != ""
	day := days(in.At)
	if in.Net != 0 {
		f.NewNet = touch(&s.Nets, in.Net, day, MaxNets)
		ch.JoinNet = f.NewNet && !g.Anonymous
	}
	if in.Device != 0 {
		f.NewDevice = touch(&s.Devices, in.Device, day, MaxDevices)
		// Tor Browser makes its users look alike by design: a device id
		// seen through Tor links nobody.
		ch.JoinDevice = f.NewDevice && !g.Tor
	}
	if f.NewNet || f.NewDevice {
		ch.Write = true
	}
	if f.Real && !f.Late {
		s.judgePlace(&f, in, now, set)
		if s.learnPlace(&f, in, now, set) {
			ch.Write = true
		}
		if !slices.Contains(s.Countries, g.Country) {
			f.NewCountry = !f.Learning && f.Known
			s.Countries = append(s.Countries, g.Country)
			if len(s.Countries) > MaxCountries {
				s.Countries = s.Countries[1:]
			}
			ch.Write = true
		}
	}
	if ch.Write && !f.Late {
		s.Newest = max(s.Newest, now)
	}
	return f, ch
}

// Remember records that the login with this id wrote the state.
func (s *State) Remember(id string) {
	s.Recent = append(s.Recent, IDHash(id))
	if len(s.Recent) > MaxRecent {
		s.Recent = s.Recent[len(s.Recent)-MaxRecent:]
	}
}

// touch records key as seen on day, most recent first; it reports whether
// the key is new. A known key's day is moved only when the state is
// written anyway, so it orders eviction, roughly.
func touch(l *[]Seen, key uint32, day int32, limit int) bool {
	i := slices.IndexFunc(*l, func(x Seen) bool { return x.Key == key })
	if i >= 0 {
		return false
	}
	*l = slices.Insert(*l, 0, Seen{Key: key, Day: day})
	if len(*l) > limit {
		*l = (*l)[:limit]
	}
	return true
}

// judgePlace measures the jump from the most recently seen real place.
func (s *State) judgePlace(f *Facts, in Input, now int64, set Settings) {
	g := in.Geo
	countries := map[string]bool{g.Country: true}
	horizon := now - int64(set.CountriesWindow/time.Minute)
	var prev *Place
	for i := range s.Places {
		p := &s.Places[i]
		if p.Last >= horizon {
			countries[p.Country] = true
		}
		if prev == nil || p.Last > prev.Last {
			prev = p
		}
	}
	f.Countries = len(countries)
	if prev == nil || prev.Country == g.Country {
		return
	}
	d := distanceKm(float64(prev.Lat), float64(prev.Lon), g.Lat, g.Lon)
	eff := d - float64(prev.RadiusKm) - float64(g.RadiusKm)
	gap := max(now-prev.Last, 1)
	f.TravelFrom, f.TravelKm, f.TravelMinutes = prev.Country, math.Round(d), int(gap)
	if eff <= 0 {
		return
	}
	f.TravelKmh = math.Round(eff / (float64(gap) / 60))
	coarse := !prev.City || g.City == ""
	f.Impossible = eff >= set.MinKm && (!coarse || eff >= set.CoarseKm) && f.TravelKmh > set.MaxKmh
}

// learnPlace records the login's place; it reports whether the state
// changed enough to be written.
func (s *State) learnPlace(f *Facts, in Input, now int64, set Settings) bool {
	g := in.Geo
	for i := range s.Places {
		p := &s.Places[i]
		if p.Country != g.Country {
			continue
		}
		d := distanceKm(float64(p.Lat), float64(p.Lon), g.Lat, g.Lon)
		if d > set.SamePlaceKm+float64(p.RadiusKm)+float64(g.RadiusKm) {
			continue
		}
		f.PlaceDays = int((max(now, p.Last) - p.First) / (24 * 60))
		f.LivesAbroad = s.Signup.Claimed != "" && s.Signup.Claimed != g.Country && f.PlaceDays >= 2
		if now-p.Last < int64(set.Refresh/time.Minute) {
			return false
		}
		p.Last = now
		// Most recently seen first.
		pl := *p
		s.Places = slices.Delete(s.Places, i, i+1)
		s.Places = slices.Insert(s.Places, 0, pl)
		return true
	}
	s.Places = slices.Insert(s.Places, 0, Place{
		Country: g.Country, Lat: float32(g.Lat), Lon: float32(g.Lon), RadiusKm: g.RadiusKm,
		City: g.City != "", First: now, Last: now,
	})
	if len(s.Places) > MaxPlaces {
		s.Places = s.Places[:MaxPlaces]
	}
	return true
}

// distanceKm is the great-circle distance between two points.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// NeedsSignup reports whether the account's signup record should be read
// (again): never looked for, or looked for while the signup may still have
// been on its way (within an hour of the first login).
func (s *State) NeedsSignup(at time.Time) bool {
	if !s.Signup.Looked {
		return true
	}
	return !s.Signup.Seen && minutes(at)-s.First < 60
}

// Raise records that the account is raised to the queue with this score
// for these rules, and reports whether that raises anything it was not
// raised for before: a higher score or another rule.
func (s *State) Raise(score int, rules []string) bool {
	more := score > int(s.Raised)
	for _, r := range rules {
		h := IDHash(r)
		if slices.Contains(s.RaisedRules, h) {
			continue
		}
		more = true
		s.RaisedRules = append(s.RaisedRules, h)
		if len(s.RaisedRules) > MaxRaised {
			s.RaisedRules = s.RaisedRules[1:]
		}
	}
	if more {
		s.Raised = uint8(min(max(score, int(s.Raised)), 255))
	}
	return more
}
