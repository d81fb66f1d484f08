package signal

import (
	"net/netip"

	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/login"
)

// Positions of the login signals.
const (
	lIP = iota
	lNet
	lASN
	lASOrg
	lIPCountry
	lIPCity
	lHosting
	lVPN
	lTor
	lPublicProxy
	lResidentialProxy
	lAnonymous
	lProtocol
	lLegacy
	lKnown
	lLearning
	lYoung
	lAgeDays
	lRealPlace
	lTravelKm
	lTravelKmh
	lTravelMinutes
	lTravelFrom
	lImpossible
	lNewCountry
	lCountries
	lNewNet
	lNewDevice
	lLivesAbroad
	lClaimedCountry
	lSignupAnon
	lSignupScore
	lIPAccounts
	lIPUsual
	lIPFarm
	lDeviceAccounts
	lDeviceFarm
	nLogin
)

var loginDefs = [nLogin]Def{
	lIP:               {"ip", String, "the client IP address"},
	lNet:              {"net", String, "the IP's network: /24 for IPv4, /48 for IPv6"},
	lASN:              {"asn", Int, "autonomous system number of the IP (0 if unknown)"},
	lASOrg:            {"asn_org", String, "organisation of the autonomous system"},
	lIPCountry:        {"ip_country", String, "ISO country of the IP (\"\" if unknown)"},
	lIPCity:           {"ip_city", String, "city of the IP (\"\" if unknown)"},
	lHosting:          {"hosting", Bool, "the IP belongs to a hosting / datacenter network"},
	lVPN:              {"vpn", Bool, "the IP is a commercial VPN exit"},
	lTor:              {"tor", Bool, "the IP is a Tor exit node"},
	lPublicProxy:      {"public_proxy", Bool, "the IP is an open public proxy"},
	lResidentialProxy: {"residential_proxy", Bool, "the IP is a residential proxy for hire"},
	lAnonymous:        {"anonymous", Bool, "any of hosting, vpn, tor, public_proxy, residential_proxy"},
	lProtocol:         {"protocol", String, "web, imap, pop, smtp, eas, mobile, api (\"\" if not reported)"},
	lLegacy:           {"legacy_protocol", Bool, "the sign-in used IMAP, POP or SMTP"},
	lKnown:            {"known_account", Bool, "the account had a login history before this login"},
	lLearning:         {"learning", Bool, "the account is in its learning period (14 days or 10 logins from its first)"},
	lYoung:            {"young", Bool, "the scanner saw the account's signup less than 30 days ago"},
	lAgeDays:          {"account_age_days", Int, "days since the signup the scanner saw (-1 if it saw none)"},
	lRealPlace:        {"real_place", Bool, "the IP is located and is no anonymizer: a place a person is at"},
	lTravelKm:         {"travel_km", Double, "km from the previous real place of the account (0 if none, or same country)"},
	lTravelKmh:        {"travel_kmh", Double, "speed needed from the previous real place, accuracy radii taken off (0 if none)"},
	lTravelMinutes:    {"travel_minutes", Int, "minutes since the previous real place was last seen (stored to the refresh period)"},
	lTravelFrom:       {"travel_from", String, "country of the previous real place (\"\" if none, or same country)"},
	lImpossible:       {"impossible_travel", Bool, "the jump from the previous real place needs more than 900 km/h (other countries; coarse data needs 3000 km)"},
	lNewCountry:       {"new_country", Bool, "a real place in a country the account never signed in from, after its learning period"},
	lCountries:        {"countries_1h", Int, "distinct countries of real places within the last hour, this one included"},
	lNewNet:           {"new_network", Bool, "the account never signed in from this network (/24, /48) before"},
	lNewDevice:        {"new_device", Bool, "the account never signed in from this device before"},
	lLivesAbroad:      {"lives_abroad", Bool, "signs in over 2 days or more from a place outside the country claimed at signup"},
	lClaimedCountry:   {"claimed_country", String, "country chosen in the signup form (\"\" if unknown)"},
	lSignupAnon:       {"signup_anonymous", Bool, "the account signed up through an anonymizer (VPN, hosting, Tor, proxy)"},
	lSignupScore:      {"signup_score", Int, "the score the account's signup reached (0 if unknown)"},
	lIPAccounts:       {"ip_new_accounts", Int, "young accounts living at this address: signed in from it on 2 days or more, the last within 7 days (0 if not looked up)"},
	lIPUsual:          {"ip_usual_accounts", Double, "accounts that began signing in from this address per 7 days in its earlier history"},
	lIPFarm:           {"laptop_farm", Bool, "ip_new_accounts reached the farm threshold, above 3x the address's usual rate, young accounts most of those seen there"},
	lDeviceAccounts:   {"device_new_accounts", Int, "young accounts signing in from this device on 2 days or more, the last within 7 days (0 if not looked up)"},
	lDeviceFarm:       {"device_farm", Bool, "device_new_accounts reached the farm threshold, above 3x the device's usual rate, young accounts most of those seen on it"},
}

// NewLoginCatalog builds the catalog of login signals: what login rules are
// written in.
func NewLoginCatalog() *Catalog {
	c := &Catalog{index: map[string]int{}}
	c.defs = append(c.defs, loginDefs[:]...)
	for i, d := range c.defs {
		c.index[d.Name] = i
	}
	return c
}

// LoginInput is everything known about one login when it is scored.
type LoginInput struct {
	IP         netip.Addr
	Prefix     netip.Prefix
	Protocol   string
	Geo        ipinfo.Info
	Facts      login.Facts
	IPFarm     login.Farm
	DeviceFarm login.Farm
}

// Login computes the signals of a login over cat, a NewLoginCatalog.
func Login(cat *Catalog, in LoginInput) Set {
	s := Set{cat: cat, vals: make([]any, nLogin)}
	v := s.vals
	g, f := in.Geo, in.Facts
	v[lIP] = in.IP.String()
	v[lNet] = in.Prefix.String()
	v[lASN] = int64(g.ASN)
	v[lASOrg] = g.ASOrg
	v[lIPCountry] = g.Country
	v[lIPCity] = g.City
	v[lHosting] = g.Hosting
	v[lVPN] = g.VPN
	v[lTor] = g.Tor
	v[lPublicProxy] = g.PublicProxy
	v[lResidentialProxy] = g.ResidentialProxy
	v[lAnonymous] = g.Anonymous
	v[lProtocol] = in.Protocol
	v[lLegacy] = f.Legacy
	v[lKnown] = f.Known
	v[lLearning] = f.Learning
	v[lYoung] = f.Young
	v[lAgeDays] = int64(f.AgeDays)
	v[lRealPlace] = f.Real
	v[lTravelKm] = f.TravelKm
	v[lTravelKmh] = f.TravelKmh
	v[lTravelMinutes] = int64(f.TravelMinutes)
	v[lTravelFrom] = f.TravelFrom
	v[lImpossible] = f.Impossible
	v[lNewCountry] = f.NewCountry
	v[lCountries] = int64(f.Countries)
	v[lNewNet] = f.NewNet
	v[lNewDevice] = f.NewDevice
	v[lLivesAbroad] = f.LivesAbroad
	v[lClaimedCountry] = f.ClaimedIn
	v[lSignupAnon] = f.SignupAnon
	v[lSignupScore] = int64(f.SignupScore)
	v[lIPAccounts] = int64(in.IPFarm.Recent)
	v[lIPUsual] = in.IPFarm.Usual
	v[lIPFarm] = in.IPFarm.Is
	v[lDeviceAccounts] = int64(in.DeviceFarm.Recent)
	v[lDeviceFarm] = in.DeviceFarm.Is
	return s
}

// Notable reports whether a login shows anything a login rule could be
// about: an anonymizer, a jump, a new country, several countries, a farm,
// a legacy protocol from a hosting network, or a signup-joined fact. A login
// with none is scored 0 without evaluating the rules, which keeps the
// common login cheap; login rules must fire only on notable logins (the
// rules tests check the defaults do).
func Notable(in LoginInput) bool {
	f := in.Facts
	return in.Geo.Anonymous || f.Impossible || f.NewCountry || f.Countries > 1 ||
		in.IPFarm.Is || in.DeviceFarm.Is || f.LivesAbroad
}
