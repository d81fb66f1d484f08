package netlist

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzCIDRs feeds arbitrary list files to the parser: it must never panic,
// and every network it accepts must be found afterwards.
func FuzzCIDRs(f *testing.F) {
	for _, s := range []string{
		"1.2.3.0/24\n# c\n\n5.6.7.8\n",
		"::/0\n2001:db8::/32 # x\r\n",
		"0.0.0.0/0\n255.255.255.255/32\n",
		"1.2.3.4/33\n",
		"fe80::1%eth0\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v4, v6, err := loadCIDRs("", "fuzz", text)
		if err != nil {
			return
		}
		l := &Lists{hosting: set{v4: v4, v6: v6}}
		for _, line := range strings.Split(text, "\n") {
			line, _, _ = strings.Cut(line, "#")
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			var a netip.Addr
			if p, err := netip.ParsePrefix(line); err == nil {
				a = p.Masked().Addr()
			} else {
				a = netip.MustParseAddr(line) // accepted, so it parses as one of the two
			}
			if !l.Hosting(a, 0) {
				t.Errorf("%s from line %q not found after loading", a, line)
			}
		}
	})
}

// FuzzASNs feeds arbitrary ASN lists to the parser: it must never panic, and
// the result must be sorted without duplicates or zeros.
func FuzzASNs(f *testing.F) {
	for _, s := range []string{"AS1 # x\n2\nas3\n", "AS0\n", "AS4294967295\n", "ASX\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		asns, err := loadASNs("", "fuzz", text)
		if err != nil {
			return
		}
		for i, a := range asns {
			if a == 0 || i > 0 && asns[i-1] >= a {
				t.Fatalf("asns not sorted, unique and non-zero: %v", asns)
			}
		}
	})
}
