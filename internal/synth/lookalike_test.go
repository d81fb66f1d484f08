package synth

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// homeLine is the address a signup's household is known by: an IPv4
// address, or an IPv6 /64.
func homeLine(ip netip.Addr) netip.Prefix {
	if ip.Is6() {
		return netip.PrefixFrom(ip, 64).Masked()
	}
	return netip.PrefixFrom(ip, 32)
}

// TestLookAlikes checks that each kind of look-alike in the Backtest is
// there, a few hundred accounts in all, tied together by what it shares.
func TestLookAlikes(t *testing.T) {
	t.Parallel()
	cfg := backtestConfig()
	evs, labels := backtest(t)
	lab := byAccount(labels)
	byKind := map[string][]*event.Signup{}
	firsts := 0
	for _, e := range signups(evs) {
		l := lab[e.AccountID()]
		if l.Campaign != "" {
			continue
		}
		byKind[l.Kind] = append(byKind[l.Kind], e.Signup)
		switch l.Kind {
		case "second-account", familyRecovery, officeOldBrowser, schoolDomain, viralAttachment:
		default:
			firsts++
		}
	}
	looks := 0
	for _, kind := range []string{familyRecovery, officeOldBrowser, schoolDomain, viralAttachment} {
		looks += len(byKind[kind])
		if len(byKind[kind]) == 0 {
			t.Errorf("no %s accounts", kind)
		}
	}
	t.Logf("%d look-alikes among %d genuine signups: %d family-recovery, %d office-old-browser, %d school-domain, %d viral-attachment",
		looks, firsts, len(byKind[familyRecovery]), len(byKind[officeOldBrowser]), len(byKind[schoolDomain]), len(byKind[viralAttachment]))
	if looks < 100 || looks > 1000 {
		t.Errorf("%d look-alike accounts, want a few hundred", looks)
	}
	// The look-alikes come on top of the rest of the genuine people, who
	// are as many as the config says.
	if want := cfg.GenuinePerDay * cfg.Days; firsts != want {
		t.Errorf("%d genuine signups (second accounts and look-alikes aside), want %d", firsts, want)
	}

	t.Run("families share a home and a parent's contact", func(t *testing.T) {
		t.Parallel()
		homes := map[netip.Prefix][]*event.Signup{}
		for _, s := range byKind[familyRecovery] {
			homes[homeLine(s.IP)] = append(homes[homeLine(s.IP)], s)
		}
		var spans []float64
		for home, members := range homes {
			phones, emails, devices := map[string]int{}, map[string]int{}, map[string]bool{}
			first, last := members[0].CreatedAt, members[0].CreatedAt
			for _, s := range members {
				phones[s.RecoveryPhone]++
				emails[s.RecoveryEmail]++
				devices[s.DeviceID] = true
				first, last = minTime(first, s.CreatedAt), maxTime(last, s.CreatedAt)
			}
			spans = append(spans, last.Sub(first).Hours()/24)
			shared := (len(phones) == 1 && phones[""] == 0) || (len(emails) == 1 && emails[""] == 0)
			if len(members) < 2 || len(members) > 5 || !shared || len(devices) != len(members) {
				t.Errorf("family at %s: %d members, phones %v, emails %v, %d devices", home, len(members), phones, emails, len(devices))
			}
		}
		t.Logf("%d families; first to last signup: median %.1f days", len(homes), median(spans))
		if median(spans) < 1 {
			t.Errorf("a family's members sign up %.1f days apart (median), want days", median(spans))
		}
	})

	t.Run("offices share a line and an old browser", func(t *testing.T) {
		t.Parallel()
		type office struct {
			ip netip.Addr
			ua string
		}
		staff := map[office]int{}
		for _, s := range byKind[officeOldBrowser] {
			if n, _ := Lookup(s.IP); n.Role != Business {
				t.Errorf("office account %s signed up from %s (%s)", s.AccountID, s.IP, n.Role)
			}
			staff[office{s.IP, s.UserAgent}]++
		}
		elsewhere := map[string]int{}
		for kind, ss := range byKind {
			if kind == officeOldBrowser {
				continue
			}
			for _, s := range ss {
				elsewhere[s.UserAgent]++
			}
		}
		old := map[office]map[string]bool{} // established accounts signed in at the office on its browser
		for _, e := range evs {
			if l := e.Login; l != nil && lab[l.AccountID].Kind == Established {
				o := office{l.IP, l.UserAgent}
				if _, ok := staff[o]; ok {
					if old[o] == nil {
						old[o] = map[string]bool{}
					}
					old[o][l.AccountID] = true
				}
			}
		}
		for o, n := range staff {
			if n < 5 || elsewhere[o.ua] > 0 || len(old[o]) < 5 {
				t.Errorf("office %s on %q: %d new staff, %d established on it; %d other genuine signups with it", o.ip, o.ua, n, len(old[o]), elsewhere[o.ua])
			}
		}
		if len(staff) == 0 {
			t.Error("no office")
		}
	})

	t.Run("schools' domains are their own", func(t *testing.T) {
		t.Parallel()
		students := map[string][]*event.Signup{}
		for _, s := range byKind[schoolDomain] {
			_, domain, _ := strings.Cut(s.RecoveryEmail, "@")
			students[domain] = append(students[domain], s)
		}
		others := map[string]int{}
		for kind, ss := range byKind {
			for _, s := range ss {
				if _, domain, ok := strings.Cut(s.RecoveryEmail, "@"); ok && kind != schoolDomain {
					others[domain]++
				}
			}
		}
		for domain, ss := range students {
			days := map[string]bool{}
			for _, s := range ss {
				days[s.CreatedAt.Format(time.DateOnly)] = true
			}
			if domain == "" || slices.Contains(disposableDomains[:], domain) || others[domain] > 0 || len(ss) < 8 || len(days) < 7 {
				t.Errorf("school domain %q: %d students over %d days, %d other accounts", domain, len(ss), len(days), others[domain])
			}
		}
		if len(students) == 0 {
			t.Error("no school")
		}
	})
}

// TestLookAlikesNeedAWeek checks that a scenario shorter than a week, the
// demo's, has no look-alikes.
func TestLookAlikesNeedAWeek(t *testing.T) {
	t.Parallel()
	_, labels := generate(t, Demo())
	for _, l := range labels {
		switch l.Kind {
		case familyRecovery, officeOldBrowser, schoolDomain, viralAttachment:
			t.Fatalf("the %d-day demo has a %s account", Demo().Days, l.Kind)
		}
	}
}

// TestViralAttachment checks that the viral-attachment look-alikes send
// what established senders send too.
func TestViralAttachment(t *testing.T) {
	t.Parallel()
	s := medium(t)
	carriers := map[[32]byte]map[string]bool{}
	for i, e := range s.msgs {
		for _, f := range s.parsed[i].files {
			h := sum(f.data)
			if carriers[h] == nil {
				carriers[h] = map[string]bool{}
			}
			carriers[h][e.AccountID()] = true
		}
	}
	accounts, tied := map[string]bool{}, map[string]bool{}
	for _, cs := range carriers {
		var viral []string
		old := 0
		for a := range cs {
			switch s.labels[a].Kind {
			case viralAttachment:
				viral = append(viral, a)
				accounts[a] = true
			case Established:
				old++
			}
		}
		if len(viral) >= 2 && old >= 10 {
			for _, a := range viral {
				tied[a] = true
			}
		}
	}
	n := 0
	for _, l := range s.labels {
		if l.Kind == viralAttachment {
			n++
		}
	}
	t.Logf("%d viral-attachment accounts, %d send a file, %d a file that others of them and ten established senders send", n, len(accounts), len(tied))
	if n == 0 || len(tied) < n/2 {
		t.Errorf("%d of %d viral-attachment accounts send a file that others of them and established senders send", len(tied), n)
	}
}
