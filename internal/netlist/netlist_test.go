package netlist

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go4.org/netipx"
)

func mustDefault(t testing.TB) *Lists {
	t.Helper()
	l, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefault(t *testing.T) {
	t.Parallel()
	l := mustDefault(t)
	tests := []struct {
		name         string
		ip           string
		asn          uint32
		hosting, vpn bool
	}{
		{"digitalocean network", "167.99.3.4", 0, true, false},
		{"hetzner network", "88.198.1.1", 0, true, false},
		{"m247 vpn network is also hosting", "146.70.16.9", 0, true, true},
		{"vpn network, unlisted asn", "89.238.136.7", 7922, true, true},
		{"first address of a listed block", "1.12.0.0", 0, true, false},
		{"last address of a listed block", "1.15.255.255", 0, true, false},
		{"just below a listed block", "1.11.255.255", 0, false, false},
		{"comcast residential", "73.44.1.2", 7922, false, false},
		{"comcast residential, no asn", "73.44.1.2", 0, false, false},
		{"hosting asn from an unlisted address", "73.44.1.2", 14061, true, false},
		{"vpn asn from an unlisted address", "73.44.1.2", 209854, false, true},
		{"m247 is on both asn lists", "73.44.1.2", 9009, true, true},
		{"ipv4-mapped ipv6", "::ffff:167.99.3.4", 0, true, false},
		{"ipv6 not listed by default", "2604:a880::1", 0, false, false},
		{"ipv6 with hosting asn", "2604:a880::1", 14061, true, false},
		{"unspecified address", "0.0.0.0", 0, false, false},
		{"top of ipv4", "255.255.255.255", 0, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ip := netip.MustParseAddr(tc.ip)
			if got := l.Hosting(ip, tc.asn); got != tc.hosting {
				t.Errorf("Hosting(%s, %d) = %v, want %v", ip, tc.asn, got, tc.hosting)
			}
			if got := l.VPN(ip, tc.asn); got != tc.vpn {
				t.Errorf("VPN(%s, %d) = %v, want %v", ip, tc.asn, got, tc.vpn)
			}
		})
	}
	if got := l.Hosting(netip.Addr{}, 0); got {
		t.Error("Hosting(invalid addr) = true, want false")
	}
}

// TestDefaultMatchesIPSet checks the merged ranges and the binary search
// against netipx on random addresses and on the edges of every listed block.
func TestDefaultMatchesIPSet(t *testing.T) {
	t.Parallel()
	l := mustDefault(t)
	for _, tc := range []struct {
		file string
		fn   func(netip.Addr, uint32) bool
	}{
		{"x4bnet/datacenter-ipv4.txt", l.Hosting},
		{"x4bnet/vpn-ipv4.txt", l.VPN},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var b netipx.IPSetBuilder
			var edges []netip.Addr
			for _, line := range strings.Split(string(data), "\n") {
				line, _, _ = strings.Cut(line, "#")
				if line = strings.TrimSpace(line); line == "" {
					continue
				}
				p := netip.MustParsePrefix(line).Masked()
				b.AddPrefix(p)
				r := netipx.RangeOfPrefix(p)
				edges = append(edges, r.From(), r.To(), r.From().Prev(), r.To().Next())
			}
			set, err := b.IPSet()
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 200_000 {
				var a [4]byte
				v := rng.Uint32()
				a[0], a[1], a[2], a[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
				edges = append(edges, netip.AddrFrom4(a))
			}
			bad := 0
			for _, a := range edges {
				if !a.IsValid() {
					continue
				}
				if got, want := tc.fn(a, 0), set.Contains(a); got != want && bad < 10 {
					bad++
					t.Errorf("lookup(%s) = %v, want %v", a, got, want)
				}
			}
		})
	}
}

func TestLoadReplacements(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := Paths{
		HostingCIDRs: writeFile(t, dir, "hosting.txt", "# my hosting list\n\n198.51.100.0/25\n198.51.100.128/25 # adjacent, merged\n203.0.113.7\n2001:db8:1::/48\n  10.1.2.3/8  \n"),
		VPNCIDRs:     writeFile(t, dir, "vpn.txt", "2001:db8:2::1\r\n192.0.2.0/24\r\n::/0\r\n"),
		HostingASNs:  writeFile(t, dir, "hosting-asn.txt", "AS64500 # test\n64501\nas64502\n"),
		VPNASNs:      writeFile(t, dir, "vpn-asn.txt", "# none yet\n"),
	}
	l, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ip           string
		asn          uint32
		hosting, vpn bool
	}{
		{"198.51.100.0", 0, true, false},
		{"198.51.100.200", 0, true, false},
		{"198.51.101.0", 0, false, false},
		{"203.0.113.7", 0, true, false},
		{"203.0.113.8", 0, false, false},
		{"10.200.0.1", 0, true, false}, // host bits set: masked to 10.0.0.0/8
		{"2001:db8:1:ffff:ffff:ffff:ffff:ffff", 0, true, true},
		{"2001:db8:2::1", 0, false, true},
		{"2001:db8:2::2", 0, false, true}, // ::/0 in the VPN list
		{"192.0.2.9", 0, false, true},
		{"167.99.3.4", 0, false, false}, // the default hosting list is replaced
		{"167.99.3.4", 14061, false, false},
		{"1.2.3.4", 64501, true, false},
		{"1.2.3.4", 64502, true, false},
		{"1.2.3.4", 9009, false, false}, // the default VPN ASN list is replaced by an empty one
	}
	for _, tc := range tests {
		ip := netip.MustParseAddr(tc.ip)
		if got := l.Hosting(ip, tc.asn); got != tc.hosting {
			t.Errorf("Hosting(%s, %d) = %v, want %v", ip, tc.asn, got, tc.hosting)
		}
		if got := l.VPN(ip, tc.asn); got != tc.vpn {
			t.Errorf("VPN(%s, %d) = %v, want %v", ip, tc.asn, got, tc.vpn)
		}
	}

	// Replacing one list keeps the embedded default for the others.
	l, err = Load(Paths{VPNASNs: p.VPNASNs})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Hosting(netip.MustParseAddr("167.99.3.4"), 0) || !l.VPN(netip.MustParseAddr("146.70.16.9"), 0) {
		t.Error("default network lists not used when only VPNASNs is replaced")
	}
	if l.VPN(netip.MustParseAddr("73.44.1.2"), 209854) {
		t.Error("VPN ASN list not replaced")
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		p    func(bad string) Paths
		text string
		want []string
	}{
		{"bad cidr", func(b string) Paths { return Paths{HostingCIDRs: b} }, "1.2.3.0/24\n# fine\n\n1.2.3.0/33\n", []string{"hosting networks", ":4:", "1.2.3.0/33"}},
		{"not an address", func(b string) Paths { return Paths{VPNCIDRs: b} }, "example.com\n", []string{"vpn networks", ":1:", "example.com"}},
		{"zone", func(b string) Paths { return Paths{VPNCIDRs: b} }, "::1\nfe80::1%eth0\n", []string{":2:", "fe80::1%eth0"}},
		{"bad asn", func(b string) Paths { return Paths{HostingASNs: b} }, "AS1\nAS2\nASX # nope\n", []string{"hosting asns", ":3:", "ASX"}},
		{"asn zero", func(b string) Paths { return Paths{VPNASNs: b} }, "AS0\n", []string{"vpn asns", ":1:"}},
		{"asn too big", func(b string) Paths { return Paths{VPNASNs: b} }, "AS4294967296\n", []string{":1:", "AS4294967296"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, dir, "list"+string(rune('a'+i))+".txt", tc.text)
			_, err := Load(tc.p(path))
			if err == nil {
				t.Fatal("Load: no error")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(dir, "nope.txt")
		_, err := Load(Paths{HostingASNs: missing})
		if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Load(missing) error = %v, want a not-exist error naming %s", err, missing)
		}
	})
}

func BenchmarkDefault(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	l := mustDefault(b)
	rng := rand.New(rand.NewPCG(3, 4))
	addrs := make([]netip.Addr, 1024)
	for i := range addrs {
		v := rng.Uint32()
		addrs[i] = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := addrs[i&1023]
		_ = l.Hosting(a, 7922)
		_ = l.VPN(a, 7922)
	}
}
