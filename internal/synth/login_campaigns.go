package synth

import (
	"net/netip"
	"slices"
	"time"
)

// campaignSigner starts the sign-ins of a campaign account: after its
// signup, with the failures and challenges of accounts that are not their
// operators' own.
func (g *gen) campaignSigner(rec record) (*rng, *signer) {
	r := newRNG(g.cfg.Seed, "login/"+rec.label.AccountID)
	s := g.newSigner(r, rec.label, rec.ev.Time.Add(30*time.Second))
	s.failP, s.challengeP, s.newChallengeP = 0.03, 0.01, 0.1
	return r, s
}

// botWaveLogins: about half of a bot wave's accounts are signed into by
// the kit, from the servers, exits or /64 the signups came from: once
// minutes after the signup, then a few times over the next days at any
// hour, over IMAP or SMTP (to send) as often as on the web.
func (g *gen) botWaveLogins(k *kit, accts []record) {
	for _, rec := range accts {
		r, s := g.campaignSigner(rec)
		if !r.chance(0.55) {
			continue
		}
		su := rec.ev.Signup
		web := signupDevice(su)
		ip := func() netip.Addr {
			if k.v6net.IsValid() {
				return v6In(k.v6net, 0, r.u64())
			}
			return k.ips.pick(r)
		}
		t := su.CreatedAt.Add(time.Duration(r.lognormal(float64(15*time.Minute), 0.8)))
		for i := range r.between(1, 5) {
			if i > 0 {
				t = t.Add(time.Duration(r.lognormal(float64(30*time.Hour), 1)))
			}
			d := web
			if !k.api {
				switch r.weighted(40, 30, 30) {
				case 1:
					d = device{protocol: "imap"}
				case 2:
					d = device{protocol: "smtp"}
				}
			}
			s.attempt(t, ip(), d)
		}
		s.flush()
	}
}

// slowWaveLogins: a slow wave's accounts are signed into a few times over
// the weeks, each time from another residential-proxy, carrier or home
// address, as their signups were.
func (g *gen) slowWaveLogins(k *kit, accts []record) {
	for _, rec := range accts {
		r, s := g.campaignSigner(rec)
		su := rec.ev.Signup
		d := signupDevice(su)
		from := su.CreatedAt.Add(time.Duration(r.lognormal(float64(2*time.Hour), 1)))
		if !from.Before(g.end) {
			continue
		}
		for range r.between(2, 6) {
			t := from.Add(r.duration(g.end.Sub(from)))
			if k.tz != "" {
				t = humanTime(r, from, g.end, k.tz)
			}
			var ip netip.Addr
			switch r.weighted(k.srcWs...) {
			case 0:
				ip = randomHost(r, pick(r, k.proxies))
			case 1:
				ip = g.pooled(r, pick(r, k.mobiles))
			default:
				ip = randomHost(r, pick(r, k.homes))
			}
			s.attempt(t, ip, d)
		}
		s.flush()
	}
}

// laptopFarmLogins: the personas of a laptop farm are signed into on
// workdays, in the farm's office hours, all from the facilitator's home
// line: on each persona's own laptop mostly, else on one of the one to
// three machines the facilitator uses for all of them.
func (g *gen) laptopFarmLogins(k *kit, accts []record) {
	cr := newRNG(g.cfg.Seed, "login/campaign/"+k.campaign.ID)
	var ops []device
	for range cr.between(1, 3) {
		ops = append(ops, device{id: newDeviceID(cr), ua: windowsChromeUA(k.chrome), protocol: "web", weight: 1})
	}
	farm := fixedSpot(k.farm, k.farmIP)
	for _, rec := range accts {
		r, s := g.campaignSigner(rec)
		own := signupDevice(rec.ev.Signup)
		s.attempt(rec.ev.Signup.CreatedAt.Add(time.Duration(r.lognormal(float64(10*time.Minute), 0.8))), k.farmIP, own)
		g.workdays(r, s, rec.ev.Signup.CreatedAt, k.farm.TimeZone, 0.85, func(t time.Time) {
			d := own
			if r.chance(0.3) {
				d = pickDevice(r, ops)
			}
			s.attempt(t, s.from(farm, t), d)
		})
		s.flush()
	}
}

// workdays calls at for the times of a persona's sign-ins: one to three on
// a share active of the workdays from from on, in office hours of zone tz
// (weekends rarely).
func (g *gen) workdays(r *rng, s *signer, from time.Time, tz string, active float64, at func(time.Time)) {
	start := from.Add(time.Hour)
	off := time.Duration(tzOffset(tz)) * time.Minute
	for day := start.Add(off).Truncate(24 * time.Hour).Add(-off); day.Before(g.end); day = day.Add(24 * time.Hour) {
		begin, end := maxTime(day, start), minTime(day.Add(24*time.Hour), g.end)
		if !begin.Before(end) || !r.chance(active) {
			continue
		}
		var ts []time.Time
		for range r.between(1, 3) {
			ts = append(ts, workTime(r, begin, end, tz, 9, 18))
		}
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for _, t := range ts {
			if wd := t.Add(time.Duration(tzOffset(tz)) * time.Minute).UTC().Weekday(); (wd == time.Saturday || wd == time.Sunday) && !r.chance(0.1) {
				continue
			}
			at(t)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// itFarm is one facilitator's home line an IT-worker operation signs its
// personas in from, and the machines there.
type itFarm struct {
	net Network
	ip  netip.Addr
	ops []device
}

// itWorkerLogins: an IT-worker operation signs its personas in on
// workdays, in American office hours, from a few facilitators' homes in the
// US (each the line of a dozen personas or more, all on the one to three
// of the operation's machines kept there), now and then through the VPNs,
// servers and residential proxies it signed up through, on the machine a
// persona was made on. A minority of personas are,
// a few times, signed into by an operator at home in China or Russia (some
// through a VPN) minutes to an hour after a sign-in from a farm.
func (g *gen) itWorkerLogins(k *kit, accts []record) {
	if len(accts) == 0 {
		return
	}
	cr := newRNG(g.cfg.Seed, "login/campaign/"+k.campaign.ID)
	farms := make([]itFarm, min(max(len(accts)/15, 1), 5))
	machines := shuffled(cr, k.machines)
	for i := range farms {
		n := pick(cr, g.networks(Residential, "US", false))
		f := itFarm{net: n, ip: randomHost(cr, n)}
		for range cr.between(1, 3) {
			if len(machines) > 0 {
				f.ops = append(f.ops, deviceOfClient(machines[0], 1))
				machines = machines[1:]
			} else {
				f.ops = append(f.ops, device{id: newDeviceID(cr), ua: windowsChromeUA(chromeVersion(cr)), protocol: "web", weight: 1})
			}
		}
		farms[i] = f
	}
	home := operatorsAtHome(cr)
	leakCountry := leakCountries(k.opTZ)
	leaky := cr.uniform(0.08, 0.2)
	order := shuffled(cr, func() []int {
		ix := make([]int, len(accts))
		for i := range ix {
			ix[i] = i
		}
		return ix
	}())
	assigned := make([]int, len(accts))
	for pos, i := range order {
		assigned[i] = pos % len(farms)
	}
	exitWs := []float64{float64(len(k.exits.vpn)), float64(len(k.exits.servers)), float64(min(len(k.exits.proxies), 1)) * 2}
	for i, rec := range accts {
		r, s := g.campaignSigner(rec)
		su := rec.ev.Signup
		own := signupDevice(su)
		f := farms[assigned[i]]
		farm := fixedSpot(f.net, f.ip)
		// The first sign-in is through the way the signup came.
		s.attempt(su.CreatedAt.Add(time.Duration(r.lognormal(float64(20*time.Minute), 0.8))), su.IP, own)
		var atFarm []time.Time
		g.workdays(r, s, su.CreatedAt, f.net.TimeZone, 0.8, func(t time.Time) {
			if r.chance(0.85) {
				s.attempt(t, s.from(farm, t), pickDevice(r, f.ops))
				atFarm = append(atFarm, t)
				return
			}
			s.attempt(t, k.exits.pick(r, exitWs), own)
		})
		if len(atFarm) > 0 && r.chance(leaky) {
			g.slipAbroad(r, s, atFarm, leakCountry, home)
		}
		s.flush()
	}
}

// operatorsAtHome are the one to three machines an operation's operators
// use at home, abroad.
func operatorsAtHome(r *rng) []device {
	var home []device
	for range r.between(1, 3) {
		home = append(home, device{id: newDeviceID(r), ua: windowsChromeUA(chromeVersion(r)), protocol: "web", weight: 1})
	}
	return home
}

// leakCountries are where operators of zone opTZ are when they sign a
// persona in from home: North Korea's work from China and Russia.
func leakCountries(opTZ string) []string {
	if cs := map[string][]string{"Asia/Shanghai": {"CN"}, "Europe/Moscow": {"RU"}, "Asia/Pyongyang": {"CN", "RU"}}[opTZ]; len(cs) > 0 {
		return cs
	}
	return []string{"CN", "RU"}
}

// slipAbroad adds one to three sign-ins of a persona by an operator at
// home, on one of the operators' machines (home), each minutes to an hour
// after one of its sign-ins from a farm (atFarm): from a home line or a
// carrier of one of countries, some through a commercial VPN; a quarter
// of them challenged.
func (g *gen) slipAbroad(r *rng, s *signer, atFarm []time.Time, countries []string, home []device) {
	for range r.between(1, 3) {
		t := pick(r, atFarm).Add(time.Duration(r.between(5, 60)) * time.Minute)
		var ip netip.Addr
		if r.chance(0.3) {
			ip = g.pooled(r, pick(r, g.networks(VPN, "", false)))
		} else {
			country := pick(r, countries)
			if r.chance(0.7) {
				ip = randomHost(r, pick(r, g.networks(Residential, country, false)))
			} else {
				ip = g.pooled(r, pick(r, g.networks(Mobile, country, false)))
			}
		}
		result := "success"
		if r.chance(0.25) {
			result = "challenge"
		}
		s.add(t, ip, pickDevice(r, home), result)
	}
}

// operationLogins: each team of an operation signs its personas in the
// way an IT-worker operation does, each persona first through the way its
// signup came, on the machine it was made on. Then a farm's personas are
// signed in from its facilitator's home line, once when their laptops are
// set up there and on workdays after, each on a laptop of its own (the
// facilitator's machine now and then), and a minority of them, a few
// times, by an operator at home in China or Russia; the personas of no
// farm through the team's exits, on the machine they were made on, in the
// team's shift. An operation of thousands works each persona now and then
// (when it has an application going), some more than others, so that a
// farm's line is busy every workday with a few of its dozen.
func (g *gen) operationLogins(k *kit, accts []record) {
	type farm struct {
		itFarm
		home   *spot
		chrome int // the version the facilitator keeps the laptops at
	}
	type team struct {
		farms  []farm
		home   []device // the operators' machines, abroad
		leaky  float64
		exitWs []float64
	}
	teams := make([]team, len(k.teams))
	for i, tk := range k.teams {
		cr := newRNG(g.cfg.Seed, "login/campaign/"+tk.campaign.ID)
		t := team{home: operatorsAtHome(cr), leaky: cr.uniform(0.05, 0.2), exitWs: []float64{
			float64(len(tk.exits.vpn)), float64(len(tk.exits.servers)), float64(min(len(tk.exits.proxies), 1)) * 2,
		}}
		for _, f := range tk.farms {
			f.ops = []device{{id: newDeviceID(cr), ua: windowsChromeUA(chromeVersion(cr)), protocol: "web", weight: 1}}
			t.farms = append(t.farms, farm{itFarm: f, home: fixedSpot(f.net, f.ip), chrome: chromeVersion(cr)})
		}
		teams[i] = t
	}
	for _, rec := range accts {
		mb := k.members[rec.label.AccountID]
		tk, t := k.teams[mb.team], &teams[mb.team]
		r, s := g.campaignSigner(rec)
		su := rec.ev.Signup
		own := signupDevice(su)
		s.attempt(su.CreatedAt.Add(time.Duration(r.lognormal(float64(20*time.Minute), 0.8))), su.IP, own)
		if mb.farm < 0 {
			g.workdays(r, s, su.CreatedAt, tk.shiftTZ, r.uniform(0.03, 0.2), func(at time.Time) {
				s.attempt(at, tk.exits.pick(r, t.exitWs), own)
			})
			s.flush()
			continue
		}
		f := t.farms[mb.farm]
		laptop := device{id: newDeviceID(r), ua: windowsChromeUA(f.chrome), protocol: "web", weight: 1}
		// The persona's laptop is set up at the farm within two days.
		handover := workTime(r, su.CreatedAt.Add(time.Hour), su.CreatedAt.Add(49*time.Hour), f.net.TimeZone, 9, 18)
		s.attempt(handover, s.from(f.home, handover), laptop)
		atFarm := []time.Time{handover}
		g.workdays(r, s, handover, f.net.TimeZone, r.uniform(0.05, 0.35), func(at time.Time) {
			d := laptop
			if r.chance(0.1) {
				d = pickDevice(r, f.ops)
			}
			s.attempt(at, s.from(f.home, at), d)
			atFarm = append(atFarm, at)
		})
		if r.chance(t.leaky) {
			g.slipAbroad(r, s, atFarm, leakCountries(tk.opTZ), t.home)
		}
		s.flush()
	}
}
