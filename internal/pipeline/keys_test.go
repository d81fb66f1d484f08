package pipeline

import (
	"net/netip"
	"testing"
)

func TestAddressUnits(t *testing.T) {
	t.Parallel()
	cases := []struct{ ip, host, prefix string }{
		{"198.51.100.23", "198.51.100.23", "198.51.100.0/24"},
		{"2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64", "2001:db8:aa::/48"},
		{"2001:db8:aa:bb:ffff::9", "2001:db8:aa:bb::/64", "2001:db8:aa::/48"},
	}
	for _, c := range cases {
		ip := netip.MustParseAddr(c.ip)
		if got := Host(ip); got != c.host {
			t.Errorf("Host(%s) = %s, want %s", c.ip, got, c.host)
		}
		if got := Prefix(ip).String(); got != c.prefix {
			t.Errorf("Prefix(%s) = %s, want %s", c.ip, got, c.prefix)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"J.M.Backup+farm7@Gmail.com": "jmbackup@gmail.com",
		"jmbackup@googlemail.com":    "jmbackup@gmail.com",
		"first.last+x@outlook.com":   "first.last@outlook.com",
		"First.Last@Example.org":     "first.last@example.org",
	}
	for in, want := range cases {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}
