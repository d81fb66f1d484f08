package geo

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"

	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/netlist"
	"github.com/mailtrust/abusescan/internal/synth"
)

// The generated test databases (see testdata/geoip/README.md).
var (
	cityPath = filepath.Join("..", "..", "testdata", "geoip", "GeoIP2-City-Test.mmdb")
	asnPath  = filepath.Join("..", "..", "testdata", "geoip", "GeoLite2-ASN-Test.mmdb")
	anonPath = filepath.Join("..", "..", "testdata", "geoip", "GeoIP2-Anonymous-IP-Test.mmdb")
)

func mustOpen(t testing.TB, cfg Config) *Reader {
	t.Helper()
	r, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func mustLists(t testing.TB, p netlist.Paths) *netlist.Lists {
	t.Helper()
	l, err := netlist.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestLookupAllDatabases(t *testing.T) {
	t.Parallel()
	r := mustOpen(t, Config{CityPath: cityPath, ASNPath: asnPath, AnonPath: anonPath})
	if off := r.Off(); len(off) != 0 {
		t.Errorf("Off() = %q, want empty", off)
	}
	tests := []struct {
		name string
		ip   string
		want ipinfo.Info
	}{
		{"comcast chicago", "73.44.10.20", ipinfo.Info{
			Country: "US", City: "Chicago", Lat: 41.8781, Lon: -87.6298, HasLocation: true,
			TimeZone: "America/Chicago", ASN: 7922, ASOrg: "Comcast Cable Communications, LLC",
		}},
		{"ipv4-mapped", "::ffff:73.44.10.20", ipinfo.Info{
			Country: "US", City: "Chicago", Lat: 41.8781, Lon: -87.6298, HasLocation: true,
			TimeZone: "America/Chicago", ASN: 7922, ASOrg: "Comcast Cable Communications, LLC",
		}},
		{"t-mobile ipv6", "2607:fb90:1234::5", ipinfo.Info{
			Country: "US", City: "Chicago", Lat: 41.8781, Lon: -87.6298, HasLocation: true,
			TimeZone: "America/Chicago", ASN: 21928, ASOrg: "T-Mobile USA, Inc.",
		}},
		{"chinanet shanghai", "180.160.3.4", ipinfo.Info{
			Country: "CN", City: "Shanghai", Lat: 31.2304, Lon: 121.4737, HasLocation: true,
			TimeZone: "Asia/Shanghai", ASN: 4134, ASOrg: "Chinanet",
		}},
		{"hetzner", "88.198.1.2", ipinfo.Info{
			Country: "DE", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasLocation: true,
			TimeZone: "Europe/Berlin", ASN: 24940, ASOrg: "Hetzner Online GmbH",
			Hosting: true, Anonymous: true,
		}},
		{"m247 vpn", "146.70.20.1", ipinfo.Info{
			Country: "NL", City: "Amsterdam", Lat: 52.3676, Lon: 4.9041, HasLocation: true,
			TimeZone: "Europe/Amsterdam", ASN: 9009, ASOrg: "M247 Europe SRL",
			Hosting: true, VPN: true, Anonymous: true,
		}},
		{"tor exit", "185.220.101.7", ipinfo.Info{
			Country: "DE", City: "Berlin", Lat: 52.52, Lon: 13.405, HasLocation: true,
			TimeZone: "Europe/Berlin", ASN: 60729, ASOrg: "Stiftung Erneuerbare Freiheit",
			Hosting: true, Tor: true, Anonymous: true,
		}},
		{"public proxy", "54.36.1.1", ipinfo.Info{
			Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, HasLocation: true,
			TimeZone: "Europe/Paris", ASN: 16276, ASOrg: "OVH SAS",
			Hosting: true, PublicProxy: true, Anonymous: true,
		}},
		{"residential proxy", "73.45.128.9", ipinfo.Info{
			Country: "US", City: "Chicago", Lat: 41.8781, Lon: -87.6298, HasLocation: true,
			TimeZone: "America/Chicago", ASN: 7922, ASOrg: "Comcast Cable Communications, LLC",
			ResidentialProxy: true, Anonymous: true,
		}},
		{"unknown address", "8.8.8.8", ipinfo.Info{}},
		{"private address", "10.1.2.3", ipinfo.Info{}},
		{"invalid address", "", ipinfo.Info{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ip netip.Addr
			if tc.ip != "" {
				ip = addr(tc.ip)
			}
			want := withRadius(ip, tc.want)
			if got := r.Lookup(ip); got != want {
				t.Errorf("Lookup(%s)\n got %+v\nwant %+v", tc.ip, got, want)
			}
		})
	}
}

// radiusOf is the accuracy radius infra/mkgeoip gives a block of the plan:
// a home line's location is finer than a mobile one's, and a server's is
// coarse.
func radiusOf(role synth.Role) uint16 {
	switch role {
	case synth.Mobile:
		return 100
	case synth.Hosting, synth.VPN, synth.Tor, synth.PublicProxy:
		return 500
	}
	return 20
}

// withRadius sets want's accuracy radius to that of ip's block, when want
// is located.
func withRadius(ip netip.Addr, want ipinfo.Info) ipinfo.Info {
	if !want.HasLocation {
		return want
	}
	for _, n := range synth.World() {
		if n.Prefix.Contains(ip.Unmap()) {
			want.RadiusKm = radiusOf(n.Role)
		}
	}
	return want
}

// TestLookupWholeWorld checks every block of the synthetic plan, so the
// generator and the reader agree on every role.
func TestLookupWholeWorld(t *testing.T) {
	t.Parallel()
	r := mustOpen(t, Config{CityPath: cityPath, ASNPath: asnPath, AnonPath: anonPath})
	for _, n := range synth.World() {
		ip := n.Addr(12345)
		got := r.Lookup(ip)
		want := ipinfo.Info{
			Country: n.Country, City: n.City, Lat: n.Lat, Lon: n.Lon, HasLocation: true, RadiusKm: radiusOf(n.Role),
			TimeZone: n.TimeZone, ASN: n.ASN, ASOrg: n.ASOrg,
			Hosting:          n.Role == synth.Hosting || n.Role == synth.VPN || n.Role == synth.Tor || n.Role == synth.PublicProxy,
			VPN:              n.Role == synth.VPN,
			Tor:              n.Role == synth.Tor,
			PublicProxy:      n.Role == synth.PublicProxy,
			ResidentialProxy: n.Role == synth.ResidentialProxy,
		}
		want.Anonymous = want.Hosting || want.ResidentialProxy
		if got != want {
			t.Errorf("Lookup(%s) in %s block %s\n got %+v\nwant %+v", ip, n.Role, n.Prefix, got, want)
		}
	}
}

func TestAbsentDatabases(t *testing.T) {
	t.Parallel()
	lists := mustLists(t, netlist.Paths{})
	hetzner, comcast := addr("88.198.1.2"), addr("73.44.10.20")
	tests := []struct {
		name    string
		cfg     Config
		ip      netip.Addr
		want    ipinfo.Info
		wantOff []string // substrings, one per Off line, in order
	}{
		{
			name:    "no city",
			cfg:     Config{ASNPath: asnPath, AnonPath: anonPath},
			ip:      hetzner,
			want:    ipinfo.Info{ASN: 24940, ASOrg: "Hetzner Online GmbH", Hosting: true, Anonymous: true},
			wantOff: []string{"city: no database configured (country/travel/timezone signals off)"},
		},
		{
			name: "no asn",
			cfg:  Config{CityPath: cityPath, AnonPath: anonPath},
			ip:   hetzner,
			want: ipinfo.Info{
				Country: "DE", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasLocation: true,
				TimeZone: "Europe/Berlin", Hosting: true, Anonymous: true,
			},
			wantOff: []string{"asn: no database configured"},
		},
		{
			name: "no anonymous-ip, no lists",
			cfg:  Config{CityPath: cityPath, ASNPath: asnPath},
			ip:   hetzner,
			want: ipinfo.Info{
				Country: "DE", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasLocation: true,
				TimeZone: "Europe/Berlin", ASN: 24940, ASOrg: "Hetzner Online GmbH",
			},
			wantOff: []string{"anonymous-ip: no database configured and no fallback lists"},
		},
		{
			name: "no anonymous-ip, fallback lists",
			cfg:  Config{CityPath: cityPath, ASNPath: asnPath, Lists: lists},
			ip:   hetzner,
			want: ipinfo.Info{
				Country: "DE", City: "Frankfurt am Main", Lat: 50.1109, Lon: 8.6821, HasLocation: true,
				TimeZone: "Europe/Berlin", ASN: 24940, ASOrg: "Hetzner Online GmbH", Hosting: true, Anonymous: true,
			},
			wantOff: []string{"anonymous-ip: no database configured (hosting/VPN from fallback lists"},
		},
		{
			name:    "fallback lists for a vpn, no asn",
			cfg:     Config{Lists: lists},
			ip:      addr("146.70.20.1"),
			want:    ipinfo.Info{Hosting: true, VPN: true, Anonymous: true},
			wantOff: []string{"city:", "asn: no database configured (ASN signals off; fallback lists match networks only", "anonymous-ip:"},
		},
		{
			name:    "fallback lists, residential address",
			cfg:     Config{ASNPath: asnPath, Lists: lists},
			ip:      comcast,
			want:    ipinfo.Info{ASN: 7922, ASOrg: "Comcast Cable Communications, LLC"},
			wantOff: []string{"city:", "anonymous-ip:"},
		},
		{
			name:    "nothing at all",
			cfg:     Config{},
			ip:      hetzner,
			want:    ipinfo.Info{},
			wantOff: []string{"city:", "asn:", "anonymous-ip:"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mustOpen(t, tc.cfg)
			want := withRadius(tc.ip, tc.want)
			if got := r.Lookup(tc.ip); got != want {
				t.Errorf("Lookup(%s)\n got %+v\nwant %+v", tc.ip, got, tc.want)
			}
			off := r.Off()
			if len(off) != len(tc.wantOff) {
				t.Fatalf("Off() = %q, want %d lines like %q", off, len(tc.wantOff), tc.wantOff)
			}
			for i := range off {
				if !strings.Contains(off[i], tc.wantOff[i]) {
					t.Errorf("Off()[%d] = %q, want it to contain %q", i, off[i], tc.wantOff[i])
				}
			}
			off[0] = "changed"
			if r.Off()[0] == "changed" {
				t.Error("Off() returns the reader's own slice")
			}
		})
	}
}

// TestFallbackOnlyWithoutAnonDB lists a residential block as hosting and
// VPN: the lists must be consulted only when there is no Anonymous IP db.
func TestFallbackOnlyWithoutAnonDB(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lists := mustLists(t, netlist.Paths{
		HostingCIDRs: write("h.txt", "73.44.0.0/16\n"),
		VPNCIDRs:     write("v.txt", "73.44.10.0/24\n"),
		HostingASNs:  write("ha.txt", "AS21928\n"),
		VPNASNs:      write("va.txt", ""),
	})
	tests := []struct {
		name         string
		anonPath     string
		ip           string
		hosting, vpn bool
	}{
		{"anon db wins over lists", anonPath, "73.44.10.20", false, false},
		{"anon db wins over asn list", anonPath, "172.56.1.1", false, false},
		{"lists without anon db", "", "73.44.10.20", true, true},
		{"hosting list only", "", "73.44.11.20", true, false},
		{"asn list uses the asn db", "", "172.56.1.1", true, false},
		{"not listed", "", "128.135.1.1", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mustOpen(t, Config{ASNPath: asnPath, AnonPath: tc.anonPath, Lists: lists})
			got := r.Lookup(addr(tc.ip))
			if got.Hosting != tc.hosting || got.VPN != tc.vpn || got.Anonymous != (tc.hosting || tc.vpn) {
				t.Errorf("Lookup(%s) hosting=%v vpn=%v anonymous=%v, want hosting=%v vpn=%v",
					tc.ip, got.Hosting, got.VPN, got.Anonymous, tc.hosting, tc.vpn)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.mmdb")
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("this is not a MaxMind DB file"), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := filepath.Join(dir, "unknown.mmdb")
	writeUnknownTypeDB(t, unknown)

	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"missing city", Config{CityPath: missing}, []string{"city db", missing}},
		{"garbage asn", Config{CityPath: cityPath, ASNPath: garbage}, []string{"asn db", garbage}},
		{"asn db as city", Config{CityPath: asnPath}, []string{"city db", asnPath, `wrong database type "GeoLite2-ASN" for the city db`}},
		{"city db as asn", Config{ASNPath: cityPath}, []string{"asn db", cityPath, `wrong database type "GeoIP2-City" for the asn db`}},
		{"city db as anonymous-ip", Config{CityPath: cityPath, ASNPath: asnPath, AnonPath: cityPath}, []string{"anonymous-ip db", cityPath, "GeoIP2-City"}},
		{"anonymous-ip db as city", Config{CityPath: anonPath}, []string{"city db", anonPath, "GeoIP2-Anonymous-IP"}},
		{"unknown type", Config{AnonPath: unknown}, []string{"anonymous-ip db", unknown, "Synthetic-Unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Open(tc.cfg)
			if err == nil {
				r.Close()
				t.Fatal("Open: no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func writeUnknownTypeDB(t *testing.T, path string) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "Synthetic-Unknown", BuildEpoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentLookup(t *testing.T) {
	t.Parallel()
	r := mustOpen(t, Config{CityPath: cityPath, ASNPath: asnPath, AnonPath: anonPath})
	w := synth.World()
	done := make(chan bool)
	for g := range 4 {
		go func() {
			ok := true
			for i := range 2000 {
				n := w[(g+i)%len(w)]
				ok = ok && r.Lookup(n.Addr(i)).ASN == n.ASN
			}
			done <- ok
		}()
	}
	for range 4 {
		if !<-done {
			t.Error("concurrent lookup returned a wrong ASN")
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	lists := mustLists(b, netlist.Paths{})
	w := synth.World()
	addrs := make([]netip.Addr, 0, 4*len(w))
	for i, n := range w {
		for j := range 4 {
			addrs = append(addrs, n.Addr(i*7+j*1001))
		}
	}
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"all", Config{CityPath: cityPath, ASNPath: asnPath, AnonPath: anonPath}},
		{"geolite+lists", Config{CityPath: cityPath, ASNPath: asnPath, Lists: lists}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := mustOpen(b, bc.cfg)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_ = r.Lookup(addrs[i%len(addrs)])
			}
		})
	}
}
