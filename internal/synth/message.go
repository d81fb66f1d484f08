package synth

import (
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// Outbound messages (Mailbox Message Sent events and their raw messages).
//
// With Config.Messages, accounts send mail after their signup: genuine
// people write to friends and family, a few apply for jobs, some forward
// what is going round (memes, a school newsletter, a chain letter);
// IT-worker personas (and each team of a large operation) spray
// applications carrying their operation's few résumés, lightly edited
// copies of a few faces and one cover letter;
// bot and slow waves send templated spam. Established accounts (older than
// the scenario) send too, and carry most of the popular content, as on a
// real platform. Every account draws from a random stream named after it
// ("message/ACCOUNT"), and what a group or campaign shares from a stream
// named after the group or campaign, so that the signups and sign-ins, and
// the messages of every other account, stay as they are when one changes.

// mailer is one run of the message generator.
type mailer struct {
	g         *gen
	objs      *Objects
	companies []company
	popular   []*popularItem
	// viral is what the viral-attachment look-alikes pass on (none in a
	// scenario without look-alikes).
	viral []*popularItem
	// albums are the photos a family's members share, by family.
	albums map[*group][]attachment
}

// messages adds the outbound messages of every account (see
// Config.Messages): the genuine population's, the campaigns', and the
// established senders'.
func (g *gen) messages() {
	m := &mailer{g: g, objs: newObjects(), companies: companies(), albums: map[*group][]attachment{}}
	m.popular = m.popularItems()
	if g.cfg.Days >= lookAlikeDays {
		m.viral = m.viralItems()
	}
	byCampaign := map[string][]record{}
	for i := range g.signups {
		rec := g.out[i] // a copy: g.out grows below
		if rec.label.Campaign != "" {
			byCampaign[rec.label.Campaign] = append(byCampaign[rec.label.Campaign], rec)
			continue
		}
		m.genuine(rec)
	}
	for _, c := range g.cfg.Campaigns {
		k, accts := g.kits[c.ID], byCampaign[c.ID]
		switch c.Type {
		case BotWave:
			m.botWave(k, accts)
		case ITWorkerFarm, LaptopFarm:
			m.applications(k, accts)
		case SlowWave:
			m.slowWave(k, accts)
		case Operation:
			byTeam := make([][]record, len(k.teams))
			for _, rec := range accts {
				i := k.members[rec.label.AccountID].team
				byTeam[i] = append(byTeam[i], rec)
			}
			for i, tk := range k.teams {
				m.applications(tk, byTeam[i])
			}
		}
	}
	m.established()
	g.objects = m.objs
}

// sender is what a message of one account says of its sender.
type sender struct {
	label Label
	from  mail.Address
	// after is the earliest time a message may be sent: just after the
	// signup's event, or the scenario's start.
	after time.Time
}

// outgoing is one message an account sends, before its time is fixed.
type outgoing struct {
	at time.Time
	// zone is the zone of the client's clock (the Date header's offset):
	// an IANA name the generator knows (zoneOffset), or "" for UTC.
	zone string
	// skew is how far the client's clock is behind the platform's.
	skew time.Duration
	d    *mailDraft
}

// outbox collects one account's messages.
type outbox struct {
	m   *mailer
	r   *rng
	s   sender
	out []outgoing
}

func (m *mailer) outbox(r *rng, s sender) *outbox { return &outbox{m: m, r: r, s: s} }

// mailClient is how a message reached the platform: from which address, with
// which mail program, and the zone of the client's clock.
type mailClient struct {
	ip     netip.Addr
	zone   string
	helo   string // "" for one drawn from ip
	mailer string
}

// send adds a message at t. The draft's sender (unless it has one), client
// address and relay details are filled in here.
func (o *outbox) send(t time.Time, c mailClient, d *mailDraft) {
	r := o.r
	if d.from.Address == "" {
		d.from = o.s.from
	}
	d.ip = c.ip
	d.xOrig = r.chance(0.7)
	d.helo = c.helo
	if d.helo == "" {
		d.helo = heloFor(r, c.ip)
	}
	d.mailer = c.mailer
	skew := time.Duration(r.between(0, 4)) * time.Second
	if r.chance(0.05) {
		skew = time.Duration(r.between(-90, 300)) * time.Second // a client clock set by hand
	}
	o.out = append(o.out, outgoing{at: t, zone: c.zone, skew: skew, d: d})
}

// heloFor is what a client calls itself: a LAN address behind a home
// router, a Windows machine name, or its own address (a server).
func heloFor(r *rng, ip netip.Addr) string {
	switch r.weighted(45, 25, 30) {
	case 0:
		return fmt.Sprintf("[192.168.%d.%d]", r.between(0, 2), r.between(2, 250))
	case 1:
		return "DESKTOP-" + strings.ToUpper(r.alnum(7))
	}
	return "[" + ip.String() + "]"
}

// msgGap is the least time between two messages of one account, so that
// the order of their events is the order of their keys.
const msgGap = 3 * time.Second

// flush emits the account's messages as events, in time order, none before
// its signup nor after the scenario's end, and stores their raw messages.
func (o *outbox) flush() {
	g := o.m.g
	slices.SortStableFunc(o.out, func(a, b outgoing) int { return a.at.Compare(b.at) })
	next := o.s.after
	base := hash64(g.cfg.Seed, "message/"+o.s.label.AccountID, 0)
	var n uint64
	for _, out := range o.out {
		at := out.at.Truncate(time.Millisecond)
		if at.Before(next) {
			at = next
		}
		if !at.Before(g.end) {
			break
		}
		next = at.Add(msgGap)
		n++
		d := out.d
		d.tag = mix64(base + 4*n)
		d.received = at
		client := at.Add(-out.skew).Truncate(time.Second)
		d.date = client.In(time.FixedZone("", 60*zoneOffset(out.zone, client)))
		d.msgID = fmt.Sprintf("<%s.%016x@mail.example>", strings.ToUpper(fmt.Sprintf("%x", client.Unix())), mix64(base+4*n+1))
		key := fmt.Sprintf("outbound/%s/%04d.eml", o.s.label.AccountID, n)
		o.m.objs.put(OutboundBucket, key, d)
		msg := &event.Message{
			AccountID: o.s.label.AccountID, MessageID: d.msgID, SentAt: at,
			Object: event.Object{Bucket: OutboundBucket, Key: key},
		}
		id := uuidOf(mix64(base+4*n+2), mix64(base+4*n+3))
		emitted := at.Add(time.Duration(mix64(base+4*n+3)%1900+100) * time.Millisecond)
		g.out = append(g.out, record{
			ev:    event.Event{ID: id, Kind: event.KindMessage, Source: Source, Time: emitted, Message: msg},
			label: o.s.label,
		})
	}
	o.out = nil
}

// zoneOffset is the UTC offset of zone tz at t, in minutes: tzOffset's
// standard offset, plus an hour in summer where the zone keeps daylight
// saving (the US and European rules of today), so that a Date header
// agrees with the zone's real offset at the time.
func zoneOffset(tz string, t time.Time) int {
	off := tzOffset(tz)
	t = t.UTC()
	y := t.Year()
	switch tz {
	case "America/New_York", "America/Detroit", "America/Indiana/Indianapolis", "America/Chicago",
		"America/Denver", "America/Los_Angeles":
		// From the second Sunday of March, 2:00 standard time, to the first
		// Sunday of November, 2:00 daylight time (1:00 standard).
		std := time.Duration(off) * time.Minute
		start := nthSunday(y, time.March, 2).Add(2*time.Hour - std)
		end := nthSunday(y, time.November, 1).Add(time.Hour - std)
		if !t.Before(start) && t.Before(end) {
			off += 60
		}
	case "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Amsterdam", "Europe/Kyiv":
		// From the last Sunday of March to the last Sunday of October, 1:00
		// UTC both.
		start := lastSunday(y, time.March).Add(time.Hour)
		end := lastSunday(y, time.October).Add(time.Hour)
		if !t.Before(start) && t.Before(end) {
			off += 60
		}
	}
	return off
}

// nthSunday is midnight (UTC) of the nth Sunday of a month.
func nthSunday(y int, m time.Month, nth int) time.Time {
	d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	d = d.AddDate(0, 0, (7-int(d.Weekday()))%7)
	return d.AddDate(0, 0, 7*(nth-1))
}

// lastSunday is midnight (UTC) of the last Sunday of a month.
func lastSunday(y int, m time.Month) time.Time {
	d := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	return d.AddDate(0, 0, -int(d.Weekday()))
}

// recipient is an address at a domain, with a name or not.
func recipient(name, local, domain string) mail.Address {
	return mail.Address{Name: name, Address: local + "@" + domain}
}

// sprayTo is count recipients at distinct domains of cs, none of those in
// used (the domains sprayed already that day), which it extends.
func (m *mailer) sprayTo(r *rng, count int, used map[string]bool) ([]mail.Address, []company) {
	var as []mail.Address
	var cs []company
	for tries := 0; len(as) < count && tries < 20*count; tries++ {
		c := pick(r, m.companies)
		if used[c.domain] {
			continue
		}
		used[c.domain] = true
		local := pick(r, recruiterLocals[:])
		if r.chance(0.2) {
			p := newPerson(r, m.g.loc["US"], 25, 60, m.g.year).withScript(false)
			local = p.firstA + "." + p.lastA
		}
		as = append(as, recipient("", local, c.domain))
		cs = append(cs, c)
	}
	return as, cs
}

// strangers are count addresses of made-up people at webmail and company
// domains: a spam run's list.
func (m *mailer) strangers(r *rng, count int) []mail.Address {
	as := make([]mail.Address, 0, count)
	us := m.g.loc["US"]
	for range count {
		p := newPerson(r, us, 18, 80, m.g.year)
		domain := pickW(r, us.mailDomains)
		if r.chance(0.35) {
			domain = pick(r, m.companies).domain
		} else if r.chance(0.3) {
			domain = pickW(r, m.g.pickLocale(r).mailDomains)
		}
		as = append(as, recipient("", p.emailLocal(r, domain), domain))
	}
	return as
}

// displayFirst is the first word of a display name.
func displayFirst(display string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(display), " ")
	return first
}
