package synth

import (
	"math"
	"net/netip"
	"slices"
	"time"
)

// Crowds: the established accounts at the places new mailboxes share.
//
// A carrier's NAT address, a hotel's line, an internet café's line, a
// lab's or an office's egress is used by many accounts years old beside
// the few new ones: thousands of subscribers behind a carrier's address,
// hotel guests whose mailboxes are mostly old, walk-in customers, senior
// students, staff. The stream samples the new mailboxes' sign-ins (a few
// in a hundred home users), so it carries a sample of these crowds too,
// sized to the new mailboxes it carries at each place: over any week, the
// established accounts that begin signing in there are at least
// crowdRatio times the new mailboxes that sign in there. That ratio is
// what a login signal sees, and in the world it is far larger. Only their
// sign-ins at these places are carried: the rest of a subscriber's
// carrier range, a guest's home line, are left out for volume.

// crowdRatio is how many established accounts begin signing in at a
// shared place in a week, at least, for each new mailbox signing in there.
const crowdRatio = 2

// crowd kinds: what a place is, which says how its established people
// come and go.
const (
	crowdCarrier = iota // a carrier's shared NAT address: subscribers rotate through it
	crowdHotel          // a hotel's line: guests stay a few nights
	crowdCafe           // an internet café's line: walk-ins, some of whom come back
	crowdLab            // a lab's own NAT address: students of other years, on weekdays
	crowdOffice         // an office's egress: the staff, on weekdays
)

// venue is one shared address and what signs in there.
type venue struct {
	kind int
	net  Network
	ip   netip.Addr
	// devices are the place's own machines (a café's PCs, a lab's), if any.
	devices []device
	// young are the new genuine mailboxes signing in there, by day of the
	// scenario.
	young []map[string]bool
}

// crowds adds the established crowds of every shared place that new
// genuine mailboxes sign in at. It runs after the genuine accounts'
// sign-ins, which it counts, and draws from streams of its own, so that
// the signups and every other account's sign-ins stay as they were.
func (sg *signins) crowds() {
	g := sg.g
	days := g.cfg.Days
	venues := map[netip.Addr]*venue{}
	var order []*venue // deterministic: the order places are found in
	add := func(kind int, n Network, ip netip.Addr, devs []device) {
		if _, ok := venues[ip]; ok || !ip.Is4() {
			return
		}
		v := &venue{kind: kind, net: n, ip: ip, devices: devs}
		venues[ip] = v
		order = append(order, v)
	}
	for _, n := range g.networks(Mobile, "", false) {
		for _, ip := range g.pools[n.Prefix] {
			add(crowdCarrier, n, ip, nil)
		}
	}
	for _, n := range g.networks(Residential, "", false) {
		for k := range hotelsPerBlock {
			add(crowdHotel, n, g.hotelAddr(n, k), nil)
		}
	}
	for i := range g.signups {
		rec := &g.out[i]
		lf := rec.life
		if lf == nil || lf.group == nil || !sg.groups[lf.group] {
			continue
		}
		gr := lf.group
		var devs []device
		for _, c := range gr.devices {
			devs = append(devs, deviceOfClient(c, 1))
		}
		switch rec.label.Kind {
		case "internet-cafe":
			add(crowdCafe, gr.net, gr.ips[0], devs)
		case "campus-lab":
			for _, ip := range gr.ips {
				if !containsAddr(g.pools[gr.net.Prefix], ip) { // the campus NAT has its students already
					add(crowdLab, gr.net, ip, devs)
				}
			}
		case "office-batch":
			add(crowdOffice, gr.net, gr.ips[0], []device{deviceOfClient(gr.shared, 1)})
		}
	}
	for _, rec := range g.out[g.signups:] {
		l := rec.ev.Login
		if l == nil || rec.label.Campaign != "" || rec.label.Kind == Established {
			continue
		}
		v := venues[l.IP]
		if v == nil {
			continue
		}
		d := int(l.At.Sub(g.cfg.Start) / (24 * time.Hour))
		if v.young == nil {
			v.young = make([]map[string]bool, days)
		}
		if v.young[d] == nil {
			v.young[d] = map[string]bool{}
		}
		v.young[d][rec.label.AccountID] = true
	}
	subscribers := map[netip.Prefix][]slot{}
	var carriers []Network
	for _, v := range order {
		if v.young == nil {
			continue
		}
		quota := v.quota(days)
		switch v.kind {
		case crowdCarrier:
			if _, ok := subscribers[v.net.Prefix]; !ok {
				carriers = append(carriers, v.net)
			}
			for d, q := range quota {
				for range q {
					subscribers[v.net.Prefix] = append(subscribers[v.net.Prefix], slot{v, d})
				}
			}
		case crowdHotel, crowdCafe:
			k := 0
			for d, q := range quota {
				for range q {
					sg.visitor(v, d, k)
					k++
				}
			}
		default:
			// A lab's and an office's people are there from the start, every
			// weekday or most: as many as the busiest week's new ones, times
			// the ratio.
			most := 0
			for _, q := range v.weeks(days) {
				most = max(most, q)
			}
			for k := range crowdRatio*most + 3 {
				sg.visitor(v, 0, k)
			}
		}
	}
	for _, n := range carriers {
		sg.subscribers(n, subscribers[n.Prefix])
	}
}

// slot is one established account beginning to sign in at a venue on a
// day of the scenario.
type slot struct {
	v   *venue
	day int
}

// weeks returns, for each day, the number of new mailboxes signing in at
// v over the week (seven days, fewer at the start) that ends on it.
func (v *venue) weeks(days int) []int {
	out := make([]int, days)
	seen := map[string]bool{}
	for end := range days {
		clear(seen)
		for d := max(end-6, 0); d <= end; d++ {
			for id := range v.young[d] {
				seen[id] = true
			}
		}
		out[end] = len(seen)
	}
	return out
}

// quota returns how many established accounts begin signing in at v on
// each day: for a day d, of the weeks that hold it, the most new
// mailboxes, times crowdRatio, spread over the days of the week (fewer at
// the scenario's start, where the weeks are short), so that every week,
// short or not, holds crowdRatio times its new mailboxes.
func (v *venue) quota(days int) []int {
	weeks := v.weeks(days)
	out := make([]int, days)
	for d := range days {
		most := 0
		for end := d; end < min(d+7, days); end++ {
			most = max(most, weeks[end])
		}
		out[d] = int(math.Ceil(float64(crowdRatio*most) / float64(min(d+1, 7))))
	}
	return out
}

// establishedAt makes the k-th established account of a place, with a
// device trusted long since: a new address is rarely challenged.
func (g *gen) establishedAt(place string, k int) (*rng, *signer) {
	r, s := g.establishedSigner(place, uint64(k))
	s.newChallengeP = 0.01
	return r, s
}

// visitor adds the sign-ins of the k-th established account of v, which
// begins signing in there on day first: a hotel guest staying a few
// nights, a café's walk-in who may come back, a student or a member of
// staff who signs in there most weekdays.
func (sg *signins) visitor(v *venue, first, k int) {
	g := sg.g
	r, s := g.establishedAt("crowd/"+v.ip.String(), k)
	loc := g.loc[v.net.Country]
	if r.chance(0.3) {
		loc = g.pickLocale(r) // a visitor from abroad, or someone who moved here
	}
	sp := fixedSpot(v.net, v.ip)
	day := func(d int) time.Time { return g.cfg.Start.Add(time.Duration(d) * 24 * time.Hour) }
	phone := phoneOf(r, loc, 1)
	switch v.kind {
	case crowdHotel:
		devs := []device{phone}
		if r.chance(0.5) {
			devs = append(devs, deviceOfClient(clientOf(r, loc, desktop, false), 0.7))
		}
		for d := first; d < min(first+r.between(1, 4), g.cfg.Days); d++ {
			s.visit(sp, day(d), v.net.TimeZone, 7, 23, r.between(1, 2), devs)
		}
	case crowdCafe:
		devs := []device{phone}
		if len(v.devices) > 0 && r.chance(0.75) {
			devs = []device{pick(r, v.devices)}
		}
		for d := first; d < g.cfg.Days; d += r.between(2, 10) {
			s.visit(sp, day(d), v.net.TimeZone, 9, 21, r.between(1, 2), devs)
			if r.chance(0.5) {
				break
			}
		}
	default: // a lab or an office, on weekdays
		devs := []device{deviceOfClient(clientOf(r, loc, desktop, false), 1)}
		if len(v.devices) > 0 {
			devs = v.devices
		}
		p, lo, hi := r.uniform(0.6, 0.9), 8, 18
		if v.kind == crowdLab {
			p, lo, hi = r.uniform(0.15, 0.45), 9, 20
			if r.chance(0.3) {
				devs = append(devs, phone)
			}
		}
		for d := first; d < g.cfg.Days; d++ {
			local := day(d).Add(12 * time.Hour).Add(time.Duration(tzOffset(v.net.TimeZone)) * time.Minute)
			if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday || !r.chance(p) {
				continue
			}
			s.visit(sp, day(d), v.net.TimeZone, lo, hi, r.between(1, 3), devs)
		}
	}
	s.flush()
}

// subscribers adds the established subscribers of carrier n that begin
// signing in at its shared addresses, one slot each: a phone gets
// another address of the carrier's NAT every data session, so over the
// weeks a subscriber passes through several of the busy ones, each once.
func (sg *signins) subscribers(n Network, slots []slot) {
	g := sg.g
	r := newRNG(g.cfg.Seed, "login/subscribers/"+n.Prefix.String())
	byAddr := map[*venue][]int{}
	var vs []*venue
	for _, sl := range slots {
		if _, ok := byAddr[sl.v]; !ok {
			vs = append(vs, sl.v)
		}
		byAddr[sl.v] = append(byAddr[sl.v], sl.day)
	}
	for k := 0; ; k++ {
		// The addresses with the most slots left, so that none is left with
		// many at the end.
		slices.SortStableFunc(vs, func(a, b *venue) int { return len(byAddr[b]) - len(byAddr[a]) })
		for len(vs) > 0 && len(byAddr[vs[len(vs)-1]]) == 0 {
			vs = vs[:len(vs)-1]
		}
		if len(vs) == 0 {
			return
		}
		rs, s := g.establishedAt("subscribers/"+n.Prefix.String(), k)
		loc := g.loc[n.Country]
		devs := []device{phoneOf(rs, loc, 1)}
		stick := time.Duration(rs.lognormal(float64(4*time.Hour), 0.5))
		nets := map[netip.Prefix]bool{} // a /24 once: its first address is where the account begins there
		m := r.between(3, 10)
		for _, v := range vs {
			net := netip.PrefixFrom(v.ip, 24).Masked()
			if len(nets) == m || nets[net] {
				continue
			}
			nets[net] = true
			days := byAddr[v]
			i := r.intn(len(days))
			d := days[i]
			byAddr[v] = slices.Delete(days, i, i+1)
			from := g.cfg.Start.Add(time.Duration(d) * 24 * time.Hour)
			t := localTime(rs, from, from.Add(24*time.Hour), n.TimeZone, 7, 23)
			sp := fixedSpot(n, v.ip)
			for range rs.between(1, 2) {
				s.attempt(t, s.from(sp, t), pickDevice(rs, devs))
				t = t.Add(time.Duration(rs.float() * float64(stick)))
			}
		}
		s.flush()
	}
}

// visit adds n sign-ins from sp on one day (from its start, UTC) between
// the local hours lo and hi of tz.
func (s *signer) visit(sp *spot, day time.Time, tz string, lo, hi, n int, devs []device) {
	for range n {
		t := localTime(s.r, day, day.Add(24*time.Hour), tz, lo, hi)
		s.attempt(t, s.from(sp, t), pickDevice(s.r, devs))
	}
}
