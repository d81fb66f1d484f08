package synth

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// ErrConfig is wrapped by every error about a Config that cannot be
// generated.
var ErrConfig = errors.New("bad scenario config")

// Label is the truth about one account of a scenario.
type Label struct {
	AccountID string `json:"accountId"`
	// Campaign is "" for a genuine account, else the campaign's id, e.g.
	// "botwave-1".
	Campaign string `json:"campaign,omitempty"`
	// Kind is the genuine subtype ("home", "mobile-cgnat", "campus-lab",
	// "family-device", "commercial-vpn", "traveller", "expat", …; see
	// GenuineKinds) or the campaign type ("bot-wave", "it-worker-farm",
	// "slow-wave", "laptop-farm", "operation"). An account's sign-ins carry
	// no label of their own: they are the account's.
	Kind string `json:"kind"`
}

// Config describes a scenario. The same Config always generates the same
// traffic.
type Config struct {
	Seed int64
	// Start is the earliest time of the scenario; genuine signups run from
	// Start for Days whole days.
	Start time.Time
	Days  int
	// GenuinePerDay is the average number of genuine signups a day, but
	// for the second accounts and look-alikes (GenuineKinds) that come on
	// top, a few in a hundred.
	GenuinePerDay int
	// Campaigns are the abusive campaigns mixed in. Each must lie within the
	// span; start them after a few days so that baselines exist.
	Campaigns []Campaign
	// Logins adds the accounts' sign-ins (Mailbox Login events, login.go)
	// to the stream, interleaved in time with the signups, and the
	// established accounts that only sign in. The signups and their labels
	// are the same with and without: logins draw from streams of their own.
	Logins bool
	// Messages adds the accounts' outbound messages (Mailbox Message Sent
	// events, message.go) to the stream, and the established accounts
	// whose copies the scanner gets too (they carry most of the popular
	// content); GenerateAll returns the raw messages the events refer to.
	// Every other event and label is the same with and without: messages
	// draw from streams of their own.
	Messages bool
}

// Campaign is one abusive operation of a scenario. Its tooling (networks,
// username templates, shared contacts, speed) is drawn from the Config's
// Seed and its ID, so that campaigns of one type differ from each other.
type Campaign struct {
	ID       string
	Type     string // one of CampaignTypes
	Start    time.Time
	Accounts int
	// Spread is how long the campaign's signups take, from Start. A bot wave
	// whose Spread is too short for its Accounts (under 100 ms a signup)
	// runs as a script would, a few signups a second, and may end later.
	Spread time.Duration
}

// The campaign types Generate knows.
const (
	BotWave      = "bot-wave"
	ITWorkerFarm = "it-worker-farm"
	SlowWave     = "slow-wave"
	LaptopFarm   = "laptop-farm"
	// Operation is a state's operation placing fake remote IT workers:
	// thousands of personas made over weeks by several teams, each tied to
	// others of its team by a machine, a recovery contact or a laptop farm
	// (operation.go).
	Operation = "operation"
)

// CampaignTypes lists the campaign types Generate knows.
func CampaignTypes() []string {
	return []string{BotWave, ITWorkerFarm, SlowWave, LaptopFarm, Operation}
}

// GenuineKinds lists the kinds of genuine account Generate produces. The
// look-alikes ("family-recovery", "office-old-browser", "school-domain",
// "viral-attachment": genuine accounts tied to each other as a campaign's
// are) come in scenarios of a week or more.
func GenuineKinds() []string {
	return []string{
		"home", "mobile-cgnat", "campus", "campus-lab", "office", "office-batch", "family-device",
		"commercial-vpn", "traveller", "expat", "internet-cafe", "second-account", "corporate-proxy", "tor-user",
		familyRecovery, officeOldBrowser, schoolDomain, viralAttachment,
		Established,
	}
}

// Established is the kind of the genuine accounts older than a scenario:
// with Logins, the students and staff who sign in at campuses and offices
// beside the new accounts there; with Messages, old mailboxes that send
// mail. They have no signup in the stream.
const Established = "established"

// Source is the envelope source of generated events.
const Source = "mail.platform"

// Limits that keep a mistyped Config from exhausting memory.
const (
	maxDays     = 3660
	maxAccounts = 5_000_000
)

// Demo is the scenario of the README's demo stream: three days of genuine
// signups, the first two of them history, and a bot wave on the third.
func Demo() Config {
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	return Config{
		Seed:          20261127,
		Start:         start,
		Days:          3,
		GenuinePerDay: 600,
		Campaigns: []Campaign{
			{ID: "botwave-1", Type: BotWave, Start: start.Add(58*time.Hour + 12*time.Minute), Accounts: 260, Spread: 25 * time.Minute},
		},
	}
}

// Backtest is the larger, harder scenario detection is measured on: thirty
// days, tens of thousands of genuine signups with their hard cases and
// look-alikes, several campaigns of each type, of different sizes, speeds
// and tooling, and one large operation of thousands of personas.
// Its signups only: abusectl backtest and mkscenarios set Logins for the
// accounts' sign-ins, and benchmarks that replay signups read it as is.
func Backtest() Config {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	day := func(d float64) time.Time { return start.Add(time.Duration(d * float64(24*time.Hour))) }
	h := time.Hour
	return Config{
		Seed:          7331,
		Start:         start,
		Days:          30,
		GenuinePerDay: 1500,
		// Outbound messages (GenerateAll's raw messages with them) are left
		// off here, as sign-ins are: abusectl backtest sets them.
		Messages: false,
		Campaigns: []Campaign{
			{ID: "botwave-1", Type: BotWave, Start: day(4.43), Accounts: 320, Spread: 20 * time.Minute},
			{ID: "botwave-2", Type: BotWave, Start: day(9.12), Accounts: 550, Spread: 55 * time.Minute},
			{ID: "botwave-3", Type: BotWave, Start: day(15.81), Accounts: 180, Spread: 6 * time.Minute},
			{ID: "botwave-4", Type: BotWave, Start: day(22.37), Accounts: 420, Spread: 35 * time.Minute},
			{ID: "botwave-5", Type: BotWave, Start: day(27.05), Accounts: 240, Spread: 48 * time.Minute},
			{ID: "itfarm-1", Type: ITWorkerFarm, Start: day(3.2), Accounts: 60, Spread: 12 * 24 * h},
			{ID: "itfarm-2", Type: ITWorkerFarm, Start: day(8), Accounts: 220, Spread: 18 * 24 * h},
			{ID: "itfarm-3", Type: ITWorkerFarm, Start: day(14.5), Accounts: 35, Spread: 7 * 24 * h},
			{ID: "slowwave-1", Type: SlowWave, Start: day(3), Accounts: 150, Spread: 20 * 24 * h},
			{ID: "slowwave-2", Type: SlowWave, Start: day(10.4), Accounts: 90, Spread: 14 * 24 * h},
			{ID: "slowwave-3", Type: SlowWave, Start: day(16), Accounts: 220, Spread: 12 * 24 * h},
			{ID: "laptopfarm-1", Type: LaptopFarm, Start: day(6.3), Accounts: 12, Spread: 3 * 24 * h},
			{ID: "laptopfarm-2", Type: LaptopFarm, Start: day(19.6), Accounts: 14, Spread: 4 * 24 * h},
			{ID: "operation-1", Type: Operation, Start: day(2.1), Accounts: 3000, Spread: 24 * 24 * h},
		},
	}
}

// Validate reports every problem of cfg at once.
func (cfg Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if cfg.Start.IsZero() {
		bad("start missing")
	}
	if cfg.Days < 1 || cfg.Days > maxDays {
		bad("days %d not in 1..%d", cfg.Days, maxDays)
	}
	if cfg.GenuinePerDay < 0 || cfg.GenuinePerDay > maxAccounts {
		bad("genuinePerDay %d not in 0..%d", cfg.GenuinePerDay, maxAccounts)
	}
	if cfg.Days >= 1 && cfg.GenuinePerDay > 0 && cfg.Days*cfg.GenuinePerDay > maxAccounts {
		bad("%d genuine accounts is more than %d", cfg.Days*cfg.GenuinePerDay, maxAccounts)
	}
	end := cfg.Start.AddDate(0, 0, max(cfg.Days, 0))
	seen := map[string]bool{}
	total := 0
	for i, c := range cfg.Campaigns {
		name := fmt.Sprintf("campaign %d (%q)", i, c.ID)
		switch {
		case c.ID == "":
			bad("campaign %d: id missing", i)
		case seen[c.ID]:
			bad("%s: id used twice", name)
		}
		seen[c.ID] = true
		if !slices.Contains(CampaignTypes(), c.Type) {
			bad("%s: type %q is not one of %v", name, c.Type, CampaignTypes())
		}
		if c.Accounts < 1 || c.Accounts > maxAccounts {
			bad("%s: accounts %d not in 1..%d", name, c.Accounts, maxAccounts)
		}
		total += max(c.Accounts, 0)
		if c.Spread < 0 {
			bad("%s: negative spread", name)
		}
		if c.Start.Before(cfg.Start) || c.Start.Add(c.Spread).After(end) {
			bad("%s: %s..%s is not within the scenario's %s..%s", name,
				c.Start.Format(time.RFC3339), c.Start.Add(c.Spread).Format(time.RFC3339),
				cfg.Start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
	}
	if total > maxAccounts {
		bad("campaigns have %d accounts, more than %d", total, maxAccounts)
	}
	return errors.Join(errs...)
}

// Generate produces the scenario cfg describes: events sorted by time
// (every one valid under event.Decode after event.Marshal) and one label
// per account, in the order of the accounts' first events. Without Logins
// or Messages the events are the signups, one per account, and labels[i]
// is the label of evs[i]; with Logins the accounts' sign-ins come between
// them, with Messages their outbound messages.
func Generate(cfg Config) ([]event.Event, []Label, error) {
	evs, labels, _, err := GenerateAll(cfg)
	return evs, labels, err
}

// GenerateAll is Generate plus the raw messages its message events refer
// to (nil Objects when !cfg.Messages).
func GenerateAll(cfg Config) ([]event.Event, []Label, *Objects, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, nil, err
	}
	g := newGen(cfg)
	if err := g.checkPlan(); err != nil {
		return nil, nil, nil, err
	}
	g.genuine()
	nth := map[string]int{} // campaigns of each type so far
	for _, c := range cfg.Campaigns {
		switch c.Type {
		case BotWave:
			g.botWave(c, nth[c.Type])
		case ITWorkerFarm:
			g.itWorkerFarm(c)
		case SlowWave:
			g.slowWave(c, nth[c.Type])
		case LaptopFarm:
			g.laptopFarm(c)
		case Operation:
			g.largeOperation(c)
		}
		nth[c.Type]++
	}
	g.lookAlikes()
	if cfg.Logins {
		g.logins()
	}
	if cfg.Messages {
		g.messages()
	}
	// Event ids are unique, so the order is total and the same on every run.
	order := make([]int, len(g.out))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &g.out[i].ev, &g.out[j].ev
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	evs := make([]event.Event, len(g.out))
	labels := make([]Label, 0, g.signups+len(g.established))
	seen := make(map[string]bool, cap(labels))
	for k, i := range order {
		rec := &g.out[i]
		evs[k] = rec.ev
		if id := rec.label.AccountID; !seen[id] {
			seen[id] = true
			labels = append(labels, rec.label)
		}
	}
	return evs, labels, g.objects, nil
}

// record is one generated event and the truth about its account.
type record struct {
	ev    event.Event
	label Label
	// life is what the account's sign-ins follow from, for a signup; nil
	// for a sign-in.
	life *life
}

// gen holds the state of one Generate call.
type gen struct {
	cfg   Config
	end   time.Time
	year  int
	locs  []*locale
	loc   map[string]*locale
	nets  map[netKey][]Network
	pools map[netip.Prefix][]netip.Addr
	ids   map[string]bool
	addrs map[string]bool
	nAcc  uint64
	nEvt  uint64
	out   []record
	// signups is the number of signups in out; the login generator appends
	// after them.
	signups int
	// kits are the campaigns' tooling, by campaign id, for their sign-ins.
	kits map[string]*kit
	// established are the accounts older than the scenario (with logins or
	// messages).
	established []string
	// objects are the raw messages of the message events (messages only).
	objects *Objects
	// scratch is the sign-ins of the account being generated, reused.
	scratch []signin
	// idStream, if set, is the stream the ids of the signups emitted now
	// come from, rather than nAcc and nEvt: the look-alikes', so that the
	// campaigns emitted before them change none of their ids. nStreamAcc
	// and nStreamEvt count the ids it gave.
	idStream               string
	nStreamAcc, nStreamEvt uint64
}

func newGen(cfg Config) *gen {
	g := &gen{
		cfg:   cfg,
		end:   cfg.Start.AddDate(0, 0, cfg.Days),
		year:  cfg.Start.Year(),
		loc:   map[string]*locale{},
		nets:  map[netKey][]Network{},
		pools: map[netip.Prefix][]netip.Addr{},
		ids:   map[string]bool{},
		addrs: map[string]bool{},
		kits:  map[string]*kit{},
	}
	g.locs = locales()
	for _, l := range g.locs {
		g.loc[l.country] = l
	}
	for _, n := range World() {
		v6 := n.Prefix.Addr().Is6()
		for _, k := range []netKey{{n.Role, n.Country, v6}, {n.Role, "", v6}} {
			g.nets[k] = append(g.nets[k], n)
		}
	}
	g.makePools()
	return g
}

// checkPlan makes sure the address plan has every kind of block the
// generator draws from, so that a change to the plan is an error here rather
// than a panic later.
func (g *gen) checkPlan() error {
	var missing []string
	need := func(role Role, country string, v6 bool) {
		if len(g.networks(role, country, v6)) == 0 {
			ip := "IPv4"
			if v6 {
				ip = "IPv6"
			}
			missing = append(missing, fmt.Sprintf("%s %s %s", ip, role, cmp.Or(country, "anywhere")))
		}
	}
	for _, l := range g.locs {
		need(Residential, l.country, false)
		need(Mobile, l.country, false)
	}
	for _, role := range []Role{Campus, Business, Hosting, VPN, Tor, PublicProxy} {
		need(role, "", false)
	}
	need(Hosting, "", true)
	need(Hosting, "US", false)
	need(Residential, "US", false)
	need(ResidentialProxy, "US", false)
	if !slices.ContainsFunc(g.networks(Hosting, "", false), func(n Network) bool { return n.ASN == 16509 }) {
		missing = append(missing, "IPv4 hosting of AS16509")
	}
	for _, n := range World() {
		if g.loc[n.Country] == nil {
			missing = append(missing, "a locale for "+n.Country)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("synth: the address plan lacks %s", strings.Join(missing, ", "))
	}
	return nil
}

// networks returns the blocks of role in country ("" = any), IPv4 or IPv6
// as asked.
// The result is shared: callers must not modify it.
func (g *gen) networks(role Role, country string, v6 bool) []Network {
	return g.nets[netKey{role, country, v6}]
}

// netKey indexes the blocks of the plan: country "" stands for all.
type netKey struct {
	role    Role
	country string
	v6      bool
}

// makePools picks the few public addresses that many users share: the
// carrier-grade NAT addresses of mobile networks, campus NATs, VPN exits,
// office and cloud-proxy egresses.
func (g *gen) makePools() {
	r := newRNG(g.cfg.Seed, "pools")
	sizes := map[Role][2]int{Mobile: {4, 14}, Campus: {2, 3}, VPN: {12, 30}, Business: {1, 2}, Hosting: {3, 3}, Tor: {10, 25}, PublicProxy: {8, 20}}
	for _, n := range World() {
		sz, ok := sizes[n.Role]
		if !ok || !n.Prefix.Addr().Is4() {
			continue
		}
		k := r.between(sz[0], sz[1])
		pool := make([]netip.Addr, 0, k)
		for range k {
			pool = append(pool, randomHost(r, n))
		}
		g.pools[n.Prefix] = pool
	}
}

// pooled returns one of the shared addresses of n, the first ones busiest
// (a NAT's load is rarely even).
func (g *gen) pooled(r *rng, n Network) netip.Addr {
	pool := g.pools[n.Prefix]
	if len(pool) == 0 {
		return randomHost(r, n)
	}
	ws := make([]float64, len(pool))
	for i := range ws {
		ws[i] = 1 / float64(i+2)
	}
	return pool[r.weighted(ws...)]
}

// randomHost returns a random address of n: any usable IPv4 host, or for
// IPv6 an address with a random /64 (below the block's delegation size) and
// a random interface identifier, as privacy addresses are.
func randomHost(r *rng, n Network) netip.Addr {
	p := n.Prefix.Masked()
	if p.Addr().Is4() {
		hosts := 1<<(32-p.Bits()) - 2
		if hosts < 1 {
			hosts = 1
		}
		return n.Addr(r.intn(hosts))
	}
	return v6In(p, r.u64(), r.u64())
}

// v6In returns the address of p whose bits after the prefix, up to /64, are
// taken from subnet, and whose low 64 bits are iid.
func v6In(p netip.Prefix, subnet, iid uint64) netip.Addr {
	b := p.Masked().Addr().As16()
	hi := binary.BigEndian.Uint64(b[:8])
	if bitsLeft := 64 - p.Bits(); bitsLeft > 0 {
		hi |= subnet & (1<<bitsLeft - 1)
	}
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], iid|1)
	return netip.AddrFrom16(b)
}

// accountID returns a fresh account id: "acc-" and ten Crockford base32
// characters of a hash of the seed and a counter.
func (g *gen) accountID() string {
	if g.idStream != "" {
		g.nStreamAcc++
		return g.streamAccountID(g.idStream, g.nStreamAcc)
	}
	for {
		g.nAcc++
		id := accountIDOf(hash64(g.cfg.Seed, "account", g.nAcc))
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

// streamAccountID returns a fresh account id drawn from a stream of its
// own, so that accounts made outside the signups (established ones) leave
// the signups' ids alone and do not depend on how many signups came first.
func (g *gen) streamAccountID(stream string, n uint64) string {
	for k := uint64(0); ; k++ {
		id := accountIDOf(hash64(g.cfg.Seed, stream, n<<8|k))
		if !g.ids[id] {
			g.ids[id] = true
			return id
		}
	}
}

func accountIDOf(h uint64) string {
	const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := []byte("acc-")
	for i := range 10 {
		b = append(b, crockford[(h>>(5*i))&31])
	}
	return string(b)
}

// eventID returns a fresh UUID-shaped (version 4) event id derived from the
// seed.
func (g *gen) eventID() string {
	stream, n := "event", &g.nEvt
	if g.idStream != "" {
		stream, n = g.idStream+"/event", &g.nStreamEvt
	}
	*n++
	return uuidOf(hash64(g.cfg.Seed, stream+"-hi", *n), hash64(g.cfg.Seed, stream+"-lo", *n))
}

// uuidOf formats 128 random bits as a version 4 UUID.
func uuidOf(hi, lo uint64) string {
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(3<<62) | 1<<63
	const digits = "0123456789abcdef"
	var b [36]byte
	put := func(at int, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b[at+i] = digits[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, hi>>16&0xffff, 4)
	b[13] = '-'
	put(14, hi&0xffff, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo&0xffffffffffff, 12)
	return string(b[:])
}

// draft is a signup before the generator gives it ids and a unique address.
type draft struct {
	at       time.Time
	local    string
	domain   string
	display  string
	ip       netip.Addr
	ua       string
	lang     string
	tz       string
	country  string
	recEmail string
	recPhone string
	device   string
	channel  string
	formFill int64   // < 0: not reported
	captcha  float64 // < 0: not reported
	campaign string
	kind     string
}

// emit turns d into a signup event and its label, and returns the address
// the account got. A taken mailbox name gets a number, as the platform's
// signup form suggests.
func (g *gen) emit(r *rng, d draft) string {
	if d.domain == "" {
		d.domain = platformDomains[0]
	}
	local := tidyLocal(d.local)
	addr := local + "@" + d.domain
	for try := 0; g.addrs[addr]; try++ {
		var suffix string
		switch {
		case try < 3:
			suffix = strconv.Itoa(r.between(1, 99))
		case try < 6:
			suffix = strconv.Itoa(r.between(100, 9999))
		default:
			suffix = r.digits(6)
		}
		addr = tidyLocal(local[:min(len(local), 24)]+suffix) + "@" + d.domain
	}
	g.addrs[addr] = true
	if d.recEmail == addr {
		d.recEmail = "" // the form refuses a mailbox as its own recovery address
	}
	created := d.at.Truncate(time.Millisecond)
	s := &event.Signup{
		AccountID: g.accountID(), Address: addr, DisplayName: d.display, CreatedAt: created, IP: d.ip,
		UserAgent: d.ua, AcceptLanguage: d.lang, Timezone: d.tz, Country: d.country,
		RecoveryEmail: d.recEmail, RecoveryPhone: d.recPhone, DeviceID: d.device, Channel: d.channel,
	}
	if d.formFill >= 0 {
		ms := d.formFill
		s.FormFillMs = &ms
	}
	if d.captcha >= 0 {
		c := d.captcha
		s.CaptchaScore = &c
	}
	// The producer emits the event a moment after the mailbox exists.
	emitted := created.Add(time.Duration(r.between(80, 2500)) * time.Millisecond)
	g.out = append(g.out, record{
		ev:    event.Event{ID: g.eventID(), Kind: event.KindSignup, Source: Source, Time: emitted, Signup: s},
		label: Label{AccountID: s.AccountID, Campaign: d.campaign, Kind: d.kind},
	})
	g.signups++
	return addr
}
