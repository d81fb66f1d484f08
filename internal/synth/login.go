package synth

import (
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// Sign-ins (Mailbox Login events).
//
// With Config.Logins, every account that signs in gets a history of
// sign-ins after its signup: people at home, on their phones, at work or
// on campus, abroad after a flight, behind a commercial VPN; campaigns from
// their farms and servers. Each account draws from a random stream named
// after it ("login/ACCOUNT"), and what a group or campaign shares from a
// stream named after the group or campaign, so that the signups, and the
// sign-ins of every other account, stay as they are when one changes.

// life is what an account's sign-ins follow from beyond its signup event,
// noted by the signup generators without drawing from their random streams
// (so that the signups stay as they were).
type life struct {
	loc *locale
	// home is the residential block the owner lives in, for the kinds whose
	// signup came from elsewhere (a VPN exit, a trip abroad).
	home Network
	// group is the family, class, office or café the account is one of;
	// member is its place in the group, in signup order.
	group  *group
	member int
	// owner is, for a second account, the person's first account.
	owner string
}

// group is accounts that share a place: a family's home line and computer,
// a lab's addresses and imaged machines, an office manager's desk, a café's
// line and PCs.
type group struct {
	net     Network
	ips     []netip.Addr
	shared  client   // the family computer, the office manager's desk
	devices []client // the lab's machines, the café's PCs
}

// kit is a campaign's tooling as its signup generator chose it, for its
// accounts' sign-ins.
type kit struct {
	campaign Campaign
	// Bot waves: the addresses the accounts were made from, and whether
	// the kit talks to the API.
	ips   ipSet
	v6net netip.Prefix
	api   bool
	// IT-worker farms: the exits of the signups, the operators' machines
	// and where the operators are.
	exits    exits
	machines []client
	opTZ     string
	// Operations: the teams, each tooled like an IT-worker farm (their
	// campaigns' ids, "ID/team-N", name their streams), and each
	// persona's team and farm, by account.
	teams   []*kit
	members map[string]member
	// An operation's team: the facilitators' home lines of its laptop
	// farms, and the zone of its shift.
	farms   []itFarm
	shiftTZ string
	// Laptop farms: the facilitator's home line and the laptops' browser.
	farm   Network
	farmIP netip.Addr
	chrome int
	// Slow waves: where each sign-in comes from, and the zone of their
	// daily rhythm ("" none).
	proxies, mobiles, homes []Network
	srcWs                   []float64
	tz                      string
}

// device is one client a person signs in with.
type device struct {
	id, ua   string
	protocol string // web, mobile, imap, smtp, api
	carried  bool   // a phone: over the carrier when its owner is out
	weight   float64
}

// signupDevice is the client an account was made on.
func signupDevice(s *event.Signup) device {
	d := device{id: s.DeviceID, ua: s.UserAgent, protocol: "web", weight: 1}
	switch s.Channel {
	case "ios", "android":
		d.protocol, d.carried = "mobile", true
	case "api":
		d.protocol = "api"
	}
	if strings.Contains(s.UserAgent, "iPhone") || strings.Contains(s.UserAgent, "Android") {
		d.carried = true
	}
	return d
}

func deviceOfClient(c client, weight float64) device {
	d := device{id: c.id, ua: c.ua, protocol: "web", carried: c.mobile, weight: weight}
	if c.channel == "ios" || c.channel == "android" {
		d.protocol = "mobile"
	}
	return d
}

// imapClients are desktop mail programs, which sign in over IMAP.
var imapClients = [...]string{
	"Microsoft Outlook 16.0", "Microsoft Outlook 16.0", "Thunderbird/128.5.2", "Thunderbird/140.3.0",
	"Apple Mail (3826.400.131.1.6)", "eM Client/10.1.4588.0",
}

// phoneMailUA is the iPhone's own Mail app, also an IMAP client.
const phoneMailUA = "iOS/18.6 (22G86) dataaccessd/1.0"

// spot is one way a person reaches the platform: a home line, a carrier's
// NAT, a campus or office egress, a VPN's exits.
type spot struct {
	net Network
	// pool holds the addresses one of which a session uses, the first the
	// busiest; for IPv6 (v6) they are /64s whose interface id changes
	// every session, as privacy addresses do.
	pool []netip.Addr
	v6   bool
	// spread: a session sometimes gets another address of the pool
	// address's /24 (a carrier NAT's range).
	spread bool
	// nets, if set instead of pool: a session uses a shared address of one
	// of them (a VPN's or Tor's exits).
	nets []Network
	// stick is how long a session's address is kept; 0: for good.
	stick time.Duration
	// From changeAt on, later replaces pool[0] (a home line's new lease).
	changeAt time.Time
	later    netip.Addr
}

// spotState is one account's current session at a spot.
type spotState struct {
	cur   netip.Addr
	until time.Time
}

// fixedSpot is one address for good.
func fixedSpot(n Network, ip netip.Addr) *spot {
	return &spot{net: n, pool: []netip.Addr{ip}}
}

// homeSpot is a home line: one IPv4 address that a few households lose to
// a new lease once, or an IPv6 /64 with a new privacy address every day.
func (g *gen) homeSpot(r *rng, n Network, ip netip.Addr) *spot {
	if ip.Is6() {
		return &spot{net: n, pool: []netip.Addr{netip.PrefixFrom(ip, 64).Masked().Addr()}, v6: true, stick: 24 * time.Hour}
	}
	s := fixedSpot(n, ip)
	if r.chance(0.05) {
		s.changeAt = g.cfg.Start.Add(r.duration(g.end.Sub(g.cfg.Start)))
		s.later = randomHost(r, n)
	}
	return s
}

// cellSpot is a person's carrier NAT: a few of its shared addresses, each
// in its own /24, one per data session (hours long), now and then another
// address of the same /24. On IPv6, a few /64s, a new address per session.
// A phone keeps its data session, and so its address, about half a day.
// first, if valid, is the address the person was seen on.
func (g *gen) cellSpot(r *rng, n Network, first netip.Addr) *spot {
	s := &spot{net: n, stick: time.Duration(r.lognormal(float64(12*time.Hour), 0.5))}
	if n.Prefix.Addr().Is6() {
		s.v6 = true
		if first.IsValid() && first.Is6() {
			s.pool = append(s.pool, netip.PrefixFrom(first, 64).Masked().Addr())
		}
		for len(s.pool) < 3 {
			s.pool = append(s.pool, v6In(n.Prefix, r.u64(), 0))
		}
		return s
	}
	s.spread = true
	if first.IsValid() && first.Is4() {
		s.pool = append(s.pool, first)
	}
	shared := g.pools[n.Prefix]
	for _, i := range shuffled(r, []int{0, 1, 2, 3, 4, 5, 6, 7})[:r.between(2, 3)] {
		if i < len(shared) && !slices.Contains(s.pool, shared[i]) {
			s.pool = append(s.pool, shared[i])
		}
	}
	if len(s.pool) == 0 {
		s.pool = append(s.pool, randomHost(r, n))
	}
	return s
}

// natSpot is an egress many people share (a campus, an office, a cloud
// proxy): one of its addresses, kept for stick. A campus NAT pairs an
// inside host with one outside address for days; a cloud proxy moves its
// users between egresses within hours.
func (g *gen) natSpot(n Network, stick time.Duration) *spot {
	pool := g.pools[n.Prefix]
	if len(pool) == 0 {
		pool = []netip.Addr{n.Addr(0)}
	}
	return &spot{net: n, pool: pool, stick: stick}
}

// pairedNAT is how long a campus NAT keeps a host on one outside address.
const pairedNAT = 5 * 24 * time.Hour

// exitSpot is a VPN or Tor: a shared address of one of nets per session,
// the first network the favourite.
func exitSpot(nets []Network, stick time.Duration) *spot {
	return &spot{net: nets[0], nets: nets, stick: stick}
}

// addr returns the address a sign-in at t from sp comes from, given the
// account's session there.
func (g *gen) addr(r *rng, sp *spot, st *spotState, t time.Time) netip.Addr {
	if sp.later.IsValid() && !t.Before(sp.changeAt) {
		return sp.later
	}
	if st.cur.IsValid() && (sp.stick == 0 || t.Before(st.until)) {
		return st.cur
	}
	var a netip.Addr
	switch {
	case len(sp.nets) > 0:
		ws := make([]float64, len(sp.nets))
		for i := range ws {
			ws[i] = 1 / float64(i+1)
		}
		a = g.pooled(r, sp.nets[r.weighted(ws...)])
	case sp.v6:
		a = v6In(netip.PrefixFrom(pick(r, sp.pool), 64), 0, r.u64())
	default:
		ws := make([]float64, len(sp.pool))
		for i := range ws {
			ws[i] = 1 / float64(i+1)
		}
		a = sp.pool[r.weighted(ws...)]
		if sp.spread && r.chance(0.1) {
			b := a.As4()
			b[3] = byte(r.between(1, 254))
			a = netip.AddrFrom4(b)
		}
	}
	st.cur = a
	if sp.stick > 0 {
		st.until = t.Add(time.Duration(r.uniform(0.5, 1.5) * float64(sp.stick)))
	}
	return a
}

// signin is one attempt to sign in.
type signin struct {
	at     time.Time
	ip     netip.Addr
	dev    device
	result string
}

// pair is what a sign-in teaches about an account: an address (an IPv6
// one as its /64) and a device.
type pair struct {
	ip  netip.Addr
	dev string
}

func pairOf(ip netip.Addr, dev string) pair {
	if ip.Is6() {
		ip = netip.PrefixFrom(ip, 64).Masked().Addr()
	}
	return pair{ip, dev}
}

// signer collects one account's sign-ins.
type signer struct {
	g     *gen
	r     *rng
	label Label
	// after is the earliest time a sign-in may have: just after the
	// signup's event, or the scenario's start for an established account.
	after time.Time
	out   []signin
	known map[pair]bool
	state map[*spot]*spotState
	// failP and challengeP are the chances that an attempt fails (a
	// mistyped password) or is challenged for a second factor; a new
	// address or device is challenged with newChallengeP.
	failP, challengeP, newChallengeP float64
}

func (g *gen) newSigner(r *rng, l Label, after time.Time) *signer {
	return &signer{
		g: g, r: r, label: l, after: after, out: g.scratch[:0], known: map[pair]bool{}, state: map[*spot]*spotState{},
		failP: 0.015, challengeP: 0.003, newChallengeP: 0.06,
	}
}

// from returns the address of a sign-in at t from sp.
func (s *signer) from(sp *spot, t time.Time) netip.Addr {
	st := s.state[sp]
	if st == nil {
		st = &spotState{}
		s.state[sp] = st
	}
	return s.g.addr(s.r, sp, st, t)
}

// attempt adds a sign-in and what goes with it: now and then a mistyped
// password before the right one, or a challenge (more often from an
// address or device the account has not used) that is mostly passed.
func (s *signer) attempt(t time.Time, ip netip.Addr, d device) {
	r := s.r
	k := pairOf(ip, d.id)
	known := s.known[k]
	s.known[k] = true
	switch {
	case r.chance(s.failP):
		s.add(t, ip, d, "failure")
		if r.chance(0.15) {
			t = t.Add(time.Duration(r.between(6, 40)) * time.Second)
			s.add(t, ip, d, "failure")
		}
		if r.chance(0.9) {
			s.add(t.Add(time.Duration(r.between(8, 90))*time.Second), ip, d, "success")
		}
	case (!known && len(s.out) > 0 && r.chance(s.newChallengeP)) || r.chance(s.challengeP):
		s.add(t, ip, d, "challenge")
		if r.chance(0.85) {
			s.add(t.Add(time.Duration(r.between(30, 240))*time.Second), ip, d, "success")
		}
	default:
		s.add(t, ip, d, "success")
	}
}

func (s *signer) add(t time.Time, ip netip.Addr, d device, result string) {
	s.out = append(s.out, signin{at: t, ip: ip, dev: d, result: result})
}

// minGap is the least time between two sign-ins of one account, so that
// the order of their events is the order of their times.
const minGap = 5 * time.Second

// flush emits the account's sign-ins as events, in time order, none
// before its signup nor after the scenario's end.
func (s *signer) flush() {
	g := s.g
	slices.SortStableFunc(s.out, func(a, b signin) int { return a.at.Compare(b.at) })
	next := s.after
	var n uint64
	// Event ids and emission lags are hashed from the account's stream and
	// the sign-in's number.
	base := hash64(g.cfg.Seed, "login/"+s.label.AccountID, 0)
	for _, in := range s.out {
		at := in.at.Truncate(time.Millisecond)
		if at.Before(next) {
			at = next
		}
		if !at.Before(g.end) {
			break
		}
		next = at.Add(minGap)
		n++
		l := &event.Login{
			AccountID: s.label.AccountID, At: at, IP: in.ip, UserAgent: in.dev.ua, DeviceID: in.dev.id,
			Protocol: in.dev.protocol, Result: in.result,
		}
		id := uuidOf(mix64(base+3*n), mix64(base+3*n+1))
		emitted := at.Add(time.Duration(mix64(base+3*n+2)%860+40) * time.Millisecond)
		g.out = append(g.out, record{
			ev:    event.Event{ID: id, Kind: event.KindLogin, Source: Source, Time: emitted, Login: l},
			label: s.label,
		})
	}
	g.scratch = s.out[:0]
}

// resident is a person's habits: where they are at which hours, and which
// devices they sign in with there.
type resident struct {
	loc *locale
	tz  string
	// city is a block of the city the person lives in.
	city Network
	// home and cell are the home line and the carrier; either may be nil.
	home, cell *spot
	// work is where the person is in working hours (a campus, an office, a
	// café), workFrom to workTo local time, on weekdays unless
	// workWeekend, for a share workShare of the sign-ins of those hours.
	work             *spot
	workFrom, workTo int
	workWeekend      bool
	workShare        float64
	// vpn, if set, carries a share vpnShare of the sign-ins.
	vpn      *spot
	vpnShare float64
	// devs are the person's own devices; workDevs those only at work (a
	// desk computer, lab machines, a café's PCs), used there for a share
	// workDevShare of the sign-ins.
	devs, workDevs []device
	workDevShare   float64
	// perDay is the median number of sign-ins of a day with any, and
	// activeP the share of days with any; fade, if set, is how long after
	// signup the person stops.
	perDay, activeP float64
	fade            time.Duration
}

// outShare is the chance that a phone signs in over the carrier rather
// than a home line, by local hour.
func outShare(h int, weekend bool) float64 {
	switch {
	case !weekend && h >= 7 && h < 19:
		return 0.45
	case weekend && h >= 10 && h < 21:
		return 0.35
	}
	return 0.1
}

func pickDevice(r *rng, ds []device) device {
	ws := make([]float64, len(ds))
	for i, d := range ds {
		ws[i] = d.weight
	}
	return ds[r.weighted(ws...)]
}

// where returns the device and spot of a sign-in of p at t, at home.
func (p *resident) where(r *rng, t time.Time, tz string) (device, *spot) {
	local := t.Add(time.Duration(tzOffset(tz)) * time.Minute).UTC()
	h, wd := local.Hour(), local.Weekday()
	weekend := wd == time.Saturday || wd == time.Sunday
	if p.work != nil && (p.workWeekend || !weekend) && h >= p.workFrom && h < p.workTo && r.chance(p.workShare) {
		if len(p.workDevs) > 0 && (len(p.devs) == 0 || r.chance(p.workDevShare)) {
			return pickDevice(r, p.workDevs), p.work
		}
		return pickDevice(r, p.devs), p.work
	}
	if len(p.devs) == 0 {
		return pickDevice(r, p.workDevs), p.work
	}
	d := pickDevice(r, p.devs)
	sp := p.home
	if d.carried && p.cell != nil && (sp == nil || r.chance(outShare(h, weekend))) {
		sp = p.cell
	}
	if sp == nil {
		sp = cmpSpot(p.cell, p.work)
	}
	if p.vpn != nil && r.chance(p.vpnShare) {
		sp = p.vpn // the VPN carries everything, mail programs too
	}
	return d, sp
}

func cmpSpot(a, b *spot) *spot {
	if a != nil {
		return a
	}
	return b
}

// trip is a journey abroad: a flight out (unless the person was already
// abroad at signup), days at a hotel, and a flight back (unless the
// scenario ends first).
type trip struct {
	depart, land time.Time // the outward flight; zero: abroad already
	back, home   time.Time // the flight back; zero: after the scenario
	tz           string
	hotel        *spot
	local        *spot // a local SIM, or nil
	office       *spot // an office visited on weekdays, or nil
	// checked says whether the person was found a regular at departure;
	// cancelled, that they were not and stayed at home.
	checked, cancelled bool
}

// Around a flight the person does not sign in: from half an hour before
// take-off (boarding) to 45 minutes after landing (the airport, the ride).
const (
	boarding = 30 * time.Minute
	arrival  = 45 * time.Minute
)

// phase says where the person is at t: home (0), in the air or at an
// airport (1), or abroad (2).
func (tr *trip) phase(t time.Time) int {
	if !tr.depart.IsZero() && t.Before(tr.depart.Add(-boarding)) {
		return 0
	}
	if !tr.depart.IsZero() && t.Before(tr.land.Add(arrival)) {
		return 1
	}
	if tr.back.IsZero() || t.Before(tr.back.Add(-boarding)) {
		return 2
	}
	if t.Before(tr.home.Add(arrival)) {
		return 1
	}
	return 0
}

// where returns the device and spot of a sign-in of p at t abroad.
func (tr *trip) where(r *rng, p *resident, t time.Time) (device, *spot) {
	local := t.Add(time.Duration(tzOffset(tr.tz)) * time.Minute).UTC()
	h, wd := local.Hour(), local.Weekday()
	weekend := wd == time.Saturday || wd == time.Sunday
	if tr.office != nil && !weekend && h >= 9 && h < 17 && r.chance(0.6) {
		return pickDevice(r, p.devs), tr.office
	}
	d := pickDevice(r, p.devs)
	if d.carried && tr.local != nil && r.chance(outShare(h, weekend)) {
		return d, tr.local
	}
	return d, tr.hotel
}

// live adds the sign-ins of p from from to to: on the days the person is
// active, a few at the hours people are awake, each from where the person
// is then. tr, if not nil, is a trip; one planned after the learning
// period is called off if the person has not signed in often enough by
// then.
func (s *signer) live(p *resident, from, to time.Time, tr *trip) {
	r := s.r
	if p.fade > 0 {
		to = minTime(to, from.Add(p.fade))
	}
	var first time.Time
	if len(s.out) > 0 {
		first = s.out[0].at
	}
	var times []time.Time
	for day := from; day.Before(to); day = day.Add(24 * time.Hour) {
		end := minTime(day.Add(24*time.Hour), to)
		tz := p.tz
		if tr != nil && !tr.cancelled && tr.phase(day.Add(12*time.Hour)) == 2 {
			tz = tr.tz
		}
		if !r.chance(p.activeP) {
			continue
		}
		k := max(1, int(math.Round(r.lognormal(p.perDay, 0.5))))
		times = times[:0]
		for range k {
			times = append(times, humanTime(r, day, end, tz))
		}
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		for _, t := range times {
			if first.IsZero() {
				first = t
			}
			if tr != nil && !tr.checked && !tr.depart.IsZero() && !t.Before(tr.depart.Add(-boarding)) {
				tr.checked = true
				// Not yet a regular: stays at home.
				tr.cancelled = len(s.out) < learnLogins+2 || tr.depart.Sub(first) < learnTime+24*time.Hour
			}
			if tr != nil && tr.cancelled {
				tr = nil
			}
			var d device
			var sp *spot
			phase := 0
			if tr != nil {
				phase = tr.phase(t)
			}
			switch phase {
			case 1:
				continue
			case 2:
				d, sp = tr.where(r, p, t)
			default:
				d, sp = p.where(r, t, tz)
			}
			s.attempt(t, s.from(sp, t), d)
		}
	}
}

// The learning period the login signals give a new account before a new
// country counts (DESIGN of internal/login): trips of home users are
// planned after it.
const (
	learnTime   = 14 * 24 * time.Hour
	learnLogins = 10
)

// km is the great-circle distance between the cities of two blocks.
func km(a, b Network) float64 {
	const earth = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (b.Lat-a.Lat)*rad, (b.Lon-a.Lon)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earth * math.Asin(math.Sqrt(h))
}

// flightTime is how long a flight between the cities of two blocks takes,
// gate to gate: an airliner's block speed of about 830 km/h over the great
// circle, plus half an hour of taxiing and climbing. New York to London is
// 7.2 hours, Frankfurt to Bengaluru 9.6.
func flightTime(a, b Network) time.Duration {
	return time.Duration((km(a, b)/830 + 0.5) * float64(time.Hour))
}
