package synth

import (
	"math"
	"net/netip"
	"strings"
	"time"
)

// Shares of genuine accounts by kind. Groups (labs, families, office
// batches, internet cafés) count all their members; home users take what
// the others leave.
const (
	shareMobile         = 0.27
	shareCampus         = 0.02
	shareCampusLab      = 0.015
	shareOffice         = 0.008
	shareOfficeBatch    = 0.002
	shareFamily         = 0.03
	shareVPN            = 0.04
	shareTraveller      = 0.015
	shareExpat          = 0.015
	shareCafe           = 0.005
	shareCorporateProxy = 0.002
	shareTor            = 0.0004
	shareSecondAccount  = 0.012 // of single signups (not groups, Tor or proxy users), who later open another mailbox
)

// v6Share is the share of IPv6 among home and mobile signups of the
// countries whose networks in the plan have IPv6 blocks.
func v6Share(country string) float64 {
	switch country {
	case "US":
		return 0.4
	case "DE", "IN":
		return 0.55
	}
	return 0
}

// groupCount is how many groups of avg members make up share of n
// accounts: one at least if that is five accounts or more.
func groupCount(n int, share, avg float64) int {
	k := int(math.Round(float64(n) * share / avg))
	if k == 0 && float64(n)*share >= 5 {
		k = 1
	}
	return k
}

// genuine generates the genuine population (but for the look-alikes,
// lookalike.go).
func (g *gen) genuine() {
	n := g.cfg.GenuinePerDay * g.cfg.Days
	if n == 0 {
		return
	}
	r := newRNG(g.cfg.Seed, "genuine")
	used := 0
	for range groupCount(n, shareCampusLab, 40) {
		used += g.campusLab(r)
	}
	for range groupCount(n, shareFamily, 3) {
		used += g.family(r)
	}
	for range groupCount(n, shareOfficeBatch, 8) {
		used += g.officeBatch(r)
	}
	for range groupCount(n, shareCafe, 12) {
		used += g.internetCafe(r)
	}
	singles := []struct {
		share float64
		make  func(*rng) bool // reports whether the person may open a second account
	}{
		{shareMobile, g.mobileUser},
		{shareCampus, g.campusUser},
		{shareOffice, g.officeUser},
		{shareVPN, g.vpnUser},
		{shareTraveller, g.traveller},
		{shareExpat, g.expat},
		{shareCorporateProxy, g.corporateProxyUser},
		{shareTor, g.torUser},
	}
	for _, s := range singles {
		k := int(math.Round(float64(n) * s.share))
		for range k {
			g.maybeSecond(r, s.make(r))
		}
		used += k
	}
	for ; used < n; used++ {
		g.maybeSecond(r, g.homeUser(r))
	}
}

// base is what every genuine signup shares: who, when, and the person's own
// choices on the form.
func (g *gen) base(r *rng, p person, at time.Time, ip netip.Addr, tz string, c client, kind string) draft {
	d := draft{
		at: at, local: p.username(r), domain: pick(r, platformDomains[:]), display: p.displayName(r),
		ip: ip, ua: c.ua, lang: pickW(r, p.loc.langs), tz: tz, country: p.loc.country,
		recEmail: p.recoveryEmail(r), recPhone: p.recoveryPhone(r), device: c.id, channel: c.channel,
		formFill: humanFormFill(r), captcha: humanCaptcha(r, 0), kind: kind,
	}
	if c.channel != "web" {
		// The apps send a plain language tag and skip the captcha half the
		// time (they attest the device instead).
		d.lang = strings.SplitN(d.lang, ",", 2)[0]
		if r.chance(0.5) {
			d.captcha = -1
		}
	}
	if r.chance(0.02) {
		d.formFill = -1
	}
	if r.chance(0.03) {
		d.tz = ""
	}
	if r.chance(0.02) {
		d.lang = ""
	}
	if r.chance(0.07) {
		d.country = ""
	}
	return d
}

// lastRecord is the most recent signup, the one a single-person generator
// has just emitted.
func (g *gen) lastRecord() *record { return &g.out[len(g.out)-1] }

// maybeSecond opens, for a few people, a second mailbox days later from the
// same device and with the same recovery contacts.
func (g *gen) maybeSecond(r *rng, eligible bool) {
	if !eligible || !r.chance(shareSecondAccount) {
		return
	}
	first := g.lastRecord().ev.Signup
	at := first.CreatedAt.Add(time.Hour + r.duration(20*24*time.Hour))
	if !at.Before(g.end) {
		return
	}
	local, _, _ := strings.Cut(first.Address, "@")
	if i := strings.IndexAny(local, "0123456789"); i > 3 {
		local = local[:i]
	}
	local = pick(r, []string{local + "." + pick(r, []string{"work", "shop", "biz", "news", "games", "art", "family", "jobs"}),
		local + "2", "the" + local, local + "_" + r.letters(2), pick(r, handleWords[:]) + r.digits(2)})
	d := draft{
		at: at, local: local, domain: pick(r, platformDomains[:]), display: first.DisplayName, ip: first.IP,
		ua: first.UserAgent, lang: first.AcceptLanguage, tz: first.Timezone, country: first.Country,
		recEmail: first.RecoveryEmail, recPhone: first.RecoveryPhone, device: first.DeviceID, channel: first.Channel,
		formFill: humanFormFill(r) * 2 / 3, captcha: humanCaptcha(r, 0), kind: "second-account",
	}
	if r.chance(0.3) {
		d.recEmail = first.Address // the first mailbox recovers the second
	}
	if n, ok := Lookup(first.IP); ok && n.Role == Mobile && n.Prefix.Addr().Is4() {
		d.ip = g.pooled(r, n) // a phone gets another NAT address
	}
	owner := &life{owner: first.AccountID}
	if fl := g.lastRecord().life; fl != nil {
		owner.loc = fl.loc
	}
	g.emit(r, d)
	g.lastRecord().life = owner
}

// pickLocale draws a country by the platform's mix of users.
func (g *gen) pickLocale(r *rng) *locale {
	ws := make([]float64, len(g.locs))
	for i, l := range g.locs {
		ws[i] = l.weight
	}
	return g.locs[r.weighted(ws...)]
}

// homeNetwork picks a residential or mobile block of country.
func (g *gen) homeNetwork(r *rng, role Role, country string) Network {
	v6 := r.chance(v6Share(country)) && len(g.networks(role, country, true)) > 0
	return pick(r, g.networks(role, country, v6))
}

// localTZ is the zone a client in block n reports: the block's, or for a
// few US users a neighbouring zone the block also serves.
func localTZ(r *rng, n Network) string {
	if n.Country == "US" && r.chance(0.04) {
		return pick(r, []string{"America/Detroit", "America/Indiana/Indianapolis", "America/Denver", "America/Phoenix"})
	}
	return n.TimeZone
}

func (g *gen) homeUser(r *rng) bool {
	g.atHome(r, "home")
	return true
}

// atHome is one person's signup at home, labelled kind.
func (g *gen) atHome(r *rng, kind string) {
	loc := g.pickLocale(r)
	n := g.homeNetwork(r, Residential, loc.country)
	tz := localTZ(r, n)
	p := newPerson(r, loc, 13, 85, g.year)
	g.emit(r, g.base(r, p, humanTime(r, g.cfg.Start, g.end, tz), randomHost(r, n), tz, genuineClient(r, loc, false), kind))
	g.lastRecord().life = &life{loc: loc}
}

func (g *gen) mobileUser(r *rng) bool {
	loc := g.pickLocale(r)
	n := g.homeNetwork(r, Mobile, loc.country)
	ip := randomHost(r, n)
	if n.Prefix.Addr().Is4() {
		ip = g.pooled(r, n)
	}
	tz := localTZ(r, n)
	p := newPerson(r, loc, 13, 75, g.year)
	g.emit(r, g.base(r, p, humanTime(r, g.cfg.Start, g.end, tz), ip, tz, genuineClient(r, loc, true), "mobile-cgnat"))
	g.lastRecord().life = &life{loc: loc}
	return true
}

// campusNetwork picks a campus block, weighted by the size of its country's
// user base.
func (g *gen) campusNetwork(r *rng) Network {
	nets := g.networks(Campus, "", false)
	ws := make([]float64, len(nets))
	for i, n := range nets {
		ws[i] = g.loc[n.Country].weight
	}
	return nets[r.weighted(ws...)]
}

// student draws a student of a campus in n: mostly local, some from abroad.
func (g *gen) student(r *rng, n Network) person {
	loc := g.loc[n.Country]
	if r.chance(0.15) {
		loc = g.pickLocale(r)
	}
	return newPerson(r, loc, 18, 27, g.year)
}

func (g *gen) studentRecovery(r *rng, p person, n Network, d *draft) {
	if uni := university(n.ASN); uni != "" && r.chance(0.4) {
		d.recEmail = p.firstA + "." + p.lastA + "@" + uni
		if r.chance(0.5) {
			d.recEmail = initial(p.firstA) + p.lastA + r.digits(r.between(0, 3)) + "@" + uni
		}
	}
}

func (g *gen) campusUser(r *rng) bool {
	n := g.campusNetwork(r)
	p := g.student(r, n)
	d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, n.TimeZone), g.pooled(r, n), n.TimeZone, genuineClient(r, p.loc, false), "campus")
	d.captcha = humanCaptcha(r, 0.15)
	g.studentRecovery(r, p, n, &d)
	g.emit(r, d)
	g.lastRecord().life = &life{loc: p.loc}
	return true
}

// campusLab is a class creating mailboxes in a lab: 20 to 60 signups within
// the hour from one or two campus addresses, from identically imaged
// machines. It returns the number of accounts.
func (g *gen) campusLab(r *rng) int {
	n := g.campusNetwork(r)
	ips := []netip.Addr{g.pooled(r, n)}
	if r.chance(0.4) {
		ips = append(ips, randomHost(r, n)) // the lab's own NAT address
	}
	size := r.between(20, 60)
	t0 := workTime(r, g.cfg.Start, g.end.Add(-time.Hour), n.TimeZone, 9, 17)
	loc := g.loc[n.Country]
	cv := chromeVersion(r)
	labUA := windowsChromeUA(cv)
	if r.chance(0.35) {
		labUA = chromeOSUA(r, cv)
	}
	var machines []string
	if r.chance(0.4) {
		// Imaged machines that fingerprint alike: students share device ids.
		for range r.between(5, 25) {
			machines = append(machines, newDeviceID(r))
		}
	}
	firstLast := r.chance(0.5) // the teacher said "use firstname.lastname"
	window := time.Duration(r.between(15, 55)) * time.Minute
	lab := &group{net: n, ips: ips}
	for _, m := range machines {
		lab.devices = append(lab.devices, client{ua: labUA, channel: "web", id: m})
	}
	for range size {
		p := g.student(r, n)
		c := client{ua: labUA, channel: "web", id: newDeviceID(r)}
		if r.chance(0.1) {
			c = genuineClient(r, p.loc, true) // on their own phone
		} else if machines != nil {
			c.id = pick(r, machines)
		}
		at := t0.Add(time.Duration(r.lognormal(float64(window)/3, 0.6)) % window)
		d := g.base(r, p, at, pick(r, ips), n.TimeZone, c, "campus-lab")
		d.lang = pickW(r, loc.langs) // the lab's browser language
		if p.loc != loc && r.chance(0.5) {
			d.lang = pickW(r, p.loc.langs)
		}
		if firstLast && r.chance(0.7) {
			d.local = p.firstA + "." + p.lastA
		}
		d.formFill = int64(r.lognormal(65000, 0.45))
		d.captcha = humanCaptcha(r, 0.35)
		g.studentRecovery(r, p, n, &d)
		g.emit(r, d)
		g.lastRecord().life = &life{loc: p.loc, group: lab}
	}
	return size
}

func (g *gen) officeUser(r *rng) bool {
	n := pick(r, g.networks(Business, "", false))
	loc := g.loc[n.Country]
	p := newPerson(r, loc, 22, 65, g.year)
	c := clientOf(r, loc, desktop, false)
	if r.chance(0.25) {
		c = genuineClient(r, loc, false)
	}
	// The business blocks are many small offices, one or two addresses each.
	g.emit(r, g.base(r, p, workTime(r, g.cfg.Start, g.end, n.TimeZone, 8, 18), randomHost(r, n), n.TimeZone, c, "office"))
	g.lastRecord().life = &life{loc: loc}
	return true
}

// officeBatch is an office manager creating mailboxes for new staff, one
// after the other from the same desk: same device, same address, the
// manager's phone or address for recovery, a uniform naming scheme.
func (g *gen) officeBatch(r *rng) int {
	n := pick(r, g.networks(Business, "", false))
	loc := g.loc[n.Country]
	admin := newPerson(r, loc, 28, 60, g.year)
	c := clientOf(r, loc, desktop, false)
	ip := randomHost(r, n)
	size := r.between(4, 12)
	at := workTime(r, g.cfg.Start, g.end.Add(-2*time.Hour), n.TimeZone, 9, 17)
	adminPhone := loc.phone(r)
	adminEmail := admin.emailLocal(r, "gmail.com") + "@gmail.com"
	scheme := r.intn(3)
	office := &group{net: n, ips: []netip.Addr{ip}, shared: c}
	for range size {
		p := newPerson(r, loc, 20, 60, g.year)
		d := g.base(r, p, at, ip, n.TimeZone, c, "office-batch")
		d.display = p.fullName()
		d.local = [...]string{p.firstA + "." + p.lastA, initial(p.firstA) + p.lastA, p.firstA + initial(p.lastA)}[scheme]
		d.lang = "en-US,en;q=0.9"
		d.recPhone, d.recEmail = "", ""
		if r.chance(0.6) {
			d.recPhone = adminPhone
		} else {
			d.recEmail = adminEmail
		}
		d.formFill = int64(r.lognormal(26000, 0.35))
		g.emit(r, d)
		g.lastRecord().life = &life{loc: loc, group: office}
		at = at.Add(time.Duration(r.lognormal(float64(3*time.Minute), 0.5)))
	}
	return size
}

// family is a household whose members open mailboxes over days on the
// family's computer or tablet at home, often with a parent's phone or
// address for recovery.
func (g *gen) family(r *rng) int {
	loc := g.pickLocale(r)
	n := g.homeNetwork(r, Residential, loc.country)
	ip := randomHost(r, n)
	c := genuineClient(r, loc, false)
	parent := newPerson(r, loc, 30, 60, g.year)
	size := r.between(2, 4)
	sharePhone, shareEmail := r.chance(0.5), r.chance(0.3)
	phone := parent.loc.phone(r)
	email := ""
	at := humanTime(r, g.cfg.Start, g.end.Add(-24*time.Hour), n.TimeZone)
	emitted := 0
	home := &group{net: n, ips: []netip.Addr{ip}, shared: c}
	for i := range size {
		if !at.Before(g.end) {
			break
		}
		p := g.relative(r, parent, i)
		d := g.base(r, p, at, ip, n.TimeZone, c, "family-device")
		if sharePhone && r.chance(0.8) {
			d.recPhone = phone
		}
		if shareEmail && i > 0 {
			if email == "" {
				email = parent.emailLocal(r, "gmail.com") + "@gmail.com"
			}
			d.recEmail = email
		}
		addr := g.emit(r, d)
		g.lastRecord().life = &life{loc: loc, group: home, member: i}
		emitted++
		if i == 0 && r.chance(0.25) {
			email = addr // the others use the parent's new mailbox
			shareEmail = true
		}
		at = humanTime(r, at.Add(time.Minute), minTime(at.Add(time.Duration(r.between(1, 10))*24*time.Hour), g.end), n.TimeZone)
	}
	return emitted
}

// relative is the i-th member of parent's household to open a mailbox:
// the parent first, then a partner or a child, then children.
func (g *gen) relative(r *rng, parent person, i int) person {
	switch {
	case i == 0:
		return parent
	case i == 1 && r.chance(0.6): // partner
		p := newPerson(r, parent.loc, 28, 62, g.year).withScript(parent.native)
		if r.chance(0.7) {
			p = p.withSurname(parent)
		}
		return p
	}
	return newPerson(r, parent.loc, 13, 19, g.year).withSurname(parent) // child
}

// internetCafe is a café's few PCs on one broadband line, where unrelated
// people open mailboxes over the weeks.
func (g *gen) internetCafe(r *rng) int {
	loc := g.loc[pick(r, []string{"NG", "NG", "PH", "IN"})]
	n := pick(r, g.networks(Residential, loc.country, false))
	ip := randomHost(r, n)
	var pcs []client
	ua := windowsChromeUA(chromeVersion(r) - r.between(0, 20))
	for range r.between(2, 6) {
		pcs = append(pcs, client{ua: ua, channel: "web", id: newDeviceID(r)})
	}
	size := r.between(6, 20)
	cafe := &group{net: n, ips: []netip.Addr{ip}, devices: pcs}
	for range size {
		p := newPerson(r, loc, 15, 45, g.year)
		d := g.base(r, p, workTime(r, g.cfg.Start, g.end, n.TimeZone, 9, 21), ip, n.TimeZone, pick(r, pcs), "internet-cafe")
		d.recPhone = loc.phone(r)
		g.emit(r, d)
		g.lastRecord().life = &life{loc: loc, group: cafe}
	}
	return size
}

// vpnExit draws the exit a commercial-VPN user of country home chose:
// Europeans mostly a nearby exit, Asians Singapore, others anything.
func (g *gen) vpnExit(r *rng, home string) Network {
	all := g.networks(VPN, "", false)
	ws := make([]float64, len(all))
	for i, n := range all {
		ws[i] = 1
		switch {
		case n.Country == home:
			ws[i] = 0.3 // nobody buys a VPN to appear at home, mostly
		case home == "IN" || home == "PH" || home == "CN" || home == "JP" || home == "SG":
			if n.Country == "SG" {
				ws[i] = 4
			}
		case home == "US" || home == "BR":
			if n.Country == "NL" || n.Country == "GB" {
				ws[i] = 2
			}
		}
	}
	return all[r.weighted(ws...)]
}

func (g *gen) vpnUser(r *rng) bool {
	loc := g.pickLocale(r)
	home := g.homeNetwork(r, Residential, loc.country)
	exit := g.vpnExit(r, loc.country)
	tz := localTZ(r, home)
	p := newPerson(r, loc, 16, 70, g.year)
	d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, tz), g.pooled(r, exit), tz, genuineClient(r, loc, false), "commercial-vpn")
	d.captcha = humanCaptcha(r, 0.3)
	if r.chance(0.15) {
		d.recEmail = p.emailLocal(r, "proton.me") + "@proton.me"
	}
	g.emit(r, d)
	g.lastRecord().life = &life{loc: loc, home: home}
	return true
}

// abroad draws a country other than home.
func (g *gen) abroad(r *rng, home string) *locale {
	for {
		if l := g.pickLocale(r); l.country != home {
			return l
		}
	}
}

func (g *gen) traveller(r *rng) bool {
	loc := g.pickLocale(r)
	dest := g.abroad(r, loc.country)
	homeNet := g.homeNetwork(r, Residential, loc.country)
	var n Network
	var ip netip.Addr
	switch r.weighted(45, 35, 20) {
	case 0: // hotel or rented flat
		n = pick(r, g.networks(Residential, dest.country, false))
		ip = randomHost(r, n)
	case 1: // local SIM or travel eSIM
		n = pick(r, g.networks(Mobile, dest.country, false))
		ip = g.pooled(r, n)
	default:
		if biz := g.networks(Business, dest.country, false); len(biz) > 0 {
			n = pick(r, biz)
			ip = g.pooled(r, n)
		} else {
			n = pick(r, g.networks(Residential, dest.country, false))
			ip = randomHost(r, n)
		}
	}
	tz := homeNet.TimeZone // a laptop keeps home time
	if r.chance(0.4) {
		tz = n.TimeZone // a phone follows the network
	}
	p := newPerson(r, loc, 20, 75, g.year)
	d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, n.TimeZone), ip, tz, genuineClient(r, loc, n.Role == Mobile), "traveller")
	d.country = loc.country
	g.emit(r, d)
	g.lastRecord().life = &life{loc: loc, home: homeNet}
	return true
}

// expatFlows are where people commonly live abroad, as (home, residence).
var expatFlows = [...][2]string{
	{"IN", "US"}, {"IN", "SG"}, {"IN", "GB"}, {"PH", "SG"}, {"PH", "US"}, {"CN", "US"}, {"CN", "SG"}, {"UA", "DE"},
	{"UA", "NL"}, {"RU", "DE"}, {"NG", "GB"}, {"NG", "US"}, {"BR", "US"}, {"BR", "JP"}, {"FR", "GB"}, {"DE", "NL"},
	{"GB", "FR"}, {"US", "DE"}, {"JP", "US"}, {"NL", "GB"},
}

func (g *gen) expat(r *rng) bool {
	flow := pick(r, expatFlows[:])
	loc, res := g.loc[flow[0]], g.loc[flow[1]]
	role := Residential
	if r.chance(0.3) {
		role = Mobile
	}
	n := g.homeNetwork(r, role, res.country)
	ip := randomHost(r, n)
	if role == Mobile && n.Prefix.Addr().Is4() {
		ip = g.pooled(r, n)
	}
	tz := n.TimeZone
	if r.chance(0.15) {
		tz = pick(r, g.networks(Residential, loc.country, false)).TimeZone
	}
	p := newPerson(r, loc, 20, 65, g.year)
	d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, n.TimeZone), ip, tz, genuineClient(r, loc, role == Mobile), "expat")
	switch r.weighted(70, 15, 15) {
	case 1:
		d.lang = "en-US,en;q=0.9"
	case 2:
		d.lang = pickW(r, res.langs)
	}
	if d.recPhone != "" && r.chance(0.6) {
		d.recPhone = res.phone(r) // a local number
	}
	if r.chance(0.25) {
		d.country = res.country
	}
	g.emit(r, d)
	g.lastRecord().life = &life{loc: loc}
	return true
}

// corporateProxyUser works where all web traffic leaves through a cloud
// security proxy, so their signup comes from a hosting address.
func (g *gen) corporateProxyUser(r *rng) bool {
	var egress []Network
	for _, n := range g.networks(Hosting, "", false) {
		if n.ASN == 16509 { // the cloud such proxies run on
			egress = append(egress, n)
		}
	}
	n := pick(r, egress)
	loc := g.loc[n.Country]
	p := newPerson(r, loc, 22, 65, g.year)
	c := clientOf(r, loc, desktop, false)
	d := g.base(r, p, workTime(r, g.cfg.Start, g.end, n.TimeZone, 8, 19), g.pooled(r, n), n.TimeZone, c, "corporate-proxy")
	d.captcha = humanCaptcha(r, 0.2)
	g.emit(r, d)
	g.lastRecord().life = &life{loc: loc}
	return false
}

// torUser signs up with Tor Browser, which reports UTC and en-US whatever
// the person's country, and whose fingerprints are alike by design.
func (g *gen) torUser(r *rng) bool {
	loc := g.pickLocale(r)
	n := pick(r, g.networks(Tor, "", false))
	p := newPerson(r, loc, 18, 60, g.year)
	fingerprints := newRNG(g.cfg.Seed, "tor-browser")
	c := client{
		ua:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
		channel: "web",
		id:      []string{fingerprints.hex(16), fingerprints.hex(16), fingerprints.hex(16)}[r.intn(3)],
	}
	d := g.base(r, p, humanTime(r, g.cfg.Start, g.end, pick(r, g.networks(Residential, loc.country, false)).TimeZone), g.pooled(r, n), "UTC", c, "tor-user")
	d.lang = "en-US,en;q=0.5"
	d.captcha = humanCaptcha(r, 0.8)
	d.formFill = humanFormFill(r) * 3 / 2
	switch r.weighted(50, 40, 10) {
	case 0:
		d.recEmail = p.emailLocal(r, "proton.me") + "@proton.me"
	case 1:
		d.recEmail = ""
	}
	d.recPhone = ""
	if r.chance(0.3) {
		d.country = ""
	}
	g.emit(r, d)
	g.lastRecord().life = &life{loc: loc}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
