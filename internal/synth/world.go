// Package synth provides a synthetic, deterministic world and traffic for
// tests, demos and backtests.
//
// The address plan returned by World borrows real, public prefixes and real
// autonomous system numbers so that the GeoIP test databases generated from
// it, the hosting and VPN lists and the scanner's signals all agree, but the
// mapping of blocks to cities is simplified and must never be read as a
// statement about the real owners of those addresses.
package synth

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"net/netip"
	"slices"
)

// Role says what kind of network a block is.
type Role string

// The roles a block of the address plan can have.
const (
	Residential      Role = "residential"       // home broadband, one household per IP
	Mobile           Role = "mobile"            // carrier-grade NAT: thousands of users behind few IPs
	Campus           Role = "campus"            // university lab/NAT: many genuine users per IP
	Business         Role = "business"          // office networks
	Hosting          Role = "hosting"           // datacenter / cloud servers
	VPN              Role = "vpn"               // commercial VPN exits
	Tor              Role = "tor"               // Tor exit relays
	PublicProxy      Role = "public-proxy"      // open proxies on hosting networks
	ResidentialProxy Role = "residential-proxy" // proxies sold on residential IPs
)

// Network is one block of the synthetic address plan.
type Network struct {
	Prefix   netip.Prefix
	Role     Role
	Country  string // ISO 3166-1 alpha-2
	City     string // English name
	Lat, Lon float64
	TimeZone string // IANA zone, e.g. "America/Chicago"
	Language string // typical Accept-Language primary tag, e.g. "en-US", "zh-CN", "ru-RU"
	ASN      uint32
	ASOrg    string
}

// place is a city of the plan; every block sits in one.
type place struct {
	country, city string
	lat, lon      float64
	tz, lang      string
}

var (
	chicago   = place{"US", "Chicago", 41.8781, -87.6298, "America/Chicago", "en-US"}
	newYork   = place{"US", "New York", 40.7128, -74.0060, "America/New_York", "en-US"}
	austin    = place{"US", "Austin", 30.2672, -97.7431, "America/Chicago", "en-US"}
	seattle   = place{"US", "Seattle", 47.6062, -122.3321, "America/Los_Angeles", "en-US"}
	sanJose   = place{"US", "San Jose", 37.3382, -121.8863, "America/Los_Angeles", "en-US"}
	london    = place{"GB", "London", 51.5074, -0.1278, "Europe/London", "en-GB"}
	berlin    = place{"DE", "Berlin", 52.5200, 13.4050, "Europe/Berlin", "de-DE"}
	frankfurt = place{"DE", "Frankfurt am Main", 50.1109, 8.6821, "Europe/Berlin", "de-DE"}
	paris     = place{"FR", "Paris", 48.8566, 2.3522, "Europe/Paris", "fr-FR"}
	bengaluru = place{"IN", "Bengaluru", 12.9716, 77.5946, "Asia/Kolkata", "en-IN"}
	mumbai    = place{"IN", "Mumbai", 19.0760, 72.8777, "Asia/Kolkata", "en-IN"}
	saoPaulo  = place{"BR", "São Paulo", -23.5505, -46.6333, "America/Sao_Paulo", "pt-BR"}
	tokyo     = place{"JP", "Tokyo", 35.6762, 139.6503, "Asia/Tokyo", "ja-JP"}
	manila    = place{"PH", "Manila", 14.5995, 120.9842, "Asia/Manila", "en-PH"}
	lagos     = place{"NG", "Lagos", 6.5244, 3.3792, "Africa/Lagos", "en-NG"}
	beijing   = place{"CN", "Beijing", 39.9042, 116.4074, "Asia/Shanghai", "zh-CN"}
	shanghai  = place{"CN", "Shanghai", 31.2304, 121.4737, "Asia/Shanghai", "zh-CN"}
	moscow    = place{"RU", "Moscow", 55.7558, 37.6173, "Europe/Moscow", "ru-RU"}
	kyiv      = place{"UA", "Kyiv", 50.4501, 30.5234, "Europe/Kyiv", "uk-UA"}
	amsterdam = place{"NL", "Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", "nl-NL"}
	singapore = place{"SG", "Singapore", 1.3521, 103.8198, "Asia/Singapore", "en-SG"}
)

// block is one row of the plan as written below; World expands it.
type block struct {
	prefix netip.Prefix
	role   Role
	at     place
	asn    uint32
	org    string
}

// plan is never modified: World copies it. Hosting, VPN, Tor and public-proxy
// IPv4 prefixes lie inside X4BNet lists_vpn's datacenter / VPN lists and their
// ASNs are on its ASN lists; every other IPv4 prefix lies outside those lists
// (both checked by world_test.go).
var plan = [...]block{
	// United States.
	{pfx("73.44.0.0/16"), Residential, chicago, 7922, "Comcast Cable Communications, LLC"},
	{pfx("2601:240::/32"), Residential, chicago, 7922, "Comcast Cable Communications, LLC"},
	{pfx("99.56.0.0/16"), Residential, chicago, 7018, "AT&T Services, Inc."},
	{pfx("100.2.0.0/16"), Residential, newYork, 701, "Verizon Business"},
	{pfx("67.243.0.0/16"), Residential, newYork, 12271, "Charter Communications Inc"},
	{pfx("70.112.0.0/16"), Residential, austin, 11427, "Charter Communications Inc"},
	{pfx("99.61.0.0/16"), Residential, austin, 7018, "AT&T Services, Inc."},
	{pfx("73.97.0.0/16"), Residential, seattle, 7922, "Comcast Cable Communications, LLC"},
	{pfx("73.158.0.0/16"), Residential, sanJose, 7922, "Comcast Cable Communications, LLC"},
	{pfx("172.56.0.0/16"), Mobile, chicago, 21928, "T-Mobile USA, Inc."},
	{pfx("2607:fb90::/32"), Mobile, chicago, 21928, "T-Mobile USA, Inc."},
	{pfx("174.192.0.0/16"), Mobile, newYork, 6167, "Verizon Business"},
	{pfx("107.77.192.0/18"), Mobile, austin, 20057, "AT&T Mobility LLC"},
	{pfx("172.58.0.0/16"), Mobile, seattle, 21928, "T-Mobile USA, Inc."},
	{pfx("128.135.0.0/16"), Campus, chicago, 160, "University of Chicago"},
	{pfx("128.83.0.0/16"), Campus, austin, 18, "University of Texas at Austin"},
	{pfx("128.95.0.0/16"), Campus, seattle, 73, "University of Washington"},
	{pfx("12.5.72.0/24"), Business, newYork, 7018, "AT&T Services, Inc."},
	{pfx("65.120.64.0/24"), Business, chicago, 209, "Qwest Communications Company, LLC"},
	{pfx("167.99.0.0/20"), Hosting, newYork, 14061, "DigitalOcean, LLC"},
	{pfx("162.243.0.0/20"), Hosting, newYork, 14061, "DigitalOcean, LLC"},
	{pfx("2604:a880::/32"), Hosting, newYork, 14061, "DigitalOcean, LLC"},
	{pfx("45.63.0.0/19"), Hosting, chicago, 20473, "The Constant Company, LLC"},
	{pfx("149.28.16.0/20"), Hosting, seattle, 20473, "The Constant Company, LLC"},
	{pfx("64.225.0.0/20"), Hosting, sanJose, 14061, "DigitalOcean, LLC"},
	{pfx("199.249.231.0/24"), Tor, austin, 62744, "Quintex Alliance Consulting"},
	{pfx("108.61.0.0/24"), PublicProxy, newYork, 20473, "The Constant Company, LLC"},
	{pfx("73.45.128.0/24"), ResidentialProxy, chicago, 7922, "Comcast Cable Communications, LLC"},
	{pfx("70.113.4.0/24"), ResidentialProxy, austin, 11427, "Charter Communications Inc"},

	// United Kingdom.
	{pfx("86.128.0.0/16"), Residential, london, 2856, "British Telecommunications PLC"},
	{pfx("82.5.0.0/16"), Residential, london, 5089, "Virgin Media Limited"},
	{pfx("31.94.0.0/17"), Mobile, london, 12576, "EE Limited"},
	{pfx("85.255.232.0/21"), Mobile, london, 25135, "Vodafone Limited"},
	{pfx("128.16.0.0/16"), Campus, london, 786, "Jisc Services Limited"},
	{pfx("178.62.0.0/20"), Hosting, london, 14061, "DigitalOcean, LLC"},
	{pfx("89.238.136.0/24"), VPN, london, 9009, "M247 Europe SRL"},
	{pfx("86.129.64.0/24"), ResidentialProxy, london, 2856, "British Telecommunications PLC"},

	// Germany.
	{pfx("79.192.0.0/16"), Residential, berlin, 3320, "Deutsche Telekom AG"},
	{pfx("2003:e0::/32"), Residential, berlin, 3320, "Deutsche Telekom AG"},
	{pfx("93.192.0.0/16"), Residential, frankfurt, 3320, "Deutsche Telekom AG"},
	{pfx("176.0.0.0/16"), Mobile, berlin, 6805, "Telefonica Germany GmbH & Co.OHG"},
	{pfx("130.149.0.0/16"), Campus, berlin, 680, "Verein zur Foerderung eines Deutschen Forschungsnetzes e.V."},
	{pfx("88.198.0.0/20"), Hosting, frankfurt, 24940, "Hetzner Online GmbH"},
	{pfx("78.46.0.0/20"), Hosting, frankfurt, 24940, "Hetzner Online GmbH"},
	{pfx("2a01:4f8::/32"), Hosting, frankfurt, 24940, "Hetzner Online GmbH"},
	{pfx("18.192.0.0/16"), Hosting, frankfurt, 16509, "Amazon.com, Inc."},
	{pfx("212.102.35.0/24"), VPN, frankfurt, 212238, "Datacamp Limited"},
	{pfx("185.220.101.0/24"), Tor, berlin, 60729, "Stiftung Erneuerbare Freiheit"},

	// France.
	{pfx("90.0.0.0/16"), Residential, paris, 3215, "Orange S.A."},
	{pfx("82.64.0.0/16"), Residential, paris, 12322, "Free SAS"},
	{pfx("77.136.0.0/16"), Mobile, paris, 15557, "Societe Francaise Du Radiotelephone - SFR SA"},
	{pfx("51.38.0.0/20"), Hosting, paris, 16276, "OVH SAS"},
	{pfx("54.36.0.0/20"), PublicProxy, paris, 16276, "OVH SAS"},

	// India.
	{pfx("122.167.0.0/16"), Residential, bengaluru, 24560, "Bharti Airtel Ltd."},
	{pfx("106.51.0.0/16"), Residential, bengaluru, 24309, "Atria Convergence Technologies Ltd."},
	{pfx("49.36.0.0/16"), Mobile, bengaluru, 55836, "Reliance Jio Infocomm Limited"},
	{pfx("2409:4070::/32"), Mobile, bengaluru, 55836, "Reliance Jio Infocomm Limited"},
	{pfx("106.195.0.0/16"), Mobile, bengaluru, 45609, "Bharti Airtel Ltd."},
	{pfx("139.59.0.0/20"), Hosting, bengaluru, 14061, "DigitalOcean, LLC"},
	{pfx("13.232.0.0/16"), Hosting, mumbai, 16509, "Amazon.com, Inc."},

	// Brazil.
	{pfx("179.208.0.0/16"), Residential, saoPaulo, 28573, "Claro NXT Telecomunicacoes Ltda"},
	{pfx("187.10.0.0/16"), Residential, saoPaulo, 27699, "Telefonica Brasil S.A."},
	{pfx("177.9.0.0/16"), Mobile, saoPaulo, 26615, "TIM S/A"},

	// Japan.
	{pfx("153.156.0.0/16"), Residential, tokyo, 4713, "NTT Communications Corporation"},
	{pfx("126.0.0.0/16"), Residential, tokyo, 17676, "SoftBank Corp."},
	{pfx("1.66.0.0/16"), Mobile, tokyo, 9605, "NTT DOCOMO, INC."},
	{pfx("106.128.0.0/16"), Mobile, tokyo, 2516, "KDDI CORPORATION"},
	{pfx("45.76.96.0/20"), Hosting, tokyo, 20473, "The Constant Company, LLC"},
	{pfx("139.162.64.0/19"), Hosting, tokyo, 63949, "Akamai Connected Cloud"},

	// Philippines.
	{pfx("112.198.0.0/16"), Residential, manila, 9299, "Philippine Long Distance Telephone Company"},
	{pfx("175.176.0.0/16"), Residential, manila, 4775, "Globe Telecoms"},
	{pfx("110.54.128.0/17"), Mobile, manila, 10139, "Smart Broadband, Inc."},

	// Nigeria.
	{pfx("41.217.0.0/16"), Residential, lagos, 37340, "Spectranet Limited"},
	{pfx("102.89.0.0/16"), Mobile, lagos, 29465, "MTN NIGERIA Communication limited"},
	{pfx("105.112.0.0/16"), Mobile, lagos, 36873, "Airtel Networks Limited"},
	{pfx("197.210.0.0/16"), Mobile, lagos, 37148, "Globacom Limited"},

	// China.
	{pfx("123.112.0.0/16"), Residential, beijing, 4808, "China Unicom Beijing Province Network"},
	{pfx("101.80.0.0/16"), Residential, shanghai, 4812, "China Telecom (Group)"},
	{pfx("180.160.0.0/16"), Residential, shanghai, 4134, "Chinanet"},
	{pfx("111.192.0.0/16"), Mobile, beijing, 56048, "China Mobile Communicaitons Corporation"},
	{pfx("120.204.0.0/16"), Mobile, shanghai, 9808, "China Mobile Communications Group Co., Ltd."},
	{pfx("166.111.0.0/16"), Campus, beijing, 4538, "China Education and Research Network Center"},
	{pfx("1.12.0.0/16"), Hosting, beijing, 45090, "Shenzhen Tencent Computer Systems Company Limited"},
	{pfx("1.13.0.0/16"), Hosting, shanghai, 45090, "Shenzhen Tencent Computer Systems Company Limited"},
	{pfx("47.80.0.0/16"), Hosting, shanghai, 45102, "Alibaba US Technology Co., Ltd."},

	// Russia.
	{pfx("178.64.0.0/16"), Residential, moscow, 12389, "Rostelecom"},
	{pfx("95.24.0.0/16"), Residential, moscow, 8402, "PJSC Vimpelcom"},
	{pfx("31.173.0.0/16"), Mobile, moscow, 31133, "PJSC MegaFon"},
	{pfx("85.140.0.0/16"), Mobile, moscow, 8359, "MTS PJSC"},
	{pfx("95.213.128.0/23"), Hosting, moscow, 49505, "JSC Selectel"},
	{pfx("188.93.16.0/21"), Hosting, moscow, 49505, "JSC Selectel"},
	{pfx("5.188.40.0/24"), PublicProxy, moscow, 49505, "JSC Selectel"},

	// Ukraine.
	{pfx("176.36.0.0/16"), Residential, kyiv, 15895, "Kyivstar PJSC"},
	{pfx("178.137.0.0/16"), Residential, kyiv, 6849, "JSC Ukrtelecom"},
	{pfx("46.211.0.0/16"), Mobile, kyiv, 15895, "Kyivstar PJSC"},

	// Netherlands.
	{pfx("77.160.0.0/16"), Residential, amsterdam, 1136, "KPN B.V."},
	{pfx("84.80.0.0/16"), Residential, amsterdam, 33915, "Vodafone Libertel B.V."},
	{pfx("62.140.128.0/17"), Mobile, amsterdam, 50266, "Odido Netherlands B.V."},
	{pfx("145.18.0.0/16"), Campus, amsterdam, 1103, "SURF B.V."},
	{pfx("188.166.0.0/20"), Hosting, amsterdam, 14061, "DigitalOcean, LLC"},
	{pfx("5.79.0.0/17"), Hosting, amsterdam, 60781, "LeaseWeb Netherlands B.V."},
	{pfx("146.70.16.0/20"), VPN, amsterdam, 9009, "M247 Europe SRL"},
	{pfx("37.120.144.0/20"), VPN, amsterdam, 9009, "M247 Europe SRL"},

	// Singapore.
	{pfx("116.14.0.0/16"), Residential, singapore, 9506, "Singtel Fibre Broadband"},
	{pfx("27.125.0.0/16"), Residential, singapore, 4657, "StarHub Ltd"},
	{pfx("118.200.0.0/16"), Mobile, singapore, 45143, "SINGTEL MOBILE INTERNET SERVICE PROVIDER"},
	{pfx("128.199.0.0/20"), Hosting, singapore, 14061, "DigitalOcean, LLC"},
	{pfx("47.74.0.0/16"), Hosting, singapore, 45102, "Alibaba US Technology Co., Ltd."},
	{pfx("45.32.96.0/20"), Hosting, singapore, 20473, "The Constant Company, LLC"},
	{pfx("156.146.37.0/24"), VPN, singapore, 212238, "Datacamp Limited"},
}

// World returns the address plan; same result on every call, sorted by prefix.
func World() []Network {
	w := make([]Network, 0, len(plan))
	for _, b := range plan {
		w = append(w, b.network())
	}
	slices.SortFunc(w, func(a, b Network) int {
		if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
			return c
		}
		return cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits())
	})
	return w
}

// Networks returns the blocks of one role, optionally one country ("" = any).
func Networks(role Role, country string) []Network {
	var out []Network
	for _, n := range World() {
		if n.Role == role && (country == "" || n.Country == country) {
			out = append(out, n)
		}
	}
	return out
}

// Lookup returns the block containing ip.
func Lookup(ip netip.Addr) (Network, bool) {
	ip = ip.Unmap()
	for i := range plan {
		b := &plan[i]
		if b.prefix.Contains(ip) {
			return b.network(), true
		}
	}
	return Network{}, false
}

func (b *block) network() Network {
	return Network{
		Prefix:   b.prefix,
		Role:     b.role,
		Country:  b.at.country,
		City:     b.at.city,
		Lat:      b.at.lat,
		Lon:      b.at.lon,
		TimeZone: b.at.tz,
		Language: b.at.lang,
		ASN:      b.asn,
		ASOrg:    b.org,
	}
}

// Addr returns the i-th host address inside n (skipping network/broadcast for v4; wraps modulo size).
//
// Host 0 is the first usable address: for IPv4 blocks of /30 and wider the
// network and broadcast addresses are skipped, for IPv6 the subnet-router
// anycast address (the block's first) is. i wraps modulo the number of
// usable hosts, so -1 is the last usable address.
func (n Network) Addr(i int) netip.Addr {
	p := n.Prefix.Masked()
	base := p.Addr()
	hostBits := base.BitLen() - p.Bits()
	if hostBits == 0 {
		return base
	}
	if hostBits >= 64 {
		// Every int is below the block's size: no wrapping needed.
		if i >= 0 {
			return add(base, uint64(i)+1)
		}
		return sub(lastAddr(p), uint64(-(i + 1)))
	}
	var size, first uint64 = 1<<hostBits - 1, 1
	switch {
	case base.Is4() && hostBits >= 2:
		size = 1<<hostBits - 2
	case base.Is4():
		size, first = 1<<hostBits, 0
	}
	m := int64(i) % int64(size)
	if m < 0 {
		m += int64(size)
	}
	return add(base, uint64(m)+first)
}

// lastAddr returns the highest address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As16()
	ones := p.Bits()
	if p.Addr().Is4() {
		ones += 96
	}
	for j := ones; j < 128; j++ {
		b[j/8] |= 0x80 >> (j % 8)
	}
	return from16(b, p.Addr().Is4())
}

// add returns a+off, carrying across all 128 bits.
func add(a netip.Addr, off uint64) netip.Addr {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	lo, carry := bits.Add64(lo, off, 0)
	hi += carry
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return from16(b, a.Is4())
}

// sub returns a-off, borrowing across all 128 bits.
func sub(a netip.Addr, off uint64) netip.Addr {
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	lo, borrow := bits.Sub64(lo, off, 0)
	hi -= borrow
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	return from16(b, a.Is4())
}

func from16(b [16]byte, is4 bool) netip.Addr {
	r := netip.AddrFrom16(b)
	if is4 {
		return r.Unmap()
	}
	return r
}

// pfx parses one of the literal prefixes of plan; world_test.go checks them
// all, so the panic of MustParsePrefix cannot happen in a released build.
func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
