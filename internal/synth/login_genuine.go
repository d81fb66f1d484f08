package synth

import (
	"net/netip"
	"slices"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// loginShare is the share of each genuine kind's accounts whose sign-ins
// the stream carries. Most owners sign into a new mailbox several times a
// day, so all of them would be millions of events: the plain cases (home,
// mobile) are sampled thinly, and the hard cases, which look most like a
// campaign to a login signal, in full or in large part. Groups (families,
// labs, offices, cafés) are taken or left whole, and a second account goes
// with its owner's first.
var loginShare = map[string]float64{
	"home": 0.04, "mobile-cgnat": 0.04, "campus": 0.3, "campus-lab": 0.4, "office": 0.4, "office-batch": 1,
	"family-device": 0.25, "commercial-vpn": 0.2, "traveller": 0.5, "expat": 0.3, "internet-cafe": 1,
	"corporate-proxy": 1, "tor-user": 1,
	familyRecovery: 0.25, officeOldBrowser: 1, schoolDomain: 0.1, viralAttachment: 0.04,
}

// tripShare is the share of home and mobile users of the cities routes
// leaves from, among those who signed up early enough, who fly abroad once
// their accounts are learned. They are regulars, and always taken.
const tripShare = 0.06

// routes are the trips home users make, by home city. Delhi, where many
// flights from Frankfurt go, is not in the address plan: Bengaluru stands
// in for it.
var routes = map[string][]string{
	"New York":          {"London"},
	"Frankfurt am Main": {"Bengaluru"},
	"Chicago":           {"London", "Frankfurt am Main"},
	"London":            {"New York", "Singapore"},
	"Berlin":            {"New York"},
	"Seattle":           {"Tokyo"},
	"San Jose":          {"Tokyo", "Singapore"},
	"Paris":             {"Singapore"},
	"Amsterdam":         {"New York"},
	"Singapore":         {"London"},
}

// maxCarrierKm is how far from home a carrier block may be located for a
// person's phone to use it: farther, and the plan has no carrier for the
// city (San Jose), so the phone stays on the home line, rather than jump
// a thousand kilometres between two sign-ins.
const maxCarrierKm = 600

// signins is one run of the login generator.
type signins struct {
	g *gen
	// people are the habits of the owners of the accounts taken, by the
	// person's first account; taken says whether an account was.
	people map[string]*resident
	taken  map[string]bool
	// groups says whether a group was taken; spots are a group's shared
	// places (one family line, one lab's egress).
	groups   map[*group]bool
	spots    map[*group]*spot
	machines map[netip.Prefix][]device
	// trips are the people's trips, by the person's first account, which
	// a second account's sign-ins follow.
	trips map[string]*trip
}

// logins adds the sign-ins of every account (see Config.Logins): the
// genuine population's, the campaigns', and established accounts'.
func (g *gen) logins() {
	sg := &signins{
		g: g, people: map[string]*resident{}, taken: map[string]bool{}, groups: map[*group]bool{},
		spots: map[*group]*spot{}, machines: map[netip.Prefix][]device{}, trips: map[string]*trip{},
	}
	// About three and a half sign-ins a signup: grow once, not by steps.
	g.out = slices.Grow(g.out, 4*g.signups)
	byCampaign := map[string][]record{}
	for i := range g.signups {
		rec := g.out[i] // a copy: g.out grows below
		if rec.label.Campaign != "" {
			byCampaign[rec.label.Campaign] = append(byCampaign[rec.label.Campaign], rec)
			continue
		}
		sg.genuine(rec)
	}
	for _, c := range g.cfg.Campaigns {
		k, accts := g.kits[c.ID], byCampaign[c.ID]
		switch c.Type {
		case BotWave:
			g.botWaveLogins(k, accts)
		case ITWorkerFarm:
			g.itWorkerLogins(k, accts)
		case SlowWave:
			g.slowWaveLogins(k, accts)
		case LaptopFarm:
			g.laptopFarmLogins(k, accts)
		case Operation:
			g.operationLogins(k, accts)
		}
	}
	sg.established()
	sg.crowds()
}

// genuine adds the sign-ins of one genuine account, if its kind's sample
// takes it.
func (sg *signins) genuine(rec record) {
	g := sg.g
	su, l, lf := rec.ev.Signup, rec.label, rec.life
	if lf == nil {
		return
	}
	r := newRNG(g.cfg.Seed, "login/"+l.AccountID)
	var taken bool
	switch {
	case lf.owner != "":
		taken = sg.taken[lf.owner]
	case lf.group != nil:
		t, ok := sg.groups[lf.group]
		if !ok {
			t = newRNG(g.cfg.Seed, "login/group/"+l.AccountID).chance(loginShare[l.Kind])
			sg.groups[lf.group] = t
		}
		taken = t
	default:
		taken = r.chance(loginShare[l.Kind])
	}
	travels := false
	if l.Kind == "home" || l.Kind == "mobile-cgnat" {
		n, _ := Lookup(su.IP)
		early := su.CreatedAt.Before(g.end.Add(-learnTime - 36*time.Hour - 4*24*time.Hour))
		travels = r.chance(tripShare) && early && len(routes[n.City]) > 0
		taken = taken || travels
	}
	sg.taken[l.AccountID] = taken
	if !taken {
		return
	}
	p := sg.people[lf.owner]
	if p == nil {
		p = sg.resident(r, su, l, lf)
		sg.people[l.AccountID] = p
	}
	if travels {
		p.perDay, p.activeP, p.fade = max(p.perDay, 2), 0.9, 0
	}
	s := g.newSigner(r, l, rec.ev.Time.Add(30*time.Second))
	// The first sign-in is from where the account was made, on the same
	// device (the form signs its new owner in), most within the hour. A
	// second account's owner, signed in already, comes back to it later,
	// from wherever the owner is then.
	first := su.CreatedAt.Add(30*time.Second + time.Duration(r.lognormal(float64(12*time.Minute), 1.2)))
	if lf.owner == "" {
		d := signupDevice(su)
		if l.Kind == "family-device" && lf.member >= 3 {
			d = p.devs[0] // the family computer is the first three's
		}
		s.attempt(first, su.IP, d)
	}
	var tr *trip
	switch {
	case lf.owner != "":
		if o := sg.trips[lf.owner]; o != nil && !o.cancelled {
			c := *o
			c.checked = true // the owner's trip: they are a regular
			tr = &c
		}
	case l.Kind == "traveller":
		tr = sg.away(r, su, p)
	case travels:
		tr = sg.plan(r, p, first, g.end)
	}
	sg.trips[l.AccountID] = tr
	s.live(p, first.Add(time.Hour), g.end, tr)
	s.flush()
}

// habits draws how often a person signs in: most every day, several times;
// a quarter now and then; some try the new mailbox for a few days and
// leave it.
func habits(r *rng, p *resident) {
	switch r.weighted(62, 26, 12) {
	case 0:
		p.perDay, p.activeP = min(max(r.lognormal(2.2, 0.4), 1), 8), r.uniform(0.8, 0.97)
	case 1:
		p.perDay, p.activeP = r.uniform(1, 1.6), r.uniform(0.15, 0.45)
	default:
		p.perDay, p.activeP, p.fade = r.uniform(1, 2), 0.6, time.Duration(r.between(1, 4))*24*time.Hour
	}
}

// resident draws the habits of the owner of a genuine account from its
// signup and what the signup generator noted.
func (sg *signins) resident(r *rng, su *event.Signup, l Label, lf *life) *resident {
	g := sg.g
	n, _ := Lookup(su.IP)
	p := &resident{loc: lf.loc, tz: n.TimeZone, city: n}
	habits(r, p)
	own := signupDevice(su)
	homeAt := func(res Network, ip netip.Addr) {
		p.home = g.homeSpot(r, res, ip)
		p.city, p.tz = res, res.TimeZone
	}
	switch l.Kind {
	case "mobile-cgnat":
		p.cell = g.cellSpot(r, n, su.IP)
		if res := g.inCity(Residential, n.City); len(res) > 0 && r.chance(0.55) {
			rn := pick(r, res)
			p.home = g.homeSpot(r, rn, randomHost(r, rn))
		}
		p.devs = personalDevices(r, lf.loc, own, p.home != nil)
	case "campus", "campus-lab":
		p.work, p.workFrom, p.workTo, p.workShare = g.natSpot(n, pairedNAT), 8, 22, 0.8
		p.workDevs, p.workDevShare = sg.labMachines(n), 0.08
		if lf.group != nil {
			p.work = sg.groupSpot(lf.group, func() *spot {
				pool := append([]netip.Addr(nil), lf.group.ips...)
				for _, a := range g.pools[n.Prefix] {
					if !containsAddr(pool, a) {
						pool = append(pool, a)
					}
				}
				return &spot{net: n, pool: pool, stick: pairedNAT}
			})
			for _, c := range lf.group.devices {
				p.workDevs = append(p.workDevs, deviceOfClient(c, 2))
			}
			p.workDevShare = 0.12
			own = deviceOfClient(clientOf(r, lf.loc, desktop, false), 1) // the lab's machine is not theirs
		}
		if res := g.inCity(Residential, n.City); len(res) > 0 && r.chance(0.55) {
			rn := pick(r, res)
			p.home = g.homeSpot(r, rn, randomHost(r, rn))
		} else {
			p.home = p.work // a dormitory on the campus network
		}
		p.cell = sg.carrierNear(r, n)
		p.devs = personalDevices(r, lf.loc, own, false)
	case "office", "office-batch", officeOldBrowser:
		p.work, p.workFrom, p.workTo, p.workShare = fixedSpot(n, su.IP), 8, 18, 0.85
		desk := own
		if l.Kind == "office-batch" {
			desk = deviceOfClient(clientOf(r, lf.loc, desktop, false), 1) // the new starter's own desk
		}
		p.workDevs, p.workDevShare = []device{desk}, 0.85
		if res := g.inCity(Residential, n.City); len(res) > 0 {
			rn := pick(r, res)
			p.home = g.homeSpot(r, rn, randomHost(r, rn))
		}
		p.cell = sg.carrierNear(r, n)
		p.devs = []device{phoneOf(r, lf.loc, 1)}
		if r.chance(0.3) {
			p.devs = append(p.devs, deviceOfClient(clientOf(r, lf.loc, desktop, false), 0.6))
		}
	case "family-device", familyRecovery:
		p.home = sg.groupSpot(lf.group, func() *spot {
			return g.homeSpot(newRNG(g.cfg.Seed, "login/home/"+l.AccountID), n, su.IP)
		})
		p.cell = sg.carrierNear(r, n)
		if l.Kind == familyRecovery { // each on devices of their own
			p.devs = personalDevices(r, lf.loc, own, true)
			break
		}
		p.devs = []device{phoneOf(r, lf.loc, 0.8)}
		if lf.member < 3 {
			p.devs = append([]device{deviceOfClient(lf.group.shared, 1)}, p.devs...)
		} else {
			p.devs = append([]device{deviceOfClient(clientOf(r, lf.loc, desktop, false), 1)}, p.devs...)
		}
	case "internet-cafe":
		p.work, p.workFrom, p.workTo, p.workWeekend, p.workShare = fixedSpot(n, su.IP), 9, 21, true, 0.3
		for _, c := range lf.group.devices {
			p.workDevs = append(p.workDevs, deviceOfClient(c, 1))
		}
		p.workDevShare = 0.75
		p.cell = sg.carrierNear(r, n)
		p.devs = []device{phoneOf(r, lf.loc, 1)}
		if p.cell == nil {
			p.devs = nil // no phone of theirs signs in: only the café's PCs
		}
	case "commercial-vpn":
		homeAt(lf.home, randomHost(r, lf.home))
		p.cell = sg.carrierNear(r, lf.home)
		exits := []Network{n}
		for range r.between(1, 3) {
			if e := g.vpnExit(r, lf.loc.country); !containsCountry(exits, e.Country) {
				exits = append(exits, e)
			}
		}
		p.vpn, p.vpnShare = exitSpot(exits, time.Duration(r.between(2, 10))*time.Hour), r.uniform(0.5, 0.95)
		p.devs = personalDevices(r, lf.loc, own, true)
	case "traveller":
		homeAt(lf.home, randomHost(r, lf.home))
		p.cell = sg.carrierNear(r, lf.home)
		p.devs = personalDevices(r, lf.loc, own, true)
	case "corporate-proxy":
		p.work, p.workFrom, p.workTo, p.workShare = g.natSpot(n, 3*time.Hour), 8, 19, 0.9
		p.workDevs, p.workDevShare = []device{own}, 0.9
		if res, ok := g.nearest(Residential, n, 2000); ok {
			homeAt(res, randomHost(r, res))
		}
		p.tz = n.TimeZone
		p.cell = sg.carrierNear(r, p.city)
		p.devs = []device{phoneOf(r, lf.loc, 1)}
	case "tor-user":
		p.home = exitSpot(shuffled(r, g.networks(Tor, "", false)), time.Hour)
		p.devs = []device{own}
		p.perDay, p.activeP = r.uniform(1, 1.5), r.uniform(0.3, 0.6)
	default: // home, expat, and anything else that signed up from home or a phone
		if n.Role == Mobile {
			p.cell = g.cellSpot(r, n, su.IP)
			if res := g.inCity(Residential, n.City); len(res) > 0 && r.chance(0.5) {
				rn := pick(r, res)
				p.home = g.homeSpot(r, rn, randomHost(r, rn))
			}
		} else {
			p.home = g.homeSpot(r, n, su.IP)
			p.cell = sg.carrierNear(r, n)
		}
		p.devs = personalDevices(r, lf.loc, own, p.home != nil)
	}
	if len(p.devs) == 0 && len(p.workDevs) == 0 {
		p.devs = []device{own}
	}
	return p
}

func containsAddr(xs []netip.Addr, a netip.Addr) bool {
	for _, x := range xs {
		if x == a {
			return true
		}
	}
	return false
}

func containsCountry(ns []Network, country string) bool {
	for _, n := range ns {
		if n.Country == country {
			return true
		}
	}
	return false
}

// groupSpot returns the place a group's members share, made by mk for the
// first of them.
func (sg *signins) groupSpot(gr *group, mk func() *spot) *spot {
	if sp := sg.spots[gr]; sp != nil {
		return sp
	}
	sp := mk()
	sg.spots[gr] = sp
	return sp
}

// personalDevices draws a person's one to three devices beside the one
// the account was made on: a phone for most people who signed up on a
// computer, a computer for half of those who signed up on a phone, for
// some a mail program (IMAP) at home or a tablet.
func personalDevices(r *rng, loc *locale, own device, atHome bool) []device {
	devs := []device{own}
	switch {
	case own.carried:
		if r.chance(0.5) {
			devs = append(devs, deviceOfClient(clientOf(r, loc, desktop, false), 0.6))
		}
	case r.chance(0.75):
		devs = append(devs, phoneOf(r, loc, 0.9))
	}
	if atHome && len(devs) < 3 && r.chance(0.08) {
		hasComputer := false
		for _, d := range devs {
			hasComputer = hasComputer || !d.carried
		}
		if hasComputer {
			devs = append(devs, device{id: newDeviceID(r), ua: pick(r, imapClients[:]), protocol: "imap", weight: 1.2})
		} else {
			devs = append(devs, device{id: newDeviceID(r), ua: phoneMailUA, protocol: "imap", carried: true, weight: 1.2})
		}
	}
	if len(devs) < 3 && r.chance(0.04) {
		devs = append(devs, device{id: newDeviceID(r), ua: "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1", protocol: "web", weight: 0.3})
	}
	return devs
}

// phoneOf draws a person's phone: the mail app mostly, else the browser.
func phoneOf(r *rng, loc *locale, weight float64) device {
	ff := mobileWeb
	if r.chance(0.6) {
		ff = app
	}
	d := deviceOfClient(clientOf(r, loc, ff, r.chance(loc.androidShare)), weight)
	d.carried = true
	return d
}

// inCity returns the IPv4 blocks of role in a city.
func (g *gen) inCity(role Role, city string) []Network {
	var out []Network
	for _, n := range g.networks(role, "", false) {
		if n.City == city {
			out = append(out, n)
		}
	}
	return out
}

// nearest returns the IPv4 block of role in from's country nearest to
// from's city, if one lies within maxKm.
func (g *gen) nearest(role Role, from Network, maxKm float64) (Network, bool) {
	var best Network
	bestKm := maxKm + 1
	for _, n := range g.networks(role, from.Country, false) {
		if d := km(from, n); d < bestKm {
			best, bestKm = n, d
		}
	}
	return best, bestKm <= maxKm
}

// carrierNear is the carrier of a person living in n's city: a mobile
// block of the country near it, IPv6 where the carrier has it and the
// person's line does.
func (sg *signins) carrierNear(r *rng, n Network) *spot {
	g := sg.g
	c, ok := g.nearest(Mobile, n, maxCarrierKm)
	if !ok {
		return nil
	}
	if n.Prefix.Addr().Is6() || r.chance(v6Share(n.Country)/2) {
		for _, v6 := range g.networks(Mobile, n.Country, true) {
			if v6.City == c.City {
				return g.cellSpot(r, v6, netip.Addr{})
			}
		}
	}
	return g.cellSpot(r, c, netip.Addr{})
}

// labMachines are a campus's public lab PCs, one image, shared by every
// student who sits down at them.
func (sg *signins) labMachines(n Network) []device {
	if ms, ok := sg.machines[n.Prefix]; ok {
		return ms
	}
	r := newRNG(sg.g.cfg.Seed, "login/lab-machines/"+n.Prefix.String())
	ua := windowsChromeUA(chromeVersion(r))
	ms := make([]device, r.between(8, 20))
	for i := range ms {
		ms[i] = device{id: newDeviceID(r), ua: ua, protocol: "web", weight: 1}
	}
	sg.machines[n.Prefix] = ms
	return ms
}

// hotel returns the address of one of a few hotels on block n: guests of
// one hotel share its line.
func (g *gen) hotel(r *rng, n Network) netip.Addr {
	return g.hotelAddr(n, r.intn(hotelsPerBlock))
}

// hotelsPerBlock is how many hotels a residential block has.
const hotelsPerBlock = 6

// hotelAddr is the line of the k-th hotel of block n.
func (g *gen) hotelAddr(n Network, k int) netip.Addr {
	hosts := uint64(1)<<(32-n.Prefix.Bits()) - 2
	return n.Addr(int(hash64(g.cfg.Seed, "hotels/"+n.Prefix.String(), uint64(k)) % hosts))
}

// localTime draws an instant in [from, to) between the local hours lo and
// hi of zone tz.
func localTime(r *rng, from, to time.Time, tz string, lo, hi int) time.Time {
	for range 200 {
		t := from.Add(r.duration(to.Sub(from)))
		if h := localHour(t, tz); h >= lo && h < hi {
			return t
		}
	}
	return from
}

// plan draws a regular's trip abroad, from one of routes: a flight out
// once the account is learned, three to nine days at a hotel (some with a
// local SIM), a flight back if the scenario lasts.
func (sg *signins) plan(r *rng, p *resident, from, to time.Time) *trip {
	g := sg.g
	earliest, latest := from.Add(learnTime+36*time.Hour), to.Add(-3*24*time.Hour)
	if !earliest.Before(latest) {
		return nil
	}
	dest := g.inCity(Residential, pick(r, routes[p.city.City]))
	if len(dest) == 0 {
		return nil
	}
	dn := pick(r, dest)
	fl := flightTime(p.city, dn)
	depart := localTime(r, earliest, latest, p.tz, 7, 23)
	tr := &trip{depart: depart, land: depart.Add(fl), tz: dn.TimeZone, hotel: fixedSpot(dn, g.hotel(r, dn))}
	if mob := g.inCity(Mobile, dn.City); len(mob) > 0 && r.chance(0.35) {
		tr.local = g.cellSpot(r, pick(r, mob), netip.Addr{})
	}
	stay := time.Duration(r.between(3, 9)) * 24 * time.Hour
	back := localTime(r, tr.land.Add(stay), tr.land.Add(stay+24*time.Hour), dn.TimeZone, 7, 23)
	if back.Add(fl).Before(to) {
		tr.back, tr.home = back, back.Add(fl)
	}
	return tr
}

// away is the trip a traveller was on when they signed up: the rest of it
// where the signup was made, then the flight home.
func (sg *signins) away(r *rng, su *event.Signup, p *resident) *trip {
	g := sg.g
	n, _ := Lookup(su.IP)
	tr := &trip{tz: n.TimeZone}
	hotels := g.inCity(Residential, n.City)
	switch {
	case n.Role == Residential:
		tr.hotel = fixedSpot(n, su.IP)
	case n.Role == Mobile:
		tr.local = g.cellSpot(r, n, su.IP)
	default:
		tr.office = fixedSpot(n, su.IP)
	}
	if tr.hotel == nil && len(hotels) > 0 {
		hn := pick(r, hotels)
		tr.hotel = fixedSpot(hn, g.hotel(r, hn))
	}
	if tr.hotel == nil {
		tr.hotel = cmpSpot(tr.local, tr.office)
	}
	fl := flightTime(n, p.city)
	back := localTime(r, su.CreatedAt.Add(24*time.Hour), su.CreatedAt.Add(8*24*time.Hour), n.TimeZone, 7, 23)
	if back.Add(fl).Before(g.end) {
		tr.back, tr.home = back, back.Add(fl)
	}
	return tr
}

// established adds accounts older than the scenario, which only sign in:
// students of every campus, on its network on weekdays (a few on the
// public lab machines) and from home or the carrier otherwise, and the
// staff of a large office on each business block, so that these addresses
// carry hundreds of accounts, mostly old, beside the new ones. Campuses
// are as big as their country's share of users, as their new students are.
// An office that keeps an old browser (a look-alike) has old staff on it
// too.
func (sg *signins) established() {
	g := sg.g
	campuses := g.networks(Campus, "", false)
	weight := 0.0
	for _, n := range campuses {
		weight += g.loc[n.Country].weight
	}
	students := float64(min(max(g.cfg.GenuinePerDay/10, 10), 150) * len(campuses))
	for _, n := range campuses {
		nat, machines := g.natSpot(n, pairedNAT), sg.labMachines(n)
		for k := range max(int(students*g.loc[n.Country].weight/weight), 5) {
			r, s := g.establishedSigner("established/"+n.Prefix.String(), uint64(k))
			loc := g.loc[n.Country]
			if r.chance(0.15) {
				loc = g.pickLocale(r)
			}
			p := &resident{
				loc: loc, tz: n.TimeZone, city: n, work: nat, workFrom: 8, workTo: 22, workShare: 0.85,
				workDevs: machines, workDevShare: 0.08, perDay: r.uniform(1, 1.5), activeP: r.uniform(0.25, 0.55),
			}
			p.devs = []device{phoneOf(r, loc, 0.8)}
			if r.chance(0.8) {
				p.devs = append(p.devs, deviceOfClient(clientOf(r, loc, desktop, false), 1))
			}
			if res := g.inCity(Residential, n.City); len(res) > 0 && r.chance(0.5) {
				rn := pick(r, res)
				p.home = g.homeSpot(r, rn, randomHost(r, rn))
			} else {
				p.home = nat
			}
			p.cell = sg.carrierNear(r, n)
			s.live(p, g.cfg.Start, g.end, nil)
			s.flush()
		}
	}
	staff := min(max(g.cfg.GenuinePerDay/15, 5), 100)
	for _, n := range g.networks(Business, "", false) {
		egress := g.natSpot(n, 0) // one office, one address for good
		for k := range staff {
			r, s := g.establishedSigner("established/"+n.Prefix.String(), uint64(k))
			sg.officeStaff(r, s, n, egress, deviceOfClient(clientOf(r, g.loc[n.Country], desktop, false), 1))
		}
	}
	// The offices that keep an old browser have staff of years on it.
	seen := map[*group]bool{}
	for i := range g.signups {
		lf := g.out[i].life
		if g.out[i].label.Kind != officeOldBrowser || lf == nil || seen[lf.group] {
			continue
		}
		office := lf.group
		seen[office] = true
		place := "established/old-browser/" + office.ips[0].String()
		egress := fixedSpot(office.net, office.ips[0])
		for k := range newRNG(g.cfg.Seed, place).between(5, 20) {
			r, s := g.establishedSigner(place, uint64(k))
			desk := device{id: newDeviceID(r), ua: office.shared.ua, protocol: "web", weight: 1}
			sg.officeStaff(r, s, office.net, egress, desk)
		}
	}
}

// officeStaff adds the sign-ins of an established account of a member of
// staff of an office on block n: at its egress on most weekdays, mostly
// at their desk, else on their phone, from home or the carrier.
func (sg *signins) officeStaff(r *rng, s *signer, n Network, egress *spot, desk device) {
	g := sg.g
	loc := g.loc[n.Country]
	p := &resident{
		loc: loc, tz: n.TimeZone, city: n, work: egress, workFrom: 8, workTo: 18, workShare: 0.9,
		workDevs: []device{desk}, workDevShare: 0.85, perDay: r.uniform(1.2, 2.5), activeP: r.uniform(0.5, 0.85),
	}
	p.devs = []device{phoneOf(r, loc, 1)}
	if res := g.inCity(Residential, n.City); len(res) > 0 {
		rn := pick(r, res)
		p.home = g.homeSpot(r, rn, randomHost(r, rn))
	}
	p.cell = sg.carrierNear(r, n)
	s.live(p, g.cfg.Start, g.end, nil)
	s.flush()
}

// establishedSigner makes the k-th established account of a place.
func (g *gen) establishedSigner(place string, k uint64) (*rng, *signer) {
	id := g.streamAccountID(place, k)
	g.established = append(g.established, id)
	r := newRNG(g.cfg.Seed, "login/"+id)
	return r, g.newSigner(r, Label{AccountID: id, Kind: Established}, g.cfg.Start)
}
