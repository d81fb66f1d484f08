package synth

import (
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Look-alikes: genuine accounts tied together the way a campaign's
// personas are, one kind of tie each, for whatever links accounts to be
// held to. A family's members give one parent's phone or address for
// recovery; an office's staff share its line and one old browser build;
// a school's students give recovery addresses at the school's odd little
// domain; new mailboxes pass on the same picture or flyer that old ones
// do (with Messages).
//
// They are a small share of the genuine signups, about one in a hundred,
// on top of GenuinePerDay's. They draw from streams of their own
// ("lookalike/KIND") and are emitted after the campaigns, with ids of
// their own, so that adding them left every other account as it was, and
// the campaigns change none of them. They form over a week or more: a
// shorter scenario has none.

// The kinds of look-alike account.
const (
	familyRecovery   = "family-recovery"
	officeOldBrowser = "office-old-browser"
	schoolDomain     = "school-domain"
	viralAttachment  = "viral-attachment"
)

// lookAlikeDays is the shortest scenario, in days, that has look-alikes.
const lookAlikeDays = 7

// lookAlike is one kind of look-alike group: its share of the genuine
// signups (members counted), the sizes of its groups, and what emits one
// group of a size.
type lookAlike struct {
	kind  string
	share float64
	size  [2]int
	emit  func(r *rng, size int)
}

// lookAlikeKinds lists the kinds of look-alike, in the order they are
// emitted.
func (g *gen) lookAlikeKinds() []lookAlike {
	return []lookAlike{
		{familyRecovery, 0.003, [2]int{2, 5}, g.familyRecovery},
		{officeOldBrowser, 0.001, [2]int{5, 15}, g.officeOldBrowser},
		{schoolDomain, 0.002, [2]int{8, 30}, g.schoolDomain},
		{viralAttachment, 0.002, [2]int{1, 1}, func(r *rng, _ int) { g.atHome(r, viralAttachment) }},
	}
}

// lookAlikes emits the look-alike groups of the scenario, with ids of
// their own.
func (g *gen) lookAlikes() {
	n := g.cfg.GenuinePerDay * g.cfg.Days
	if g.cfg.Days < lookAlikeDays || n == 0 {
		return
	}
	g.idStream = "lookalike"
	defer func() { g.idStream = "" }()
	for _, la := range g.lookAlikeKinds() {
		r := newRNG(g.cfg.Seed, "lookalike/"+la.kind)
		for range groupCount(n, la.share, float64(la.size[0]+la.size[1])/2) {
			la.emit(r, r.between(la.size[0], la.size[1]))
		}
	}
}

// window draws the days of a group that forms over about span: a stretch
// of the scenario that long (or the whole scenario, if shorter).
func (g *gen) window(r *rng, span time.Duration) (from, to time.Time) {
	span = min(span, g.end.Sub(g.cfg.Start))
	from = g.cfg.Start.Add(r.duration(g.end.Sub(g.cfg.Start) - span))
	return from, from.Add(span)
}

// familyRecovery is a household whose members open mailboxes days apart
// at home, each on a phone or computer of their own, all with one
// parent's phone or other address for recovery.
func (g *gen) familyRecovery(r *rng, size int) {
	loc := g.pickLocale(r)
	n := g.homeNetwork(r, Residential, loc.country)
	ip := randomHost(r, n)
	parent := newPerson(r, loc, 30, 60, g.year)
	var phone, email string
	if r.chance(0.6) {
		phone = loc.phone(r)
	} else {
		d := pickW(r, loc.mailDomains)
		email = parent.emailLocal(r, d) + "@" + d
	}
	from, to := g.window(r, time.Duration(size)*3*24*time.Hour)
	times := []time.Time{humanTime(r, from, from.Add(to.Sub(from)/time.Duration(size)), n.TimeZone)}
	for range size - 1 {
		times = append(times, humanTime(r, times[0], to, n.TimeZone))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	home := &group{net: n, ips: []netip.Addr{ip}}
	for i, at := range times {
		p := g.relative(r, parent, i)
		addr := ip
		if ip.Is6() { // another device's privacy address on the home /64
			addr = v6In(netip.PrefixFrom(ip, 64), 0, r.u64())
		}
		d := g.base(r, p, at, addr, n.TimeZone, genuineClient(r, loc, false), familyRecovery)
		if phone != "" {
			d.recPhone = phone
		} else {
			d.recEmail = email
		}
		g.emit(r, d)
		g.lastRecord().life = &life{loc: loc, group: home, member: i}
	}
}

// officeOldBrowser is an office that keeps every desk on one old browser
// build (an in-house application needs it): over a few weeks its new
// staff open mailboxes from the office's line, each at a desk of their
// own, all with the same rare user agent.
func (g *gen) officeOldBrowser(r *rng, size int) {
	n := pick(r, g.networks(Business, "", false))
	loc := g.loc[n.Country]
	ip := randomHost(r, n) // one small office of the block
	ua := oldBrowserUA(r)
	from, to := g.window(r, time.Duration(r.between(14, 28))*24*time.Hour)
	office := &group{net: n, ips: []netip.Addr{ip}, shared: client{ua: ua, channel: "web"}}
	for range size {
		p := newPerson(r, loc, 20, 65, g.year)
		d := g.base(r, p, workTime(r, from, to, n.TimeZone, 8, 18), ip, n.TimeZone,
			client{ua: ua, channel: "web", id: newDeviceID(r)}, officeOldBrowser)
		d.display = p.fullName()
		g.emit(r, d)
		g.lastRecord().life = &life{loc: loc, group: office}
	}
}

// oldBrowserUA is a browser build an office keeps long after it was
// replaced: Chrome's last for Windows 7, a Firefox ESR, Internet Explorer,
// an early Chromium Edge with its full build number.
func oldBrowserUA(r *rng) string {
	switch r.intn(4) {
	case 0:
		return "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"
	case 1:
		v := pick(r, []int{78, 91, 102, 115})
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", v, v)
	case 2:
		return "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
	}
	cv := r.between(80, 99)
	return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36 Edg/%d.0.%d.%d",
		cv, r.between(4000, 4900), r.between(50, 200), cv, r.between(800, 1100), r.between(30, 80))
}

// schoolDomain is the students of a school that gives each an address at
// a small domain of its own, which they give for recovery: a short odd
// name that looks like a throwaway service's. They sign up from home or
// their phones, in the school's town, a few a week.
func (g *gen) schoolDomain(r *rng, size int) {
	loc := g.pickLocale(r)
	town := g.homeNetwork(r, Residential, loc.country).City
	domain := schoolMailDomain(r)
	scheme := r.intn(3)
	for range size {
		p := newPerson(r, loc, 13, 18, g.year)
		role := Residential
		if r.chance(0.35) {
			role = Mobile
		}
		nets := g.inCity(role, town)
		if len(nets) == 0 {
			nets = g.networks(role, loc.country, false)
		}
		n := pick(r, nets)
		ip := randomHost(r, n)
		if role == Mobile {
			ip = g.pooled(r, n)
		}
		tz := localTZ(r, n)
		d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, tz), ip, tz, genuineClient(r, loc, role == Mobile), schoolDomain)
		switch scheme {
		case 0:
			d.recEmail = p.firstA + "." + p.lastA
		case 1:
			d.recEmail = initial(p.firstA) + p.lastA + fmt.Sprintf("%02d", (g.year+r.between(0, 5))%100) // the class
		default: // the student number
			d.recEmail = "s" + r.digits(6)
		}
		d.recEmail = tidyLocal(d.recEmail) + "@" + domain
		g.emit(r, d)
		g.lastRecord().life = &life{loc: loc}
	}
}

// schoolMailDomain makes up a school's mail domain: a few letters and a
// number or an abbreviation, at a cheap top-level domain; never one of
// the disposable services'.
func schoolMailDomain(r *rng) string {
	for {
		d := r.letters(r.between(2, 4)) + pick(r, []string{r.digits(r.between(1, 3)), "k12", "hs", "sd", "stu", "edu"}) +
			"." + pick(r, []string{"net", "org", "us", "email", "cc", "io", "link", "xyz", "co"})
		if !slices.Contains(disposableDomains[:], d) {
			return d
		}
	}
}
