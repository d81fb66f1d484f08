// Package netlist answers whether an address or autonomous system belongs to
// a hosting provider or a commercial VPN, from plain-text network and ASN
// lists.
//
// It is the fallback for deployments that have no MaxMind Anonymous IP
// database. The default lists are a snapshot of X4BNet lists_vpn (MIT
// licence, see x4bnet/NOTICE) embedded in the binary; a deployment replaces
// any of them without a rebuild by passing file paths to Load.
//
// A CIDR list has one prefix per line (a bare address counts as a single
// host); an ASN list has one "AS123" (or "123") per line. In both, "#" starts
// a comment and blank lines are ignored.
package netlist

import (
	_ "embed"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The embedded default lists, a mid-2026 snapshot of X4BNet lists_vpn.
var (
	//go:embed x4bnet/datacenter-ipv4.txt
	defaultHostingCIDRs string
	//go:embed x4bnet/vpn-ipv4.txt
	defaultVPNCIDRs string
	//go:embed x4bnet/datacenter-asn.txt
	defaultHostingASNs string
	//go:embed x4bnet/vpn-asn.txt
	defaultVPNASNs string
)

// Paths names replacement list files; "" = embedded default.
type Paths struct {
	HostingCIDRs, VPNCIDRs, HostingASNs, VPNASNs string
}

// Lists holds the hosting and VPN lists, ready for lookups. It is immutable
// and safe for concurrent use.
type Lists struct {
	hosting, vpn set
}

// set is one kind of network: merged, sorted address ranges and sorted ASNs.
type set struct {
	v4   []range4
	v6   []range6
	asns []uint32
}

type range4 struct{ lo, hi uint32 }

type u128 struct{ hi, lo uint64 }

type range6 struct{ lo, hi u128 }

// Default returns the embedded X4BNet lists.
func Default() (*Lists, error) {
	return Load(Paths{})
}

// Load reads the lists named in p, using the embedded default for every
// empty path. Errors name the file and line of the first bad line.
func Load(p Paths) (*Lists, error) {
	var l Lists
	var err error
	if l.hosting.v4, l.hosting.v6, err = loadCIDRs(p.HostingCIDRs, "x4bnet/datacenter-ipv4.txt", defaultHostingCIDRs); err != nil {
		return nil, fmt.Errorf("hosting networks: %w", err)
	}
	if l.vpn.v4, l.vpn.v6, err = loadCIDRs(p.VPNCIDRs, "x4bnet/vpn-ipv4.txt", defaultVPNCIDRs); err != nil {
		return nil, fmt.Errorf("vpn networks: %w", err)
	}
	if l.hosting.asns, err = loadASNs(p.HostingASNs, "x4bnet/datacenter-asn.txt", defaultHostingASNs); err != nil {
		return nil, fmt.Errorf("hosting asns: %w", err)
	}
	if l.vpn.asns, err = loadASNs(p.VPNASNs, "x4bnet/vpn-asn.txt", defaultVPNASNs); err != nil {
		return nil, fmt.Errorf("vpn asns: %w", err)
	}
	return &l, nil
}

// Hosting reports whether ip lies in a listed hosting network or asn is a
// listed hosting AS. asn 0 means unknown and never matches.
func (l *Lists) Hosting(ip netip.Addr, asn uint32) bool {
	return l.hosting.has(ip, asn)
}

// VPN reports whether ip lies in a listed VPN network or asn is a listed VPN
// AS. asn 0 means unknown and never matches.
func (l *Lists) VPN(ip netip.Addr, asn uint32) bool {
	return l.vpn.has(ip, asn)
}

func (s *set) has(ip netip.Addr, asn uint32) bool {
	if asn != 0 {
		if _, ok := slices.BinarySearch(s.asns, asn); ok {
			return true
		}
	}
	ip = ip.Unmap()
	switch {
	case ip.Is4():
		a := ipv4(ip)
		// First range whose hi >= a; it contains a if its lo <= a.
		i, j := 0, len(s.v4)
		for i < j {
			h := int(uint(i+j) >> 1)
			if s.v4[h].hi < a {
				i = h + 1
			} else {
				j = h
			}
		}
		return i < len(s.v4) && s.v4[i].lo <= a
	case ip.Is6():
		a := toU128(ip)
		i, j := 0, len(s.v6)
		for i < j {
			h := int(uint(i+j) >> 1)
			if s.v6[h].hi.less(a) {
				i = h + 1
			} else {
				j = h
			}
		}
		return i < len(s.v6) && !a.less(s.v6[i].lo)
	}
	return false
}

func toU128(a netip.Addr) u128 {
	b := a.As16()
	var v u128
	for _, c := range b[:8] {
		v.hi = v.hi<<8 | uint64(c)
	}
	for _, c := range b[8:] {
		v.lo = v.lo<<8 | uint64(c)
	}
	return v
}

func (a u128) less(b u128) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }

func (a u128) cmp(b u128) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// next returns a+1 and whether it did not overflow.
func (a u128) next() (u128, bool) {
	a.lo++
	if a.lo == 0 {
		a.hi++
		if a.hi == 0 {
			return a, false
		}
	}
	return a, true
}

// source returns the text of path, or def when path is empty, with the name
// to use in errors.
func source(path, defName, def string) (name, text string, err error) {
	if path == "" {
		return defName + " (embedded)", def, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err // *PathError names the file
	}
	return path, string(b), nil
}

// lines calls fn with each non-empty line of text, comments and surrounding
// blanks removed, and its 1-based number; it stops at the first error.
func lines(text string, fn func(n int, line string) error) error {
	for n := 1; text != ""; n++ {
		var line string
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			line, text = text, ""
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return nil
}

func loadCIDRs(path, defName, def string) ([]range4, []range6, error) {
	name, text, err := source(path, defName, def)
	if err != nil {
		return nil, nil, err
	}
	v4 := make([]range4, 0, strings.Count(text, "\n")+1)
	var v6 []range6
	err = lines(text, func(n int, line string) error {
		var p netip.Prefix
		var err error
		if strings.IndexByte(line, '/') >= 0 {
			p, err = netip.ParsePrefix(line)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(line); err == nil && a.Zone() == "" {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || !p.IsValid() {
			return fmt.Errorf("%s:%d: bad network %q", name, n, line)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			lo := ipv4(p.Addr())
			hi := lo | uint32(uint64(1)<<(32-p.Bits())-1)
			v4 = append(v4, range4{lo, hi})
			return nil
		}
		lo := toU128(p.Addr())
		hi := lo
		host := 128 - p.Bits()
		switch {
		case host >= 64:
			hi.lo = ^uint64(0)
			hi.hi |= uint64(1)<<(host-64) - 1 // host == 128: 1<<64 wraps to 0, -1 sets all
		default:
			hi.lo |= uint64(1)<<host - 1
		}
		v6 = append(v6, range6{lo, hi})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return merge4(v4), merge6(v6), nil
}

func ipv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// merge4 sorts r and joins overlapping and adjacent ranges, so that lookups
// can binary-search on the upper bounds.
func merge4(r []range4) []range4 {
	slices.SortFunc(r, func(a, b range4) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := r[:0]
	for _, x := range r {
		if k := len(out) - 1; k >= 0 && (out[k].hi == ^uint32(0) || x.lo <= out[k].hi+1) {
			out[k].hi = max(out[k].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return slices.Clip(out)
}

func merge6(r []range6) []range6 {
	slices.SortFunc(r, func(a, b range6) int { return a.lo.cmp(b.lo) })
	out := r[:0]
	for _, x := range r {
		if k := len(out) - 1; k >= 0 {
			after, ok := out[k].hi.next()
			if !ok || !after.less(x.lo) {
				if out[k].hi.less(x.hi) {
					out[k].hi = x.hi
				}
				continue
			}
		}
		out = append(out, x)
	}
	return slices.Clip(out)
}

func loadASNs(path, defName, def string) ([]uint32, error) {
	name, text, err := source(path, defName, def)
	if err != nil {
		return nil, err
	}
	var asns []uint32
	err = lines(text, func(n int, line string) error {
		s := line
		if len(s) > 2 && (s[:2] == "AS" || s[:2] == "as" || s[:2] == "As") {
			s = s[2:]
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil || v == 0 {
			return fmt.Errorf("%s:%d: bad ASN %q", name, n, line)
		}
		asns = append(asns, uint32(v))
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(asns)
	return slices.Compact(asns), nil
}
