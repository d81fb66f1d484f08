package pipeline

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/signal"
	"github.com/mailtrust/abusescan/internal/window"
)

// counted is one value an event is counted under.
type counted struct {
	kind window.Kind
	key  window.Key
}

// Hash domains of the personal values counted: a device id and a recovery
// contact are stored only as keyed hashes, each in its own domain.
const (
	domainDevice = "dev"
	domainEmail  = "rem"
	domainPhone  = "rph"
)

// signupKeys derives every key a signup is counted under, in the order of
// window.Kinds: the one place that knows how a value becomes a key.
func signupKeys(su *event.Signup, info ipinfo.Info, h *keyhash.Hasher, template func(string) string) []counted {
	ks := make([]counted, 0, len(window.Kinds))
	add := func(k window.Kind, v string) { ks = append(ks, counted{k, window.NewKey(k, v)}) }
	add(window.IP, Host(su.IP))
	add(window.Prefix, Prefix(su.IP).String())
	if info.ASN != 0 {
		add(window.ASN, strconv.FormatUint(uint64(info.ASN), 10))
	}
	if su.DeviceID != "" {
		add(window.Device, h.Sum(domainDevice, su.DeviceID))
	}
	if su.RecoveryEmail != "" {
		add(window.RecoveryEmail, h.Sum(domainEmail, NormalizeEmail(su.RecoveryEmail)))
	}
	if su.RecoveryPhone != "" {
		add(window.RecoveryPhone, h.Sum(domainPhone, su.RecoveryPhone))
	}
	local, _ := signal.SplitAddress(su.Address)
	if tpl := template(local); tpl != "" {
		add(window.Template, tpl)
	}
	return ks
}

// Prefix returns the network an IP is counted in: its /24 (IPv4) or /48
// (IPv6), the usual unit of one customer or one server rack.
func Prefix(ip netip.Addr) netip.Prefix {
	bits := 24
	if ip.Is6() {
		bits = 48
	}
	p, _ := ip.Prefix(bits)
	return p
}

// Host returns what the scanner counts as one client address: the IPv4
// address, or the IPv6 /64, which one subscriber gets and within which bots
// rotate addresses freely.
func Host(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// NormalizeEmail folds the variants of one mailbox that providers deliver to
// the same inbox (case, +tags, and dots in Gmail local parts), so that an
// operator cannot unlink personas by decorating one recovery address.
func NormalizeEmail(addr string) string {
	local, domain := signal.SplitAddress(addr)
	if domain == "gmail.com" || domain == "googlemail.com" {
		local = strings.ReplaceAll(local, ".", "")
		domain = "gmail.com"
	}
	return local + "@" + domain
}
