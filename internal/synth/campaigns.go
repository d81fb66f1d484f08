package synth

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// usZones are the zones US personas claim, weighted roughly by population.
var usZones = [...]choice[string]{
	{"America/New_York", 35}, {"America/Chicago", 25}, {"America/Los_Angeles", 25}, {"America/Denver", 10},
	{"America/Phoenix", 5},
}

// apiUserAgents are the HTTP libraries scripts sign up with when they talk
// to the signup API directly.
var apiUserAgents = [...]string{"python-requests/2.32.3", "okhttp/4.12.0", "Go-http-client/2.0", "axios/1.7.9", "python-httpx/0.28.1"}

// acceptFor builds an Accept-Language header for a primary tag like "de-DE".
func acceptFor(tag string) string {
	primary, _, _ := strings.Cut(tag, "-")
	if primary == "en" {
		return tag + ",en;q=0.9"
	}
	return tag + "," + primary + ";q=0.9,en-US;q=0.8,en;q=0.7"
}

// spreadTimes returns n sorted instants in [start, start+spread). A spread
// too short for n signups becomes a tight sequence a few hundred
// milliseconds apart, as a script runs.
func spreadTimes(r *rng, start time.Time, spread time.Duration, n int) []time.Time {
	ts := make([]time.Time, n)
	if spread < time.Duration(n)*100*time.Millisecond {
		t := start
		for i := range ts {
			ts[i] = t
			t = t.Add(time.Duration(r.between(50, 400)) * time.Millisecond)
		}
		return ts
	}
	for i := range ts {
		ts[i] = start.Add(r.duration(spread))
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// ipSet is a small set of addresses a campaign rotates through, the first
// ones used the most.
type ipSet []netip.Addr

func (s ipSet) pick(r *rng) netip.Addr {
	ws := make([]float64, len(s))
	for i := range ws {
		ws[i] = 1 / math.Sqrt(float64(i+1))
	}
	return s[r.weighted(ws...)]
}

// botTemplate is the username pattern of a bot kit.
type botTemplate struct {
	kind   int
	digits int
	words  []string
}

func newBotTemplate(r *rng, kind int) botTemplate {
	return botTemplate{kind: kind, digits: r.between(2, 4), words: shuffled(r, templateWords[:])[:r.between(8, 30)]}
}

func (t botTemplate) username(r *rng, p person) string {
	switch t.kind {
	case 0:
		return pick(r, t.words) + r.digits(4)
	case 1:
		return initial(p.firstA) + p.lastA + r.digits(t.digits)
	case 2:
		return p.firstA + "." + p.lastA + r.digits(2)
	case 3:
		return p.firstA + p.lastA + r.letters(3)
	case 4:
		return pick(r, t.words) + pick(r, t.words) + r.digits(t.digits)
	case 5:
		return r.letters(r.between(8, 12))
	default:
		return r.alnum(10)
	}
}

// westernLocale draws the locale of a bot's made-up persona: mostly
// American, sometimes British or anything.
func (g *gen) westernLocale(r *rng) *locale {
	switch r.weighted(70, 15, 15) {
	case 0:
		return g.loc["US"]
	case 1:
		return g.loc["GB"]
	}
	return g.pickLocale(r)
}

// randomZone is a zone that has nothing to do with anything.
func (g *gen) randomZone(r *rng) string {
	return pick(r, []string{"America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
		"Europe/Berlin", "Europe/Moscow", "Asia/Shanghai", "Asia/Kolkata", "Asia/Singapore", "UTC", "Asia/Tokyo"})
}

// toolkit returns the main tooling choice of the nth campaign of a type:
// the options in an order shuffled by the seed, taken in turn, so that the
// campaigns of one scenario differ from each other whatever the seed.
func (g *gen) toolkit(typ string, nth, options int) int {
	order := make([]int, options)
	for i := range order {
		order[i] = i
	}
	return shuffled(newRNG(g.cfg.Seed, "toolkits/"+typ), order)[nth%options]
}

// botWave is hundreds of scripted signups from a few servers within an
// hour. What the kit gets wrong, and what it fakes well, differs from one
// campaign to the next; nth says how many bot waves came before it.
func (g *gen) botWave(c Campaign, nth int) {
	r := newRNG(g.cfg.Seed, "campaign/"+c.ID)
	var ips ipSet
	var v6net netip.Prefix
	switch g.toolkit(BotWave, nth, 5) {
	case 0: // a few servers at one provider
		n := pick(r, g.networks(Hosting, "", false))
		for range r.between(1, 4) {
			ips = append(ips, randomHost(r, n))
		}
	case 1: // servers at several providers
		hs := g.networks(Hosting, "", false)
		for range r.between(3, 8) {
			ips = append(ips, randomHost(r, pick(r, hs)))
		}
	case 2: // Tor exits
		ts := g.networks(Tor, "", false)
		for range r.between(4, 12) {
			ips = append(ips, randomHost(r, pick(r, ts)))
		}
	case 3: // open proxies, sometimes with the kit's own servers
		ps := g.networks(PublicProxy, "", false)
		for range r.between(5, 15) {
			ips = append(ips, randomHost(r, pick(r, ps)))
		}
		if r.chance(0.5) {
			ips = append(ips, randomHost(r, pick(r, g.networks(Hosting, "", false))))
		}
	default: // one server's IPv6 /64: a new address for every signup
		n := pick(r, g.networks(Hosting, "", true))
		v6net = netip.PrefixFrom(v6In(n.Prefix, r.u64(), 0), 64).Masked()
	}
	ipFor := func() netip.Addr {
		if v6net.IsValid() {
			return v6In(v6net, 0, r.u64())
		}
		return ips.pick(r)
	}

	api := r.chance(0.25)
	g.kits[c.ID] = &kit{campaign: c, ips: ips, v6net: v6net, api: api}
	channel := "web"
	if api {
		channel = "api"
	}
	var uas []string
	rotateUA := false
	switch r.weighted(35, 25, 25, 15) {
	case 0:
		uas = []string{desktopUA(r, "US")}
	case 1:
		for range r.between(2, 4) {
			uas = append(uas, desktopUA(r, "US"))
		}
	case 2:
		rotateUA = true
	default:
		uas = []string{fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/%d.0.0.0 Safari/537.36", chromeVersion(r))}
	}
	if api {
		uas, rotateUA = []string{pick(r, apiUserAgents[:])}, false
	}

	var devices []string
	deviceMode := r.weighted(45, 35, 20) // fresh each time, a few shared, none
	if api {
		deviceMode = 2
	}
	if deviceMode == 1 {
		for range r.between(1, 5) {
			devices = append(devices, newDeviceID(r))
		}
	}

	tpl := newBotTemplate(r, r.weighted(25, 20, 10, 10, 15, 12, 8))
	randomShare := r.uniform(0, 0.15)
	displayMode := r.weighted(50, 25, 10, 15)
	var recDomains []string
	recMode := r.weighted(75, 10, 15) // disposable, made-up webmail, none
	for range r.between(1, 3) {
		recDomains = append(recDomains, pick(r, disposableDomains[:]))
	}
	var phones []string
	if r.chance(0.3) {
		for range r.between(3, 15) {
			sp := pick(r, smsActivationPrefixes[:])
			phones = append(phones, sp.prefix+r.digits(sp.digits))
		}
	}
	phoneShare := r.uniform(0.5, 1)
	fillMode := r.weighted(55, 30, 15)
	captchaMode := r.weighted(50, 30, 20)
	noCaptcha := api && r.chance(0.6)
	tzMode := r.weighted(35, 20, 20, 25)
	countryMode := r.weighted(50, 25, 15, 10)
	oneDomain := r.chance(0.7)
	fixedLoc := g.westernLocale(r)

	for _, at := range spreadTimes(r, c.Start, c.Spread, c.Accounts) {
		p := newPerson(r, fixedLoc, 20, 50, g.year).withScript(false)
		if r.chance(0.3) {
			p = newPerson(r, g.westernLocale(r), 20, 50, g.year).withScript(false)
		}
		ip := ipFor()
		n, _ := Lookup(ip)
		d := draft{at: at, ip: ip, channel: channel, campaign: c.ID, kind: BotWave}
		d.local = tpl.username(r, p)
		if r.chance(randomShare) {
			d.local = r.letters(r.between(7, 12))
		}
		if !oneDomain {
			d.domain = pick(r, platformDomains[:])
		}
		switch displayMode {
		case 0:
			d.display = p.first + " " + p.last
		case 2:
			d.display = d.local
		case 3:
			d.display = capitalize(pick(r, tpl.words))
		}
		if rotateUA {
			d.ua = desktopUA(r, "US")
		} else if len(uas) > 0 {
			d.ua = uas[r.intn(len(uas))]
		}
		switch deviceMode {
		case 0:
			d.device = newDeviceID(r)
		case 1:
			d.device = pick(r, devices)
		}
		switch recMode {
		case 0:
			local := r.letters(r.between(8, 10))
			if r.chance(0.4) {
				local = d.local
			}
			d.recEmail = local + "@" + pick(r, recDomains)
		case 1:
			d.recEmail = r.letters(r.between(6, 9)) + r.digits(r.between(2, 4)) + "@" + pick(r, []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com"})
		}
		if len(phones) > 0 && r.chance(phoneShare) {
			d.recPhone = pick(r, phones)
		}
		switch fillMode {
		case 0:
			d.formFill = int64(math.Max(150, r.lognormal(700, 0.5)))
		case 1:
			d.formFill = int64(math.Max(600, r.lognormal(2000, 0.4)))
		default:
			d.formFill = int64(math.Max(2000, r.lognormal(5000, 0.4)))
		}
		switch {
		case noCaptcha:
			d.captcha = -1
		case captchaMode == 0:
			d.captcha = []float64{0.1, 0.3, 0.5, 0.7, 0.9}[r.weighted(55, 30, 8, 4, 3)]
		case captchaMode == 1:
			d.captcha = []float64{0.1, 0.3, 0.5, 0.7, 0.9}[r.weighted(20, 25, 20, 20, 15)]
		default: // a captcha-solving service
			d.captcha = []float64{0.1, 0.3, 0.5, 0.7, 0.9}[r.weighted(3, 7, 10, 40, 40)]
		}
		switch tzMode {
		case 0:
			d.tz, d.lang = "America/New_York", "en-US,en;q=0.9"
		case 2:
			d.tz, d.lang = n.TimeZone, acceptFor(n.Language)
		case 3:
			d.tz, d.lang = g.randomZone(r), pickW(r, g.pickLocale(r).langs)
		}
		if api && r.chance(0.5) {
			d.lang = ""
		}
		switch countryMode {
		case 0:
			d.country = "US"
		case 1:
			d.country = n.Country
		case 2:
			d.country = g.pickLocale(r).country
		}
		g.emit(r, d)
	}
}

// farmUsername is a mailbox name in the style of bought or farmed persona
// accounts: the persona's names with random letters in between.
func farmUsername(r *rng, style int, p person) string {
	switch style {
	case 0: // "roblesxyfi"
		return p.lastA + r.letters(r.between(3, 5))
	case 1: // "truesdaleebweli"
		return p.lastA + r.letters(r.between(2, 4)) + p.firstA[:min(len(p.firstA), r.between(3, 5))]
	case 2:
		return p.firstA + r.letters(r.between(3, 5))
	default:
		return p.firstA + "." + p.lastA + r.digits(r.between(2, 4))
	}
}

// recoveryMailbox is an address elsewhere that an operation keeps for
// recovery, in the name of persona p: at a webmail, with letters that make
// it free.
func recoveryMailbox(r *rng, p person) string {
	d := pick(r, []string{"gmail.com", "gmail.com", "outlook.com", "proton.me", "hotmail.com"})
	return farmUsername(r, r.intn(4), p) + "@" + d
}

// operatorProfile is where the people running personas really are.
func operatorProfile(r *rng) (tz, lang string) {
	switch r.weighted(45, 35, 20) {
	case 0:
		tz, lang = "Asia/Shanghai", "zh-CN,zh;q=0.9,en;q=0.8"
	case 1:
		tz, lang = "Asia/Pyongyang", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"
	default:
		tz, lang = "Europe/Moscow", "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"
	}
	if r.chance(0.2) { // the operators' browsers are not always set to their own language
		lang = pick(r, []string{"zh-CN,zh;q=0.9,en;q=0.8", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7"})
	}
	return tz, lang
}

// exits are how operators abroad reach the platform as Americans: the
// shared addresses of a few commercial-VPN exits, a few rented servers,
// mostly American, and American residential proxies.
type exits struct {
	vpn, servers ipSet
	proxies      []Network
}

// newExits draws an operation's exits, and how much it signs up through
// each of the three (weights for pick).
func (g *gen) newExits(r *rng) (exits, []float64) {
	var e exits
	for range r.between(3, 8) {
		e.vpn = append(e.vpn, g.pooled(r, pick(r, g.networks(VPN, "", false))))
	}
	for range r.between(2, 6) {
		hosting := g.networks(Hosting, "US", false)
		if r.chance(0.25) {
			hosting = g.networks(Hosting, "", false)
		}
		e.servers = append(e.servers, randomHost(r, pick(r, hosting)))
	}
	e.proxies = g.networks(ResidentialProxy, "US", false)
	return e, []float64{r.uniform(0.4, 0.7), r.uniform(0.1, 0.3), r.uniform(0.1, 0.3)}
}

// pick returns an address of a VPN exit, a server or a residential proxy,
// the way drawn by the weights ws of the three.
func (e exits) pick(r *rng, ws []float64) netip.Addr {
	switch r.weighted(ws...) {
	case 0:
		return e.vpn.pick(r)
	case 1:
		return e.servers.pick(r)
	}
	return randomHost(r, pick(r, e.proxies))
}

// operatorMachine is one of an operation's own computers: Windows and
// Chrome, now and then Edge, kept up to date.
func operatorMachine(r *rng) client {
	ua := windowsChromeUA(chromeVersion(r))
	if r.chance(0.25) {
		ua = fmt.Sprintf("%s Edg/%d.0.%d.%d", ua, chromeVersion(r), r.between(3300, 3600), r.between(40, 120))
	}
	return client{id: newDeviceID(r), ua: ua, channel: "web"}
}

// personaDraft is the signup of an American persona that an operator
// abroad fills in by hand: an American zone and language, a slow form, a
// captcha that distrusts the way in a little.
func personaDraft(r *rng, at time.Time, local, display string) draft {
	return draft{
		at: at, local: local, display: display, tz: pickW(r, usZones[:]), lang: "en-US,en;q=0.9", country: "US",
		channel: "web", formFill: int64(math.Max(6000, r.lognormal(30000, 0.5))), captcha: humanCaptcha(r, 0.2),
	}
}

// itWorkerFarm is an operation creating American personas for remote IT
// jobs: people, not scripts, working office hours in their own zone
// through VPNs, US servers and residential proxies, on a few machines, with
// a few phones and addresses for recovery.
func (g *gen) itWorkerFarm(c Campaign) {
	r := newRNG(g.cfg.Seed, "campaign/"+c.ID)
	us := g.loc["US"]
	opTZ, opLang := operatorProfile(r)
	langLeak := r.uniform(0.05, 0.35)

	ex, exitWs := g.newExits(r)
	var machines []client
	for range r.between(3, 8) {
		machines = append(machines, operatorMachine(r))
	}
	useMachine := r.uniform(0.5, 0.85)

	var phones, emails []string
	for range r.between(2, 8) {
		phones = append(phones, phoneUS(r))
	}
	for range r.between(4, 12) {
		emails = append(emails, recoveryMailbox(r, farmPerson(r, us, g.year)))
	}
	usePhone, useEmail := r.uniform(0.5, 0.9), r.uniform(0.6, 0.95)
	styleWs := []float64{r.uniform(0, 1), r.uniform(0, 1), r.uniform(0, 1), r.uniform(0, 0.3)}
	g.kits[c.ID] = &kit{campaign: c, exits: ex, machines: machines, opTZ: opTZ}

	for range c.Accounts {
		p := farmPerson(r, us, g.year)
		at := workTime(r, c.Start, c.Start.Add(c.Spread), opTZ, 9, 19)
		d := personaDraft(r, at, farmUsername(r, r.weighted(styleWs...), p), p.first+" "+p.last)
		d.campaign, d.kind = c.ID, ITWorkerFarm
		if r.chance(0.05) {
			d.display = p.first
		}
		if r.chance(langLeak) {
			d.lang = opLang
		}
		d.ip = ex.pick(r, exitWs)
		if r.chance(useMachine) {
			m := pick(r, machines)
			d.device, d.ua = m.id, m.ua
		} else {
			d.device, d.ua = newDeviceID(r), desktopUA(r, "US")
		}
		if r.chance(usePhone) {
			d.recPhone = pick(r, phones)
		}
		if r.chance(useEmail) {
			d.recEmail = pick(r, emails)
		}
		g.emit(r, d)
	}
}

// slowWave is a campaign that keeps every address quiet: a signup now and
// then over weeks, each from a different residential-proxy, mobile or home
// address. One or two things give it away, different ones per campaign.
func (g *gen) slowWave(c Campaign, nth int) {
	r := newRNG(g.cfg.Seed, "campaign/"+c.ID)
	linkers := []string{"template", "contacts", "devices", "disposable"}
	links := []string{linkers[g.toolkit(SlowWave, nth, len(linkers))]}
	if r.chance(0.4) {
		links = append(links, pick(r, linkers))
	}
	linked := func(s string) bool { return slices.Contains(links, s) }

	target := pick(r, []string{"", "", "US", "US", "GB"})
	loc := g.loc["US"]
	if target != "" {
		loc = g.loc[target]
	}
	proxies := g.networks(ResidentialProxy, target, false)
	mobiles := g.networks(Mobile, target, false)
	homes := g.networks(Residential, target, false)
	srcWs := []float64{r.uniform(0.2, 1), r.uniform(0, 1), r.uniform(0, 0.6)}
	if len(proxies) == 0 {
		srcWs[0] = 0
	}

	tpl := newBotTemplate(r, pick(r, []int{2, 5, 4, 1}))
	var phones, emails []string
	contactKind := r.weighted(40, 30, 30) // phones, emails, both
	for range r.between(3, 10) {
		sp := pick(r, smsActivationPrefixes[:])
		phones = append(phones, sp.prefix+r.digits(sp.digits))
		emails = append(emails, r.letters(r.between(6, 9))+r.digits(r.between(2, 4))+"@"+pick(r, []string{"gmail.com", "outlook.com", "hotmail.com"}))
	}
	var profiles []client
	for range r.between(2, 6) {
		profiles = append(profiles, client{id: newDeviceID(r), ua: desktopUA(r, "US"), channel: "web"})
	}
	var recDomains []string
	for range r.between(1, 4) {
		recDomains = append(recDomains, pick(r, disposableDomains[:]))
	}
	mimic := r.chance(0.7)
	fillMedian := r.uniform(6000, 20000)
	captchaWs := []float64{2, 5, 10, r.uniform(20, 40), r.uniform(30, 60)}
	diurnalTZ := ""
	if r.chance(0.5) {
		diurnalTZ = "America/New_York"
		if target != "" {
			diurnalTZ = pick(r, g.networks(Residential, target, false)).TimeZone
		}
	}
	displayMode := r.weighted(60, 30, 10)
	g.kits[c.ID] = &kit{campaign: c, proxies: proxies, mobiles: mobiles, homes: homes, srcWs: srcWs, tz: diurnalTZ}

	for range c.Accounts {
		var at time.Time
		if diurnalTZ != "" {
			at = humanTime(r, c.Start, c.Start.Add(c.Spread), diurnalTZ)
		} else {
			at = c.Start.Add(r.duration(c.Spread))
		}
		var n Network
		var ip netip.Addr
		switch r.weighted(srcWs...) {
		case 0:
			n = pick(r, proxies)
			ip = randomHost(r, n)
		case 1:
			n = pick(r, mobiles)
			ip = g.pooled(r, n)
		default:
			n = pick(r, homes)
			ip = randomHost(r, n)
		}
		p := newPerson(r, loc, 20, 55, g.year).withScript(false)
		if target == "" {
			p = newPerson(r, g.westernLocale(r), 20, 55, g.year).withScript(false)
		}
		cl := client{id: newDeviceID(r), ua: desktopUA(r, n.Country), channel: "web"}
		if r.chance(0.3) {
			cl = clientOf(r, p.loc, mobileWeb, r.chance(0.6))
		}
		d := draft{
			at: at, ip: ip, local: p.username(r), domain: pick(r, platformDomains[:]),
			ua: cl.ua, device: cl.id, channel: cl.channel, country: p.loc.country,
			tz: "America/New_York", lang: "en-US,en;q=0.9",
			recEmail: p.recoveryEmail(r),
			formFill: int64(math.Max(2500, r.lognormal(fillMedian, 0.4))),
			captcha:  []float64{0.1, 0.3, 0.5, 0.7, 0.9}[r.weighted(captchaWs...)],
			campaign: c.ID, kind: SlowWave,
		}
		if mimic {
			d.tz, d.lang, d.country = n.TimeZone, acceptFor(n.Language), n.Country
		}
		switch displayMode {
		case 0:
			d.display = p.first + " " + p.last
		case 2:
			d.display = p.first
		}
		if linked("template") {
			d.local = tpl.username(r, p)
		}
		if linked("contacts") {
			if contactKind != 1 && r.chance(0.85) {
				d.recPhone = pick(r, phones)
			}
			if contactKind != 0 && r.chance(0.85) {
				d.recEmail = pick(r, emails)
			}
		} else if r.chance(0.15) {
			d.recPhone = p.loc.phone(r)
		}
		if linked("devices") && r.chance(0.85) {
			prof := pick(r, profiles)
			d.device, d.ua, d.channel = prof.id, prof.ua, prof.channel
		}
		if linked("disposable") && r.chance(0.9) {
			d.recEmail = r.letters(r.between(7, 10)) + "@" + pick(r, recDomains)
		}
		g.emit(r, d)
	}
}

// laptopFarm is a dozen personas opening mailboxes over a few days from one
// American home, where a facilitator keeps the laptops that remote workers
// abroad control: one address, a laptop each, shared recovery contacts.
func (g *gen) laptopFarm(c Campaign) {
	r := newRNG(g.cfg.Seed, "campaign/"+c.ID)
	us := g.loc["US"]
	n := pick(r, g.networks(Residential, "US", false))
	ip := randomHost(r, n)
	var phones, emails []string
	for range r.between(1, 3) {
		phones = append(phones, phoneUS(r))
		emails = append(emails, farmPerson(r, us, g.year).emailLocal(r, "gmail.com")+"@gmail.com")
	}
	farmStyle := r.chance(0.5)
	cv := chromeVersion(r)
	g.kits[c.ID] = &kit{campaign: c, farm: n, farmIP: ip, chrome: cv}
	for range c.Accounts {
		p := farmPerson(r, us, g.year)
		d := draft{
			at: workTime(r, c.Start, c.Start.Add(c.Spread), n.TimeZone, 9, 19), ip: ip,
			local: p.username(r), display: p.first + " " + p.last, ua: windowsChromeUA(cv - r.intn(2)),
			lang: "en-US,en;q=0.9", tz: n.TimeZone, country: "US", device: newDeviceID(r), channel: "web",
			formFill: humanFormFill(r), captcha: humanCaptcha(r, 0), campaign: c.ID, kind: LaptopFarm,
		}
		if farmStyle {
			d.local = farmUsername(r, r.intn(4), p)
		}
		if r.chance(0.8) {
			d.recPhone = pick(r, phones)
		}
		if r.chance(0.7) {
			d.recEmail = pick(r, emails)
		}
		g.emit(r, d)
	}
}
