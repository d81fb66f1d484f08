package synth

import (
	"fmt"
	"math"
	"net/mail"
	"net/netip"
	"slices"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
)

// sendShare is the share of each genuine kind's new accounts that send
// anything within the scenario; a kind not listed sends with
// defaultSendShare.
var sendShare = map[string]float64{
	"home": 0.36, "mobile-cgnat": 0.32, "campus": 0.5, "campus-lab": 0.45, "office": 0.5, "office-batch": 0.6,
	"family-device": 0.5, "commercial-vpn": 0.4, "traveller": 0.45, "expat": 0.5, "internet-cafe": 0.3,
	"second-account": 0.3, "corporate-proxy": 0.5, "tor-user": 0.3,
	viralAttachment: 1, // they opened the mailbox to pass something on
}

const defaultSendShare = 0.36

// Shares of the genuine senders who do something beside personal mail.
const (
	jobSeekerShare = 0.02 // apply for jobs with their own CV, to many firms
	forwarderShare = 0.1  // forward something popular
	photoShare     = 0.05 // of personal messages, those with a photo
	// familyPhotoShare is photoShare for a family's accounts, whose members
	// share the family's photos (a hard case: the same pictures from a few
	// new accounts on one line).
	familyPhotoShare = 0.3
)

// contact is someone a person writes to.
type contact struct {
	first string
	addr  mail.Address
}

// contacts are the people a person writes to: family and friends at the
// mailbox providers of the person's country, now and then at work or on
// the platform.
func (m *mailer) contacts(r *rng, loc *locale) []contact {
	cs := make([]contact, r.between(2, 6))
	for i := range cs {
		p := newPerson(r, loc, 13, 85, m.g.year)
		if r.chance(0.2) {
			p = newPerson(r, m.g.pickLocale(r), 13, 85, m.g.year)
		}
		domain := pickW(r, loc.mailDomains)
		switch r.weighted(80, 10, 10) {
		case 1:
			domain = pick(r, platformDomains[:])
		case 2:
			domain = pick(r, m.companies).domain
		}
		name := ""
		if r.chance(0.6) {
			name = p.fullName()
		}
		cs[i] = contact{first: p.first, addr: recipient(name, p.emailLocal(r, domain), domain)}
	}
	return cs
}

// mailProgram is the User-Agent of a person's mail program: none for the
// platform's webmail and apps, which most use.
func mailProgram(r *rng) string {
	if r.chance(0.78) {
		return ""
	}
	return pick(r, imapClients[:])
}

// textEncoding draws how a client encodes text.
func textEncoding(r *rng) string {
	return [...]string{encQP, enc7bit, encBase64}[r.weighted(60, 30, 10)]
}

// genuine adds the messages of one genuine account, if its owner sends any.
func (m *mailer) genuine(rec record) {
	g := m.g
	su, l, lf := rec.ev.Signup, rec.label, rec.life
	r := newRNG(g.cfg.Seed, "message/"+l.AccountID)
	if lf != nil && lf.group != nil && l.Kind == "family-device" {
		// The album is the first member's, whether or not they send.
		if _, ok := m.albums[lf.group]; !ok {
			m.albums[lf.group] = m.album(l.AccountID)
		}
	}
	share, ok := sendShare[l.Kind]
	if !ok {
		share = defaultSendShare
	}
	if !r.chance(share) {
		return
	}
	loc := g.loc[su.Country]
	if lf != nil && lf.loc != nil {
		loc = lf.loc
	}
	if loc == nil {
		loc = g.loc["US"]
	}
	n, _ := Lookup(su.IP)
	zone := su.Timezone
	if zone == "" {
		zone = n.TimeZone
	}
	ipAt, back := m.genuineIP(r, su, l.Kind, lf, n)
	program := mailProgram(r)
	clientAt := func(t time.Time) mailClient {
		c := mailClient{ip: ipAt(t), zone: zone, mailer: program}
		if l.Kind == "traveller" && t.Before(back) && r.chance(0.35) {
			c.zone = n.TimeZone // a phone that follows the network
		}
		return c
	}
	after := su.CreatedAt.Add(time.Duration(r.lognormal(float64(3*time.Hour), 1.2)))
	if !after.Before(g.end) {
		return
	}
	o := m.outbox(r, sender{label: l, from: mail.Address{Name: su.DisplayName, Address: su.Address}, after: rec.ev.Time.Add(time.Minute)})
	var album []attachment
	if lf != nil && lf.group != nil {
		album = m.albums[lf.group]
	}
	m.personal(r, o, loc, displayFirst(su.DisplayName), 1.8, after, zone, clientAt, album)
	if r.chance(jobSeekerShare) {
		m.jobHunt(r, o, su.DisplayName, su.Address, after, zone, clientAt)
	}
	if r.chance(forwarderShare) {
		for range r.between(1, 2) {
			m.forward(r, o, loc, pickPopular(r, m.popular), after, clientAt)
		}
	}
	if l.Kind == viralAttachment && len(m.viral) > 0 {
		it := pickPopular(r, m.viral)
		for range r.between(1, 3) {
			m.forward(r, o, loc, it, after, clientAt)
		}
	}
	o.flush()
}

// genuineIP returns where a genuine account's messages come from at a
// time: the signup's line, a phone's carrier NAT, a VPN's exits or the
// home behind them, a traveller's hotel until the day back (back) and home
// after.
func (m *mailer) genuineIP(r *rng, su *event.Signup, kind string, lf *life, n Network) (ipAt func(time.Time) netip.Addr, back time.Time) {
	g := m.g
	home := netip.Addr{}
	if lf != nil && lf.home.Prefix.IsValid() {
		home = randomHost(r, lf.home)
		if !home.Is4() {
			home = v6In(lf.home.Prefix, r.u64(), r.u64())
		}
	}
	switch {
	case kind == "commercial-vpn" && home.IsValid():
		return func(time.Time) netip.Addr {
			if r.chance(0.7) {
				return g.pooled(r, n)
			}
			return home
		}, time.Time{}
	case kind == "traveller" && home.IsValid():
		back = su.CreatedAt.Add(time.Duration(r.between(2, 9)) * 24 * time.Hour)
		return func(t time.Time) netip.Addr {
			if t.Before(back) {
				return su.IP
			}
			return home
		}, back
	case kind == "tor-user":
		return func(time.Time) netip.Addr { return g.pooled(r, pick(r, g.networks(Tor, "", false))) }, time.Time{}
	case su.IP.Is6() && (n.Role == Mobile || n.Role == Residential):
		p := netip.PrefixFrom(su.IP, 64).Masked()
		return func(time.Time) netip.Addr { return v6In(p, 0, r.u64()) }, time.Time{}
	case n.Role == Mobile || n.Role == Campus:
		return func(time.Time) netip.Addr {
			if r.chance(0.3) {
				return su.IP
			}
			return g.pooled(r, n)
		}, time.Time{}
	}
	return func(time.Time) netip.Addr { return su.IP }, time.Time{}
}

// personal adds a person's own messages to family and friends (median
// of them in the scenario), a few with photos: of the family's album for a
// family's accounts, else their own.
func (m *mailer) personal(r *rng, o *outbox, loc *locale, signature string, median float64, after time.Time, zone string,
	clientAt func(time.Time) mailClient, album []attachment) {
	g := m.g
	contacts := m.contacts(r, loc)
	html := r.chance(0.4)
	enc := textEncoding(r)
	k := min(max(int(math.Round(r.lognormal(median, 0.7))), 1), 12)
	for i := range k {
		t := humanTime(r, after, g.end, zone)
		ix := shuffled(r, indexes(len(contacts)))[:min(len(contacts), []int{1, 2, 3}[r.weighted(80, 15, 5)])]
		d := &mailDraft{subject: pick(r, personalSubjects[:]), html: html, textEnc: enc}
		for _, j := range ix {
			d.to = append(d.to, contacts[j].addr)
		}
		d.text = personalText(r, loc.country, contacts[ix[0]].first, signature)
		if (len(album) == 0 && r.chance(photoShare)) || (len(album) > 0 && r.chance(familyPhotoShare)) {
			if len(album) > 0 && r.chance(0.85) {
				d.attach = append(d.attach, album[:r.between(1, len(album))]...)
			} else {
				seed := hash64(g.cfg.Seed, "message/photo/"+o.s.label.AccountID, uint64(i))
				pic := scenePic(seed)
				if r.chance(0.5) {
					pic = portraitPic(seed)
				}
				d.attach = append(d.attach, attachment{
					name: fmt.Sprintf("IMG_%04d.jpg", r.between(1, 9999)), ctype: "image/jpeg",
					inline: r.chance(0.3), data: pic.original(r.between(75, 92)),
				})
			}
		}
		o.send(t, clientAt(t), d)
	}
}

// album is a family's photos, which its members send each other and their
// relatives: one to three pictures, the same files for every member.
func (m *mailer) album(first string) []attachment {
	r := newRNG(m.g.cfg.Seed, "message/family/"+first)
	out := make([]attachment, r.between(1, 3))
	for i := range out {
		seed := r.u64()
		pic := scenePic(seed)
		if r.chance(0.6) {
			pic = portraitPic(seed)
		}
		out[i] = attachment{name: fmt.Sprintf("IMG_%04d.jpg", r.between(1, 9999)), ctype: "image/jpeg", data: pic.original(r.between(78, 92))}
	}
	return out
}

// jobHunt is a genuine job seeker's applications: their own CV to many
// firms over a few days, a hard case for a fan-out signal.
func (m *mailer) jobHunt(r *rng, o *outbox, name, address string, after time.Time, zone string, clientAt func(time.Time) mailClient) {
	g := m.g
	if name == "" {
		name = displayFirst(address)
	}
	cv := attachment{
		name: "CV_" + fold(displayFirst(name), "", false) + ".pdf", ctype: "application/pdf",
		data: resumeBlob(r, name, address, fmt.Sprintf("Reliable and friendly %s with %d years of experience.",
			pick(r, []string{"sales assistant", "office administrator", "warehouse operative", "nurse", "teacher", "barista", "accountant"}), r.between(1, 15))),
	}
	day := after
	for range r.between(2, 6) {
		day = day.Add(time.Duration(r.between(1, 3)) * 24 * time.Hour)
		if !day.Before(g.end) {
			return
		}
		used := map[string]bool{}
		for range r.between(1, 4) {
			t := workTime(r, day, minTime(day.Add(24*time.Hour), g.end), zone, 8, 22)
			to, cs := m.sprayTo(r, r.between(1, 3), used)
			if len(to) == 0 {
				continue
			}
			role := pick(r, []string{"Sales Assistant", "Office Administrator", "Receptionist", "Customer Service Advisor", "Warehouse Operative", "Team Leader"})
			d := &mailDraft{
				to: to, subject: "Application: " + role, text: jobSeekerText(r, name, cs[0].name, role),
				textEnc: encQP, attach: []attachment{cv},
			}
			o.send(t, clientAt(t), d)
		}
	}
}

// popularItem is content that goes round: a meme, a school's newsletter,
// a chain letter, forwarded by many unrelated people.
type popularItem struct {
	subject, text string
	// origin is who the forwarded copy says sent it first.
	origin string
	pic    *picture
	orig   *blob // the picture as it first went round
	doc    *attachment
	// onset is when it starts going round; delay the median time from then
	// to a forward.
	onset time.Time
	delay time.Duration
	// reach is the share of established senders who forward it; weight its
	// share among new accounts' forwards.
	reach, weight float64
}

// popularItems draws the scenario's popular content: five memes, two
// school newsletters and two chain letters, some going round before the
// scenario starts.
func (m *mailer) popularItems() []*popularItem {
	g := m.g
	r := newRNG(g.cfg.Seed, "message/popular")
	span := g.end.Sub(g.cfg.Start)
	onset := func() time.Time {
		if r.chance(0.4) {
			return g.cfg.Start.Add(-time.Duration(r.between(1, 10)) * 24 * time.Hour)
		}
		return g.cfg.Start.Add(time.Duration(r.uniform(0, 0.5) * float64(span)))
	}
	var items []*popularItem
	for _, subj := range []string{"lol", "this is so me", "Monday mood", "😂😂😂", "cat tax"} {
		pic := scenePic(r.u64())
		items = append(items, &popularItem{
			subject: subj, origin: "Meme Central <memes@social.example>", pic: &pic, orig: pic.original(r.between(80, 90)),
			onset: onset(), delay: time.Duration(r.between(12, 72)) * time.Hour, reach: r.uniform(0.15, 0.45), weight: 3,
		})
	}
	for _, school := range []string{"Maple Grove Elementary", "Riverside Primary School"} {
		lines := []string{school + " - Monthly Newsletter", "", "Dear parents and carers,",
			"Our autumn fair raised funds for the new library.", "Please remember that school photos are next week.",
			"The PTA meets on Thursday at 6pm in the hall.", "Flu vaccinations: consent forms are due back by Friday."}
		doc := &attachment{name: "Newsletter_" + fmt.Sprint(g.cfg.Start.Year()) + ".pdf", ctype: "application/pdf",
			data: pdfBlob(r.u64(), school+" Newsletter", lines, r.between(9000, 16000))}
		items = append(items, &popularItem{
			subject: school + " newsletter", text: "Dear parents,\n\nPlease find attached this month's newsletter.\n\nThe Office\n" + school + "\n",
			origin: "The Office <office@school.example>", doc: doc,
			onset: onset(), delay: time.Duration(r.between(24, 96)) * time.Hour, reach: r.uniform(0.12, 0.3), weight: 1,
		})
	}
	for _, cl := range chainLetters {
		items = append(items, &popularItem{
			subject: cl.subject, text: cl.body, origin: "A Friend <friend@mail.example>",
			onset: onset(), delay: time.Duration(r.between(24, 120)) * time.Hour, reach: r.uniform(0.12, 0.3), weight: 1.5,
		})
	}
	return items
}

// viralItems draws what is going round when the scenario starts, widely
// enough that people open a mailbox to pass it on: a picture everyone
// sends, and a charity run's flyer.
func (m *mailer) viralItems() []*popularItem {
	g := m.g
	r := newRNG(g.cfg.Seed, "message/viral")
	onset := func() time.Time { return g.cfg.Start.Add(-time.Duration(r.between(0, 5)) * 24 * time.Hour) }
	pic := scenePic(r.u64())
	meme := &popularItem{
		subject: "you have to see this",
		origin:  "Meme Central <memes@social.example>",
		pic:     &pic,
		orig:    pic.original(r.between(80, 90)),
		onset:   onset(),
		delay:   time.Duration(r.between(12, 48)) * time.Hour,
		reach:   r.uniform(0.2, 0.5),
		weight:  2,
	}
	run := pick(r, []string{"Riverside 5K Fun Run", "Spring Charity Walk", "Community Fun Run for the Food Bank"})
	lines := []string{run, "", "Saturday morning, 9am at the park gates", "All ages welcome - walk, jog or run!",
		"Entry by donation, every penny goes to charity", "Please share this flyer with friends and family"}
	flyer := &popularItem{
		subject: run + " - please share",
		text:    "Hi all,\n\nPlease share the attached flyer far and wide!\n\nThank you\n",
		origin:  "Run Committee <committee@funrun.example>",
		doc:     &attachment{name: "Flyer.pdf", ctype: "application/pdf", data: pdfBlob(r.u64(), run, lines, r.between(20000, 40000))},
		onset:   onset(),
		delay:   time.Duration(r.between(24, 72)) * time.Hour,
		reach:   r.uniform(0.2, 0.5),
		weight:  1,
	}
	return []*popularItem{meme, flyer}
}

func pickPopular(r *rng, items []*popularItem) *popularItem {
	ws := make([]float64, len(items))
	for i, it := range items {
		ws[i] = it.weight
	}
	return items[r.weighted(ws...)]
}

// forward adds a forward of it to a few people of loc, some time after it
// starts going round and after after; a picture goes as it came or, as
// apps and clients often do, recompressed.
func (m *mailer) forward(r *rng, o *outbox, loc *locale, it *popularItem, after time.Time, clientAt func(time.Time) mailClient) {
	g := m.g
	t := it.onset.Add(time.Duration(r.lognormal(float64(it.delay), 0.9)))
	if t.Before(after) {
		t = after.Add(time.Duration(r.lognormal(float64(it.delay)/4, 0.9)))
	}
	if !t.Before(g.end) {
		return
	}
	to := make([]mail.Address, 0, 5)
	for range r.between(1, 5) {
		p := newPerson(r, loc, 13, 85, g.year)
		domain := pickW(r, loc.mailDomains)
		to = append(to, recipient("", p.emailLocal(r, domain), domain))
	}
	text := forwardNote(r)
	if it.text != "" {
		text += "\n\n---------- Forwarded message ---------\nFrom: " + it.origin + "\nSubject: " + it.subject + "\n\n" + it.text
	}
	d := &mailDraft{to: to, subject: "Fwd: " + it.subject, text: text + "\n", html: r.chance(0.4), textEnc: textEncoding(r)}
	switch {
	case it.pic != nil:
		data, ctype, name := it.orig, "image/jpeg", "image.jpg"
		if r.chance(0.45) {
			e := recompress(r)
			data = it.pic.encoded(e)
			name = fmt.Sprintf("IMG-%d-WA%04d.jpg", 2026, r.between(1, 9999))
		}
		d.attach = []attachment{{name: name, ctype: ctype, inline: r.chance(0.4), data: data}}
	case it.doc != nil:
		d.attach = []attachment{*it.doc}
	}
	o.send(t, clientAt(t), d)
}

// established adds the messages of accounts older than the scenario: their
// own mail and most of the popular content's forwards, so that what many
// old accounts carry is known to be popular. Their number grows with the
// scenario's genuine signups. What goes viral (in a scenario with
// look-alikes) is carried by half as many more, who forward the rest too.
func (m *mailer) established() {
	g := m.g
	n := min(max(g.cfg.GenuinePerDay/2, 30), 600)
	for k := range n {
		m.establishedSender("established/mail", k, m.popular)
	}
	if len(m.viral) > 0 {
		items := slices.Concat(m.popular, m.viral)
		for k := range n / 2 {
			m.establishedSender("established/viral-mail", k, items)
		}
	}
}

// establishedSender adds the messages of the k-th established account of
// a stream: its own mail, and forwards of each of items it is reached by.
func (m *mailer) establishedSender(stream string, k int, items []*popularItem) {
	g := m.g
	id := g.streamAccountID(stream, uint64(k))
	g.established = append(g.established, id)
	r := newRNG(g.cfg.Seed, "message/"+id)
	loc := g.pickLocale(r)
	role := Residential
	if r.chance(0.3) {
		role = Mobile
	}
	net := g.homeNetwork(r, role, loc.country)
	ip := randomHost(r, net)
	p := newPerson(r, loc, 25, 80, g.year)
	addr := m.establishedAddress(r, p)
	ipAt := func(time.Time) netip.Addr { return ip }
	switch {
	case ip.Is6():
		pfx := netip.PrefixFrom(ip, 64).Masked()
		ipAt = func(time.Time) netip.Addr { return v6In(pfx, 0, r.u64()) }
	case role == Mobile:
		ipAt = func(time.Time) netip.Addr { return g.pooled(r, net) }
	}
	program := mailProgram(r)
	zone := net.TimeZone
	clientAt := func(t time.Time) mailClient { return mailClient{ip: ipAt(t), zone: zone, mailer: program} }
	display := p.displayName(r)
	o := m.outbox(r, sender{label: Label{AccountID: id, Kind: Established}, from: mail.Address{Name: display, Address: addr}, after: g.cfg.Start})
	m.personal(r, o, loc, displayFirst(display), 4, g.cfg.Start, zone, clientAt, nil)
	for _, it := range items {
		if r.chance(it.reach) {
			m.forward(r, o, loc, it, g.cfg.Start, clientAt)
		}
	}
	o.flush()
}

// establishedAddress is an old mailbox's address, unlike any other.
func (m *mailer) establishedAddress(r *rng, p person) string {
	g := m.g
	domain := pick(r, platformDomains[:])
	local := p.username(r)
	addr := local + "@" + domain
	for g.addrs[addr] {
		addr = tidyLocal(local[:min(len(local), 24)]+r.digits(r.between(2, 5))) + "@" + domain
	}
	g.addrs[addr] = true
	return addr
}
