package synth

import (
	"fmt"
	"strconv"
	"strings"
)

// person is one human behind a signup, genuine or a campaign's persona.
type person struct {
	loc       *locale
	female    bool
	first     string // as typed: with diacritics, or in the native script
	last      string
	firstA    string // folded to lowercase ASCII for usernames
	lastA     string
	native    bool // first and last are in a non-Latin script
	birthYear int
	// The name in both scripts, for locales that have two.
	firstNat, lastNat, firstLat, lastLat string
}

// withScript returns p with its display name in the native script or not.
func (p person) withScript(native bool) person {
	p.native = native
	if native {
		p.first, p.last = p.firstNat, p.lastNat
	} else {
		p.first, p.last = p.firstLat, p.lastLat
	}
	return p
}

// withSurname returns p with the family name of q, as q writes it.
func (p person) withSurname(q person) person {
	p.lastNat, p.lastLat, p.lastA = q.lastNat, q.lastLat, q.lastA
	return p.withScript(q.native)
}

// newPerson draws a person of loc aged minAge..maxAge in year.
func newPerson(r *rng, loc *locale, minAge, maxAge, year int) person {
	p := person{loc: loc, female: r.chance(0.5)}
	firsts := loc.male
	if p.female {
		firsts = loc.female
	}
	fn, fl := nameParts(pick(r, firsts))
	ln, ll := nameParts(pick(r, loc.last))
	if p.female && (loc.country == "RU" || loc.country == "UA") {
		ln = feminine(ln)
		ll = ln
	}
	umlautE := loc.country == "DE" && r.chance(0.5)
	p.firstA, p.lastA = fold(fl, loc.country, umlautE), fold(ll, loc.country, umlautE)
	p.firstNat, p.lastNat = fn, ln
	p.firstLat, p.lastLat = fn, ln
	if fl != fn || loc.country == "RU" || loc.country == "UA" {
		// Latin spelling of a non-Latin name.
		p.firstLat, p.lastLat = capitalize(p.firstA), capitalize(p.lastA)
	}
	p.birthYear = year - age(r, minAge, maxAge)
	return p.withScript(loc.nativeShare > 0 && r.chance(loc.nativeShare))
}

// age draws an age in [lo, hi], most people being young adults.
func age(r *rng, lo, hi int) int {
	for range 20 {
		a := 16 + int(r.lognormal(14, 0.55))
		if a >= lo && a <= hi {
			return a
		}
	}
	return r.between(lo, hi)
}

// farmPerson draws an American-sounding persona from the census sample.
func farmPerson(r *rng, us *locale, year int) person {
	p := person{loc: us, female: r.chance(0.5)}
	if p.female {
		p.first = pick(r, farmFirstFemale[:])
	} else {
		p.first = pick(r, farmFirstMale[:])
	}
	p.last = pick(r, farmLast[:])
	p.firstA, p.lastA = fold(p.first, "US", false), fold(p.last, "US", false)
	p.firstNat, p.lastNat, p.firstLat, p.lastLat = p.first, p.last, p.first, p.last
	p.birthYear = year - r.between(24, 45)
	return p
}

// fullName is the name as the person would write it in full.
func (p person) fullName() string {
	if p.native && p.loc.familyFirst {
		if p.loc.country == "CN" {
			return p.last + p.first
		}
		return p.last + " " + p.first
	}
	return p.first + " " + p.last
}

// displayName is what the person types in the name field, if anything.
func (p person) displayName(r *rng) string {
	switch r.weighted(70, 8, 8, 3, 4, 3, 2, 2) {
	case 0:
		return p.fullName()
	case 1:
		return p.first
	case 2:
		return ""
	case 3:
		if p.native {
			return p.fullName()
		}
		return p.first + " " + firstRune(p.last) + "."
	case 4:
		return strings.ToLower(p.fullName())
	case 5:
		return capitalize(pick(r, handleWords[:]))
	case 6:
		if p.native {
			return p.fullName()
		}
		return p.last + " " + p.first
	default:
		return strings.ToUpper(p.fullName())
	}
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

func initial(s string) string {
	if s == "" {
		return ""
	}
	return s[:1]
}

// username is a mailbox name in one of the many ways people choose theirs.
func (p person) username(r *rng) string {
	f, l := p.firstA, p.lastA
	if f == "" {
		f = "user"
	}
	if l == "" {
		l = f
	}
	yy := fmt.Sprintf("%02d", p.birthYear%100)
	yyyy := strconv.Itoa(p.birthYear)
	year := yy
	if r.chance(0.5) {
		year = yyyy
	}
	ws := []float64{18, 12, 9, 5, 8, 6, 5, 5, 8, 4, 3, 3, 4, 2, 4, 2, 2}
	if p.loc.familyFirst || p.loc.country == "RU" || p.loc.country == "UA" {
		ws[6] = 12 // surname first is common there
	}
	if p.loc.country == "CN" {
		ws[4], ws[5] = 12, 12 // numbers are common in Chinese mailbox names
	}
	var u string
	switch r.weighted(ws...) {
	case 0:
		u = f + "." + l
	case 1:
		u = f + l
	case 2:
		u = initial(f) + l
	case 3:
		u = f + "_" + l + yy
	case 4:
		u = f + "." + l + year
	case 5:
		u = f + year
	case 6:
		u = pick(r, []string{l + "." + f, l + f, l + "_" + f, l + initial(f)})
	case 7:
		u = f + initial(l)
		if r.chance(0.5) {
			u += strconv.Itoa(r.between(1, 99))
		}
	case 8:
		u = pick(r, handleWords[:]) + pick(r, []string{"", "_", "."}) + pick(r, []string{f, strconv.Itoa(r.between(1, 999)), yy})
	case 9:
		u = pick(r, handleWords[:]) + pick(r, handleWords[:])
	case 10:
		u = f + "." + l + "." + strconv.Itoa(r.between(1, 99))
	case 11:
		u = pick(r, []string{initial(f) + initial(l) + yy, initial(f) + initial(l) + strconv.Itoa(r.between(1, 999)), f[:min(3, len(f))] + l[:min(3, len(l))]})
	case 12:
		u = f + fmt.Sprintf("%02d%02d", r.between(1, 28), r.between(1, 12))
	case 13:
		u = f + "-" + l
	case 14:
		u = f + pick(r, []string{"7", "13", "21", "23", "77", "88", "99", "123", "007", "2000", "1"})
	case 15:
		w := pick(r, handleWords[:])
		u = pick(r, []string{"xx" + w + "xx", strings.NewReplacer("o", "0", "e", "3", "a", "4").Replace(w) + yy, "the" + w + "_" + f})
	default:
		u = f + string(rune('a'+r.intn(26))) + l
	}
	return tidyLocal(u)
}

// tidyLocal keeps a mailbox name within the platform's rules: 3 to 30
// characters, starting with a letter or digit, no doubled or trailing dots.
func tidyLocal(u string) string {
	u = strings.ToLower(u)
	for strings.Contains(u, "..") {
		u = strings.ReplaceAll(u, "..", ".")
	}
	u = strings.Trim(u, "._-")
	if len(u) > 30 {
		u = strings.TrimRight(u[:30], "._-")
	}
	for len(u) < 3 {
		u += "0"
	}
	return u
}

// emailLocal is the local part of a person's address elsewhere: the same
// kinds of choices as a username, drawn afresh, or digits at qq.com.
func (p person) emailLocal(r *rng, domain string) string {
	if domain == "qq.com" && r.chance(p.loc.numericQQShare+0.3) {
		return strconv.Itoa(r.between(1, 9)) + r.digits(r.between(6, 9))
	}
	return p.username(r)
}

// recoveryEmail is the person's other address, or "" for none.
func (p person) recoveryEmail(r *rng) string {
	switch r.weighted(62, 1, 0.5, 3, 0.4, 33) {
	case 0:
		d := pickW(r, p.loc.mailDomains)
		return p.emailLocal(r, d) + "@" + d
	case 1: // Hide My Email
		return r.alnum(10) + "_" + r.alnum(3) + "@privaterelay.appleid.com"
	case 2:
		return p.username(r) + "@duck.com"
	case 3: // another mailbox on the same platform
		return p.username(r) + "@" + pick(r, platformDomains[:])
	case 4: // real people use throwaway addresses too (yopmail is popular in France)
		return p.username(r) + "@" + pick(r, []string{"yopmail.com", "yopmail.com", "mailinator.com", "10minutemail.com", "trashmail.com"})
	default:
		return ""
	}
}

// recoveryPhone is the person's phone, or "" for none.
func (p person) recoveryPhone(r *rng) string {
	if r.chance(p.loc.phoneRecovery) {
		return p.loc.phone(r)
	}
	return ""
}

// platformDomains are the domains the mail platform gives out, the first by
// far the most used.
var platformDomains = [...]string{"mail.example", "mail.example", "mail.example", "mail.example", "mail.example",
	"mail.example", "mail.example", "mail.example", "inbox.example", "post.example"}
