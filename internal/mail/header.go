package mail

import (
	"errors"
	"net/mail"
	"net/netip"
	"slices"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// headerFacts reads sender, date, origin and recipients.
func headerFacts(env *enmime.Envelope, f *Facts, fs *findings, lim Limits) {
	if from, err := env.AddressList("From"); err == nil && len(from) > 0 {
		f.From = strings.ToLower(from[0].Address)
		f.FromName = validUTF8(from[0].Name)
	} else if v := env.GetHeader("From"); v != "" {
		fs.add(FindingBadFrom)
		// An address net/mail refuses (a bad encoded word in the name, say)
		// still names the sender.
		if a := looseAddresses(v); len(a) > 0 {
			f.From = strings.ToLower(validUTF8(a[len(a)-1]))
		}
	}
	if d, err := env.Date(); err == nil {
		f.Date, f.HasDate = d, true
		_, f.DateOffset = d.Zone()
	} else if !errors.Is(err, mail.ErrHeaderNotPresent) {
		fs.add(FindingBadDate)
	}
	f.OriginIP = originIP(env.GetHeader("X-Originating-IP"), env.GetHeaderValues("Received"))
	var domains []string
	lenient := false
	for _, h := range []string{"To", "Cc", "Bcc"} {
		list, err := env.AddressList(h)
		if err == nil {
			for _, a := range list {
				f.Recipients++
				domains = appendDomain(domains, a.Address)
			}
			continue
		}
		if errors.Is(err, mail.ErrHeaderNotPresent) {
			continue
		}
		// Unparseable lists still name domains the scanner must see.
		lenient = true
		for _, v := range env.GetHeaderValues(h) {
			for _, a := range looseAddresses(v) {
				f.Recipients++
				domains = appendDomain(domains, a)
			}
		}
	}
	if lenient {
		fs.add(FindingBadRecipients)
	}
	f.RecipientDomains = boundDomains(domains, lim.MaxRecipients, fs)
}

// appendDomain appends the lowercase domain of addr, if it has one.
func appendDomain(domains []string, addr string) []string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || at == len(addr)-1 {
		return domains
	}
	d := strings.ToLower(strings.Trim(addr[at+1:], " \t<>[]\"'()"))
	if d == "" || len(d) > 255 || strings.ContainsFunc(d, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return domains
	}
	return append(domains, validUTF8(d))
}

// boundDomains sorts and dedups domains and keeps at most max of them.
func boundDomains(domains []string, max int, fs *findings) []string {
	if len(domains) == 0 {
		return nil
	}
	slices.Sort(domains)
	domains = slices.Compact(domains)
	if len(domains) > max {
		fs.addN(FindingRecipientsOverLimit, len(domains)-max)
		domains = domains[:max:max]
	}
	return domains
}

// looseAddresses picks the words with an @ out of an address list that
// net/mail refused.
func looseAddresses(v string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '<' || r == '>'
	}) {
		if strings.IndexByte(w, '@') > 0 {
			out = append(out, w)
		}
	}
	return out
}

// originIP is the submitting client's address: X-Originating-IP when the
// provider wrote one, else the client of the earliest hop, which is the last
// Received header (each hop prepends its own).
func originIP(xoip string, received []string) netip.Addr {
	if a, ok := parseIP(strings.Trim(firstWord(xoip), "[]()")); ok {
		return a
	}
	if len(received) == 0 {
		return netip.Addr{}
	}
	return receivedIP(received[len(received)-1])
}

func firstWord(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t,;"); i >= 0 {
		s = s[:i]
	}
	return s
}

// receivedIP finds the client address in the "from" clause of a Received
// header. The receiving host writes what it saw in brackets after the name
// the client claimed ("from helo (rdns [ip])", "from rdns ([helo]) [ip]"),
// so the last bracketed address wins; without brackets, the first bare
// address ("from unknown (HELO x) (1.2.3.4)").
func receivedIP(v string) netip.Addr {
	from := v
	if i := wordIndex(v, "by"); i >= 0 {
		from = v[:i]
	}
	var last netip.Addr
	for rest := from; ; {
		i := strings.IndexByte(rest, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], ']')
		if j < 0 {
			break
		}
		lit := rest[i+1 : i+j]
		if len(lit) > 5 && strings.EqualFold(lit[:5], "ipv6:") {
			lit = lit[5:]
		}
		if a, ok := parseIP(lit); ok {
			last = a
		}
		rest = rest[i+j+1:]
	}
	if last.IsValid() {
		return last
	}
	for _, w := range strings.FieldsFunc(from, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '(' || r == ')' || r == '[' || r == ']' ||
			r == ';' || r == ',' || r == '=' || r == '"' || r == '\'' || r == '<' || r == '>'
	}) {
		if a, ok := parseIP(w); ok {
			return a
		}
	}
	return netip.Addr{}
}

// parseIP parses an address, also "1.2.3.4:25" and "IPv6:...".
func parseIP(s string) (netip.Addr, bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	if len(s) > 5 && strings.EqualFold(s[:5], "ipv6:") {
		s = s[5:]
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// wordIndex finds word as a whole, case-insensitive word of s.
func wordIndex(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if !strings.EqualFold(s[i:i+len(word)], word) {
			continue
		}
		before := i == 0 || isSpace(s[i-1]) || s[i-1] == ')'
		after := i+len(word) == len(s) || isSpace(s[i+len(word)])
		if before && after {
			return i
		}
	}
	return -1
}
