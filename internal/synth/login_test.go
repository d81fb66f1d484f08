package synth

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// loginSmall is a two-week scenario with sign-ins and a campaign of each
// type: enough for determinism and independence, quick to generate.
func loginSmall(seed int64) Config {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	return Config{
		Seed: seed, Start: start, Days: 14, GenuinePerDay: 80, Logins: true,
		Campaigns: []Campaign{
			{ID: "bw", Type: BotWave, Start: start.Add(100 * time.Hour), Accounts: 40, Spread: 10 * time.Minute},
			{ID: "it", Type: ITWorkerFarm, Start: start.Add(50 * time.Hour), Accounts: 30, Spread: 5 * 24 * time.Hour},
			{ID: "sw", Type: SlowWave, Start: start.Add(time.Hour), Accounts: 20, Spread: 10 * 24 * time.Hour},
			{ID: "lf", Type: LaptopFarm, Start: start.Add(150 * time.Hour), Accounts: 12, Spread: 3 * 24 * time.Hour},
			{ID: "op", Type: Operation, Start: start.Add(30 * time.Hour), Accounts: 40, Spread: 8 * 24 * time.Hour},
		},
	}
}

func TestLoginsDeterministic(t *testing.T) {
	t.Parallel()
	evs1, labels1 := generate(t, loginSmall(5))
	evs2, labels2 := generate(t, loginSmall(5))
	if !reflect.DeepEqual(evs1, evs2) || !reflect.DeepEqual(labels1, labels2) {
		t.Fatal("the same Config generated different sign-ins")
	}
	other, _ := generate(t, loginSmall(6))
	if reflect.DeepEqual(logins(evs1), logins(other)) {
		t.Error("a different seed generated the same sign-ins")
	}
	if n := len(logins(evs1)); n < len(signups(evs1)) {
		t.Errorf("%d sign-ins for %d signups", n, len(signups(evs1)))
	}
}

// TestLoginsLeaveSignupsAlone checks that turning sign-ins on changes
// neither the signups nor their labels, so that the figures of a
// signups-only run stay comparable.
func TestLoginsLeaveSignupsAlone(t *testing.T) {
	t.Parallel()
	cfg := loginSmall(9)
	with, withLabels := generate(t, cfg)
	cfg.Logins = false
	alone, aloneLabels := generate(t, cfg)
	if got := signups(with); len(got) == len(with) || !reflect.DeepEqual(got, alone) {
		t.Errorf("signups differ with sign-ins: %d against %d", len(got), len(alone))
	}
	var got []Label
	for _, l := range withLabels {
		if l.Kind != Established {
			got = append(got, l)
		}
	}
	if !reflect.DeepEqual(got, aloneLabels) {
		t.Errorf("labels of the signed-up accounts differ with sign-ins: %d against %d", len(got), len(aloneLabels))
	}
}

// TestLoginsIndependent checks that removing a campaign leaves the genuine
// accounts' sign-ins as they were. (The later campaigns' accounts get other
// ids, as their signups do.)
func TestLoginsIndependent(t *testing.T) {
	t.Parallel()
	cfg := loginSmall(8)
	all, allLabels := generate(t, cfg)
	cfg.Campaigns = slices.DeleteFunc(slices.Clone(cfg.Campaigns), func(c Campaign) bool { return c.ID == "bw" })
	fewer, fewerLabels := generate(t, cfg)
	genuine := func(evs []event.Event, labels []Label) []event.Event {
		lab := byAccount(labels)
		var out []event.Event
		for _, e := range logins(evs) {
			if lab[e.AccountID()].Campaign == "" {
				out = append(out, e)
			}
		}
		return out
	}
	got, want := genuine(all, allLabels), genuine(fewer, fewerLabels)
	if len(got) == 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d genuine sign-ins with the bot wave, %d without, or they differ", len(got), len(want))
	}
}

// TestUUIDOf holds the hand-written formatter to the fmt one it replaced,
// which the committed demo's event ids were made with.
func TestUUIDOf(t *testing.T) {
	t.Parallel()
	r := newRNG(1, "uuid")
	for range 1000 {
		hi, lo := r.u64(), r.u64()
		h, l := hi&^0xf000|0x4000, lo&^(3<<62)|1<<63
		want := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", h>>32, h>>16&0xffff, h&0xffff, l>>48, l&0xffffffffffff)
		if got := uuidOf(hi, lo); got != want {
			t.Fatalf("uuidOf(%x, %x) = %s, want %s", hi, lo, got, want)
		}
	}
}

func logins(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == event.KindLogin {
			out = append(out, e)
		}
	}
	return out
}

// history is one account's events in a scenario, and the block of the
// address of each sign-in (Lookup scans the plan: once per sign-in).
type history struct {
	label  Label
	signup *event.Event
	logins []*event.Login
	nets   []Network
}

func histories(evs []event.Event, labels []Label) map[string]*history {
	hs := make(map[string]*history, len(labels))
	for _, l := range labels {
		hs[l.AccountID] = &history{label: l}
	}
	blocks := map[netip.Addr]Network{}
	for i := range evs {
		e := &evs[i]
		h := hs[e.AccountID()]
		if e.Signup != nil {
			h.signup = e
		} else if e.Login != nil {
			n, ok := blocks[e.Login.IP]
			if !ok {
				n, _ = Lookup(e.Login.IP)
				blocks[e.Login.IP] = n
			}
			h.logins, h.nets = append(h.logins, e.Login), append(h.nets, n)
		}
	}
	return hs
}

// locates says whether a block locates its users: hosting, VPN, Tor and
// proxy addresses do not.
func locates(n Network) bool {
	switch n.Role {
	case Hosting, VPN, Tor, PublicProxy, ResidentialProxy:
		return false
	}
	return n.Prefix.IsValid()
}

func TestLogins(t *testing.T) {
	t.Parallel()
	cfg := backtestConfig()
	evs, labels := backtest(t)
	hs := histories(evs, labels)
	end := cfg.Start.AddDate(0, 0, cfg.Days)
	share := func(a, b int) float64 { return float64(a) / float64(max(b, 1)) }

	t.Run("in time order, after the signup", func(t *testing.T) {
		t.Parallel()
		for i := 1; i < len(evs); i++ {
			if evs[i].Time.Before(evs[i-1].Time) {
				t.Fatalf("event %d (%s) sent before event %d", i, evs[i].ID, i-1)
			}
		}
		for id, h := range hs {
			var prev time.Time
			for _, l := range h.logins {
				switch {
				case h.signup != nil && !l.At.After(h.signup.Time):
					t.Fatalf("account %s signs in at %s, before its signup's event at %s", id, l.At, h.signup.Time)
				case l.At.Before(cfg.Start) || !l.At.Before(end):
					t.Fatalf("account %s signs in at %s, outside the scenario", id, l.At)
				case l.At.Sub(prev) < minGap:
					t.Fatalf("account %s signs in at %s, %s after its previous sign-in", id, l.At, l.At.Sub(prev))
				case l.Result != "success" && l.Result != "failure" && l.Result != "challenge":
					t.Fatalf("account %s: result %q", id, l.Result)
				}
				prev = l.At
			}
		}
		for i := range evs {
			if e := &evs[i]; e.Login != nil {
				if lag := e.Time.Sub(e.Login.At); lag < 0 || lag > time.Second {
					t.Fatalf("sign-in %s at %s sent %s later", e.ID, e.Login.At, lag)
				}
			}
		}
	})

	t.Run("volume", func(t *testing.T) {
		t.Parallel()
		n, su := 0, 0
		for _, h := range hs {
			n += len(h.logins)
			if h.signup != nil {
				su++
			}
		}
		// Sign-ins a day of the new genuine accounts seen for a week or more,
		// from the first sign-in to the end.
		var perDay []float64
		for _, h := range hs {
			if h.label.Campaign != "" || h.signup == nil || len(h.logins) < 2 {
				continue
			}
			days := end.Sub(h.logins[0].At).Hours() / 24
			if days >= 7 {
				perDay = append(perDay, float64(len(h.logins))/days)
			}
		}
		slices.Sort(perDay)
		q := func(f float64) float64 { return perDay[int(f*float64(len(perDay)-1))] }
		t.Logf("%d sign-ins, %d signups (%.2f a signup); new genuine accounts' sign-ins a day: p10 %.2f, p25 %.2f, median %.2f, p75 %.2f, p90 %.2f",
			n, su, share(n, su), q(0.1), q(0.25), q(0.5), q(0.75), q(0.9))
		if r := share(n, su); r < 2 || r > 5 {
			t.Errorf("%.2f sign-ins a signup, want 2 to 5: the backtest's run time follows it", r)
		}
		if m := median(perDay); m < 1 || m > 4 {
			t.Errorf("median genuine account signs in %.2f times a day, want several", m)
		}
	})

	// The established accounts are left out: the stream carries only their
	// sign-ins at shared places, where a carrier's subscribers pass through
	// each address once.
	t.Run("new genuine accounts' sign-ins repeat what is known", func(t *testing.T) {
		t.Parallel()
		var n, repeat, failure, challenge int
		for _, h := range hs {
			if h.label.Campaign != "" || h.signup == nil {
				continue
			}
			known := map[pair]bool{}
			for _, l := range h.logins {
				k := pairOf(l.IP, l.DeviceID)
				n++
				if known[k] {
					repeat++
				}
				known[k] = true
				switch l.Result {
				case "failure":
					failure++
				case "challenge":
					challenge++
				}
			}
		}
		t.Logf("genuine: %d sign-ins, %.3f from a known address (IPv6: /64) and device, %.4f failed, %.4f challenged",
			n, share(repeat, n), share(failure, n), share(challenge, n))
		if s := share(repeat, n); s < 0.8 {
			t.Errorf("%.3f of genuine sign-ins repeat a known address and device, want at least 0.8", s)
		}
		if s := share(failure, n); s < 0.005 || s > 0.04 {
			t.Errorf("%.4f of genuine sign-ins failed, want a small share", s)
		}
		if s := share(challenge, n); s < 0.002 || s > 0.03 {
			t.Errorf("%.4f of genuine sign-ins challenged, want a small share", s)
		}
	})

	t.Run("flights take as long as flights do", func(t *testing.T) {
		t.Parallel()
		flights := map[string]int{}
		for id, h := range hs {
			if h.label.Campaign != "" {
				continue
			}
			var from Network
			var at time.Time
			for i, l := range h.logins {
				n := h.nets[i]
				if !locates(n) {
					continue
				}
				if !at.IsZero() && n.Country != from.Country {
					d, hours := km(from, n), l.At.Sub(at).Hours()
					// Below 500 km GeoIP is too rough to speak of travel
					// (a carrier's block in the next city).
					if d > 500 && d/hours > 900 {
						t.Errorf("genuine %s account %s: %s to %s, %.0f km in %.1f h", h.label.Kind, id, from.City, n.City, d, hours)
					}
					route := from.City + " to " + n.City
					flights[route]++
					if route == "New York to London" || route == "Frankfurt am Main to Bengaluru" {
						if hours < 7 {
							t.Errorf("account %s: %s in %.1f h", id, route, hours)
						}
						if h.label.Kind == "home" || h.label.Kind == "mobile-cgnat" {
							if learned := l.At.Sub(h.logins[0].At); i < learnLogins || learned < learnTime {
								t.Errorf("account %s abroad after %d sign-ins and %s: before it is learned", id, i, learned)
							}
						}
					}
				}
				from, at = n, l.At
			}
		}
		t.Logf("flights (from one country to another between sign-ins): New York to London %d, Frankfurt am Main to Bengaluru %d, all %d",
			flights["New York to London"], flights["Frankfurt am Main to Bengaluru"], len(flights))
		for _, route := range []string{"New York to London", "Frankfurt am Main to Bengaluru"} {
			if flights[route] == 0 {
				t.Errorf("no flight %s", route)
			}
		}
	})

	t.Run("families share a computer, three at most", func(t *testing.T) {
		t.Parallel()
		users := map[string]map[string]bool{}
		for id, h := range hs {
			if h.label.Kind != "family-device" {
				continue
			}
			for _, l := range h.logins {
				if users[l.DeviceID] == nil {
					users[l.DeviceID] = map[string]bool{}
				}
				users[l.DeviceID][id] = true
			}
		}
		shared := 0
		for dev, us := range users {
			if len(us) > 3 {
				t.Errorf("family device %s signs in %d accounts", dev, len(us))
			}
			if len(us) > 1 {
				shared++
			}
		}
		if shared < 10 {
			t.Errorf("%d family devices shared by several accounts, want many", shared)
		}
	})

	t.Run("campus addresses carry hundreds of accounts", func(t *testing.T) {
		t.Parallel()
		type seen struct{ all, young map[string]bool }
		at := map[netip.Addr]*seen{}
		for id, h := range hs {
			for i, l := range h.logins {
				if h.nets[i].Role != Campus {
					continue
				}
				s := at[l.IP]
				if s == nil {
					s = &seen{map[string]bool{}, map[string]bool{}}
					at[l.IP] = s
				}
				s.all[id] = true
				if h.signup != nil {
					s.young[id] = true
				}
			}
		}
		busiest, young := 0, 0
		for _, s := range at {
			if len(s.all) > busiest {
				busiest, young = len(s.all), len(s.young)
			}
		}
		t.Logf("the busiest campus address: %d accounts, %d of them new", busiest, young)
		if busiest < 150 || young < 10 || young*2 > busiest {
			t.Errorf("the busiest campus address signs in %d accounts, %d new; want hundreds, mostly established", busiest, young)
		}
	})

	t.Run("established accounts are most of those at shared places", func(t *testing.T) {
		t.Parallel()
		g := newGen(cfg)
		places := map[netip.Addr]string{}
		for _, n := range World() {
			switch {
			case n.Role == Mobile:
				for _, ip := range g.pools[n.Prefix] {
					places[ip] = "carrier NAT"
				}
			case n.Role == Residential && n.Prefix.Addr().Is4():
				for k := range hotelsPerBlock {
					places[g.hotelAddr(n, k)] = "hotel"
				}
			}
		}
		for _, h := range hs {
			if h.label.Kind == "internet-cafe" {
				places[h.signup.Signup.IP] = "internet café"
			}
		}
		var ins, est int
		for _, h := range hs {
			ins += len(h.logins)
			if h.label.Kind == Established {
				est += len(h.logins)
			}
		}
		used := map[string][]float64{} // the young share of each place's worst week
		for ip, c := range crowds(hs, cfg.Start, cfg.Days) {
			kind := places[ip]
			if kind == "" || c.young == 0 {
				continue
			}
			used[kind] = append(used[kind], share(c.young, c.young+c.est))
			if c.est <= c.young {
				t.Errorf("%s %s: in its worst week %d new mailboxes sign in, %d established accounts begin to", kind, ip, c.young, c.est)
			}
		}
		t.Logf("%d sign-ins, %.3f of them from established accounts", ins, share(est, ins))
		for _, kind := range []string{"carrier NAT", "hotel", "internet café"} {
			ys := used[kind]
			slices.Sort(ys)
			if len(ys) < 5 {
				t.Errorf("new mailboxes sign in at %d %s addresses, want many", len(ys), kind)
				continue
			}
			t.Logf("%d %s addresses with new mailboxes; their share in the worst week: median %.2f, max %.2f", len(ys), kind, median(ys), ys[len(ys)-1])
		}
	})

	t.Run("carrier NAT addresses stay in a few /24s of one carrier", func(t *testing.T) {
		t.Parallel()
		for id, h := range hs {
			if h.label.Kind != "mobile-cgnat" {
				continue
			}
			home, _ := Lookup(h.signup.Signup.IP)
			nets, subnets := map[netip.Prefix]bool{}, map[netip.Prefix]bool{}
			for i, l := range h.logins {
				// Abroad, a traveller's phone may have a local SIM.
				if n := h.nets[i]; n.Role == Mobile && n.Country == home.Country && l.IP.Is4() {
					nets[n.Prefix], subnets[netip.PrefixFrom(l.IP, 24).Masked()] = true, true
				}
			}
			if len(nets) > 1 || len(subnets) > 4 {
				t.Errorf("account %s signs in from %d carrier blocks, %d /24s", id, len(nets), len(subnets))
			}
		}
	})

	t.Run("VPN exits change country", func(t *testing.T) {
		t.Parallel()
		var users, several int
		for _, h := range hs {
			if h.label.Kind != "commercial-vpn" {
				continue
			}
			countries := map[string]bool{}
			vpn := 0
			for i := range h.logins {
				if n := h.nets[i]; n.Role == VPN {
					countries[n.Country] = true
					vpn++
				}
			}
			if vpn >= 10 {
				users++
				if len(countries) > 1 {
					several++
				}
			}
		}
		if users < 50 || share(several, users) < 0.6 {
			t.Errorf("%d of %d VPN users with ten VPN sign-ins use exits in several countries", several, users)
		}
	})

	t.Run("genuine IMAP comes from home lines", func(t *testing.T) {
		t.Parallel()
		var n, home int
		for id, h := range hs {
			if h.label.Campaign != "" {
				continue
			}
			for i, l := range h.logins {
				if l.Protocol != "imap" {
					continue
				}
				n++
				switch nw := h.nets[i]; nw.Role {
				case Residential:
					home++
				case Hosting, Tor, PublicProxy, ResidentialProxy:
					t.Errorf("genuine account %s signs in over IMAP from %s (%s)", id, l.IP, nw.Role)
				}
			}
		}
		if n < 500 || share(home, n) < 0.7 {
			t.Errorf("%d genuine IMAP sign-ins, %d from home lines", n, home)
		}
	})

	t.Run("farms", func(t *testing.T) {
		t.Parallel()
		type farm struct{ accounts, devices map[string]bool }
		farms := map[string]map[netip.Addr]*farm{}
		for id, h := range hs {
			if h.label.Kind != ITWorkerFarm && h.label.Kind != LaptopFarm {
				continue
			}
			c := h.label.Campaign
			if farms[c] == nil {
				farms[c] = map[netip.Addr]*farm{}
			}
			for i, l := range h.logins {
				if n := h.nets[i]; n.Role != Residential || n.Country != "US" {
					continue
				}
				f := farms[c][l.IP]
				if f == nil {
					f = &farm{map[string]bool{}, map[string]bool{}}
					farms[c][l.IP] = f
				}
				f.accounts[id] = true
				f.devices[l.DeviceID] = true
			}
		}
		for _, c := range cfg.Campaigns {
			if c.Type != ITWorkerFarm && c.Type != LaptopFarm {
				continue
			}
			big := 0
			for ip, f := range farms[c.ID] {
				if len(f.accounts) < 10 {
					continue
				}
				big++
				// Operator machines: the devices that sign in several
				// personas at the farm.
				users := map[string]int{}
				for id := range f.accounts {
					seen := map[string]bool{}
					for _, l := range hs[id].logins {
						if l.IP == ip && !seen[l.DeviceID] {
							seen[l.DeviceID] = true
							users[l.DeviceID]++
						}
					}
				}
				ops := 0
				for _, n := range users {
					if n >= 3 {
						ops++
					}
				}
				if ops < 1 || ops > 3 {
					t.Errorf("%s: farm %s signs in %d accounts on %d machines shared by three or more", c.ID, ip, len(f.accounts), ops)
				}
			}
			if big == 0 || big > 5 {
				t.Errorf("%s: %d US home addresses sign in ten or more of its accounts, want one to five", c.ID, big)
			}
		}
	})

	t.Run("IT workers slip abroad, a minority, a few times", func(t *testing.T) {
		t.Parallel()
		var accounts, slipped int
		for id, h := range hs {
			if h.label.Kind != ITWorkerFarm || len(h.logins) == 0 {
				continue
			}
			accounts++
			slips := 0
			for i := 1; i < len(h.logins); i++ {
				a, b := h.logins[i-1], h.logins[i]
				na, nb := h.nets[i-1], h.nets[i]
				gap := b.At.Sub(a.At)
				if na.Role == Residential && na.Country == "US" && (nb.Country == "CN" || nb.Country == "RU") &&
					(nb.Role == Residential || nb.Role == Mobile) && gap >= 5*time.Minute && gap <= time.Hour {
					slips++
				}
			}
			if slips > 3 {
				t.Errorf("account %s signs in from China or Russia just after the US %d times", id, slips)
			}
			if slips > 0 {
				slipped++
			}
		}
		t.Logf("%d of %d IT-worker accounts sign in from China or Russia within the hour of a US sign-in", slipped, accounts)
		if s := share(slipped, accounts); s < 0.02 || s > 0.3 {
			t.Errorf("%d of %d IT-worker accounts slip abroad, want a minority", slipped, accounts)
		}
	})

	t.Run("bots sign in from their servers, over IMAP and SMTP too", func(t *testing.T) {
		t.Parallel()
		var n, mail int
		for id, h := range hs {
			if h.label.Kind != BotWave {
				continue
			}
			successes := 0
			for _, l := range h.logins {
				if l.Result == "success" {
					successes++
				}
			}
			if successes > 5 {
				t.Errorf("bot account %s signs in %d times, want a few", id, successes)
			}
			for i, l := range h.logins {
				n++
				if l.Protocol == "imap" || l.Protocol == "smtp" {
					mail++
				}
				if nw := h.nets[i]; nw.Role != Hosting && nw.Role != Tor && nw.Role != PublicProxy {
					t.Errorf("bot account %s signs in from %s (%s)", id, l.IP, nw.Role)
				}
			}
		}
		if n == 0 || share(mail, n) < 0.2 {
			t.Errorf("%d bot sign-ins, %d over IMAP or SMTP", n, mail)
		}
	})

	t.Run("slow waves sign in from varied homes", func(t *testing.T) {
		t.Parallel()
		var n, distinct int
		for _, h := range hs {
			if h.label.Kind != SlowWave {
				continue
			}
			ips := map[netip.Addr]bool{}
			for i, l := range h.logins {
				if nw := h.nets[i]; nw.Role != Residential && nw.Role != ResidentialProxy && nw.Role != Mobile {
					t.Errorf("slow-wave account %s signs in from %s (%s)", h.label.AccountID, l.IP, nw.Role)
				}
				ips[l.IP] = true
			}
			n += len(h.logins)
			distinct += len(ips)
		}
		if n == 0 || share(distinct, n) < 0.8 {
			t.Errorf("%d slow-wave sign-ins from %d addresses", n, distinct)
		}
	})
}

// crowd is an address's worst week for the login scanner's farm judgement:
// the young accounts (signed up in the scenario) that signed in there, and
// the established accounts that began signing in from its /24 there, in the
// seven days where the young outnumber the established the most.
type crowd struct{ young, est, maxYoung int }

// crowds measures the worst week of every IPv4 address signed in from.
func crowds(hs map[string]*history, start time.Time, days int) map[netip.Addr]crowd {
	type day struct {
		young, est map[string]bool
	}
	at := map[netip.Addr][]day{}
	for id, h := range hs {
		seenNet := map[netip.Prefix]bool{}
		for _, l := range h.logins {
			if !l.IP.Is4() {
				continue
			}
			d := int(l.At.Sub(start) / (24 * time.Hour))
			ds := at[l.IP]
			if ds == nil {
				ds = make([]day, days)
				at[l.IP] = ds
			}
			if ds[d].young == nil {
				ds[d] = day{map[string]bool{}, map[string]bool{}}
			}
			net := netip.PrefixFrom(l.IP, 24).Masked()
			switch {
			case h.signup != nil && h.label.Campaign == "":
				ds[d].young[id] = true
			case h.label.Kind == Established && !seenNet[net]:
				ds[d].est[id] = true
			}
			seenNet[net] = true
		}
	}
	out := make(map[netip.Addr]crowd, len(at))
	for ip, ds := range at {
		worst := crowd{young: 0, est: 0}
		best := -1 << 30
		for end := range days {
			young, est := map[string]bool{}, map[string]bool{}
			for d := max(end-6, 0); d <= end; d++ {
				for id := range ds[d].young {
					young[id] = true
				}
				for id := range ds[d].est {
					est[id] = true
				}
			}
			if len(young) > worst.maxYoung {
				worst.maxYoung = len(young)
			}
			if len(young) > 0 && len(young)-len(est) > best {
				best = len(young) - len(est)
				worst.young, worst.est = len(young), len(est)
			}
		}
		out[ip] = worst
	}
	return out
}
