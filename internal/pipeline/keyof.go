package pipeline

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/window"
)

// KeyOf returns the key that a value of kind k is counted under, from the
// value as a person knows it: what signupKeys derives from a signup that
// carries it. An IP is reduced to its counted unit (Host); a network may be
// given as any address in it or as the network itself; an ASN as "64500"
// or "AS64500"; devices and recovery contacts are normalised and hashed
// with h, which only they need (it may be nil for the other kinds); a
// username template is taken as given.
//
// Every error of KeyOf is a malformed value or kind, never a fault.
func KeyOf(k window.Kind, value string, h *keyhash.Hasher) (window.Key, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", fmt.Errorf("%s: empty value", k)
	}
	var v string
	switch k {
	case window.IP:
		ip, err := parseUnit(value, func(ip netip.Addr) int { return hostBits(ip) })
		if err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		v = Host(ip)
	case window.Prefix:
		ip, err := parseUnit(value, func(ip netip.Addr) int { return Prefix(ip).Bits() })
		if err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		v = Prefix(ip).String()
	case window.ASN:
		digits := value
		if len(digits) > 2 && strings.EqualFold(digits[:2], "AS") {
			digits = digits[2:]
		}
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || n == 0 {
			return "", fmt.Errorf("%s: %q is not an AS number from 1 to 4294967295", k, value)
		}
		v = strconv.FormatUint(n, 10)
	case window.Device, window.RecoveryEmail, window.RecoveryPhone:
		if h == nil {
			return "", fmt.Errorf("%s: %w", k, errNoHasher)
		}
		v = h.Sum(hashDomain(k), hashInput(k, value))
	case window.Template:
		v = value
	default:
		return "", fmt.Errorf("unknown kind %q", k)
	}
	return window.NewKey(k, v), nil
}

// errNoHasher: a hashed kind was asked for without the deployment's key.
var errNoHasher = errors.New("stored as a keyed hash: the hash key is needed")

// hashDomain is the hash domain of a hashed kind, as signupKeys uses it.
func hashDomain(k window.Kind) string {
	switch k {
	case window.Device:
		return domainDevice
	case window.RecoveryEmail:
		return domainEmail
	}
	return domainPhone
}

// hashInput is what signupKeys hashes of a raw value of a hashed kind.
func hashInput(k window.Kind, value string) string {
	if k == window.RecoveryEmail {
		return NormalizeEmail(value)
	}
	return value
}

// hostBits is the prefix length Host counts ip by.
func hostBits(ip netip.Addr) int {
	if ip.Is4() {
		return 32
	}
	return 64
}

// parseUnit reads an address, as an event's decoder does (no zone,
// IPv4-mapped IPv6 unmapped), or a prefix exactly as long as the unit bits
// gives for its address, and returns an address in it.
func parseUnit(value string, bits func(netip.Addr) int) (netip.Addr, error) {
	if !strings.Contains(value, "/") {
		ip, err := netip.ParseAddr(value)
		if err != nil || ip.Zone() != "" {
			return netip.Addr{}, fmt.Errorf("%q is not an IPv4 or IPv6 address", value)
		}
		return ip.Unmap(), nil
	}
	p, err := netip.ParsePrefix(value)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not an address or a network", value)
	}
	ip := p.Addr().Unmap()
	if ip.Is4() && p.Addr().Is6() {
		// ::ffff:198.51.100.0/120 is a /24.
		p = netip.PrefixFrom(ip, p.Bits()-96)
	}
	if want := bits(ip); p.Bits() != want {
		return netip.Addr{}, fmt.Errorf("%q: counted by /%d here, not /%d", value, want, p.Bits())
	}
	return ip, nil
}
