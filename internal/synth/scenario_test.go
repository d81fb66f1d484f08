package synth

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

func generate(t *testing.T, cfg Config) ([]event.Event, []Label) {
	t.Helper()
	evs, labels, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return evs, labels
}

// generated is a scenario as Generate returned it.
type generated struct {
	evs    []event.Event
	labels []Label
	err    error
}

// backtestOnce is the Backtest scenario with sign-ins, as abusectl
// backtest runs it, generated once for all the tests that read it (none may
// modify it).
var backtestOnce = sync.OnceValue(func() generated {
	evs, labels, err := Generate(backtestConfig())
	return generated{evs, labels, err}
})

func backtestConfig() Config {
	cfg := Backtest()
	cfg.Logins = true
	return cfg
}

func backtest(t *testing.T) ([]event.Event, []Label) {
	t.Helper()
	g := backtestOnce()
	if g.err != nil {
		t.Fatalf("Generate: %v", g.err)
	}
	return g.evs, g.labels
}

// signups returns the signup events of evs, in order.
func signups(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind == event.KindSignup {
			out = append(out, e)
		}
	}
	return out
}

// byAccount returns the labels by account.
func byAccount(labels []Label) map[string]Label {
	m := make(map[string]Label, len(labels))
	for _, l := range labels {
		m[l.AccountID] = l
	}
	return m
}

func small(seed int64) Config {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	return Config{
		Seed: seed, Start: start, Days: 2, GenuinePerDay: 300,
		Campaigns: []Campaign{
			{ID: "bw", Type: BotWave, Start: start.Add(30 * time.Hour), Accounts: 50, Spread: 10 * time.Minute},
			{ID: "it", Type: ITWorkerFarm, Start: start.Add(20 * time.Hour), Accounts: 20, Spread: 24 * time.Hour},
			{ID: "sw", Type: SlowWave, Start: start.Add(time.Hour), Accounts: 20, Spread: 40 * time.Hour},
			{ID: "lf", Type: LaptopFarm, Start: start.Add(12 * time.Hour), Accounts: 10, Spread: 30 * time.Hour},
			{ID: "op", Type: Operation, Start: start.Add(6 * time.Hour), Accounts: 40, Spread: 36 * time.Hour},
		},
	}
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	evs1, labels1 := generate(t, Demo())
	evs2, labels2 := generate(t, Demo())
	if !reflect.DeepEqual(evs1, evs2) || !reflect.DeepEqual(labels1, labels2) {
		t.Fatal("the same Config generated different scenarios")
	}
	other, _ := generate(t, func() Config { c := Demo(); c.Seed++; return c }())
	if reflect.DeepEqual(evs1, other) {
		t.Error("a different seed generated the same scenario")
	}
}

// TestCampaignsIndependent checks that adding a campaign leaves the genuine
// population and the other campaigns as they were.
func TestCampaignsIndependent(t *testing.T) {
	t.Parallel()
	cfg := small(3)
	all, allLabels := generate(t, cfg)
	cfg.Campaigns = cfg.Campaigns[1:]
	fewer, fewerLabels := generate(t, cfg)
	key := func(evs []event.Event, labels []Label) []string {
		var out []string
		for i, e := range evs {
			if labels[i].Campaign != "bw" {
				out = append(out, e.Signup.Address+" "+e.Signup.IP.String()+" "+e.Signup.CreatedAt.String())
			}
		}
		return out
	}
	got, want := key(all, allLabels), key(fewer, fewerLabels)
	if len(got) != len(want) {
		t.Fatalf("other accounts: %d with the bot wave, %d without", len(got), len(want))
	}
	diff := 0
	for i := range got {
		if got[i] != want[i] {
			diff++
		}
	}
	// Addresses may differ where a bot took a name a person wanted.
	if diff > len(got)/100 {
		t.Errorf("%d of %d other signups changed when a campaign was removed", diff, len(got))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ok := Campaign{ID: "c", Type: BotWave, Start: start.Add(time.Hour), Accounts: 10, Spread: time.Minute}
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" = valid
	}{
		{"valid", Config{Start: start, Days: 1, GenuinePerDay: 10, Campaigns: []Campaign{ok}}, ""},
		{"no genuine traffic is fine", Config{Start: start, Days: 1}, ""},
		{"no start", Config{Days: 1}, "start missing"},
		{"zero days", Config{Start: start}, "days 0"},
		{"negative per day", Config{Start: start, Days: 1, GenuinePerDay: -1}, "genuinePerDay"},
		{"too many", Config{Start: start, Days: 1000, GenuinePerDay: 100_000}, "more than"},
		{"no id", Config{Start: start, Days: 1, Campaigns: []Campaign{{Type: BotWave, Start: start, Accounts: 1}}}, "id missing"},
		{"duplicate id", Config{Start: start, Days: 1, Campaigns: []Campaign{ok, ok}}, "used twice"},
		{"unknown type", Config{Start: start, Days: 1, Campaigns: []Campaign{{ID: "x", Type: "spam", Start: start, Accounts: 1}}}, "type \"spam\""},
		{"no accounts", Config{Start: start, Days: 1, Campaigns: []Campaign{{ID: "x", Type: BotWave, Start: start}}}, "accounts 0"},
		{"negative spread", Config{Start: start, Days: 1, Campaigns: []Campaign{{ID: "x", Type: BotWave, Start: start, Accounts: 1, Spread: -time.Second}}}, "negative spread"},
		{"before start", Config{Start: start, Days: 1, Campaigns: []Campaign{{ID: "x", Type: BotWave, Start: start.Add(-time.Hour), Accounts: 1}}}, "not within"},
		{"past the end", Config{Start: start, Days: 1, Campaigns: []Campaign{{ID: "x", Type: SlowWave, Start: start, Accounts: 1, Spread: 48 * time.Hour}}}, "not within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			_, _, genErr := Generate(tt.cfg)
			if tt.want == "" {
				if err != nil || genErr != nil {
					t.Fatalf("Validate = %v, Generate = %v; want nil", err, genErr)
				}
				return
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want ErrConfig mentioning %q", err, tt.want)
			}
			if !errors.Is(genErr, ErrConfig) {
				t.Errorf("Generate = %v, want ErrConfig", genErr)
			}
		})
	}
}

// checkScenario runs the checks every generated scenario must pass.
func checkScenario(t *testing.T, cfg Config, evs []event.Event, labels []Label) {
	t.Run("round trip", func(t *testing.T) {
		t.Parallel()
		logins := 0
		for i, e := range evs {
			if e.Kind == event.KindLogin {
				// Sign-ins are many and alike: every 100th is enough.
				if logins++; logins%100 != 1 {
					continue
				}
			}
			data, err := event.Marshal(e)
			if err != nil {
				t.Fatalf("event %d: Marshal: %v", i, err)
			}
			got, err := event.Decode(data)
			if err != nil {
				t.Fatalf("event %d: Decode(%s): %v", i, data, err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("event %d changed in a round trip:\n got %+v %+v\nwant %+v %+v", i, got.Signup, got.Login, e.Signup, e.Login)
			}
		}
	})
	t.Run("labels", func(t *testing.T) {
		t.Parallel()
		// One label per account, in the order of the accounts' first events.
		var firsts []string
		seen, eventIDs := map[string]bool{}, map[string]bool{}
		for _, e := range evs {
			if eventIDs[e.ID] {
				t.Fatalf("event id %s used twice", e.ID)
			}
			eventIDs[e.ID] = true
			if id := e.AccountID(); !seen[id] {
				seen[id] = true
				firsts = append(firsts, id)
			}
		}
		if len(labels) != len(firsts) {
			t.Fatalf("%d labels for %d accounts", len(labels), len(firsts))
		}
		su := signups(evs)
		if !cfg.Logins && len(su) != len(evs) {
			t.Fatalf("%d events, %d of them signups, without Logins", len(evs), len(su))
		}
		signedUp := map[string]event.Event{}
		addrs := map[string]bool{}
		for _, e := range su {
			if _, dup := signedUp[e.AccountID()]; dup || addrs[e.Signup.Address] {
				t.Fatalf("account %s or address %s signed up twice", e.AccountID(), e.Signup.Address)
			}
			signedUp[e.AccountID()], addrs[e.Signup.Address] = e, true
		}
		perCampaign := map[string]int{}
		for i, l := range labels {
			if l.AccountID != firsts[i] {
				t.Fatalf("label %d is for %s, the %d-th account to appear is %s", i, l.AccountID, i, firsts[i])
			}
			e, ok := signedUp[l.AccountID]
			if l.Kind == Established {
				if ok || l.Campaign != "" || !cfg.Logins {
					t.Fatalf("established account %s: signup %v, campaign %q, Logins %v", l.AccountID, ok, l.Campaign, cfg.Logins)
				}
				continue
			}
			if !ok {
				t.Fatalf("account %s (%s) never signed up", l.AccountID, l.Kind)
			}
			if l.Campaign == "" {
				if !slices.Contains(GenuineKinds(), l.Kind) {
					t.Errorf("genuine account %s has kind %q", l.AccountID, l.Kind)
				}
				continue
			}
			perCampaign[l.Campaign]++
			i := slices.IndexFunc(cfg.Campaigns, func(c Campaign) bool { return c.ID == l.Campaign })
			if i < 0 || cfg.Campaigns[i].Type != l.Kind {
				t.Fatalf("account %s: campaign %q of kind %q is not in the config", l.AccountID, l.Campaign, l.Kind)
			}
			c := cfg.Campaigns[i]
			if at := e.Signup.CreatedAt; at.Before(c.Start) || at.After(c.Start.Add(c.Spread).Add(time.Minute)) {
				t.Errorf("account %s of %s created at %s, outside the campaign", l.AccountID, c.ID, at)
			}
		}
		for _, c := range cfg.Campaigns {
			if perCampaign[c.ID] != c.Accounts {
				t.Errorf("campaign %s has %d accounts, want %d", c.ID, perCampaign[c.ID], c.Accounts)
			}
		}
	})
	t.Run("sorted and in range", func(t *testing.T) {
		t.Parallel()
		end := cfg.Start.AddDate(0, 0, cfg.Days)
		if !sort.SliceIsSorted(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) }) {
			t.Error("events are not sorted by time")
		}
		for _, e := range evs {
			if e.Signup == nil {
				continue // login_test.go checks sign-ins
			}
			if c := e.Signup.CreatedAt; c.Before(cfg.Start) || !c.Before(end) || e.Time.Before(c) {
				t.Fatalf("event %s: created %s, sent %s; span %s..%s", e.ID, c, e.Time, cfg.Start, end)
			}
		}
	})
}

func TestDemo(t *testing.T) {
	t.Parallel()
	cfg := Demo()
	evs, labels := generate(t, cfg)
	if n := len(evs); n < 2000 || n > 4000 {
		t.Errorf("demo has %d events, want 2,000 to 4,000", n)
	}
	checkScenario(t, cfg, evs, labels)
}

func TestBacktest(t *testing.T) {
	t.Parallel()
	cfg := backtestConfig()
	evs, labels := backtest(t)
	checkScenario(t, cfg, evs, labels)

	kinds := map[string]int{}
	genuine := 0
	for _, l := range labels {
		kinds[l.Kind]++
		if l.Campaign == "" && l.Kind != Established {
			genuine++
		}
	}
	t.Logf("%d events, %d genuine signups; accounts by kind: %v", len(evs), genuine, kinds)
	if genuine < 20_000 {
		t.Errorf("%d genuine signups, want tens of thousands", genuine)
	}
	t.Run("hard cases", func(t *testing.T) {
		t.Parallel()
		for _, k := range GenuineKinds() {
			if kinds[k] == 0 {
				t.Errorf("no genuine accounts of kind %s", k)
			}
		}
		for _, k := range CampaignTypes() {
			if kinds[k] == 0 {
				t.Errorf("no campaign accounts of type %s", k)
			}
		}
	})
	t.Run("statistics", func(t *testing.T) {
		t.Parallel()
		checkStatistics(t, cfg, evs, labels)
	})
	t.Run("tooling", func(t *testing.T) {
		t.Parallel()
		checkTooling(t, evs, labels)
	})
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func checkStatistics(t *testing.T, cfg Config, evs []event.Event, labels []Label) {
	evs, lab := signups(evs), byAccount(labels)
	var (
		genuine, vpn, v6, highCaptcha, captchas, noRecovery int
		genuineFill, botFill                                []float64
		mobileIPs                                           = map[string]int{}
		mobile                                              int
		perDay                                              = make([]int, cfg.Days)
		usNight, usNoon                                     int
	)
	for _, e := range evs {
		s, l := e.Signup, lab[e.AccountID()]
		n, ok := Lookup(s.IP)
		if !ok {
			t.Fatalf("account %s: %s is not in the address plan", s.AccountID, s.IP)
		}
		if l.Campaign != "" {
			if l.Kind == BotWave && s.FormFillMs != nil {
				botFill = append(botFill, float64(*s.FormFillMs))
			}
			continue
		}
		genuine++
		perDay[int(s.CreatedAt.Sub(cfg.Start)/(24*time.Hour))]++
		if n.Role == VPN {
			vpn++
		}
		if s.IP.Is6() {
			v6++
		}
		if s.CaptchaScore != nil {
			captchas++
			if *s.CaptchaScore >= 0.7 {
				highCaptcha++
			}
		}
		if s.FormFillMs != nil {
			genuineFill = append(genuineFill, float64(*s.FormFillMs))
		}
		if s.RecoveryEmail == "" && s.RecoveryPhone == "" {
			noRecovery++
		}
		if l.Kind == "mobile-cgnat" && s.IP.Is4() {
			mobile++
			mobileIPs[s.IP.String()]++
		}
		if l.Kind == "home" && n.Country == "US" {
			switch localHour(s.CreatedAt, n.TimeZone) {
			case 3, 4:
				usNight++
			case 12, 13:
				usNoon++
			}
		}
	}
	share := func(a, b int) float64 { return float64(a) / float64(b) }
	tests := []struct {
		name     string
		got      float64
		min, max float64
	}{
		{"share of genuine signups from VPN exits", share(vpn, genuine), 0.02, 0.06},
		{"share of genuine signups over IPv6", share(v6, genuine), 0.05, 0.4},
		{"share of genuine captcha scores >= 0.7", share(highCaptcha, captchas), 0.8, 0.97},
		{"share of genuine signups without recovery contact", share(noRecovery, genuine), 0.05, 0.4},
		{"median genuine form fill (s)", median(genuineFill) / 1000, 20, 90},
		{"median bot-wave form fill (s)", median(botFill) / 1000, 0.2, 5},
		{"genuine mobile signups per carrier NAT address", share(mobile, len(mobileIPs)), 10, 1e9},
		{"US home signups at 3-5am per signup at noon-2pm", share(usNight, usNoon), 0, 0.3},
	}
	for _, tt := range tests {
		if tt.got < tt.min || tt.got > tt.max {
			t.Errorf("%s = %.3f, want %g..%g", tt.name, tt.got, tt.min, tt.max)
		}
	}
	for d, n := range perDay {
		if n < cfg.GenuinePerDay/2 || n > cfg.GenuinePerDay*2 {
			t.Errorf("day %d has %d genuine signups, want about %d", d, n, cfg.GenuinePerDay)
		}
	}
}

// checkTooling checks that campaigns of one type are not all the same: the
// generator varies their tooling with the seed.
func checkTooling(t *testing.T, evs []event.Event, labels []Label) {
	type profile struct{ ips, uas, devices map[string]bool }
	profiles := map[string]*profile{}
	lab := byAccount(labels)
	for _, e := range signups(evs) {
		l := lab[e.AccountID()]
		if l.Kind != BotWave {
			continue
		}
		p := profiles[l.Campaign]
		if p == nil {
			p = &profile{map[string]bool{}, map[string]bool{}, map[string]bool{}}
			profiles[l.Campaign] = p
		}
		s := e.Signup
		p.ips[s.IP.String()], p.uas[s.UserAgent], p.devices[s.DeviceID] = true, true, true
	}
	shapes := map[[3]int]bool{}
	for _, p := range profiles {
		shapes[[3]int{min(len(p.ips), 20), min(len(p.uas), 20), min(len(p.devices), 20)}] = true
	}
	if len(profiles) < 3 || len(shapes) < 2 {
		t.Errorf("%d bot waves with %d tooling shapes: campaigns look alike", len(profiles), len(shapes))
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, country string
		umlautE       bool
		want          string
	}{
		{"Müller", "DE", true, "mueller"},
		{"Müller", "DE", false, "muller"},
		{"Hélène", "FR", false, "helene"},
		{"O'Brien", "US", false, "obrien"},
		{"van der Meer", "NL", false, "vandermeer"},
		{"Yılmaz", "DE", false, "yilmaz"},
		{"Сергей", "RU", false, "sergey"},
		{"Шевченко", "UA", false, "shevchenko"},
		{"Олександр", "UA", false, "oleksandr"},
		{"Григорьев", "RU", false, "grigorev"},
		{"Gonçalves", "BR", false, "goncalves"},
	}
	for _, tt := range tests {
		if got := fold(tt.name, tt.country, tt.umlautE); got != tt.want {
			t.Errorf("fold(%q, %s, %v) = %q, want %q", tt.name, tt.country, tt.umlautE, got, tt.want)
		}
	}
}

func TestFeminine(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"Иванов": "Иванова", "Ковалевский": "Ковалевская", "Никитин": "Никитина", "Шевченко": "Шевченко", "Мельник": "Мельник"}
	for in, want := range tests {
		if got := feminine(in); got != want {
			t.Errorf("feminine(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestLocalesCoverWorld(t *testing.T) {
	t.Parallel()
	have := map[string]bool{}
	for _, l := range locales() {
		have[l.country] = true
		r := newRNG(1, l.country)
		for range 50 {
			p := l.phone(r)
			if _, err := event.Decode([]byte(`{"version":"0","id":"x","detail-type":"Mailbox Signup","source":"s","time":"2026-01-01T00:00:00Z","detail":{"accountId":"a","address":"a@mail.example","createdAt":"2026-01-01T00:00:00Z","ip":"192.0.2.1","recoveryPhone":"` + p + `"}}`)); err != nil {
				t.Fatalf("%s phone %s: %v", l.country, p, err)
			}
		}
	}
	for _, n := range World() {
		if !have[n.Country] {
			t.Errorf("no locale for %s, the country of %s", n.Country, n.Prefix)
		}
	}
}

func TestFarmUsername(t *testing.T) {
	t.Parallel()
	p := person{first: "Elin", last: "Truesdale", firstA: "elin", lastA: "truesdale"}
	r := newRNG(1, "t")
	tests := []struct {
		style  int
		prefix string
	}{{0, "truesdale"}, {1, "truesdale"}, {2, "elin"}, {3, "elin.truesdale"}}
	for _, tt := range tests {
		got := farmUsername(r, tt.style, p)
		if !strings.HasPrefix(got, tt.prefix) || len(got) <= len(tt.prefix)+1 {
			t.Errorf("style %d: %q, want %q and random letters", tt.style, got, tt.prefix)
		}
	}
}

func BenchmarkBacktest(b *testing.B) {
	for _, with := range [][2]bool{{false, false}, {true, false}, {true, true}} {
		b.Run(fmt.Sprintf("logins=%v,messages=%v", with[0], with[1]), func(b *testing.B) {
			cfg := Backtest()
			cfg.Logins, cfg.Messages = with[0], with[1]
			for b.Loop() {
				if _, _, err := Generate(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
