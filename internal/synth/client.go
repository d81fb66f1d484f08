package synth

import (
	"fmt"
	"math"
	"time"
)

// client is the browser or app a signup comes from.
type client struct {
	ua      string
	channel string // web, ios, android, api
	id      string // the platform's device fingerprint
	mobile  bool
}

// formFactor says what kind of client a person uses.
type formFactor int

const (
	desktop formFactor = iota
	mobileWeb
	app
)

// newDeviceID returns a fresh opaque fingerprint, the form the platform
// gives every client.
func newDeviceID(r *rng) string { return r.hex(16) }

// genuineClient draws the client of one person of loc. onMobile says the
// signup comes over a mobile network, where phones dominate.
func genuineClient(r *rng, loc *locale, onMobile bool) client {
	var ff formFactor
	if onMobile {
		ff = formFactor(r.weighted(8, 42, 50))
	} else {
		ff = formFactor(r.weighted(55, 20, 25))
	}
	return clientOf(r, loc, ff, r.chance(loc.androidShare))
}

func clientOf(r *rng, loc *locale, ff formFactor, android bool) client {
	c := client{id: newDeviceID(r), channel: "web"}
	switch ff {
	case desktop:
		c.ua = desktopUA(r, loc.country)
	case mobileWeb:
		c.mobile = true
		if android {
			c.ua = androidBrowserUA(r, loc.country)
		} else {
			c.ua = iphoneBrowserUA(r)
		}
	case app:
		c.mobile = true
		if android {
			c.channel = "android"
			c.ua = fmt.Sprintf("MailExample/%s (Android %d; %s)", pick(r, appVersions[:]), r.between(12, 16), pick(r, androidModels(loc.country)))
		} else {
			c.channel = "ios"
			c.ua = fmt.Sprintf("MailExample/%s (%s; iOS %s; Scale/3.00)", pick(r, appVersions[:]), pick(r, iphoneModels[:]), pick(r, iosVersions[:]))
		}
	}
	return c
}

var appVersions = [...]string{"6.12.0", "6.13.1", "6.14.0", "6.14.2", "6.14.2", "6.15.0"}

var iphoneModels = [...]string{"iPhone14,5", "iPhone14,7", "iPhone15,2", "iPhone15,3", "iPhone15,4", "iPhone16,1", "iPhone16,2", "iPhone17,1", "iPhone17,3", "iPhone13,2"}

var iosVersions = [...]string{"17.7.2", "18.5", "18.6.2", "18.6.2", "26.0.1", "26.1", "26.1"}

func androidModels(country string) []string {
	switch country {
	case "IN":
		return []string{"RMX3830", "V2250", "Redmi Note 13 Pro", "SM-A155F", "CPH2581", "moto g84 5G", "I2219", "SM-M346B"}
	case "NG":
		return []string{"TECNO KI7", "Infinix X6833B", "itel A665L", "SM-A055F", "TECNO BG6", "Redmi 13C"}
	case "CN":
		return []string{"ALN-AL00", "23127PN0CC", "V2309A", "PJZ110", "2211133C", "BRA-AL00"}
	case "BR":
		return []string{"SM-A155M", "SM-A546E", "moto g54 5G", "23129RAA4G", "SM-S921B", "motorola edge 40 neo"}
	case "PH":
		return []string{"Infinix X6833B", "RMX3830", "SM-A155F", "CPH2591", "V2253", "TECNO KI7"}
	case "JP":
		return []string{"SO-51D", "SC-52D", "Pixel 8", "A302SH", "SH-54D"}
	}
	return []string{"Pixel 8", "Pixel 9", "Pixel 7a", "SM-S921B", "SM-S928U", "SM-A546B", "SM-G991B", "moto g power 5G - 2024", "SM-A155F"}
}

func chromeVersion(r *rng) int { return 138 + r.weighted(1, 2, 3, 5, 10, 12) }

func firefoxVersion(r *rng) int { return pick(r, []int{128, 140, 143, 144, 145, 145}) }

func desktopUA(r *rng, country string) string {
	cv := chromeVersion(r)
	switch r.weighted(70, 22, 3, 5) {
	case 0: // Windows
		switch {
		case country == "RU" && r.chance(0.25):
			return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 YaBrowser/25.%d.0.0 Safari/537.36", cv-4, r.between(6, 10))
		}
		switch r.weighted(65, 20, 12, 3) {
		case 0:
			return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv)
		case 1:
			return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.%d", cv, cv, r.between(3300, 3600), r.between(40, 120))
		case 2:
			fv := firefoxVersion(r)
			return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", fv, fv)
		default:
			return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 OPR/%d.0.0.0", cv, cv-17)
		}
	case 1: // Mac
		switch r.weighted(50, 45, 5) {
		case 0:
			return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Safari/605.1.15", pick(r, []string{"18.5", "18.6", "26.0", "26.0.1", "26.1", "26.1"}))
		case 1:
			return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv)
		default:
			fv := firefoxVersion(r)
			return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%d.0) Gecko/20100101 Firefox/%d.0", fv, fv)
		}
	case 2: // Linux
		fv := firefoxVersion(r)
		switch r.weighted(35, 25, 40) {
		case 0:
			return fmt.Sprintf("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", fv, fv)
		case 1:
			return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", fv, fv)
		default:
			return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv)
		}
	default:
		return chromeOSUA(r, cv)
	}
}

func chromeOSUA(r *rng, cv int) string {
	return fmt.Sprintf("Mozilla/5.0 (X11; CrOS x86_64 %d.%d.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 16000+(cv-138)*60+r.between(0, 40), r.between(20, 90), cv)
}

func windowsChromeUA(cv int) string {
	return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", cv)
}

func iphoneBrowserUA(r *rng) string {
	if r.chance(0.15) {
		cv := chromeVersion(r)
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/%d.0.%d.%d Mobile/15E148 Safari/604.1", cv, r.between(7200, 7500), r.between(30, 120))
	}
	// iOS 26 freezes the OS version in the user agent at 18_6.
	if r.chance(0.55) {
		return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", pick(r, []string{"26.0", "26.0.1", "26.1"}))
	}
	v := pick(r, [][2]string{{"17_7", "17.7"}, {"18_5", "18.5"}, {"18_6", "18.6"}, {"18_6_2", "18.6"}})
	return fmt.Sprintf("Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%s Mobile/15E148 Safari/604.1", v[0], v[1])
}

func androidBrowserUA(r *rng, country string) string {
	cv := chromeVersion(r)
	switch {
	case country == "IN" && r.chance(0.08):
		return "Mozilla/5.0 (Linux; U; Android 11; en-US; RMX2185 Build/RP1A.200720.011) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.80 UCBrowser/13.4.0.1306 Mobile Safari/537.36"
	case country == "NG" && r.chance(0.2):
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36 OPR/%d.%d.%d.%d", cv, 90-(143-cv), r.between(0, 3), r.between(2200, 2400), r.between(10000, 99999))
	case r.chance(0.18):
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%d.0 Chrome/%d.0.0.0 Mobile Safari/537.36", r.between(13, 16), pick(r, []string{"SM-S921B", "SM-A546B", "SM-A155F", "SM-G991B", "SM-S918B"}), r.between(27, 29), cv-10)
	}
	return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", cv)
}

// tzOffset is the standard UTC offset of the zones the generator uses, in
// minutes. Daylight saving is left out: it would only shift the daily
// volume curve by an hour for part of the year.
func tzOffset(tz string) int {
	switch tz {
	case "America/New_York", "America/Detroit", "America/Indiana/Indianapolis":
		return -5 * 60
	case "America/Chicago":
		return -6 * 60
	case "America/Denver", "America/Phoenix":
		return -7 * 60
	case "America/Los_Angeles":
		return -8 * 60
	case "America/Sao_Paulo":
		return -3 * 60
	case "Europe/London", "UTC":
		return 0
	case "Europe/Berlin", "Europe/Paris", "Europe/Amsterdam", "Africa/Lagos":
		return 60
	case "Europe/Kyiv":
		return 120
	case "Europe/Moscow":
		return 180
	case "Asia/Kolkata":
		return 330
	case "Asia/Shanghai", "Asia/Manila", "Asia/Singapore":
		return 480
	case "Asia/Tokyo", "Asia/Seoul", "Asia/Pyongyang":
		return 540
	}
	return 0
}

// localHour is the hour of day of t in zone tz.
func localHour(t time.Time, tz string) int {
	return t.Add(time.Duration(tzOffset(tz)) * time.Minute).UTC().Hour()
}

// diurnal is the relative signup volume by local hour: quiet at night,
// busiest late morning and evening.
var diurnal = [24]float64{
	0.25, 0.15, 0.10, 0.08, 0.08, 0.12, 0.25, 0.45, 0.65, 0.80, 0.90, 0.95,
	1.00, 0.95, 0.95, 0.95, 0.90, 0.90, 0.95, 1.00, 1.00, 0.90, 0.70, 0.45,
}

// humanTime draws an instant in [from, to) weighted by the daily cycle of a
// person in zone tz (rejection sampling, so the result stays in range).
// Weekends are a little quieter.
func humanTime(r *rng, from, to time.Time, tz string) time.Time {
	span := to.Sub(from)
	for range 200 {
		t := from.Add(r.duration(span))
		local := t.Add(time.Duration(tzOffset(tz)) * time.Minute).UTC()
		w := diurnal[local.Hour()]
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
			w *= 0.85
		}
		if r.float() < w {
			return t
		}
	}
	return from.Add(r.duration(span))
}

// workTime draws an instant in [from, to) during the working hours of zone
// tz, on weekdays mostly: when people sign up at work, or operators work.
func workTime(r *rng, from, to time.Time, tz string, startHour, endHour int) time.Time {
	span := to.Sub(from)
	for range 400 {
		t := from.Add(r.duration(span))
		local := t.Add(time.Duration(tzOffset(tz)) * time.Minute).UTC()
		w := 0.03
		if h := local.Hour(); h >= startHour && h < endHour {
			w = 1
		}
		if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
			w *= 0.2
		}
		if r.float() < w {
			return t
		}
	}
	return from.Add(r.duration(span))
}

// humanFormFill is how long a person takes over the signup form, in ms:
// most take tens of seconds, password-manager users a few, and a long tail
// leaves the tab open for minutes.
func humanFormFill(r *rng) int64 {
	var ms float64
	switch r.weighted(80, 8, 12) {
	case 0:
		ms = r.lognormal(42000, 0.5)
	case 1:
		ms = r.lognormal(11000, 0.35)
	default:
		ms = r.lognormal(150000, 0.9)
	}
	return int64(math.Max(3500, math.Min(ms, 45*60*1000)))
}

// humanCaptcha is the score a captcha gives a person, in its usual steps.
// penalty (0..1) lowers it for networks the captcha distrusts: VPNs, shared
// campus addresses, Tor.
func humanCaptcha(r *rng, penalty float64) float64 {
	ws := []float64{78 * (1 - penalty), 12, 4 + 10*penalty, 4 + 14*penalty, 2 + 8*penalty}
	return []float64{0.9, 0.7, 0.5, 0.3, 0.1}[r.weighted(ws...)]
}
