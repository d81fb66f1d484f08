package signal

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/window"
)

// fakeNames is a Names whose answers the test chooses.
type fakeNames struct {
	TemplateFn   func(local string) string
	RandomnessFn func(local string) (float64, int)
	PatternFn    func(local, displayName string) (string, string)
}

var _ Names = (*fakeNames)(nil)

func (f *fakeNames) Template(local string) string { return f.TemplateFn(local) }
func (f *fakeNames) Randomness(local string) (float64, int) {
	return f.RandomnessFn(local)
}
func (f *fakeNames) Pattern(local, displayName string) (string, string) {
	return f.PatternFn(local, displayName)
}

// echoNames answers with its arguments, so a test sees what Extract passed.
func echoNames() *fakeNames {
	return &fakeNames{
		TemplateFn:   func(local string) string { return "tpl(" + local + ")" },
		RandomnessFn: func(local string) (float64, int) { return 0.25, len(local) },
		PatternFn: func(local, display string) (string, string) {
			return "pattern(" + local + "|" + display + ")", "filler(" + local + ")"
		},
	}
}

// fakeDomains is a Domains over a function.
type fakeDomains struct {
	ContainsFn func(domain string) bool
}

var _ Domains = (*fakeDomains)(nil)

func (f *fakeDomains) Contains(domain string) bool { return f.ContainsFn(domain) }

func disposableSet(domains ...string) *fakeDomains {
	return &fakeDomains{ContainsFn: func(d string) bool {
		for _, x := range domains {
			if d == x {
				return true
			}
		}
		return false
	}}
}

func newExtractor() *Extractor {
	return NewExtractor(NewCatalog(), echoNames(), disposableSet("mailinator.com"))
}

var signupTime = time.Date(2026, 11, 22, 10, 0, 2, 0, time.UTC)

// baseInput is the spec's signup example, from a residential US address.
func baseInput() Input {
	return Input{
		Signup: &event.Signup{
			AccountID: "acc-01J9Z6Q4", Address: "james.miller1987@mail.example", DisplayName: "James Miller",
			CreatedAt: signupTime, IP: netip.MustParseAddr("198.51.100.23"),
			UserAgent:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			AcceptLanguage: "en-US,en;q=0.9", Timezone: "America/Chicago", Country: "US",
			RecoveryEmail: "jm.backup@othermail.example", RecoveryPhone: "+13125550123", DeviceID: "d1f0c4e2a9",
			FormFillMs: ptr(int64(48210)), CaptchaScore: ptr(0.9), Channel: "web",
		},
		Geo: ipinfo.Info{
			Country: "US", City: "Chicago", TimeZone: "America/Chicago", ASN: 64496, ASOrg: "Example Cable",
		},
		GeoCity: true, GeoASN: true,
		Prefix: netip.MustParsePrefix("198.51.100.0/24"),
	}
}

func ptr[T any](v T) *T { return &v }

func TestCatalog(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	defs := c.Defs()
	if c.Len() != len(defs) {
		t.Fatalf("Len() = %d, len(Defs()) = %d", c.Len(), len(defs))
	}
	if want := int(nFixed) + len(window.Kinds)*len(velocityDefs); len(defs) != want {
		t.Errorf("%d signals, want %d fixed + %d per kind × %d kinds", len(defs), nFixed, len(velocityDefs), len(window.Kinds))
	}
	seen := map[string]int{}
	for i, d := range defs {
		if d.Name == "" {
			t.Errorf("signal %d has no name", i)
		}
		if prev, ok := seen[d.Name]; ok {
			t.Errorf("signal %q at %d and %d", d.Name, prev, i)
		}
		seen[d.Name] = i
		if strings.TrimSpace(d.Doc) == "" {
			t.Errorf("signal %q has no doc", d.Name)
		}
		if strings.Contains(d.Doc, "%!") {
			t.Errorf("signal %q doc is a broken format: %q", d.Name, d.Doc)
		}
		if d.Name != strings.ToLower(d.Name) || strings.ContainsAny(d.Name, " -.#") {
			t.Errorf("signal %q is not a lowercase identifier usable in rules", d.Name)
		}
		if d.Type < Bool || d.Type > String {
			t.Errorf("signal %q has type %d", d.Name, d.Type)
		}
		if got, ok := c.Index(d.Name); !ok || got != i {
			t.Errorf("Index(%q) = %d, %v, want %d", d.Name, got, ok, i)
		}
	}
	if _, ok := c.Index("no_such_signal"); ok {
		t.Error(`Index("no_such_signal") found something`)
	}
	for _, k := range window.Kinds {
		for _, v := range velocityDefs {
			name := string(k) + "_" + v.suffix
			if _, ok := c.Index(name); !ok {
				t.Errorf("velocity signal %q missing", name)
			}
		}
		if d := defs[velocityIndex(k)]; d.Name != string(k)+"_10m" {
			t.Errorf("velocityIndex(%q) points at %q", k, d.Name)
		}
	}
	// Defs returns a copy: callers cannot rename signals.
	defs[0].Name = "renamed"
	if c.Defs()[0].Name == "renamed" {
		t.Error("Defs() exposes the catalog's slice")
	}
}

func TestTypeString(t *testing.T) {
	t.Parallel()
	for typ, want := range map[Type]string{Bool: "bool", Int: "int", Double: "double", String: "string"} {
		if got := typ.String(); got != want {
			t.Errorf("Type(%d).String() = %q, want %q", typ, got, want)
		}
	}
}

// TestExtractTypes holds every signal to its catalog type, for inputs from
// full to bare: rules are type-checked against the catalog.
func TestExtractTypes(t *testing.T) {
	t.Parallel()
	bare := Input{Signup: &event.Signup{AccountID: "a", Address: "a@b.example", CreatedAt: signupTime, IP: netip.MustParseAddr("2001:db8::1")}}
	full := baseInput()
	full.Counts = map[window.Kind]window.Counts{window.IP: {Last10m: 1, Last1h: 1, Usual1h: 0.1}}
	for name, in := range map[string]Input{"bare": bare, "full": full} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			x := newExtractor()
			s := x.Extract(in)
			for i, d := range x.Catalog().Defs() {
				v := s.Value(i)
				var ok bool
				switch d.Type {
				case Bool:
					_, ok = v.(bool)
				case Int:
					_, ok = v.(int64)
				case Double:
					_, ok = v.(float64)
				case String:
					_, ok = v.(string)
				}
				if !ok {
					t.Errorf("%s = %#v (%T), want a %s", d.Name, v, v, d.Type)
				}
			}
			m := s.Map()
			if len(m) != x.Catalog().Len() {
				t.Errorf("Map() has %d entries, want %d", len(m), x.Catalog().Len())
			}
			for i, d := range x.Catalog().Defs() {
				if got, ok := s.Get(d.Name); !ok || got != s.Value(i) || m[d.Name] != s.Value(i) {
					t.Errorf("Get/Map(%q) disagree with Value(%d)", d.Name, i)
				}
			}
		})
	}
}

func TestExtractFixed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(in *Input)
		want   map[string]any
	}{
		{"network and geo copied", func(in *Input) {}, map[string]any{
			"ip": "198.51.100.23", "net": "198.51.100.0/24", "asn": int64(64496), "asn_org": "Example Cable",
			"ip_country": "US", "ip_city": "Chicago", "geo_city": true, "geo_asn": true,
		}},
		{"no geo databases", func(in *Input) { in.GeoCity, in.GeoASN, in.Geo = false, false, ipinfo.Info{} }, map[string]any{
			"geo_city": false, "geo_asn": false, "asn": int64(0), "ip_country": "", "anonymous": false,
			"tz_diff_h": 0.0, "tz_mismatch": false, "lang_mismatch": false, "country_mismatch": false,
		}},
		{"ipv6", func(in *Input) {
			in.Signup.IP = netip.MustParseAddr("2001:db8:1:2::7")
			in.Prefix = netip.MustParsePrefix("2001:db8:1::/48")
		}, map[string]any{"ip": "2001:db8:1:2::7", "net": "2001:db8:1::/48"}},
		{"clean IP", func(in *Input) {}, map[string]any{
			"hosting": false, "vpn": false, "tor": false, "public_proxy": false, "residential_proxy": false, "anonymous": false,
		}},
		{"hosting", func(in *Input) { in.Geo.Hosting = true }, map[string]any{"hosting": true, "vpn": false, "anonymous": true}},
		{"vpn", func(in *Input) { in.Geo.VPN = true }, map[string]any{"vpn": true, "hosting": false, "anonymous": true}},
		{"tor", func(in *Input) { in.Geo.Tor = true }, map[string]any{"tor": true, "anonymous": true}},
		{"public proxy", func(in *Input) { in.Geo.PublicProxy = true }, map[string]any{"public_proxy": true, "anonymous": true}},
		{"residential proxy", func(in *Input) { in.Geo.ResidentialProxy = true }, map[string]any{"residential_proxy": true, "anonymous": true}},
		{"anonymous only", func(in *Input) { in.Geo.Anonymous = true }, map[string]any{"anonymous": true, "hosting": false, "vpn": false}},

		{"username and domain", func(in *Input) { in.Signup.Address = "James.Miller+News@Mail.Example" }, map[string]any{
			"username": "james.miller", "address_domain": "mail.example",
			"username_template":   "tpl(james.miller)",
			"username_randomness": 0.25, "username_letters": int64(len("james.miller")),
			"name_pattern": "pattern(james.miller|James Miller)", "name_filler": "filler(james.miller)",
		}},
		{"display name", func(in *Input) {}, map[string]any{"has_display_name": true}},
		{"no display name", func(in *Input) { in.Signup.DisplayName = "" }, map[string]any{
			"has_display_name": false, "name_pattern": "pattern(james.miller1987|)",
		}},
		{"blank display name", func(in *Input) { in.Signup.DisplayName = " \t " }, map[string]any{"has_display_name": false}},

		{"recovery address", func(in *Input) {}, map[string]any{
			"recovery_domain": "othermail.example", "recovery_disposable": false, "has_recovery_email": true,
			"has_recovery_phone": true, "has_device": true,
		}},
		{"disposable recovery", func(in *Input) { in.Signup.RecoveryEmail = "x7k2q9m4@Mailinator.COM" }, map[string]any{
			"recovery_domain": "mailinator.com", "recovery_disposable": true, "has_recovery_email": true,
		}},
		{"no recovery", func(in *Input) { in.Signup.RecoveryEmail, in.Signup.RecoveryPhone, in.Signup.DeviceID = "", "", "" }, map[string]any{
			"recovery_domain": "", "recovery_disposable": false, "has_recovery_email": false,
			"has_recovery_phone": false, "has_device": false,
		}},

		{"form fill", func(in *Input) {}, map[string]any{"form_fill_ms": int64(48210)}},
		{"form fill zero", func(in *Input) { in.Signup.FormFillMs = ptr(int64(0)) }, map[string]any{"form_fill_ms": int64(0)}},
		{"form fill absent", func(in *Input) { in.Signup.FormFillMs = nil }, map[string]any{"form_fill_ms": int64(-1)}},
		{"captcha", func(in *Input) {}, map[string]any{"captcha": 0.9}},
		{"captcha zero", func(in *Input) { in.Signup.CaptchaScore = ptr(0.0) }, map[string]any{"captcha": 0.0}},
		{"captcha absent", func(in *Input) { in.Signup.CaptchaScore = nil }, map[string]any{"captcha": -1.0}},
		{"browser UA", func(in *Input) {}, map[string]any{"automation_ua": false}},
		{"headless UA", func(in *Input) {
			in.Signup.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
		}, map[string]any{"automation_ua": true}},

		{"same zone", func(in *Input) {}, map[string]any{"timezone": "America/Chicago", "tz_diff_h": 0.0, "tz_mismatch": false}},
		{"client zone unknown", func(in *Input) { in.Signup.Timezone = "" }, map[string]any{"tz_diff_h": 0.0, "tz_mismatch": false}},
		{"client zone invalid", func(in *Input) { in.Signup.Timezone = "Mars/Olympus_Mons" }, map[string]any{"tz_diff_h": 0.0, "tz_mismatch": false}},
		{"client zone Local", func(in *Input) { in.Signup.Timezone = "Local"; in.Geo.TimeZone = "Asia/Shanghai" }, map[string]any{"tz_diff_h": 0.0}},
		{"IP zone unknown", func(in *Input) { in.Geo.TimeZone = "" }, map[string]any{"tz_diff_h": 0.0, "tz_mismatch": false}},
		{"UTC client, Tokyo IP", func(in *Input) { in.Signup.Timezone = "UTC"; in.Geo.TimeZone = "Asia/Tokyo" }, map[string]any{
			"tz_diff_h": 9.0, "tz_mismatch": true,
		}},
		{"half-hour zone", func(in *Input) { in.Signup.Timezone = "Asia/Kolkata"; in.Geo.TimeZone = "UTC" }, map[string]any{
			"tz_diff_h": 5.5, "tz_mismatch": true,
		}},

		{"language matches IP", func(in *Input) {}, map[string]any{"lang": "en-US", "lang_region": "US", "lang_mismatch": false}},
		{"language region elsewhere", func(in *Input) { in.Signup.AcceptLanguage = "ru-RU,ru;q=0.9" }, map[string]any{
			"lang": "ru-RU", "lang_region": "RU", "lang_mismatch": true,
		}},
		{"language without region", func(in *Input) { in.Signup.AcceptLanguage = "ru" }, map[string]any{
			"lang": "ru", "lang_region": "", "lang_mismatch": false,
		}},
		{"language, IP country unknown", func(in *Input) { in.Signup.AcceptLanguage = "vi-VN"; in.Geo.Country = "" }, map[string]any{
			"lang_region": "VN", "lang_mismatch": false,
		}},
		{"claimed country matches", func(in *Input) {}, map[string]any{"claimed_country": "US", "country_mismatch": false}},
		{"claimed country differs", func(in *Input) { in.Geo.Country = "NG" }, map[string]any{"claimed_country": "US", "country_mismatch": true, "lang_mismatch": true}},
		{"no claimed country", func(in *Input) { in.Signup.Country = ""; in.Geo.Country = "NG" }, map[string]any{"claimed_country": "", "country_mismatch": false}},
		{"claimed, IP unknown", func(in *Input) { in.Geo.Country = "" }, map[string]any{"country_mismatch": false}},
		{"language region shrinks when uppercased", func(in *Input) { in.Signup.AcceptLanguage = "en-ı" }, map[string]any{
			"lang": "en-ı", "lang_region": "", "lang_mismatch": false,
		}},
		{"channel", func(in *Input) { in.Signup.Channel = "api" }, map[string]any{"channel": "api"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := baseInput()
			tt.modify(&in)
			s := newExtractor().Extract(in)
			for name, want := range tt.want {
				got, ok := s.Get(name)
				if !ok {
					t.Errorf("signal %q not in the catalog", name)
					continue
				}
				if got != want {
					t.Errorf("%s = %#v, want %#v", name, got, want)
				}
			}
		})
	}
}

func TestExtractNilDisposable(t *testing.T) {
	t.Parallel()
	in := baseInput()
	in.Signup.RecoveryEmail = "x@mailinator.com"
	s := NewExtractor(NewCatalog(), echoNames(), nil).Extract(in)
	if got, _ := s.Get("recovery_disposable"); got != false {
		t.Errorf("recovery_disposable with no domain list = %v, want false", got)
	}
	if got, _ := s.Get("recovery_domain"); got != "mailinator.com" {
		t.Errorf("recovery_domain = %v", got)
	}
}

func TestExtractDisposableAsksByDomain(t *testing.T) {
	t.Parallel()
	var asked []string
	var mu sync.Mutex
	d := &fakeDomains{ContainsFn: func(domain string) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, domain)
		return false
	}}
	x := NewExtractor(NewCatalog(), echoNames(), d)
	in := baseInput()
	in.Signup.RecoveryEmail = "Someone+x@Sub.Example.ORG"
	x.Extract(in)
	in.Signup.RecoveryEmail = ""
	x.Extract(in)
	if len(asked) != 1 || asked[0] != "sub.example.org" {
		t.Errorf("Contains asked %q, want just the lowercased domain of the one recovery address", asked)
	}
}

func TestExtractTimezoneDiffDST(t *testing.T) {
	t.Parallel()
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Skipf("no zone database: %v", err)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skipf("no zone database: %v", err)
	}
	tests := []struct {
		name string
		at   time.Time
	}{
		{"winter", time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)},
		{"summer", time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)},
		{"spec example date", signupTime},
		{"hour after DST starts", time.Date(2026, 3, 8, 9, 0, 0, 0, time.UTC)},
		{"hour before DST starts", time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
	}
	diffs := map[float64]bool{}
	for _, tt := range tests {
		_, oc := tt.at.In(chicago).Zone()
		_, os := tt.at.In(shanghai).Zone()
		want := float64(os-oc) / 3600
		diffs[want] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if want != 13 && want != 14 {
				t.Fatalf("zone database gives Chicago–Shanghai %v h at %v", want, tt.at)
			}
			in := baseInput()
			in.Signup.Timezone, in.Geo.TimeZone = "America/Chicago", "Asia/Shanghai"
			in.Signup.CreatedAt = tt.at
			s := newExtractor().Extract(in)
			if got, _ := s.Get("tz_diff_h"); got != want {
				t.Errorf("tz_diff_h = %v, want %v", got, want)
			}
			if got, _ := s.Get("tz_mismatch"); got != true {
				t.Errorf("tz_mismatch = %v, want true", got)
			}
			// The difference is symmetric.
			in.Signup.Timezone, in.Geo.TimeZone = "Asia/Shanghai", "America/Chicago"
			if got, _ := newExtractor().Extract(in).Get("tz_diff_h"); got != want {
				t.Errorf("swapped: tz_diff_h = %v, want %v", got, want)
			}
		})
	}
	if !diffs[13] || !diffs[14] {
		t.Errorf("dates cover only %v; the test needs both sides of DST", diffs)
	}
}

func TestExtractVelocity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		c         window.Counts
		spike     float64
		spike24h  float64
		wantCount [4]int64
	}{
		{"new key", window.Counts{Last10m: 1, Last1h: 1, Last24h: 1, Last7d: 1}, 1, 1, [4]int64{1, 1, 1, 1}},
		{"burst on a new key", window.Counts{Last10m: 27, Last1h: 30, Last24h: 30, Last7d: 30}, 30, 30, [4]int64{27, 30, 30, 30}},
		{"usual below one floors at one", window.Counts{Last10m: 3, Last1h: 6, Last24h: 12, Last7d: 40, Usual1h: 0.25, DaysSeen: 20}, 6, 2, [4]int64{3, 6, 12, 40}},
		{"busy key", window.Counts{Last10m: 10, Last1h: 40, Last24h: 480, Last7d: 3000, Usual1h: 20, DaysSeen: 28}, 2, 1, [4]int64{10, 40, 480, 3000}},
		{"quiet hour on a busy key", window.Counts{Last1h: 5, Last24h: 240, Usual1h: 20, DaysSeen: 28}, 0.25, 0.5, [4]int64{0, 5, 240, 0}},
		{"absent", window.Counts{}, 0, 0, [4]int64{}},
	}
	for _, tt := range tests {
		for _, k := range window.Kinds {
			t.Run(tt.name+"/"+string(k), func(t *testing.T) {
				t.Parallel()
				in := baseInput()
				// Other kinds get different counts, so a mix-up shows.
				in.Counts = map[window.Kind]window.Counts{}
				for _, other := range window.Kinds {
					if other != k {
						in.Counts[other] = window.Counts{Last10m: 999, Last1h: 998, Last24h: 997, Last7d: 996, Usual1h: 99, DaysSeen: 9}
					}
				}
				if tt.c != (window.Counts{}) {
					in.Counts[k] = tt.c
				}
				s := newExtractor().Extract(in)
				want := map[string]any{
					"10m": tt.wantCount[0], "1h": tt.wantCount[1], "24h": tt.wantCount[2], "7d": tt.wantCount[3],
					"usual_1h": tt.c.Usual1h, "spike": tt.spike, "spike_24h": tt.spike24h, "days": int64(tt.c.DaysSeen),
				}
				for suffix, w := range want {
					name := string(k) + "_" + suffix
					got, _ := s.Get(name)
					if g, ok := got.(float64); ok {
						if math.Abs(g-w.(float64)) > 1e-9 {
							t.Errorf("%s = %v, want %v", name, got, w)
						}
						continue
					}
					if got != w {
						t.Errorf("%s = %#v, want %#v", name, got, w)
					}
				}
			})
		}
	}
}

func TestExtractDeterministicAndConcurrent(t *testing.T) {
	t.Parallel()
	x := newExtractor()
	zones := []string{"America/Chicago", "Asia/Shanghai", "Europe/Berlin", "Not/AZone", "", "UTC"}
	var wg sync.WaitGroup
	results := make([]map[string]any, 32)
	for i := range results {
		wg.Go(func() {
			in := baseInput()
			in.Signup.Timezone = zones[i%len(zones)]
			in.Geo.TimeZone = zones[(i+1)%len(zones)]
			results[i] = x.Extract(in).Map()
		})
	}
	wg.Wait()
	for i, got := range results {
		in := baseInput()
		in.Signup.Timezone = zones[i%len(zones)]
		in.Geo.TimeZone = zones[(i+1)%len(zones)]
		want := newExtractor().Extract(in).Map()
		for name, w := range want {
			if got[name] != w {
				t.Errorf("run %d: %s = %v concurrently, %v alone", i, name, got[name], w)
			}
		}
	}
}

func TestExtractBadZonesDoNotGrowCache(t *testing.T) {
	t.Parallel()
	x := newExtractor()
	in := baseInput()
	for i := range 3000 {
		in.Signup.Timezone = fmt.Sprintf("Junk/Zone_%d", i)
		x.Extract(in)
	}
	n := 0
	x.zones.Range(func(any, any) bool { n++; return true })
	if n > 1024 {
		t.Errorf("zone cache holds %d entries after 3,000 junk zones, want at most 1,024", n)
	}
	in.Signup.Timezone, in.Geo.TimeZone = "UTC", "Asia/Tokyo"
	if got, _ := x.Extract(in).Get("tz_diff_h"); got != 9.0 {
		t.Errorf("valid zones after junk: tz_diff_h = %v, want 9", got)
	}
}

func TestFromMap(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	s := FromMap(c, map[string]any{"ip_10m": int64(5), "hosting": true, "not_a_signal": 1})
	if got, _ := s.Get("ip_10m"); got != int64(5) {
		t.Errorf("ip_10m = %v", got)
	}
	if got, _ := s.Get("hosting"); got != true {
		t.Errorf("hosting = %v", got)
	}
	if got, ok := s.Get("vpn"); !ok || got != nil {
		t.Errorf("vpn = %v, %v, want nil, true", got, ok)
	}
	if _, ok := s.Get("not_a_signal"); ok {
		t.Error("unknown name became a signal")
	}
	if s.Catalog() != c {
		t.Error("Catalog() is not the catalog given")
	}
}

func TestAutomationUA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ua   string
		want bool
	}{
		{"", false},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", false},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", false},
		{"Microsoft Outlook 16.0", false},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", true},
		{"Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1", true},
		{"python-requests/2.32.3", true},
		{"Python-urllib/3.12", true},
		{"curl/8.5.0", true},
		{"Wget/1.21.4", true},
		{"Go-http-client/2.0", true},
		{"Java/17.0.2", true},
		{"Apache-HttpClient/4.5.14 (Java/17.0.2)", true},
		{"Scrapy/2.11.0 (+https://scrapy.org)", true},
		{"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", true},
		{"axios/1.7.2", true},
		{"libwww-perl/6.72", true},
		{"Mozilla/5.0 Selenium", true},
		{"Mozilla/5.0 (compatible; Playwright)", true},
		{"aiohttp/3.9", true},
		// Words that only look like markers.
		{"curling-club app 1.0", false},
		{"JavaScript-enabled Browser", false},
	}
	for _, tt := range tests {
		t.Run(tt.ua, func(t *testing.T) {
			t.Parallel()
			if got := AutomationUA(tt.ua); got != tt.want {
				t.Errorf("AutomationUA(%q) = %v, want %v", tt.ua, got, tt.want)
			}
		})
	}
}

func TestSplitAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, local, domain string
	}{
		{"james.miller1987@mail.example", "james.miller1987", "mail.example"},
		{"James.Miller@Mail.Example", "james.miller", "mail.example"},
		{"james+news@mail.example", "james", "mail.example"},
		{"James+News+More@MAIL.example", "james", "mail.example"},
		{"+tag@mail.example", "+tag", "mail.example"},
		{"a@b@mail.example", "a@b", "mail.example"},
		{"no-at-sign", "no-at-sign", ""},
		{"UPPER", "upper", ""},
		{"", "", ""},
		{"@mail.example", "", "mail.example"},
		{"ZOË@Bücher.Example", "zoë", "bücher.example"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			local, domain := SplitAddress(tt.in)
			if local != tt.local || domain != tt.domain {
				t.Errorf("SplitAddress(%q) = %q, %q, want %q, %q", tt.in, local, domain, tt.local, tt.domain)
			}
		})
	}
}

func TestPrimaryLanguage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, tag, region string
	}{
		{"en-US,en;q=0.9", "en-US", "US"},
		{"ru", "ru", ""},
		{"ru-RU;q=0.9,ru", "ru-RU", "RU"},
		{" de-de , en", "de-de", "DE"},
		{"en_gb", "en_gb", "GB"},
		{"zh-Hant-TW,zh;q=0.8", "zh-Hant-TW", "TW"},
		{"sr-Latn", "sr-Latn", ""},
		{"es-419,es;q=0.9", "es-419", ""},
		{"en-U1", "en-U1", ""},
		{"*", "*", ""},
		{"", "", ""},
		{",en-US", "", ""},
		{"-US", "-US", ""},
		{strings.Repeat("x", 33) + "-US", "", ""},
		// Two bytes that ToUpper turns into one.
		{"en-ı", "en-ı", ""},
		{"en-ſ", "en-ſ", ""},
		{"tr-ıı", "tr-ıı", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			tag, region := PrimaryLanguage(tt.in)
			if tag != tt.tag || region != tt.region {
				t.Errorf("PrimaryLanguage(%q) = %q, %q, want %q, %q", tt.in, tag, region, tt.tag, tt.region)
			}
		})
	}
}

func FuzzPrimaryLanguage(f *testing.F) {
	for _, s := range []string{"en-US,en;q=0.9", "ru", "zh-Hant-TW", "en-ü", "en-ı", "-", "x-", "a-b-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tag, region := PrimaryLanguage(h)
		if len(tag) > 35 {
			t.Fatalf("tag %q longer than 35", tag)
		}
		if region != "" && (len(region) != 2 || region[0] < 'A' || region[0] > 'Z' || region[1] < 'A' || region[1] > 'Z') {
			t.Fatalf("region %q of %q is not two capital letters", region, h)
		}
	})
}

// FuzzExtract feeds Extract the free-text fields of a signup, as Decode lets
// them through: Extract must not panic on any of them.
func FuzzExtract(f *testing.F) {
	f.Add("james.miller1987@mail.example", "James Miller", "Mozilla/5.0", "en-US,en;q=0.9", "America/Chicago", "jm.backup@othermail.example", "US")
	f.Add("x+y@z.example", "", "curl/8.5.0", "en-ı", "Junk/Zone", "@", "")
	f.Add("", "", "", "", "Local", "", "NG")
	f.Fuzz(func(t *testing.T, address, display, ua, lang, zone, recovery, country string) {
		in := baseInput()
		s := in.Signup
		s.Address, s.DisplayName, s.UserAgent, s.AcceptLanguage = address, display, ua, lang
		s.Timezone, s.RecoveryEmail = zone, recovery
		in.Geo.Country = country
		set := newExtractor().Extract(in)
		if d, _ := set.Get("tz_diff_h"); d.(float64) < 0 || d.(float64) > 26 {
			t.Fatalf("tz_diff_h = %v", d)
		}
	})
}
