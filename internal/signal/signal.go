package signal

import (
	"math"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/window"
)

// Names judges usernames; internal/username implements it.
type Names interface {
	// Template returns the shape of a username, the key templated waves share.
	Template(local string) string
	// Randomness returns 0..1: how unlike real names the letters of a
	// username are, and how many letters were judged.
	Randomness(local string) (score float64, letters int)
	// Pattern says how a username derives from a display name ("" if it
	// does not), and the random filler added to it.
	Pattern(local, displayName string) (pattern, filler string)
}

// Domains tells whether a mail domain is disposable.
type Domains interface {
	Contains(domain string) bool
}

// Extractor computes signals. It is safe for concurrent use.
type Extractor struct {
	cat        *Catalog
	names      Names
	disposable Domains
	zones      sync.Map // zone name -> *time.Location (nil if invalid)
}

// NewExtractor returns an extractor over the catalog. disposable may be nil
// (the signal is then always false).
func NewExtractor(cat *Catalog, names Names, disposable Domains) *Extractor {
	return &Extractor{cat: cat, names: names, disposable: disposable}
}

// Catalog returns the extractor's catalog.
func (x *Extractor) Catalog() *Catalog { return x.cat }

// Input is everything known about one signup when it is scored.
type Input struct {
	Signup *event.Signup
	Geo    ipinfo.Info
	// GeoCity and GeoASN say which databases are configured, so rules can
	// tell "unknown" from "not looked up".
	GeoCity, GeoASN bool
	// Prefix is the IP's /24 or /48.
	Prefix netip.Prefix
	// Counts holds, per kind present on the event, the key's counts at the
	// event's time with the event itself included.
	Counts map[window.Kind]window.Counts
}

// Set is the signals of one event, indexed by catalog position.
type Set struct {
	cat  *Catalog
	vals []any
}

// Value returns the signal at catalog position i.
func (s Set) Value(i int) any { return s.vals[i] }

// Get returns a signal by name.
func (s Set) Get(name string) (any, bool) {
	i, ok := s.cat.index[name]
	if !ok {
		return nil, false
	}
	return s.vals[i], true
}

// Map returns the signals as a map, for templates and for people.
func (s Set) Map() map[string]any {
	m := make(map[string]any, len(s.vals))
	for i, d := range s.cat.defs {
		m[d.Name] = s.vals[i]
	}
	return m
}

// Catalog returns the set's catalog.
func (s Set) Catalog() *Catalog { return s.cat }

// Extract computes the signals of a signup.
func (x *Extractor) Extract(in Input) Set {
	s := Set{cat: x.cat, vals: make([]any, x.cat.Len())}
	v := s.vals
	su := in.Signup
	g := in.Geo

	v[sIP] = su.IP.String()
	v[sNet] = in.Prefix.String()
	v[sASN] = int64(g.ASN)
	v[sASOrg] = g.ASOrg
	v[sIPCountry] = g.Country
	v[sIPCity] = g.City
	v[sGeoCity] = in.GeoCity
	v[sGeoASN] = in.GeoASN
	v[sHosting] = g.Hosting
	v[sVPN] = g.VPN
	v[sTor] = g.Tor
	v[sPublicProxy] = g.PublicProxy
	v[sResidentialProxy] = g.ResidentialProxy
	v[sAnonymous] = g.Anonymous || g.Hosting || g.VPN || g.Tor || g.PublicProxy || g.ResidentialProxy

	local, domain := SplitAddress(su.Address)
	v[sAddressDomain] = domain
	v[sUsername] = local
	v[sTemplate] = x.names.Template(local)
	r, letters := x.names.Randomness(local)
	v[sRandomness] = r
	v[sLetters] = int64(letters)
	pattern, filler := x.names.Pattern(local, su.DisplayName)
	v[sNamePattern] = pattern
	v[sNameFiller] = filler
	v[sHasDisplayName] = strings.TrimSpace(su.DisplayName) != ""

	_, rdomain := SplitAddress(su.RecoveryEmail)
	v[sRecoveryDomain] = rdomain
	v[sRecoveryDisposable] = rdomain != "" && x.disposable != nil && x.disposable.Contains(rdomain)
	v[sHasRecoveryEmail] = su.RecoveryEmail != ""
	v[sHasRecoveryPhone] = su.RecoveryPhone != ""
	v[sHasDevice] = su.DeviceID != ""

	v[sFormFill] = int64(-1)
	if su.FormFillMs != nil {
		v[sFormFill] = *su.FormFillMs
	}
	v[sCaptcha] = -1.0
	if su.CaptchaScore != nil {
		v[sCaptcha] = *su.CaptchaScore
	}
	v[sAutomationUA] = AutomationUA(su.UserAgent)

	v[sTimezone] = su.Timezone
	diff := x.tzDiff(su.Timezone, g.TimeZone, su.CreatedAt)
	v[sTZDiff] = diff
	v[sTZMismatch] = diff >= 3

	lang, region := PrimaryLanguage(su.AcceptLanguage)
	v[sLang] = lang
	v[sLangRegion] = region
	v[sLangMismatch] = region != "" && g.Country != "" && region != g.Country
	v[sClaimedCountry] = su.Country
	v[sCountryMismatch] = su.Country != "" && g.Country != "" && su.Country != g.Country
	v[sChannel] = su.Channel

	for _, k := range window.Kinds {
		c := in.Counts[k]
		i := velocityIndex(k)
		v[i+0] = c.Last10m
		v[i+1] = c.Last1h
		v[i+2] = c.Last24h
		v[i+3] = c.Last7d
		v[i+4] = c.Usual1h
		v[i+5] = float64(c.Last1h) / math.Max(c.Usual1h, 1)
		v[i+6] = float64(c.Last24h) / math.Max(c.Usual1h*24, 1)
		v[i+7] = int64(c.DaysSeen)
	}
	return s
}

// tzDiff returns the hours between two zones' UTC offsets at t, 0 if either
// is unknown.
func (x *Extractor) tzDiff(a, b string, t time.Time) float64 {
	la, lb := x.zone(a), x.zone(b)
	if la == nil || lb == nil {
		return 0
	}
	_, oa := t.In(la).Zone()
	_, ob := t.In(lb).Zone()
	return math.Abs(float64(oa-ob)) / 3600
}

func (x *Extractor) zone(name string) *time.Location {
	if name == "" || len(name) > 64 {
		return nil
	}
	if l, ok := x.zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		l = nil
	}
	// The cache is bounded by the zone database (a few hundred names): an
	// invalid name is stored only while the cache is small, so junk input
	// cannot grow it without limit.
	if l != nil || x.cacheSize() < 1024 {
		x.zones.Store(name, l)
	}
	return l
}

func (x *Extractor) cacheSize() int {
	n := 0
	x.zones.Range(func(any, any) bool { n++; return n < 1024 })
	return n
}

// SplitAddress returns the lowercased local part (without a +tag) and the
// domain of a mail address.
func SplitAddress(addr string) (local, domain string) {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return strings.ToLower(addr), ""
	}
	local, domain = strings.ToLower(addr[:at]), strings.ToLower(addr[at+1:])
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local, domain
}

// PrimaryLanguage returns the first tag of an Accept-Language header and its
// region ("en-US" -> "en-US", "US"; "ru" -> "ru", "").
func PrimaryLanguage(h string) (tag, region string) {
	tag = h
	if i := strings.IndexAny(tag, ",;"); i >= 0 {
		tag = tag[:i]
	}
	tag = strings.TrimSpace(tag)
	if len(tag) > 35 {
		return "", ""
	}
	if i := strings.LastIndexAny(tag, "-_"); i > 0 && len(tag)-i-1 == 2 {
		region = strings.ToUpper(tag[i+1:])
		// ToUpper may shorten non-ASCII input ("ı" -> "I"): check the length.
		if len(region) != 2 || region[0] < 'A' || region[0] > 'Z' || region[1] < 'A' || region[1] > 'Z' {
			region = ""
		}
	}
	return tag, region
}

var automationMarkers = []string{
	"headlesschrome", "phantomjs", "selenium", "webdriver", "puppeteer", "playwright",
	"python-requests", "python-urllib", "aiohttp", "curl/", "wget/", "go-http-client",
	"java/", "apache-httpclient", "scrapy", "node-fetch", "axios/", "libwww-perl", "httpclient",
}

// AutomationUA reports whether a user agent names an automation tool, an
// HTTP library or a headless browser.
func AutomationUA(ua string) bool {
	if ua == "" {
		return false
	}
	lower := strings.ToLower(ua)
	for _, m := range automationMarkers {
		if strings.Contains(lower, m) {
			return true
		}
	}
	return false
}

// FromMap builds a set from named values, for tests and rule validation.
// Signals missing from m are left nil.
func FromMap(cat *Catalog, m map[string]any) Set {
	s := Set{cat: cat, vals: make([]any, cat.Len())}
	for name, val := range m {
		if i, ok := cat.index[name]; ok {
			s.vals[i] = val
		}
	}
	return s
}

// Template returns the username shape of a local part: the key that
// templated waves share.
func (x *Extractor) Template(local string) string { return x.names.Template(local) }

// Disposable reports whether a mail domain is a disposable one.
func (x *Extractor) Disposable(domain string) bool {
	return domain != "" && x.disposable != nil && x.disposable.Contains(domain)
}
