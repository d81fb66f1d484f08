package synth

import (
	"fmt"
	"slices"
	"time"
)

// A large operation (Operation) is what a state runs to place fake remote
// IT workers: thousands of American personas made over weeks by several
// operator teams, each with tooling of its own. Within a team the personas
// are tied together by what its operators reuse: the machines they sign
// up on, the recovery phones and mailboxes they keep, and the laptop farms
// in American homes the personas are then signed into from. No persona
// carries every tie: each shares at least one with another of its team,
// many only one, so that one by one they look like people. Teams share
// next to nothing: now and then a recovery phone.

// The ties between the personas of a team, as bits of a set.
const (
	tieMachine = 1 << iota // made on one of the team's machines
	tieContact             // one of the team's recovery phones or mailboxes
	tieFarm                // signed into from one of the team's laptop farms
)

// minTeam is the fewest personas a team has, unless the whole operation
// has fewer.
const minTeam = 20

// How many personas share one operator machine, one recovery phone or
// mailbox, one laptop farm (a dozen or so, as a facilitator's home holds).
var (
	machineLoad = [2]int{5, 30}
	contactLoad = [2]int{2, 8}
	farmLoad    = [2]int{8, 16}
)

// member is a persona's place in an operation: its team, and the laptop
// farm of the team it is signed into from (-1: none; it is signed into
// through the team's exits).
type member struct{ team, farm int }

// largeOperation makes an Operation campaign's personas, team by team.
func (g *gen) largeOperation(c Campaign) {
	r := newRNG(g.cfg.Seed, "campaign/"+c.ID)
	k := &kit{campaign: c, members: map[string]member{}}
	g.kits[c.ID] = k
	var phones []string // the recovery phones of the teams so far
	for i, size := range teamSizes(r, c.Accounts) {
		phones = g.operationTeam(r, k, i, size, phones)
	}
}

// teamSizes splits an operation's accounts between six to ten teams of
// uneven sizes (fewer teams for a small operation: minTeam personas each).
func teamSizes(r *rng, accounts int) []int {
	n := min(r.between(6, 10), max(accounts/minTeam, 1))
	ws := make([]float64, n)
	total := 0.0
	for i := range ws {
		ws[i] = r.lognormal(1, 0.6)
		total += ws[i]
	}
	floor := min(minTeam/2, accounts/n)
	left := accounts - n*floor
	sizes := make([]int, n)
	used := 0
	for i, w := range ws {
		sizes[i] = floor + int(float64(left)*w/total)
		used += sizes[i]
	}
	for i := 0; used < accounts; i++ {
		sizes[i%n]++
		used++
	}
	return sizes
}

// operationTeam makes the size personas of the i-th team of operation k.
// The team works a shift of its own (its operators' office hours, or the
// American working day, at night at home) over a window of the campaign's
// spread, signs up through exits of its own, and now and then reuses a
// recovery phone of another team (one of phones, which it returns with
// its own added).
func (g *gen) operationTeam(r *rng, k *kit, i, size int, phones []string) []string {
	c := k.campaign
	us := g.loc["US"]
	opTZ, opLang := operatorProfile(r)
	langLeak := r.uniform(0.05, 0.3)
	shiftTZ, fromHour, toHour := opTZ, 9, 19
	if r.chance(0.3) {
		shiftTZ, fromHour, toHour = "America/New_York", 9, 18
	}
	from := c.Start.Add(time.Duration(r.uniform(0, 0.25) * float64(c.Spread)))
	to := c.Start.Add(c.Spread - time.Duration(r.uniform(0, 0.15)*float64(c.Spread)))
	ex, exitWs := g.newExits(r)
	tk := &kit{
		campaign: Campaign{ID: fmt.Sprintf("%s/team-%d", c.ID, i+1), Type: Operation, Start: from, Spread: to.Sub(from)},
		exits:    ex, opTZ: opTZ, shiftTZ: shiftTZ,
	}
	k.teams = append(k.teams, tk)

	ties := drawTies(r, size)
	machineOf, machines := deal(r, ties, tieMachine, machineLoad)
	contactOf, contacts := deal(r, ties, tieContact, contactLoad)
	farmOf, farms := deal(r, ties, tieFarm, farmLoad)
	ops := make([]client, machines)
	for m := range ops {
		ops[m] = operatorMachine(r)
	}
	type contact struct{ phone, email string }
	kept := make([]contact, contacts)
	var own []string // the team's phones
	for m := range kept {
		switch r.weighted(45, 35, 20) { // a phone, a mailbox, both
		case 0:
			kept[m].phone = phoneUS(r)
		case 1:
			kept[m].email = recoveryMailbox(r, farmPerson(r, us, g.year))
		default:
			kept[m].phone, kept[m].email = phoneUS(r), recoveryMailbox(r, farmPerson(r, us, g.year))
		}
		if kept[m].phone != "" {
			own = append(own, kept[m].phone)
		}
	}
	if m := slices.IndexFunc(kept, func(x contact) bool { return x.phone != "" }); m >= 0 && len(phones) > 0 && r.chance(0.2) {
		// Another team's phone, which no third team takes.
		j, mine := r.intn(len(phones)), kept[m].phone
		kept[m].phone = phones[j]
		own = slices.DeleteFunc(own, func(p string) bool { return p == mine })
		phones = slices.Delete(phones, j, j+1)
	}
	for range farms {
		n := pick(r, g.networks(Residential, "US", false))
		tk.farms = append(tk.farms, itFarm{net: n, ip: randomHost(r, n)})
	}

	farmNames := r.uniform(0, 0.3) // the share of names in a persona operation's style
	for j := range size {
		p := farmPerson(r, us, g.year)
		local := p.username(r)
		if r.chance(farmNames) {
			local = farmUsername(r, r.intn(4), p)
		}
		display := p.first + " " + p.last
		if r.chance(0.1) {
			display = p.displayName(r)
		}
		d := personaDraft(r, workTime(r, from, to, shiftTZ, fromHour, toHour), local, display)
		d.campaign, d.kind = c.ID, Operation
		d.ip = ex.pick(r, exitWs)
		if r.chance(langLeak) {
			d.lang = opLang
		}
		if m := machineOf[j]; m >= 0 {
			d.device, d.ua = ops[m].id, ops[m].ua
		} else {
			d.device, d.ua = newDeviceID(r), desktopUA(r, "US")
		}
		if m := contactOf[j]; m >= 0 {
			d.recPhone, d.recEmail = kept[m].phone, kept[m].email
		}
		// Where the team's contacts leave a blank, the persona's own.
		if d.recPhone == "" && r.chance(0.4) {
			d.recPhone = phoneUS(r)
		}
		if d.recEmail == "" && r.chance(0.5) {
			d.recEmail = recoveryMailbox(r, p)
		}
		g.emit(r, d)
		k.members[g.lastRecord().label.AccountID] = member{team: i, farm: farmOf[j]}
	}
	return append(phones, own...)
}

// drawTies draws the ties of each of n personas of a team: each tie with
// a chance of the team's own, at least one a persona, and none that only
// one persona has (it would tie nothing).
func drawTies(r *rng, n int) []int {
	ps := []float64{r.uniform(0.3, 0.65), r.uniform(0.3, 0.65), r.uniform(0.3, 0.65)}
	ties := make([]int, n)
	for j := range ties {
		for ties[j] == 0 {
			for b, p := range ps {
				if r.chance(p) {
					ties[j] |= 1 << b
				}
			}
		}
	}
	for b := range ps {
		tie := 1 << b
		var with []int
		for j, t := range ties {
			if t&tie != 0 {
				with = append(with, j)
			}
		}
		if len(with) == 1 && n > 1 {
			ties[(with[0]+1+r.intn(n-1))%n] |= tie
		}
	}
	return ties
}

// deal shares out what stands behind tie (a machine, a contact, a farm)
// between the personas that have it, in groups of load[0] to load[1] in
// a random order (a short last group joins the one before). It returns
// each persona's group (-1: none) and the number of groups.
func deal(r *rng, ties []int, tie int, load [2]int) ([]int, int) {
	of := make([]int, len(ties))
	var with []int
	for j, t := range ties {
		of[j] = -1
		if t&tie != 0 {
			with = append(with, j)
		}
	}
	with = shuffled(r, with)
	n := 0
	for len(with) > 0 {
		k := min(r.between(load[0], load[1]), len(with))
		if len(with)-k < load[0] {
			k = len(with)
		}
		for _, j := range with[:k] {
			of[j] = n
		}
		with = with[k:]
		n++
	}
	return of, n
}
