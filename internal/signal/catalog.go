// Package signal turns one event, what the scanner knows of its addresses,
// and the state around it into named signals: the vocabulary that rules are
// written in. It is pure: no I/O, no clock, no randomness; the same inputs
// give the same signals.
package signal

import (
	"fmt"
	"slices"

	"github.com/mailtrust/abusescan/internal/window"
)

// Type is a signal's value type.
type Type int

// Signal types.
const (
	Bool Type = iota
	Int
	Double
	String
)

func (t Type) String() string {
	return [...]string{"bool", "int", "double", "string"}[t]
}

// Def describes one signal: its name in rules, its type, and what it means.
type Def struct {
	Name string
	Type Type
	Doc  string
}

// Catalog is the list of signals, in a fixed order. Rules may use any of
// them; `abusectl rules signals` prints it.
type Catalog struct {
	defs  []Def
	index map[string]int
}

// Defs returns the signal definitions in catalog order.
func (c *Catalog) Defs() []Def { return slices.Clone(c.defs) }

// Index returns the position of a signal, or false if it does not exist.
func (c *Catalog) Index(name string) (int, bool) {
	i, ok := c.index[name]
	return i, ok
}

// Len returns the number of signals.
func (c *Catalog) Len() int { return len(c.defs) }

// Positions of the fixed signals; per-kind velocity signals follow them.
const (
	sIP = iota
	sNet
	sASN
	sASOrg
	sIPCountry
	sIPCity
	sGeoCity
	sGeoASN
	sHosting
	sVPN
	sTor
	sPublicProxy
	sResidentialProxy
	sAnonymous
	sAddressDomain
	sUsername
	sTemplate
	sRandomness
	sLetters
	sNamePattern
	sNameFiller
	sHasDisplayName
	sRecoveryDomain
	sRecoveryDisposable
	sHasRecoveryEmail
	sHasRecoveryPhone
	sHasDevice
	sFormFill
	sCaptcha
	sAutomationUA
	sTimezone
	sTZDiff
	sTZMismatch
	sLang
	sLangRegion
	sLangMismatch
	sClaimedCountry
	sCountryMismatch
	sChannel
	nFixed
)

var fixedDefs = [nFixed]Def{
	sIP:                 {"ip", String, "the client IP address"},
	sNet:                {"net", String, "the IP's network: /24 for IPv4, /48 for IPv6"},
	sASN:                {"asn", Int, "autonomous system number of the IP (0 if unknown)"},
	sASOrg:              {"asn_org", String, "organisation of the autonomous system"},
	sIPCountry:          {"ip_country", String, "ISO country of the IP (\"\" if unknown)"},
	sIPCity:             {"ip_city", String, "city of the IP (\"\" if unknown)"},
	sGeoCity:            {"geo_city", Bool, "a City database is configured (country, time zone signals are on)"},
	sGeoASN:             {"geo_asn", Bool, "an ASN database is configured"},
	sHosting:            {"hosting", Bool, "the IP belongs to a hosting / datacenter network"},
	sVPN:                {"vpn", Bool, "the IP is a commercial VPN exit"},
	sTor:                {"tor", Bool, "the IP is a Tor exit node"},
	sPublicProxy:        {"public_proxy", Bool, "the IP is an open public proxy"},
	sResidentialProxy:   {"residential_proxy", Bool, "the IP is a residential proxy for hire"},
	sAnonymous:          {"anonymous", Bool, "any of hosting, vpn, tor, public_proxy, residential_proxy"},
	sAddressDomain:      {"address_domain", String, "domain of the new mailbox"},
	sUsername:           {"username", String, "local part of the new mailbox, lowercased, without +tag"},
	sTemplate:           {"username_template", String, "shape of the username (letter and digit runs)"},
	sRandomness:         {"username_randomness", Double, "0..1: how unlike real names the username's letters are (character model trained on census names)"},
	sLetters:            {"username_letters", Int, "number of letters in the username"},
	sNamePattern:        {"name_pattern", String, "how the username derives from the display name: first_last, surname_random, unrelated, none …"},
	sNameFiller:         {"name_filler", String, "random letters padding the display name in the username (\"\" unless a bought-account pattern)"},
	sHasDisplayName:     {"has_display_name", Bool, "a display name was given"},
	sRecoveryDomain:     {"recovery_domain", String, "domain of the recovery address (\"\" if none)"},
	sRecoveryDisposable: {"recovery_disposable", Bool, "the recovery address is at a disposable mail domain"},
	sHasRecoveryEmail:   {"has_recovery_email", Bool, "a recovery address was given"},
	sHasRecoveryPhone:   {"has_recovery_phone", Bool, "a recovery phone was given"},
	sHasDevice:          {"has_device", Bool, "a device id was given"},
	sFormFill:           {"form_fill_ms", Int, "milliseconds from form load to submit (-1 if not reported)"},
	sCaptcha:            {"captcha", Double, "captcha score 0 (bot) .. 1 (human) (-1 if not reported)"},
	sAutomationUA:       {"automation_ua", Bool, "the user agent names an automation tool or headless browser"},
	sTimezone:           {"timezone", String, "IANA zone the client reported"},
	sTZDiff:             {"tz_diff_h", Double, "hours between the client's zone and the IP location's zone at signup (0 if either unknown)"},
	sTZMismatch:         {"tz_mismatch", Bool, "client zone and IP zone differ by 3 hours or more"},
	sLang:               {"lang", String, "primary Accept-Language tag, e.g. en-US"},
	sLangRegion:         {"lang_region", String, "region of the primary language tag (\"\" if none)"},
	sLangMismatch:       {"lang_mismatch", Bool, "the primary language's region is not the IP's country"},
	sClaimedCountry:     {"claimed_country", String, "country chosen in the signup form"},
	sCountryMismatch:    {"country_mismatch", Bool, "claimed country differs from the IP's country (both known)"},
	sChannel:            {"channel", String, "web, ios, android or api"},
}

// Velocity signal suffixes, per counted attribute kind, in this order.
var velocityDefs = []struct {
	suffix string
	typ    Type
	doc    string
}{
	{"10m", Int, "signups sharing this %s in the last 10 minutes, this one included"},
	{"1h", Int, "signups sharing this %s in the last hour"},
	{"24h", Int, "signups sharing this %s in the last 24 hours"},
	{"7d", Int, "signups sharing this %s in the last 7 days"},
	{"usual_1h", Double, "usual signups per hour for this %s on the days it was active in the previous 28"},
	{"spike", Double, "last hour's signups for this %s over its usual hourly rate (rate floored at 1/h)"},
	{"spike_24h", Double, "last day's signups for this %s over its usual daily rate (rate floored at 1/day)"},
	{"days", Int, "days of the previous 28 with signups from this %s"},
}

var kindNames = map[window.Kind]string{
	window.IP:            "IP (IPv6: its /64)",
	window.Prefix:        "network",
	window.ASN:           "ASN",
	window.Device:        "device",
	window.RecoveryEmail: "recovery address",
	window.RecoveryPhone: "recovery phone",
	window.Template:      "username shape",
}

// NewCatalog builds the catalog of every signal.
func NewCatalog() *Catalog {
	c := &Catalog{index: map[string]int{}}
	c.defs = append(c.defs, fixedDefs[:]...)
	for _, k := range window.Kinds {
		for _, v := range velocityDefs {
			c.defs = append(c.defs, Def{Name: string(k) + "_" + v.suffix, Type: v.typ, Doc: fmt.Sprintf(v.doc, kindNames[k])})
		}
	}
	for i, d := range c.defs {
		c.index[d.Name] = i
	}
	return c
}

// velocityIndex returns the position of the first velocity signal of kind k.
func velocityIndex(k window.Kind) int {
	return int(nFixed) + slices.Index(window.Kinds, k)*len(velocityDefs)
}
