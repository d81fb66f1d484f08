package synth

import (
	"fmt"
	"net/mail"
	"net/netip"
	"strings"
	"time"
)

// operation is what the personas of an IT-worker operation (or a laptop
// farm) send with: a few résumés, the same files for many personas; a few
// faces their profile photos are light edits of; one cover letter; the
// roles they apply for; and the personas' names, which operators mix up.
type operation struct {
	resumes []attachment
	faces   []picture
	cover   coverTemplate
	roles   []string
	names   []string
}

// resumeShare is the share of personas of an operation whose résumé is
// their own file rather than one of the operation's few.
const resumeShare = 0.2

func (m *mailer) operation(c Campaign, accts []record) *operation {
	g := m.g
	r := newRNG(g.cfg.Seed, "message/campaign/"+c.ID)
	op := &operation{cover: newCoverTemplate(r)}
	us := g.loc["US"]
	for range 3 {
		p := farmPerson(r, us, g.year)
		name := p.first + " " + p.last
		summary := fmt.Sprintf("Software engineer with %d years of experience in %s.", r.between(6, 12), op.cover.skills)
		op.resumes = append(op.resumes, attachment{ctype: "application/pdf",
			data: resumeBlob(r, name, farmUsername(r, r.intn(4), p)+"@gmail.com", summary)})
	}
	for range r.between(2, 4) {
		op.faces = append(op.faces, portraitPic(r.u64()))
	}
	op.roles = shuffled(r, roles[:])[:r.between(3, 5)]
	for _, rec := range accts {
		if name := rec.ev.Signup.DisplayName; name != "" {
			op.names = append(op.names, name)
		}
	}
	return op
}

// applications adds the job applications of the personas of an IT-worker
// operation, a laptop farm or a team of a large operation: for days after
// signup, a few a day, each to several firms (tens of domains a day), with
// one of the operation's résumés, an edit of one of its faces and its
// cover letter. An IT-worker operation (or team) sends through its VPN
// exits, servers and proxies, mostly on its operators' clock (the Date
// offset of their own zone); a laptop farm from the facilitator's line, on
// the farm's American clock.
func (m *mailer) applications(k *kit, accts []record) {
	g := m.g
	if k == nil || len(accts) == 0 {
		return
	}
	op := m.operation(k.campaign, accts)
	laptop := k.campaign.Type == LaptopFarm
	for _, rec := range accts {
		su := rec.ev.Signup
		r := newRNG(g.cfg.Seed, "message/"+rec.label.AccountID)
		name := su.DisplayName
		if name == "" {
			name = displayFirst(su.Address)
		}
		resume := op.resumes[r.intn(len(op.resumes))]
		if r.chance(resumeShare) {
			summary := fmt.Sprintf("Senior engineer with %d years of experience in %s.", r.between(5, 14), op.cover.skills)
			resume = attachment{ctype: "application/pdf", data: resumeBlob(r, name, su.Address, summary)}
		}
		resume.name = strings.ReplaceAll(name, " ", "_") + "_Resume.pdf"
		if r.chance(0.3) {
			resume.name = "Resume.pdf"
		}
		edit := lightEdit(r)
		ctype, ext := mimeOf(edit)
		photo := attachment{name: pick(r, []string{"photo", "profile", "me", strings.ToLower(displayFirst(name))}) + ext,
			ctype: ctype, data: pick(r, op.faces).encoded(edit)}
		html := r.chance(0.5)
		program := ""
		if r.chance(0.3) {
			program = "Microsoft Outlook 16.0"
		}
		workTZ, days, perDay := k.opTZ, r.between(2, 6), [2]int{2, 4}
		if laptop {
			workTZ, days, perDay = k.farm.TimeZone, r.between(2, 6), [2]int{1, 4}
		}
		clientAt := func(time.Time) mailClient {
			c := mailClient{zone: k.opTZ, mailer: program}
			if laptop {
				c.ip, c.zone = k.farmIP, k.farm.TimeZone
				return c
			}
			if r.chance(0.2) {
				c.zone = su.Timezone // the operator set the machine's clock to the persona's zone
			}
			c.ip = k.exits.pick(r, []float64{float64(len(k.exits.vpn)) * 2, float64(len(k.exits.servers)), float64(min(len(k.exits.proxies), 1))})
			return c
		}
		o := m.outbox(r, sender{label: rec.label, from: mail.Address{Name: su.DisplayName, Address: su.Address}, after: rec.ev.Time.Add(time.Minute)})
		day := su.CreatedAt.Add(time.Duration(r.lognormal(float64(18*time.Hour), 0.5)))
		for range days {
			if !day.Before(g.end) {
				break
			}
			used := map[string]bool{}
			for range r.between(perDay[0], perDay[1]) {
				t := workTime(r, day, minTime(day.Add(24*time.Hour), g.end), workTZ, 9, 19)
				to, cs := m.sprayTo(r, r.between(3, 8), used)
				if len(to) == 0 {
					continue
				}
				role := pick(r, op.roles)
				signed := name
				d := &mailDraft{to: to, html: html, textEnc: encQP, attach: []attachment{resume}}
				if len(op.names) > 0 && r.chance(0.15) {
					// The operator mixes the personas up: another's name in
					// From, and in the letter now and then.
					other := pick(r, op.names)
					d.from = mail.Address{Name: other, Address: su.Address}
					if r.chance(0.4) {
						signed = other
					}
				}
				d.subject = op.cover.subjectFor(signed, cs[0].name, role)
				d.text = op.cover.letter(signed, cs[0].name, role)
				if r.chance(0.6) {
					p := photo
					p.inline = html && r.chance(0.5)
					d.attach = append(d.attach, p)
				}
				o.send(t, clientAt(t), d)
			}
			day = day.Add(time.Duration(r.between(1, 2)) * 24 * time.Hour)
		}
		o.flush()
	}
}

// spamHost is a made-up host of a campaign's links.
func spamHost(r *rng) string {
	return r.letters(r.between(5, 9)) + "-" + pick(r, []string{"rewards", "secure", "deals", "verify", "track", "club"}) + ".example"
}

// botWave adds a bot wave's spam: one to three runs from each account soon
// after its signup, from the kit's servers, each to tens of strangers, the
// wave's template with a name, a code and an amount of its own, for some
// waves the same picture (as it is or recompressed).
func (m *mailer) botWave(k *kit, accts []record) {
	g := m.g
	if k == nil || len(accts) == 0 {
		return
	}
	cr := newRNG(g.cfg.Seed, "message/campaign/"+k.campaign.ID)
	theme, host, brand := pick(cr, spamThemes[:]), spamHost(cr), pick(cr, spamBrands[:])
	var pic *picture
	var orig *blob
	if cr.chance(0.5) {
		p := scenePic(cr.u64())
		pic, orig = &p, p.original(cr.between(70, 90))
	}
	utc := cr.chance(0.5) // the kit's servers keep UTC
	enc := [...]string{enc7bit, encBase64, encQP}[cr.intn(3)]
	html := cr.chance(0.5)
	for _, rec := range accts {
		su := rec.ev.Signup
		r := newRNG(g.cfg.Seed, "message/"+rec.label.AccountID)
		ipAt := func() netip.Addr {
			switch {
			case k.v6net.IsValid():
				return v6In(k.v6net, 0, r.u64())
			case len(k.ips) > 0:
				return k.ips.pick(r)
			}
			return su.IP
		}
		zone := su.Timezone
		if utc {
			zone = ""
		}
		o := m.outbox(r, sender{label: rec.label, from: mail.Address{Name: su.DisplayName, Address: su.Address}, after: rec.ev.Time.Add(30 * time.Second)})
		t := su.CreatedAt.Add(time.Duration(r.lognormal(float64(20*time.Minute), 0.8)))
		for i := range r.between(1, 3) {
			if i > 0 {
				t = t.Add(time.Duration(r.lognormal(float64(3*time.Hour), 1)))
			}
			list := m.strangers(r, r.between(15, 40))
			split := r.between(1, min(3, len(list)))
			local, _, _ := strings.Cut(list[0].Address, "@") // "Dear john.smith84"
			subject, body := fillTheme(r, theme, local, su.DisplayName, host, brand)
			d := &mailDraft{to: list[:split], cc: list[split:], subject: subject, text: body, html: html, textEnc: enc}
			if pic != nil && r.chance(0.8) {
				data := orig
				if r.chance(0.5) {
					data = pic.encoded(recompress(r))
				}
				d.attach = []attachment{{name: "offer.jpg", ctype: "image/jpeg", inline: r.chance(0.5), data: data}}
			}
			ip := ipAt()
			o.send(t, mailClient{ip: ip, zone: zone, helo: "[" + ip.String() + "]"}, d)
		}
		o.flush()
	}
}

// slowWave adds a slow wave's messages: one or two from each account,
// spread over the days after its signup, each from another of the wave's
// proxy, carrier or home addresses, to a few strangers, the wave's
// template with slots of its own.
func (m *mailer) slowWave(k *kit, accts []record) {
	g := m.g
	if k == nil || len(accts) == 0 {
		return
	}
	cr := newRNG(g.cfg.Seed, "message/campaign/"+k.campaign.ID)
	theme, host := pick(cr, slowThemes[:]), spamHost(cr)
	for _, rec := range accts {
		su := rec.ev.Signup
		r := newRNG(g.cfg.Seed, "message/"+rec.label.AccountID)
		o := m.outbox(r, sender{label: rec.label, from: mail.Address{Name: su.DisplayName, Address: su.Address}, after: rec.ev.Time.Add(time.Minute)})
		for range r.between(1, 2) {
			t := su.CreatedAt.Add(time.Duration(r.uniform(2, 240) * float64(time.Hour)))
			if k.tz != "" {
				t = humanTime(r, t, t.Add(24*time.Hour), k.tz)
			}
			ip := su.IP
			switch r.weighted(k.srcWs...) {
			case 0:
				if len(k.proxies) > 0 {
					ip = randomHost(r, pick(r, k.proxies))
				}
			case 1:
				if len(k.mobiles) > 0 {
					ip = g.pooled(r, pick(r, k.mobiles))
				}
			default:
				if len(k.homes) > 0 {
					ip = randomHost(r, pick(r, k.homes))
				}
			}
			list := m.strangers(r, r.between(3, 10))
			subject, body := fillTheme(r, theme, "there", displayFirst(su.DisplayName), host, "")
			d := &mailDraft{to: list, subject: subject, text: body, textEnc: encQP, html: r.chance(0.3)}
			o.send(t, mailClient{ip: ip, zone: su.Timezone}, d)
		}
		o.flush()
	}
}
