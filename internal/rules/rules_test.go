package rules_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/login"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
)

func defaultSet(t *testing.T) (*rules.Set, *signal.Catalog) {
	t.Helper()
	cat := signal.NewCatalog()
	rs, err := rules.Parse(rules.DefaultSource(), cat)
	if err != nil {
		t.Fatalf("default rules: %v", err)
	}
	return rs, cat
}

// base is an ordinary signup: direct connection, real name, human form.
func base() map[string]any {
	m := map[string]any{}
	cat := signal.NewCatalog()
	for _, d := range cat.Defs() {
		switch d.Type {
		case signal.Bool:
			m[d.Name] = false
		case signal.Int:
			m[d.Name] = int64(0)
		case signal.Double:
			m[d.Name] = 0.0
		default:
			m[d.Name] = ""
		}
	}
	m["ip"], m["net"], m["asn"], m["asn_org"] = "73.45.1.2", "73.45.1.0/24", int64(7922), "Comcast"
	m["ip_country"], m["claimed_country"], m["timezone"], m["lang"], m["lang_region"] = "US", "US", "America/Chicago", "en-US", "US"
	m["username"], m["username_template"], m["name_pattern"] = "james.miller", "l5.l6", "first_last"
	m["form_fill_ms"], m["captcha"] = int64(42000), 0.9
	for _, k := range []string{"ip", "net", "asn", "dev", "rem", "rph", "tpl"} {
		m[k+"_10m"], m[k+"_1h"], m[k+"_24h"], m[k+"_7d"] = int64(1), int64(1), int64(1), int64(1)
		m[k+"_spike"], m[k+"_spike_24h"] = 1.0, 1.0
	}
	m["has_device"], m["has_recovery_email"], m["has_recovery_phone"] = true, true, true
	return m
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestGenuineLookalikesNotSuspended holds the default rules to the design's
// promise: the situations genuine people are in (a campus lab, a carrier
// NAT, a family device, a commercial VPN, travel) never suspend on their own.
func TestGenuineLookalikesNotSuspended(t *testing.T) {
	t.Parallel()
	rs, cat := defaultSet(t)
	policy := decision.DefaultPolicy()
	cases := []struct {
		name string
		sig  map[string]any
		want decision.Verdict // the most severe verdict allowed
	}{
		{"ordinary", base(), decision.Allow},
		{"commercial VPN abroad", with(base(), "vpn", true, "hosting", true, "anonymous", true, "ip_country", "NL", "country_mismatch", true, "tz_diff_h", 6.0, "tz_mismatch", true, "lang_mismatch", true), decision.Allow},
		{"campus lab burst", with(base(), "ip_1h", int64(45), "ip_spike", 45.0, "net_10m", int64(20), "net_spike", 30.0, "dev_7d", int64(8)), decision.Allow},
		{"campus lab burst, some captchas failed", with(base(), "ip_1h", int64(45), "ip_spike", 45.0, "captcha", 0.1, "dev_7d", int64(6)), decision.Review},
		{"carrier NAT at its usual volume", with(base(), "ip_1h", int64(300), "ip_usual_1h", 280.0, "ip_spike", 1.07, "ip_7d", int64(9000), "net_10m", int64(70), "net_spike", 1.1), decision.Allow},
		{"family of four on one device and phone", with(base(), "dev_7d", int64(4), "rph_7d", int64(4), "ip_7d", int64(4)), decision.Allow},
		{"traveller", with(base(), "ip_country", "JP", "country_mismatch", true, "tz_diff_h", 15.0, "tz_mismatch", true, "lang_mismatch", true), decision.Allow},
		{"disposable recovery alone", with(base(), "recovery_disposable", true, "recovery_domain", "yopmail.com"), decision.Allow},
		{"Tor user", with(base(), "tor", true, "hosting", true, "anonymous", true), decision.Allow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			reasons, score, err := rs.Score(signal.FromMap(cat, c.sig))
			if err != nil {
				t.Fatal(err)
			}
			got := policy.Decide(score, reasons)
			if rank(got) > rank(c.want) {
				t.Errorf("verdict %s (score %d, %v), want at most %s", got, score, reasons, c.want)
			}
		})
	}
}

func TestCampaignPatternsQueued(t *testing.T) {
	t.Parallel()
	rs, cat := defaultSet(t)
	policy := decision.DefaultPolicy()
	bot := with(base(), "hosting", true, "anonymous", true, "asn_org", "DigitalOcean", "asn", int64(14061),
		"ip_1h", int64(120), "ip_spike", 120.0, "net_10m", int64(60), "net_spike", 60.0,
		"username_template", "l6d4", "tpl_1h", int64(110), "tpl_spike", 55.0, "form_fill_ms", int64(700),
		"recovery_disposable", true, "recovery_domain", "mailinator.com")
	farm := with(base(), "vpn", true, "hosting", true, "anonymous", true, "ip_country", "NL", "country_mismatch", true,
		"name_pattern", "surname_random", "name_filler", "xyfi", "dev_7d", int64(12), "rph_7d", int64(7), "lang_region", "CN", "lang", "zh-CN")
	cases := []struct {
		name string
		sig  map[string]any
		want decision.Verdict
		rule string // a rule that must be among the reasons
	}{
		{"bot wave from a server", bot, decision.Suspend, "burst_machine_signs"},
		{"IT-worker farm persona", farm, decision.Suspend, "shared_identity_behind_anonymizer"},
		{"laptop farm address", with(base(), "ip_7d", int64(12), "rph_7d", int64(6), "name_pattern", "surname_random", "name_filler", "dtuxs"), decision.Review, "laptop_farm_address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			reasons, score, err := rs.Score(signal.FromMap(cat, c.sig))
			if err != nil {
				t.Fatal(err)
			}
			if got := policy.Decide(score, reasons); rank(got) < rank(c.want) {
				t.Errorf("verdict %s (score %d, %v), want at least %s", got, score, reasons, c.want)
			}
			found := false
			for i, r := range reasons {
				found = found || r.Rule == c.rule
				if r.Detail == "" || strings.Contains(r.Detail, "<no value>") {
					t.Errorf("rule %s: reason %q is not a sentence", r.Rule, r.Detail)
				}
				if i > 0 && reasons[i-1].Points < r.Points {
					t.Errorf("reasons not strongest first: %v", reasons)
				}
			}
			if !found {
				t.Errorf("rule %s did not fire: %v", c.rule, reasons)
			}
		})
	}
}

func TestReasonText(t *testing.T) {
	t.Parallel()
	rs, cat := defaultSet(t)
	sig := with(base(), "net_10m", int64(27), "net", "198.51.100.0/24", "net_spike", 9.4)
	reasons, _, err := rs.Score(signal.FromMap(cat, sig))
	if err != nil {
		t.Fatal(err)
	}
	want := "27 signups from 198.51.100.0/24 in 10 min, 9.4x its usual rate"
	for _, r := range reasons {
		if r.Rule == "network_burst" {
			if r.Detail != want {
				t.Errorf("detail %q, want %q", r.Detail, want)
			}
			return
		}
	}
	t.Errorf("network_burst did not fire: %v", reasons)
}

func TestParseErrorsNameEveryBadRule(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	src := `version: 1
rules:
  - name: good
    when: hosting
    points: 10
    reason: "ok"
  - name: unknown_signal
    when: no_such_signal > 3
    points: 10
    reason: "x"
  - name: not_bool
    when: ip_1h + 1
    points: 10
    reason: "x"
  - name: bad_template
    when: vpn
    points: 10
    reason: "{{.missing_signal}}"
  - name: good
    when: tor
    points: 10
    reason: "dup"
  - name: too_many_points
    when: tor
    points: 500
    reason: "x"
`
	_, err := rules.Parse([]byte(src), cat)
	if !errors.Is(err, rules.ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	for _, name := range []string{"unknown_signal", "not_bool", "bad_template", "name used twice", "too_many_points"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not mention %s:\n%v", name, err)
		}
	}
	if strings.Contains(err.Error(), "rule 1 (good)") {
		t.Errorf("error blames the good rule:\n%v", err)
	}
}

func TestParseFileErrors(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	for name, src := range map[string]string{
		"not yaml":      "version: [",
		"wrong version": "version: 2\nrules: [{name: a, when: tor, points: 1, reason: x}]",
		"no rules":      "version: 1\nrules: []",
		"unknown field": "version: 1\nrules: [{name: a, when: tor, points: 1, reason: x, weight: 3}]",
		"bad name":      "version: 1\nrules: [{name: Bad-Name, when: tor, points: 1, reason: x}]",
		"empty reason":  "version: 1\nrules: [{name: a, when: tor, points: 1, reason: ' '}]",
		"too large":     "version: 1\n#" + strings.Repeat("x", 300<<10),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := rules.Parse([]byte(src), cat); !errors.Is(err, rules.ErrInvalid) {
				t.Errorf("error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDisabledAndNegativeRules(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	src := `version: 1
rules:
  - {name: a, when: hosting, points: 60, reason: "server"}
  - {name: b, when: hosting, points: 30, reason: "off", disabled: true}
  - {name: c, when: captcha >= 0.9, points: -80, reason: "human"}
`
	rs, err := rules.Parse([]byte(src), cat)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rs.Rules()); got != 2 {
		t.Errorf("%d enabled rules, want 2", got)
	}
	_, score, _ := rs.Score(signal.FromMap(cat, with(base(), "hosting", true)))
	if score != 0 {
		t.Errorf("score %d, want 0: 60 - 80 clamps at 0 and the disabled rule counts nothing", score)
	}
	_, score, _ = rs.Score(signal.FromMap(cat, with(base(), "hosting", true, "captcha", 0.1)))
	if score != 60 {
		t.Errorf("score %d, want 60", score)
	}
	other, err := rules.Parse([]byte(strings.Replace(src, "60", "61", 1)), cat)
	if err != nil {
		t.Fatal(err)
	}
	if other.Version() == rs.Version() {
		t.Error("different rule files have the same version")
	}
}

func rank(v decision.Verdict) int {
	return map[decision.Verdict]int{decision.Allow: 0, decision.Review: 1, decision.Suspend: 2}[v]
}

func TestExpensiveRuleRejectedAtLoad(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	src := `version: 1
rules:
  - name: quadratic
    when: username.split("").all(a, address_domain.split("").all(b, a == b))
    points: 10
    reason: "x"
`
	_, err := rules.Parse([]byte(src), cat)
	if !errors.Is(err, rules.ErrInvalid) || !strings.Contains(err.Error(), "cost") {
		t.Errorf("error %v, want the rule rejected for its cost", err)
	}
	cheap := strings.Replace(src, `username.split("").all(a, address_domain.split("").all(b, a == b))`, `username.startsWith("x")`, 1)
	if _, err := rules.Parse([]byte(cheap), cat); err != nil {
		t.Errorf("a cheap rule was rejected: %v", err)
	}
}

// TestReasonQuotesEventText reproduces the "Hostile text" report: HTML in an
// Accept-Language header was stored verbatim in a reason's detail. Text an
// attacker chose now shows quoted, escaped and cut, so a reader (and a
// review page, which escapes HTML) sees exactly where it starts and ends.
func TestReasonQuotesEventText(t *testing.T) {
	t.Parallel()
	rs, cat := defaultSet(t)
	mismatch := []any{"lang_mismatch", true, "country_mismatch", true, "ip_country", "FR"}
	random := []any{"username_letters", int64(9), "username_randomness", 0.9}
	tests := []struct {
		name string
		sig  map[string]any
		rule string
		want string
	}{
		{"HTML in the language", with(base(), append(mismatch, "lang", "<script>alert(1)</script>")...), "language_region_not_ip_country",
			`language "<script>alert(1)</script>" and claimed country "US" do not match the IP's country "FR"`},
		{"quotes in the language cannot end the quote", with(base(), append(mismatch, "lang", `en" and all is fine "`)...), "language_region_not_ip_country",
			`language "en\" and all is fine \"" and claimed country "US" do not match the IP's country "FR"`},
		{"bidi override in the username", with(base(), append(random, "username", "xkq\u202ezvbwt")...), "random_username",
			`username "xkq\u202ezvbwt" is random letters, unlike real names (90%)`},
		{"other scripts kept", with(base(), append(random, "username", "ксюшаплюс")...), "random_username",
			`username "ксюшаплюс" is random letters, unlike real names (90%)`},
		{"long value cut to 64 characters", with(base(), append(random, "username", strings.Repeat("щ", 100))...), "random_username",
			`username "` + strings.Repeat("щ", 64) + `…" is random letters, unlike real names (90%)`},
		{"addresses the scanner formatted are not quoted", with(base(), "tor", true, "ip", "198.51.100.23"), "tor_exit",
			"signed up from a Tor exit node (198.51.100.23)"},
		{"a huge ratio stays short", with(base(), "ip_1h", int64(9), "ip_spike", 1e300), "ip_burst",
			`9 signups from 73.45.1.2 in 1 h, 1e+300x its usual rate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reasons, _, err := rs.Score(signal.FromMap(cat, tt.sig))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reasons {
				if r.Rule == tt.rule {
					if got := r.Detail; got != tt.want {
						t.Errorf("detail\n got %s\nwant %s", got, tt.want)
					}
					return
				}
			}
			t.Errorf("%s did not fire: %v", tt.rule, reasons)
		})
	}
}

// TestReasonTemplateBounded reproduces the "Hostile text" report: a reason
// template rendered 2 MB per event (226 MB for 60 events), which DynamoDB
// then refused and the pipeline retried as a transient fault. A template
// whose output cannot be bounded is now refused at load, by rule name.
func TestReasonTemplateBounded(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	tests := []struct {
		name   string
		reason string
		want   string // in the error; "" = accepted
	}{
		{"range over a number", `{{range 2000000}}{{$.username}}{{end}}`, "not allowed"},
		{"range over a signal", `{{range .ip_1h}}x{{end}}`, "not allowed"},
		{"printf width", `{{printf "%2000000d" 1}}`, "function printf"},
		{"template call", `{{define "a"}}{{template "a"}}{{template "a"}}{{end}}{{template "a"}}`, "defines templates"},
		{"the whole signal set", `{{.}}`, "not allowed"},
		{"with", `{{with .username}}{{.}}{{end}}`, "not allowed"},
		{"variable", `{{$u := .username}}{{$u}}`, "variables"},
		{"slice", `{{slice .username 1}}`, "function slice"},
		{"html", `{{html .username}}`, "function html"},
		{"unknown signal", `{{.no_such_signal}}`, "no such signal"},
		{"too long as written", strings.Repeat("a", 501), "more than 500"},
		{"too many quoted values", strings.Repeat("{{.username}} ", 7), "may render"},
		{"if, else and comparisons", `{{if eq .channel "web"}}web{{else if and .tor (gt .ip_1h 3)}}tor{{else}}{{or .lang "none"}}{{end}}`, ""},
		{"functions in a pipeline", `{{.ip_spike | x}}x, {{pct .captcha}}, {{len .username}} letters`, ""},
		{"six quoted values", strings.Repeat("{{.username}} ", 6), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "version: 1\nrules:\n  - name: ok\n    when: tor\n    points: 1\n    reason: x\n" +
				"  - name: big\n    when: tor\n    points: 10\n    reason: '" + strings.ReplaceAll(tt.reason, "'", "''") + "'\n"
			_, err := rules.Parse([]byte(src), cat)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case tt.want == "":
			case !errors.Is(err, rules.ErrInvalid) || !strings.Contains(err.Error(), "rule 2 (big)") || !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %v, want ErrInvalid naming rule 2 (big) and saying %q", err, tt.want)
			case strings.Contains(err.Error(), "(ok)"):
				t.Errorf("error blames the good rule: %v", err)
			}
		})
	}
}

// TestReasonRenderBounded: whatever a template allowed at load renders, the
// detail is at most queue.MaxDetailBytes of valid UTF-8.
func TestReasonRenderBounded(t *testing.T) {
	t.Parallel()
	cat := signal.NewCatalog()
	src := "version: 1\nrules:\n  - name: wide\n    when: tor\n    points: 10\n" +
		"    reason: '{{.username}} {{.asn_org}} {{.lang}} {{.timezone}} {{.address_domain}} {{.channel}}'\n"
	rs, err := rules.Parse([]byte(src), cat)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("\u0301é", 500) // combining marks: many bytes, nothing escaped
	sig := with(base(), "tor", true, "username", long, "asn_org", long, "lang", long, "timezone", long, "address_domain", long, "channel", long)
	reasons, _, err := rs.Score(signal.FromMap(cat, sig))
	if err != nil || len(reasons) != 1 {
		t.Fatalf("Score = %v, %v", reasons, err)
	}
	got := reasons[0].Detail
	if len(got) > queue.MaxDetailBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("detail of %d bytes (valid UTF-8 %v), want at most %d ending with …: %q", len(got), utf8.ValidString(got), queue.MaxDetailBytes, got)
	}
}

// TestDefaultLoginRules: the default login rules compile against the login
// catalog, and none fires on a login that shows nothing notable, since
// such logins are scored 0 without evaluating them (signal.Notable).
func TestDefaultLoginRules(t *testing.T) {
	cat := signal.NewLoginCatalog()
	rs, err := rules.Parse(rules.DefaultLoginSource(), cat)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	fired := 0
	for range 5000 {
		in := signal.LoginInput{
			IP: netip.MustParseAddr("100.2.14.7"), Prefix: netip.MustParsePrefix("100.2.14.0/24"),
			Protocol: []string{"web", "imap", "smtp", "pop", ""}[r.IntN(5)],
			Geo: ipinfo.Info{Country: "US", HasLocation: true, ASN: 701, Hosting: r.IntN(4) == 0, VPN: r.IntN(4) == 0,
				Tor: r.IntN(8) == 0, ResidentialProxy: r.IntN(8) == 0},
			Facts: login.Facts{Known: r.IntN(2) == 0, Learning: r.IntN(2) == 0, Young: r.IntN(2) == 0,
				AgeDays: r.IntN(40) - 1, Real: r.IntN(2) == 0, Impossible: r.IntN(5) == 0, NewCountry: r.IntN(5) == 0,
				Countries: 1 + r.IntN(3), NewNet: r.IntN(2) == 0, NewDevice: r.IntN(2) == 0, Legacy: r.IntN(2) == 0,
				LivesAbroad: r.IntN(5) == 0, ClaimedIn: "US", SignupAnon: r.IntN(2) == 0, SignupScore: r.IntN(100)},
			IPFarm:     login.Farm{Recent: r.IntN(12), Is: r.IntN(5) == 0},
			DeviceFarm: login.Farm{Recent: r.IntN(12), Is: r.IntN(5) == 0},
		}
		in.Geo.Anonymous = in.Geo.Hosting || in.Geo.VPN || in.Geo.Tor || in.Geo.ResidentialProxy
		reasons, score, err := rs.Score(signal.Login(cat, in))
		if err != nil {
			t.Fatal(err)
		}
		if !signal.Notable(in) && (score != 0 || len(reasons) != 0) {
			t.Fatalf("rules %v fired on a login that is not notable: %+v", reasons, in)
		}
		if score > 0 {
			fired++
		}
	}
	if fired == 0 {
		t.Error("no login rule ever fired: the test proves nothing")
	}
}

// TestDefaultMessageRules holds the default message rules to their
// principle: what a genuine new mailbox may do alone (write to many
// companies, send from abroad or from a clock far from home, use another
// name, share content with a relative or two) never reaches review, while
// content shared with several other new mailboxes, with the operators'
// clock and a spray, reaches suspension.
func TestDefaultMessageRules(t *testing.T) {
	cat := signal.NewMessageCatalog()
	rs, err := rules.ParseMessage(rules.DefaultSource(), cat)
	if err != nil {
		t.Fatal(err)
	}
	base := signal.MessageInput{Young: true, AgeDays: 3, ClaimedCountry: "US", ClaimedZone: "America/Chicago",
		Origin: "73.44.5.6", OriginGeo: ipinfo.Info{Country: "US"}, HasDate: true, DateOffset: -6 * 3600,
		HasZone: true, ZoneOffset: -6 * 3600, Recipients: 1, Domains: 1, FanOut: 1, Messages: 1}
	alone := map[string]func(*signal.MessageInput){
		"spray":        func(in *signal.MessageInput) { in.FanOut, in.Domains, in.Recipients = 40, 40, 40 },
		"abroad":       func(in *signal.MessageInput) { in.OriginGeo.Country = "DE" },
		"clock":        func(in *signal.MessageInput) { in.DateOffset = 9 * 3600 },
		"name":         func(in *signal.MessageInput) { in.NameDiffers = true },
		"relatives":    func(in *signal.MessageInput) { in.SharedImage, in.SharedAttach = 1, 1 },
		"popular":      func(in *signal.MessageInput) { in.Popular = true },
		"vpn":          func(in *signal.MessageInput) { in.OriginGeo.VPN, in.OriginGeo.Anonymous = true, true },
		"turned away":  func(in *signal.MessageInput) { in.TurnedAway = "too_deep" },
		"anon signup":  func(in *signal.MessageInput) { in.SignupAnon = true },
		"traveller":    func(in *signal.MessageInput) { in.OriginGeo.Country, in.DateOffset = "JP", 9*3600 },
		"job seeker":   func(in *signal.MessageInput) { in.FanOut, in.Domains, in.NameDiffers = 30, 5, true },
		"server proxy": func(in *signal.MessageInput) { in.OriginGeo.Hosting, in.OriginGeo.Anonymous = true, true },
	}
	for name, f := range alone {
		in := base
		f(&in)
		reasons, score, err := rs.Score(signal.Message(cat, in))
		if err != nil {
			t.Fatal(err)
		}
		if score >= 50 {
			t.Errorf("%s alone scores %d (%v): a genuine new mailbox would be reviewed", name, score, reasons)
		}
	}
	farm := base
	farm.SharedAttach, farm.SharedImage, farm.SharedText = 6, 5, 9
	farm.DateOffset, farm.FanOut = 9*3600, 20
	reasons, score, err := rs.Score(signal.Message(cat, farm))
	if err != nil {
		t.Fatal(err)
	}
	if score < 80 || len(reasons) < 2 {
		t.Errorf("a farm persona's message scores %d with %d reasons, want suspension (80, 2 rules)", score, len(reasons))
	}

	// message_rules in a rules file replace the defaults.
	own := []byte("version: 1\nrules: [{name: a, when: 'true', points: 1, reason: x}]\n" +
		"message_rules: [{name: b, when: 'shared_image >= 1', points: 60, reason: y}]\n")
	rs, err = rules.ParseMessage(own, cat)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.Rules(); len(got) != 1 || got[0].Name != "b" {
		t.Errorf("message_rules = %v, want the file's one rule", got)
	}
	if _, err := rules.ParseMessage([]byte("version: 1\nrules: []\nmessage_rules: [{name: c, when: 'nope', points: 1, reason: z}]\n"), cat); err == nil {
		t.Error("a message rule over an unknown signal compiled")
	}
}
