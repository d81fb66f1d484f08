package synth

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go4.org/netipx"
)

// x4bnet is the copy of the X4BNet lists the netlist package embeds.
const x4bnet = "../netlist/x4bnet"

func readCIDRs(t *testing.T, name string) *netipx.IPSet {
	t.Helper()
	f, err := os.Open(filepath.Join(x4bnet, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b netipx.IPSetBuilder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		p, err := netip.ParsePrefix(line)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.AddPrefix(p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	s, err := b.IPSet()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readASNs(t *testing.T, name string) map[uint32]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(x4bnet, name))
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint32]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimPrefix(strings.TrimSpace(line), "AS")
		if line == "" {
			continue
		}
		n, err := strconv.ParseUint(line, 10, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m[uint32(n)] = true
	}
	return m
}

func TestWorldAgainstX4BNet(t *testing.T) {
	t.Parallel()
	dcNets, vpnNets := readCIDRs(t, "datacenter-ipv4.txt"), readCIDRs(t, "vpn-ipv4.txt")
	dcASNs, vpnASNs := readASNs(t, "datacenter-asn.txt"), readASNs(t, "vpn-asn.txt")
	for _, n := range World() {
		t.Run(n.Prefix.String(), func(t *testing.T) {
			v4 := n.Prefix.Addr().Is4()
			switch n.Role {
			case Residential, Mobile, Campus, Business, ResidentialProxy:
				if v4 && (dcNets.OverlapsPrefix(n.Prefix) || vpnNets.OverlapsPrefix(n.Prefix)) {
					t.Errorf("%s block %s overlaps the X4BNet datacenter/VPN lists", n.Role, n.Prefix)
				}
				if dcASNs[n.ASN] || vpnASNs[n.ASN] {
					t.Errorf("%s block %s has listed hosting/VPN ASN %d", n.Role, n.Prefix, n.ASN)
				}
			case Hosting, PublicProxy, Tor:
				if v4 && !dcNets.ContainsPrefix(n.Prefix) {
					t.Errorf("%s block %s is not covered by datacenter-ipv4.txt", n.Role, n.Prefix)
				}
				if n.Role == Hosting && !dcASNs[n.ASN] {
					t.Errorf("hosting block %s: AS%d not in datacenter-asn.txt", n.Prefix, n.ASN)
				}
			case VPN:
				if v4 && !vpnNets.ContainsPrefix(n.Prefix) {
					t.Errorf("vpn block %s is not covered by vpn-ipv4.txt", n.Prefix)
				}
				if !vpnASNs[n.ASN] {
					t.Errorf("vpn block %s: AS%d not in vpn-asn.txt", n.Prefix, n.ASN)
				}
			default:
				t.Errorf("block %s has unknown role %q", n.Prefix, n.Role)
			}
		})
	}
}

func TestWorldShape(t *testing.T) {
	t.Parallel()
	w := World()
	if len(w) < 60 || len(w) > 150 {
		t.Errorf("len(World()) = %d, want 60..150", len(w))
	}
	if !slices.Equal(w, World()) {
		t.Error("World() differs between calls")
	}
	w[0].City = "changed"
	if World()[0].City == "changed" {
		t.Error("World() returns shared storage")
	}
	var v6 int
	for i, n := range World() {
		if !n.Prefix.IsValid() || n.Prefix != n.Prefix.Masked() {
			t.Errorf("block %d: prefix %s not canonical", i, n.Prefix)
		}
		a := n.Prefix.Addr()
		if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || !a.IsGlobalUnicast() || isDocumentation(n.Prefix) {
			t.Errorf("block %s is not public unicast space", n.Prefix)
		}
		if a.Is6() {
			v6++
		}
		if n.Country == "" || n.City == "" || n.TimeZone == "" || n.Language == "" || n.ASN == 0 || n.ASOrg == "" || n.Lat == 0 || n.Lon == 0 {
			t.Errorf("block %s has an empty field: %+v", n.Prefix, n)
		}
		if i > 0 {
			prev := World()[i-1]
			if c := prev.Prefix.Addr().Compare(a); c > 0 || c == 0 && prev.Prefix.Bits() >= n.Prefix.Bits() {
				t.Errorf("World() not sorted: %s before %s", prev.Prefix, n.Prefix)
			}
			if prev.Prefix.Overlaps(n.Prefix) {
				t.Errorf("blocks %s and %s overlap", prev.Prefix, n.Prefix)
			}
		}
	}
	if v6 < 3 {
		t.Errorf("%d IPv6 blocks, want at least 3", v6)
	}
}

func isDocumentation(p netip.Prefix) bool {
	for _, d := range []string{"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "100.64.0.0/10", "198.18.0.0/15"} {
		if netip.MustParsePrefix(d).Overlaps(p) {
			return true
		}
	}
	return false
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	countries := map[string][]string{
		"US": {"Chicago", "New York", "Austin", "Seattle", "San Jose"},
		"GB": {"London"}, "DE": {"Berlin", "Frankfurt am Main"}, "FR": {"Paris"},
		"IN": {"Bengaluru"}, "BR": {"São Paulo"}, "JP": {"Tokyo"}, "PH": {"Manila"},
		"NG": {"Lagos"}, "CN": {"Beijing", "Shanghai"}, "RU": {"Moscow"}, "UA": {"Kyiv"},
		"NL": {"Amsterdam"}, "SG": {"Singapore"},
	}
	for cc, cities := range countries {
		t.Run(cc, func(t *testing.T) {
			t.Parallel()
			for _, role := range []Role{Residential, Mobile} {
				if len(Networks(role, cc)) == 0 {
					t.Errorf("no %s block in %s", role, cc)
				}
			}
			for _, city := range cities {
				found := false
				for _, n := range World() {
					found = found || n.Country == cc && n.City == city
				}
				if !found {
					t.Errorf("no block in %s, %s", city, cc)
				}
			}
		})
	}
	for _, tc := range []struct {
		role    Role
		country string
		min     int
	}{
		{Campus, "US", 1}, {Campus, "GB", 1}, {Hosting, "US", 2}, {Hosting, "DE", 2},
		{Hosting, "NL", 1}, {Hosting, "SG", 2}, {Hosting, "CN", 2}, {Hosting, "RU", 1},
		{VPN, "", 3}, {Tor, "", 2}, {PublicProxy, "", 2}, {ResidentialProxy, "", 2}, {Business, "", 1},
	} {
		got := Networks(tc.role, tc.country)
		if len(got) < tc.min {
			t.Errorf("Networks(%q, %q) has %d blocks, want >= %d", tc.role, tc.country, len(got), tc.min)
		}
		for _, n := range got {
			if n.Role != tc.role || tc.country != "" && n.Country != tc.country {
				t.Errorf("Networks(%q, %q) returned %s (%s, %s)", tc.role, tc.country, n.Prefix, n.Role, n.Country)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, n := range World() {
		for _, i := range []int{0, 1, 77, -1} {
			a := n.Addr(i)
			got, ok := Lookup(a)
			if !ok || got != n {
				t.Errorf("Lookup(%s) = %v, %v; want block %s", a, got.Prefix, ok, n.Prefix)
			}
		}
	}
	for _, s := range []string{"10.0.0.1", "192.0.2.1", "2001:db8::1", "8.8.8.8"} {
		if got, ok := Lookup(netip.MustParseAddr(s)); ok {
			t.Errorf("Lookup(%s) = %s, want not found", s, got.Prefix)
		}
	}
	// IPv4-mapped IPv6 addresses are found like their IPv4 form.
	if got, ok := Lookup(netip.MustParseAddr("::ffff:73.44.1.2")); !ok || got.ASN != 7922 {
		t.Errorf("Lookup(::ffff:73.44.1.2) = %v, %v; want the Comcast block", got, ok)
	}
}

func TestAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix string
		i      int
		want   string
	}{
		{"73.44.0.0/16", 0, "73.44.0.1"},
		{"73.44.0.0/16", 1, "73.44.0.2"},
		{"73.44.0.0/16", 255, "73.44.1.0"},
		{"73.44.0.0/16", 65533, "73.44.255.254"},
		{"73.44.0.0/16", 65534, "73.44.0.1"}, // wraps
		{"73.44.0.0/16", -1, "73.44.255.254"},
		{"73.44.0.0/16", -65534, "73.44.0.1"},
		{"89.238.136.0/24", 253, "89.238.136.254"},
		{"89.238.136.0/24", 254, "89.238.136.1"},
		{"10.0.0.0/31", 0, "10.0.0.0"},
		{"10.0.0.0/31", 3, "10.0.0.1"},
		{"10.0.0.7/32", 5, "10.0.0.7"},
		{"10.0.0.4/30", 2, "10.0.0.5"},
		{"2601:240::/32", 0, "2601:240::1"},
		{"2601:240::/32", 0x1_0000, "2601:240::1:1"},
		{"2601:240::/32", -1, "2601:240:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"2a01:4f8:1:2::/64", -2, "2a01:4f8:1:2:ffff:ffff:ffff:fffe"},
		{"2a01:4f8::/120", 254, "2a01:4f8::ff"},
		{"2a01:4f8::/120", 255, "2a01:4f8::1"},
		{"255.255.255.0/24", 253, "255.255.255.254"},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120", 254, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{"2601:0:0:0:ffff:ffff:ffff:ff00/120", 0, "2601::ffff:ffff:ffff:ff01"},
		{"2601:0:0:0:ffff:ffff:ffff:0/96", 0x1_0000_0000 - 2, "2601::ffff:ffff:ffff:ffff"},
	}
	for _, tc := range tests {
		t.Run(tc.prefix+"/"+strconv.Itoa(tc.i), func(t *testing.T) {
			t.Parallel()
			n := Network{Prefix: netip.MustParsePrefix(tc.prefix)}
			got := n.Addr(tc.i)
			if got.String() != tc.want {
				t.Errorf("Addr(%d) = %s, want %s", tc.i, got, tc.want)
			}
			if !n.Prefix.Masked().Contains(got) {
				t.Errorf("Addr(%d) = %s is outside %s", tc.i, got, tc.prefix)
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	w := World()
	addrs := make([]netip.Addr, len(w))
	for i, n := range w {
		addrs[i] = n.Addr(i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := Lookup(addrs[i%len(addrs)]); !ok {
			b.Fatal("not found")
		}
	}
}
