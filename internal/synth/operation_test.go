package synth

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// operationAlone generates campaign id of cfg by itself (with its
// sign-ins if cfg.Logins) and returns its events, and which team and farm
// each persona is of, as the generator drew them. Its signups are those of
// the whole scenario but for the account ids (the same too when the
// scenario has nothing else) and the numbers a name clash adds; its
// sign-ins, drawn from streams named after the accounts, are others like
// them.
func operationAlone(t *testing.T, cfg Config, id string) ([]event.Event, map[string]member) {
	t.Helper()
	i := slices.IndexFunc(cfg.Campaigns, func(c Campaign) bool { return c.ID == id })
	if i < 0 || cfg.Campaigns[i].Type != Operation {
		t.Fatalf("no operation %s in the config", id)
	}
	g := newGen(cfg)
	g.largeOperation(cfg.Campaigns[i])
	k := g.kits[id]
	if cfg.Logins {
		g.operationLogins(k, slices.Clone(g.out[:g.signups]))
	}
	evs := make([]event.Event, len(g.out))
	for i, rec := range g.out {
		evs[i] = rec.ev
	}
	return evs, k.members
}

// ties are the values a persona may share with others: the device it was
// made on, its recovery contacts, the home lines of the farm it is signed
// into from.
type ties struct {
	device, phone, email string
	farms                []netip.Addr
}

// personaTies collects the ties of the accounts of evs: signup values, and
// the American home lines each signs in from.
func personaTies(evs []event.Event) map[string]*ties {
	out := map[string]*ties{}
	get := func(id string) *ties {
		if out[id] == nil {
			out[id] = &ties{}
		}
		return out[id]
	}
	for _, e := range evs {
		switch {
		case e.Signup != nil:
			s, p := e.Signup, get(e.AccountID())
			p.device, p.phone, p.email = s.DeviceID, s.RecoveryPhone, s.RecoveryEmail
		case e.Login != nil:
			if n, _ := Lookup(e.Login.IP); n.Role == Residential && n.Country == "US" {
				p := get(e.AccountID())
				if !slices.Contains(p.farms, e.Login.IP) {
					p.farms = append(p.farms, e.Login.IP)
				}
			}
		}
	}
	return out
}

// sharers counts, for every value of each kind of tie, the accounts that
// have it.
func sharers(ps map[string]*ties) map[string]map[string]int {
	out := map[string]map[string]int{"device": {}, "phone": {}, "email": {}, "farm": {}}
	for _, p := range ps {
		for kind, v := range map[string]string{"device": p.device, "phone": p.phone, "email": p.email} {
			if v != "" {
				out[kind][v]++
			}
		}
		for _, ip := range p.farms {
			out["farm"][ip.String()]++
		}
	}
	return out
}

// shared returns the kinds of tie p shares with another account (by
// counts, sharers' result): "device", "contact", "farm".
func (p *ties) shared(counts map[string]map[string]int) []string {
	var kinds []string
	if counts["device"][p.device] > 1 {
		kinds = append(kinds, "device")
	}
	if counts["phone"][p.phone] > 1 || counts["email"][p.email] > 1 {
		kinds = append(kinds, "contact")
	}
	for _, ip := range p.farms {
		if counts["farm"][ip.String()] > 1 {
			kinds = append(kinds, "farm")
			break
		}
	}
	return kinds
}

func backtestOperation(t *testing.T) Campaign {
	t.Helper()
	cfg := Backtest()
	i := slices.IndexFunc(cfg.Campaigns, func(c Campaign) bool { return c.Type == Operation })
	if i < 0 {
		t.Fatal("the backtest has no operation")
	}
	return cfg.Campaigns[i]
}

// TestOperationTeams checks the Backtest's operation against its teams as
// drawn: what each team's personas share, and that teams share next to
// nothing.
func TestOperationTeams(t *testing.T) {
	t.Parallel()
	c := backtestOperation(t)
	evs, members := operationAlone(t, backtestConfig(), c.ID)
	ps := personaTies(evs)
	if len(members) != c.Accounts || len(ps) != c.Accounts {
		t.Fatalf("%d personas in teams, %d with events; want %d", len(members), len(ps), c.Accounts)
	}
	sizes := map[int]int{}
	for _, m := range members {
		sizes[m.team]++
	}
	smallest, largest := c.Accounts, 0
	for _, n := range sizes {
		smallest, largest = min(smallest, n), max(largest, n)
	}
	t.Logf("%d teams of %d to %d personas", len(sizes), smallest, largest)
	if len(sizes) < 6 || len(sizes) > 10 || smallest < minTeam || largest < smallest*3/2 {
		t.Errorf("%d teams of %d to %d personas, want six to ten of uneven sizes", len(sizes), smallest, largest)
	}

	t.Run("teams share next to nothing", func(t *testing.T) {
		t.Parallel()
		teamsOf := map[string]map[string]map[int]bool{"device": {}, "phone": {}, "email": {}, "farm": {}}
		note := func(kind, v string, team int) {
			if v == "" {
				return
			}
			if teamsOf[kind][v] == nil {
				teamsOf[kind][v] = map[int]bool{}
			}
			teamsOf[kind][v][team] = true
		}
		for id, p := range ps {
			team := members[id].team
			note("device", p.device, team)
			note("phone", p.phone, team)
			note("email", p.email, team)
			for _, ip := range p.farms {
				note("farm", ip.String(), team)
			}
		}
		for kind, vs := range teamsOf {
			across := 0
			for v, teams := range vs {
				if len(teams) > 1 {
					across++
					if kind != "phone" || len(teams) > 2 {
						t.Errorf("%s %s is used by %d teams", kind, v, len(teams))
					}
				}
			}
			if kind == "phone" && across > len(sizes)/2 {
				t.Errorf("%d recovery phones are shared between teams, want now and then", across)
			}
		}
	})

	t.Run("each persona shares something, many only one thing", func(t *testing.T) {
		t.Parallel()
		counts := sharers(ps)
		byKinds := map[int]int{}
		for id, p := range ps {
			kinds := p.shared(counts)
			byKinds[len(kinds)]++
			if len(kinds) == 0 {
				t.Errorf("persona %s of team %d shares nothing with another", id, members[id].team)
			}
		}
		t.Logf("personas by the number of kinds of tie they share: %v", byKinds)
		if byKinds[1] < c.Accounts/4 || byKinds[3] > c.Accounts/2 {
			t.Errorf("personas by kinds of tie shared: %v; want many with one, not most with all", byKinds)
		}
		// A machine signs up several personas, a contact a few.
		var machine, contact []float64
		for kind, vs := range counts {
			for _, n := range vs {
				switch {
				case n < 2:
				case kind == "device":
					machine = append(machine, float64(n))
				case kind == "phone" || kind == "email":
					contact = append(contact, float64(n))
				}
			}
		}
		t.Logf("median personas a shared machine %.0f, a shared contact %.0f", median(machine), median(contact))
		if m := median(machine); m < float64(machineLoad[0]) || m > float64(machineLoad[1]) {
			t.Errorf("a shared machine signs up %.0f personas (median), want %v", m, machineLoad)
		}
		if m := median(contact); m < float64(contactLoad[0]) || m > float64(contactLoad[1]) {
			t.Errorf("a shared contact recovers %.0f personas (median), want %v", m, contactLoad)
		}
	})

	t.Run("farms", func(t *testing.T) {
		t.Parallel()
		type farm struct {
			personas map[string]bool
			days     map[string]bool
		}
		farms := map[netip.Addr]*farm{}
		slips := map[string]bool{}
		for _, e := range evs {
			l := e.Login
			if l == nil {
				continue
			}
			switch n, _ := Lookup(l.IP); {
			case n.Role == Residential && n.Country == "US":
				f := farms[l.IP]
				if f == nil {
					f = &farm{map[string]bool{}, map[string]bool{}}
					farms[l.IP] = f
				}
				f.personas[l.AccountID] = true
				f.days[l.At.Format(time.DateOnly)] = true
			case (n.Role == Residential || n.Role == Mobile) && (n.Country == "CN" || n.Country == "RU"):
				slips[l.AccountID] = true
			}
		}
		withFarm := 0
		for id, m := range members {
			if m.farm >= 0 {
				withFarm++
				if len(ps[id].farms) == 0 {
					t.Errorf("persona %s of farm %d of team %d never signs in from a US home line", id, m.farm, m.team)
				}
			}
		}
		for ip, f := range farms {
			teams := map[int]bool{}
			for id := range f.personas {
				teams[members[id].team] = true
			}
			if len(f.personas) < farmLoad[0] || len(f.personas) > 2*farmLoad[1] || len(teams) != 1 || len(f.days) < 5 {
				t.Errorf("farm %s: %d personas of %d teams, on %d days", ip, len(f.personas), len(teams), len(f.days))
			}
		}
		t.Logf("%d of %d personas signed in from %d farms; %d slip to China or Russia", withFarm, c.Accounts, len(farms), len(slips))
		if withFarm < c.Accounts/5 || len(farms) < len(sizes) {
			t.Errorf("%d personas at %d farms, want a few farms a team", withFarm, len(farms))
		}
		if len(slips) == 0 || len(slips) > withFarm/3 {
			t.Errorf("%d of %d farm personas signed in from China or Russia, want a minority", len(slips), withFarm)
		}
	})

	t.Run("each team works a shift", func(t *testing.T) {
		t.Parallel()
		hours := map[int]*[24]int{}
		for _, e := range evs {
			if s := e.Signup; s != nil {
				team := members[s.AccountID].team
				if hours[team] == nil {
					hours[team] = &[24]int{}
				}
				hours[team][s.CreatedAt.Hour()]++
			}
		}
		for team, hs := range hours {
			// The busiest twelve hours of the day, UTC (around midnight too).
			best := 0
			for from := range 24 {
				n := 0
				for h := range 12 {
					n += hs[(from+h)%24]
				}
				best = max(best, n)
			}
			if best < sizes[team]*4/5 {
				t.Errorf("team %d signs up %d of %d personas in its busiest twelve hours of the day, want a shift", team, best, sizes[team])
			}
		}
	})
}

// TestOperationInBacktest checks the operation in the whole Backtest
// scenario, as a detector sees it: thousands of accounts made by people
// over weeks through VPNs, servers and proxies, each tied to another of
// them by what it was made on or with, or where it is signed into from.
func TestOperationInBacktest(t *testing.T) {
	t.Parallel()
	c := backtestOperation(t)
	evs, labels := backtest(t)
	lab := byAccount(labels)
	var ops []event.Event
	for _, e := range evs {
		if l := lab[e.AccountID()]; l.Campaign == c.ID {
			if l.Kind != Operation {
				t.Fatalf("account %s of %s has kind %q", l.AccountID, c.ID, l.Kind)
			}
			ops = append(ops, e)
		}
	}
	su := signups(ops)
	if len(su) != c.Accounts {
		t.Fatalf("%d signups of %s, want %d", len(su), c.ID, c.Accounts)
	}
	days, perHour := map[string]bool{}, map[time.Time]int{}
	named := 0
	for _, e := range su {
		s := e.Signup
		switch n, _ := Lookup(s.IP); n.Role {
		case VPN, Hosting, ResidentialProxy:
		default:
			t.Errorf("persona %s signed up from %s (%s)", s.AccountID, s.IP, n.Role)
		}
		days[s.CreatedAt.Format(time.DateOnly)] = true
		perHour[s.CreatedAt.Truncate(time.Hour)]++
		local, _, _ := strings.Cut(s.Address, "@")
		for _, part := range strings.Fields(strings.ToLower(s.DisplayName)) {
			if part = fold(part, "US", false); len(part) > 2 && strings.Contains(local, part) {
				named++
				break
			}
		}
	}
	busiest := 0
	for _, n := range perHour {
		busiest = max(busiest, n)
	}
	t.Logf("%d signups over %d days, at most %d in an hour; %d mailbox names with the display name in them", len(su), len(days), busiest, named)
	if len(days) < 20 || busiest > c.Accounts/50 {
		t.Errorf("%d signups over %d days, %d in the busiest hour: want people's pace over weeks", len(su), len(days), busiest)
	}
	if named < c.Accounts*7/10 {
		t.Errorf("%d of %d mailbox names have the persona's name in them, want people's names", named, c.Accounts)
	}
	counts := sharers(personaTies(ops))
	for id, p := range personaTies(ops) {
		if len(p.shared(counts)) == 0 {
			t.Errorf("persona %s shares nothing with another of the operation", id)
		}
	}
}

// TestOperationMessages checks that each team of an operation applies for
// jobs with résumés of its own, through its exits.
func TestOperationMessages(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 4, 6, 0, 0, 0, 0, time.UTC)
	cfg := Config{
		Seed: 17, Start: start, Days: 14, Messages: true,
		Campaigns: []Campaign{{ID: "op", Type: Operation, Start: start.Add(24 * time.Hour), Accounts: 150, Spread: 10 * 24 * time.Hour}},
	}
	// Without genuine signups the operation's accounts have the same ids
	// alone as in the scenario.
	_, members := operationAlone(t, cfg, "op")
	s := loadScenarioMail(cfg)
	if s.err != nil {
		t.Fatal(s.err)
	}
	teams := map[int]bool{}
	for _, m := range members {
		teams[m.team] = true
	}
	resumes := map[[32]byte]map[int]map[string]bool{} // by file: team: personas
	senders := map[int]map[string]bool{}
	for i, e := range s.msgs {
		id := e.AccountID()
		if s.labels[id].Campaign != "op" {
			continue
		}
		m, ok := members[id]
		if !ok {
			t.Fatalf("account %s of the operation is in no team", id)
		}
		if senders[m.team] == nil {
			senders[m.team] = map[string]bool{}
		}
		senders[m.team][id] = true
		switch n, _ := Lookup(s.parsed[i].ip); n.Role {
		case VPN, Hosting, ResidentialProxy:
		default:
			t.Errorf("persona %s sends from %s (%s)", id, s.parsed[i].ip, n.Role)
		}
		for _, f := range s.parsed[i].files {
			if f.ctype != "application/pdf" {
				continue
			}
			h := sum(f.data)
			if resumes[h] == nil {
				resumes[h] = map[int]map[string]bool{}
			}
			if resumes[h][m.team] == nil {
				resumes[h][m.team] = map[string]bool{}
			}
			resumes[h][m.team][id] = true
		}
	}
	top := map[int]int{}
	for _, byTeam := range resumes {
		if len(byTeam) > 1 {
			t.Errorf("a résumé is sent by personas of %d teams", len(byTeam))
		}
		for team, ps := range byTeam {
			top[team] = max(top[team], len(ps))
		}
	}
	for team := range teams {
		if n := len(senders[team]); n == 0 || top[team] < n/5 || top[team] < 2 {
			t.Errorf("team %d: %d personas send, the most shared résumé is %d's", team, n, top[team])
		}
	}
	t.Logf("%d teams; personas of the most shared résumé of each: %v", len(teams), top)
}
