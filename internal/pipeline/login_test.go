package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
)

// The addresses below are placed by the bundled test GeoIP databases
// (testdata/geoip, from internal/synth's plan).
const (
	nyHome     = "100.2.14.7"    // Verizon, New York
	nyHome2    = "67.243.9.20"   // Charter, New York
	nyMobile   = "174.192.%d.%d" // Verizon mobile, New York
	deMobile   = "176.0.%d.%d"   // Telefonica mobile, Berlin
	chiHome    = "73.44.5.6"     // Comcast, Chicago
	londonHome = "86.128.40.2"   // BT, London
	frankHome  = "93.192.7.9"    // Telekom, Frankfurt
	bengaluru  = "122.167.30.4"  // Airtel, Bengaluru
	beijing    = "123.112.44.5"  // China Unicom, Beijing
	moscow     = "178.64.3.3"    // Rostelecom, Moscow
	vpnLondon  = "89.238.136.20" // M247 VPN exit, London
	vpnFrank   = "212.102.35.40" // Datacamp VPN exit, Frankfurt
	campus     = "128.135.1.1"   // University of Chicago
	hostingNY  = "167.99.3.4"    // DigitalOcean, New York
	farmHome   = "99.56.77.8"    // AT&T, Chicago: the farm
	signupIP   = "73.97.%d.%d"   // Comcast, Seattle: where the farm's mailboxes signed up
	vpnSignup  = "146.70.16.%d"  // M247 VPN, Amsterdam
	loginStart = -25 * 24 * time.Hour
)

// loginRec is a successful login of acct from ip on device (none if "").
func loginRec(id, acct, ip, device string, at time.Time) pipeline.Record {
	dev := ""
	if device != "" {
		dev = `,"deviceId":"` + device + `"`
	}
	ts := at.UTC().Format(time.RFC3339)
	return pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Login","source":"s","time":"` + ts +
		`","detail":{"accountId":"` + acct + `","at":"` + ts + `","ip":"` + ip + `"` + dev + `,"protocol":"web"}}`)}
}

// signupRec is a plain signup of acct from ip, claiming country.
func signupRec(id, acct, ip, country string, at time.Time) pipeline.Record {
	ts := at.UTC().Format(time.RFC3339)
	return pipeline.Record{ID: id, Body: []byte(`{"id":"` + id + `","detail-type":"Mailbox Signup","source":"s","time":"` + ts +
		`","detail":{"accountId":"` + acct + `","address":"` + acct + `@mail.example","displayName":"Pat Lee","createdAt":"` + ts +
		`","ip":"` + ip + `","country":"` + country + `","timezone":"America/Chicago","acceptLanguage":"en-US"}}`)}
}

// run processes recs in batches and fails the test on any error.
func run(t *testing.T, p *pipeline.Pipeline, recs []pipeline.Record, batch int) []pipeline.Result {
	t.Helper()
	var out []pipeline.Result
	for i := 0; i < len(recs); i += batch {
		for _, r := range p.Process(context.Background(), recs[i:min(i+batch, len(recs))]) {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.RecordID, r.Err)
			}
			out = append(out, r)
		}
	}
	return out
}

// habit is an established person's logins: daily, from home and a phone,
// from start for days.
func habit(acct, home, device string, start time.Time, days int) []pipeline.Record {
	mobile := nyMobile
	if home == frankHome {
		mobile = deMobile
	}
	var recs []pipeline.Record
	for d := range days {
		day := start.Add(time.Duration(d) * 24 * time.Hour)
		for h, ip := range []string{home, fmt.Sprintf(mobile, 10+d%3, 5+d%7), home} {
			at := day.Add(time.Duration(8+5*h) * time.Hour)
			recs = append(recs, loginRec(fmt.Sprintf("%s-%d-%d", acct, d, h), acct, ip, device, at))
		}
	}
	return recs
}

func rulesOf(r pipeline.Result) []string {
	var out []string
	for _, x := range r.Reasons {
		out = append(out, x.Rule)
	}
	return out
}

func queued(t *testing.T, st store) map[string]queue.Item {
	t.Helper()
	items, err := st.ListQueue(context.Background(), queue.Pending, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]queue.Item{}
	for _, it := range items {
		out[it.AccountID] = it
	}
	return out
}

// TestImpossibleTravel: a US login, then the same account from Beijing or
// Moscow 20 minutes later, is queued for review with the jump in words; a
// genuine flight is not.
func TestImpossibleTravel(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		recs := habit("acc-jump", nyHome, "dev-j", start, 20)
		last := start.Add(20 * 24 * time.Hour)
		recs = append(recs,
			loginRec("j-us", "acc-jump", nyHome, "dev-j", last.Add(9*time.Hour)),
			loginRec("j-cn", "acc-jump", beijing, "dev-j", last.Add(9*time.Hour+20*time.Minute)),
			loginRec("j-ru", "acc-jump", moscow, "dev-j", last.Add(9*time.Hour+50*time.Minute)))
		res := run(t, p, recs, 100)
		cn, ru := res[len(res)-2], res[len(res)-1]
		if cn.Verdict != pipeline.Review || !slices.Contains(rulesOf(cn), "impossible_travel") {
			t.Errorf("Beijing 20 min after New York: %s %d %v, want review for impossible_travel", cn.Verdict, cn.Score, rulesOf(cn))
		}
		// Three countries in an hour, one jump impossible: no person does that.
		if ru.Verdict != pipeline.Suspend || !slices.Contains(rulesOf(ru), "impossible_travel") || !slices.Contains(rulesOf(ru), "several_countries") {
			t.Errorf("Moscow 30 min after Beijing: %s %v, want suspend for impossible_travel and several_countries", ru.Verdict, rulesOf(ru))
		}
		it, ok := queued(t, st)["acc-jump"]
		if !ok {
			t.Fatal("the jumping account is not queued")
		}
		if it.Action != queue.Suspend || it.Reasons[0].Rule != "impossible_travel" || !strings.Contains(it.Reasons[0].Detail, "km/h") {
			t.Errorf("queue item: %s %+v, want suspend explaining the speed first", it.Action, it.Reasons)
		}
		for _, r := range res[:len(res)-2] {
			if r.Verdict != pipeline.Allow {
				t.Errorf("%s: %s %v before the jump", r.RecordID, r.Verdict, rulesOf(r))
			}
		}
	})
}

// TestGenuineTravellersStayFree: flights taking the time flights take,
// home Wi-Fi and a carrier NAT, a VPN whose exit country changes, and hotel
// Wi-Fi abroad after the learning period are never queued.
func TestGenuineTravellersStayFree(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		var recs []pipeline.Record
		// New York to London: 7 h 30 in the air, then a week of hotel Wi-Fi.
		recs = append(recs, habit("acc-ny", nyHome, "dev-ny", start, 18)...)
		dep := start.Add(18*24*time.Hour + 18*time.Hour)
		recs = append(recs, loginRec("ny-out", "acc-ny", nyHome, "dev-ny", dep))
		for d := range 6 {
			recs = append(recs, loginRec(fmt.Sprintf("ny-lon-%d", d), "acc-ny", londonHome, "dev-ny", dep.Add(7*time.Hour+30*time.Minute+time.Duration(d)*24*time.Hour)))
		}
		// Frankfurt to Bengaluru: 9 h 30.
		recs = append(recs, habit("acc-fra", frankHome, "dev-fra", start, 16)...)
		fdep := start.Add(16*24*time.Hour + 12*time.Hour)
		recs = append(recs, loginRec("fra-out", "acc-fra", frankHome, "dev-fra", fdep),
			loginRec("fra-blr", "acc-fra", bengaluru, "dev-fra", fdep.Add(9*time.Hour+30*time.Minute)))
		// A VPN user whose exit moves between London and Frankfurt by the minute.
		recs = append(recs, habit("acc-vpn", nyHome2, "dev-vpn", start, 16)...)
		vday := start.Add(16*24*time.Hour + 20*time.Hour)
		for i, ip := range []string{vpnLondon, vpnFrank, vpnLondon, nyHome2} {
			recs = append(recs, loginRec(fmt.Sprintf("vpn-%d", i), "acc-vpn", ip, "dev-vpn", vday.Add(time.Duration(i)*10*time.Minute)))
		}
		slices.SortStableFunc(recs, func(a, b pipeline.Record) int { return strings.Compare(timeOf(a), timeOf(b)) })
		for _, r := range run(t, p, recs, 100) {
			if r.Verdict != pipeline.Allow {
				t.Errorf("%s: %s %d %v, want allow", r.RecordID, r.Verdict, r.Score, rulesOf(r))
			}
		}
		if q := queued(t, st); len(q) != 0 {
			t.Errorf("queued %v, want nothing", q)
		}
	})
}

func timeOf(r pipeline.Record) string {
	s := string(r.Body)
	i := strings.Index(s, `"time":"`)
	return s[i+8 : i+28]
}

// farm signs up n young mailboxes (from varied Seattle homes, some through
// a VPN) and signs them in from one home address and device within an
// hour, on each of days days: the signups first, then the logins.
func farm(n int, ip, device string, at time.Time, days int) []pipeline.Record {
	var recs []pipeline.Record
	for i := range n {
		acct := fmt.Sprintf("acc-farm-%02d", i)
		sip := fmt.Sprintf(signupIP, 1+i, 9+i)
		if i%3 == 0 {
			sip = fmt.Sprintf(vpnSignup, 10+i)
		}
		recs = append(recs, signupRec("su-"+acct, acct, sip, "US", at.Add(-time.Duration(10-i%5)*24*time.Hour+time.Duration(i)*time.Hour)))
	}
	slices.SortStableFunc(recs, func(a, b pipeline.Record) int { return strings.Compare(timeOf(a), timeOf(b)) })
	for d := range days {
		for i := range n {
			acct := fmt.Sprintf("acc-farm-%02d", i)
			recs = append(recs, loginRec(fmt.Sprintf("lg%d-%s", d, acct), acct, ip, device, at.Add(time.Duration(d)*24*time.Hour+time.Duration(i)*4*time.Minute)))
		}
	}
	return recs
}

// TestLaptopFarm: a dozen new mailboxes that begin signing in from one
// home address within an hour are no farm yet (a hotel or a café sees
// that too); when they come back the next day, each login in a batch of
// its own, they are queued from the farm threshold on, and the earlier
// ones at their next sign-in after the refresh period.
func TestLaptopFarm(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		at := now.Add(-3 * 24 * time.Hour)
		recs := farm(12, farmHome, "", at, 1)
		for _, r := range run(t, p, recs, 1)[12:] {
			if r.Verdict != pipeline.Allow {
				t.Errorf("%s: %s %v on the first day", r.RecordID, r.Verdict, rulesOf(r))
			}
		}
		day := func(n int, prefix string) []pipeline.Record {
			var out []pipeline.Record
			for i := range 12 {
				acct := fmt.Sprintf("acc-farm-%02d", i)
				out = append(out, loginRec(prefix+acct, acct, farmHome, "", at.Add(time.Duration(n)*24*time.Hour+time.Duration(i)*time.Minute)))
			}
			return out
		}
		flagged := 0
		for _, r := range run(t, p, day(1, "d2-"), 1) {
			if slices.Contains(rulesOf(r), "laptop_farm") {
				flagged++
			}
		}
		if flagged != 12-5 {
			t.Errorf("%d logins flagged as a farm on the second day, want the 7 from the 6th account back on", flagged)
		}
		run(t, p, day(2, "d3-"), 1)
		q := queued(t, st)
		for i := range 12 {
			acct := fmt.Sprintf("acc-farm-%02d", i)
			it, ok := q[acct]
			if !ok || !slices.ContainsFunc(it.Reasons, func(r queue.Reason) bool { return r.Rule == "laptop_farm" }) {
				t.Errorf("%s: not queued for laptop_farm (%+v)", acct, it.Reasons)
			}
			if ok && (it.Cluster == nil || !strings.HasPrefix(it.Cluster.Key, "login:lip#")) {
				t.Errorf("%s: cluster %+v, want the farm address's peer set", acct, it.Cluster)
			}
		}
	})
}

// TestDeviceFarm: new mailboxes signing in from one device day after day,
// each from its own address, are queued from the threshold on; a family of
// three on one laptop is not.
func TestDeviceFarm(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		at := now.Add(-2 * 24 * time.Hour)
		var recs []pipeline.Record
		for i := range 7 {
			acct := fmt.Sprintf("acc-dev-%d", i)
			recs = append(recs, signupRec("su-"+acct, acct, fmt.Sprintf(signupIP, 50+i, 1), "US", at.Add(-5*24*time.Hour+time.Duration(i)*time.Hour)))
		}
		for i := range 3 {
			acct := fmt.Sprintf("acc-fam-%d", i)
			recs = append(recs, signupRec("su-"+acct, acct, chiHome, "US", at.Add(-4*24*time.Hour+time.Duration(i)*time.Hour)))
		}
		for d := range 2 {
			for i := range 7 {
				acct := fmt.Sprintf("acc-dev-%d", i)
				recs = append(recs, loginRec(fmt.Sprintf("lg%d-%s", d, acct), acct, fmt.Sprintf(signupIP, 60+i, 2), "operator-laptop", at.Add(time.Duration(d)*24*time.Hour+time.Duration(i)*time.Minute)))
			}
			for i := range 3 {
				acct := fmt.Sprintf("acc-fam-%d", i)
				recs = append(recs, loginRec(fmt.Sprintf("lg%d-%s", d, acct), acct, chiHome, "family-laptop", at.Add(time.Duration(d)*24*time.Hour+time.Duration(i)*time.Minute)))
			}
		}
		res := run(t, p, recs, 1)
		var devFlag []string
		for _, r := range res {
			if slices.Contains(rulesOf(r), "device_farm") {
				devFlag = append(devFlag, r.AccountID)
			}
		}
		if want := []string{"acc-dev-4", "acc-dev-5", "acc-dev-6"}; !slices.Equal(devFlag, want) {
			t.Errorf("device_farm fired for %v, want %v", devFlag, want)
		}
		for id := range queued(t, st) {
			if strings.HasPrefix(id, "acc-fam") {
				t.Errorf("family mailbox %s queued", id)
			}
		}
	})
}

// TestCampusIsNoFarm: an address where many established accounts began
// signing in over the weeks before is no farm when a dozen new students
// join it in a week.
func TestCampusIsNoFarm(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		var recs []pipeline.Record
		for d := range 18 {
			for i := range 25 {
				acct := fmt.Sprintf("acc-staff-%d-%d", d, i)
				recs = append(recs, loginRec("c-"+acct, acct, campus, "", start.Add(time.Duration(d)*24*time.Hour+time.Duration(i)*time.Minute)))
			}
		}
		recs = append(recs, farm(12, campus, "", now.Add(-3*24*time.Hour), 3)...)
		for _, r := range run(t, p, recs, 100) {
			if r.Verdict != pipeline.Allow {
				t.Errorf("%s: %s %v on a campus", r.RecordID, r.Verdict, rulesOf(r))
			}
		}
	})
}

// TestQuietLoginsWriteNothing: once an account is learned, logins from
// its known addresses and device within the refresh period write nothing.
func TestQuietLoginsWriteNothing(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		counter := &faultStore{store: st}
		q := newPipelineAt(t, counter, func() time.Time { return now })
		run(t, q, habit("acc-q", nyHome, "dev-q", start, 16), 100)
		before := counter.writes
		// Three logins within an hour, 2 hours after the habit's last.
		last := start.Add(15*24*time.Hour + 18*time.Hour)
		var quiet []pipeline.Record
		for i := range 3 {
			quiet = append(quiet, loginRec(fmt.Sprintf("q-%d", i), "acc-q", nyHome, "dev-q", last.Add(2*time.Hour+time.Duration(i)*20*time.Minute)))
		}
		run(t, q, quiet, 100)
		if w := counter.writes - before; w != 0 {
			t.Errorf("%d writes for logins that teach nothing new, want 0", w)
		}
		// A new device is news.
		run(t, q, []pipeline.Record{loginRec("q-new", "acc-q", nyHome, "dev-new", last.Add(4*time.Hour))}, 100)
		if counter.writes == before {
			t.Error("a login from a new device wrote nothing")
		}
	})
}

// TestLoginDuplicates: a batch delivered again, and two deliveries at once,
// leave the queue and the histories as one delivery does.
func TestLoginDuplicates(t *testing.T) {
	t.Parallel()
	at := now.Add(-3 * 24 * time.Hour)
	recs := farm(9, farmHome, "farm-dev", at, 2)
	start := now.Add(loginStart)
	recs = append(recs, habit("acc-jump", nyHome, "dev-j", start, 3)...)
	recs = append(recs, loginRec("j-cn", "acc-jump", beijing, "dev-j", start.Add(2*24*time.Hour+18*time.Hour+20*time.Minute)))
	// One quiet login of a new account: its redelivery is no later than
	// what its history holds, and must not be counted again.
	recs = append(recs, loginRec("solo", "acc-solo", chiHome, "dev-s", at))
	keys := []string{"lgn#acc-jump", "lgn#acc-solo"}
	for i := range 9 {
		keys = append(keys, fmt.Sprintf("lgn#acc-farm-%02d", i))
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			clean := s.open(t)
			run(t, newPipelineAt(t, clean, func() time.Time { return now }), recs, 50)
			want, wantQ := records(t, clean, keys), queued(t, clean)
			if len(wantQ) < 2 {
				t.Fatalf("%d accounts queued: the test proves nothing", len(wantQ))
			}

			again := s.open(t)
			p := newPipelineAt(t, again, func() time.Time { return now })
			run(t, p, recs, 50)
			res := run(t, p, recs[9:], 50) // the logins again
			for _, r := range res {
				if r.Queued {
					t.Errorf("%s raised the queue on redelivery", r.RecordID)
				}
			}
			checkSame(t, "delivered twice", records(t, again, keys), want, queued(t, again), wantQ)

			both := s.open(t)
			p1 := newPipelineAt(t, both, func() time.Time { return now })
			p2 := newPipelineAt(t, both, func() time.Time { return now })
			run(t, p1, recs[:9], 50) // the signups
			var wg sync.WaitGroup
			for _, p := range []*pipeline.Pipeline{p1, p2} {
				wg.Go(func() {
					todo := recs[9:]
					for round := 0; len(todo) > 0 && round < 20; round++ {
						var fail []pipeline.Record
						for j, r := range p.Process(context.Background(), todo) {
							if r.Err != nil {
								fail = append(fail, todo[j])
							}
						}
						todo = fail
					}
					if len(todo) > 0 {
						t.Errorf("%d logins still failing", len(todo))
					}
				})
			}
			wg.Wait()
			checkSame(t, "two deliveries at once", records(t, both, keys), want, queued(t, both), wantQ)
		})
	}
}

func records(t *testing.T, st store, keys []string) map[string]string {
	t.Helper()
	recs, err := st.Records(context.Background(), keys, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, r := range recs {
		out[k] = string(r.Data)
	}
	return out
}

func checkSame(t *testing.T, what string, got, want map[string]string, gotQ, wantQ map[string]queue.Item) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: history %s differs", what, k)
		}
	}
	if len(gotQ) != len(wantQ) {
		t.Errorf("%s: %d queued, want %d", what, len(gotQ), len(wantQ))
	}
	for id, w := range wantQ {
		g := gotQ[id]
		if g.Score != w.Score || g.Action != w.Action || !slices.Equal(g.EventIDs, w.EventIDs) || len(g.Reasons) != len(w.Reasons) {
			t.Errorf("%s: %s: %s %d %v, want %s %d %v", what, id, g.Action, g.Score, g.EventIDs, w.Action, w.Score, w.EventIDs)
		}
	}
}

// TestLoginFaultAtEveryWrite fails each write of a login stream in turn,
// once before it is made and once after (a lost answer), retries the
// failed records, and checks the histories and the queue against one clean
// delivery.
func TestLoginFaultAtEveryWrite(t *testing.T) {
	t.Parallel()
	at := now.Add(-3 * 24 * time.Hour)
	signups := farm(8, farmHome, "farm-dev", at, 2)[:8]
	logins := farm(8, farmHome, "farm-dev", at, 2)[8:]
	start := now.Add(loginStart)
	logins = append(logins, habit("acc-jump", nyHome, "dev-j", start, 2)...)
	logins = append(logins, loginRec("j-cn", "acc-jump", beijing, "dev-j", start.Add(24*time.Hour+18*time.Hour+20*time.Minute)),
		loginRec("solo", "acc-solo", chiHome, "dev-s", at))
	keys := []string{"lgn#acc-jump", "lgn#acc-solo"}
	for i := range 8 {
		keys = append(keys, fmt.Sprintf("lgn#acc-farm-%02d", i))
	}
	const batch = 6
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			counter := &faultStore{store: s.open(t)}
			p := newPipelineAt(t, counter, func() time.Time { return now })
			run(t, p, signups, 50)
			before := counter.writes
			run(t, p, logins, batch)
			total := counter.writes - before
			want, wantQ := records(t, counter.store, keys), queued(t, counter.store)
			if len(wantQ) < 2 || total < 10 {
				t.Fatalf("%d queued, %d writes: the test proves nothing", len(wantQ), total)
			}
			step := 1
			if s.name == "dynamodb" {
				step = 3
			}
			for _, applied := range []bool{false, true} {
				for n := 1; n <= total; n += step {
					name := fmt.Sprintf("fail write %d of %d (applied %v)", n, total, applied)
					f := &faultStore{store: s.open(t)}
					c := &clock{now: now}
					q := newPipelineAt(t, f, c.Now)
					run(t, q, signups, 50)
					f.n, f.applied = f.writes+n, applied
					if failed := deliver(t, q, c, logins, batch); !f.fired || failed == 0 {
						t.Fatalf("%s: the fault did not fail a record", name)
					}
					checkSame(t, name, records(t, f.store, keys), want, queued(t, f.store), wantQ)
				}
			}
		})
	}
}

// TestLoginHistoryBounded: however many places, networks and devices an
// account signs in from, its history stays one small record, and it
// expires 60 days after its newest login, in both stores.
func TestLoginHistoryBounded(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		cities := []string{nyHome, londonHome, frankHome, bengaluru, beijing, moscow, chiHome, campus}
		var recs []pipeline.Record
		last := start
		for i := range 300 {
			last = start.Add(time.Duration(i) * 70 * time.Minute)
			ip := cities[i%len(cities)]
			ip = ip[:strings.LastIndex(ip, ".")] + fmt.Sprintf(".%d", 1+i%250)
			recs = append(recs, loginRec(fmt.Sprintf("b-%d", i), "acc-roam", ip, fmt.Sprintf("dev-%d", i), last))
		}
		run(t, p, recs, 100)
		got, err := st.Records(context.Background(), []string{"lgn#acc-roam"}, true)
		if err != nil {
			t.Fatal(err)
		}
		r, ok := got["lgn#acc-roam"]
		if !ok {
			t.Fatal("no login history")
		}
		if len(r.Data) > 1024 {
			t.Errorf("history of %d bytes after 300 logins from everywhere, want at most 1 KB (one write unit)", len(r.Data))
		}
		newest := last.Truncate(time.Minute)
		if want := newest.Add(60 * 24 * time.Hour).Unix(); r.Expires != want {
			t.Errorf("expires %s, want %s (60 days after the newest login)", time.Unix(r.Expires, 0).UTC(), time.Unix(want, 0).UTC())
		}
	})
}

// TestReleaseStandsAgainstLogins: a person's release stands against what
// was known when they decided; a later login that brings new evidence
// reopens the item, as review however high its score, and the same
// evidence again does not.
func TestReleaseStandsAgainstLogins(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, st store, p *pipeline.Pipeline) {
		start := now.Add(loginStart)
		recs := habit("acc-rel", nyHome, "dev-r", start, 16)
		jump := start.Add(16*24*time.Hour + 9*time.Hour)
		recs = append(recs, loginRec("r-us", "acc-rel", nyHome, "dev-r", jump),
			loginRec("r-cn", "acc-rel", beijing, "dev-r", jump.Add(20*time.Minute)))
		run(t, p, recs, 100)
		it, ok := queued(t, st)["acc-rel"]
		if !ok || it.Action != queue.Review {
			t.Fatalf("after the jump: %+v, want a review item", it)
		}
		released, err := queue.Decide(it, queue.Released, "alice", "travels for work", jump.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if errs := st.PutQueueItems(context.Background(), []queue.Write{{Item: released, PrevVersion: it.Version}}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		// The same jump again, the next day: known when alice decided.
		again := jump.Add(24 * time.Hour)
		run(t, p, []pipeline.Record{loginRec("r-us2", "acc-rel", nyHome, "dev-r", again),
			loginRec("r-cn2", "acc-rel", beijing, "dev-r", again.Add(20*time.Minute))}, 100)
		if _, ok := queued(t, st)["acc-rel"]; ok {
			t.Error("the same evidence after the release reopened the item")
		}
		// Three countries within the hour: new evidence, strong enough to
		// suspend on its own, reopens the item as review.
		third := again.Add(48 * time.Hour)
		res := run(t, p, []pipeline.Record{loginRec("r-us3", "acc-rel", nyHome, "dev-r", third),
			loginRec("r-cn3", "acc-rel", beijing, "dev-r", third.Add(20*time.Minute)),
			loginRec("r-ru3", "acc-rel", moscow, "dev-r", third.Add(40*time.Minute))}, 100)
		if last := res[len(res)-1]; last.Verdict != pipeline.Suspend {
			t.Fatalf("three countries in 40 minutes: %s %v, want a suspend verdict", last.Verdict, rulesOf(last))
		}
		it, ok = queued(t, st)["acc-rel"]
		if !ok || it.Action != queue.Review || it.DecidedBy != "alice" {
			t.Errorf("after new evidence: %+v, want pending review that still says who released it", it)
		}
	})
}
