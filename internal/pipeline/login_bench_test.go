package pipeline_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/synth"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// The figures of these benchmarks, and the commands that produce them, are
// in BENCHMARKS.md.

// loginStream splits a generated stream with sign-ins into its signups
// and its logins, each in time order. Scoring every signup before every
// login is a valid order: each account's logins come after its signup.
func loginStream(b *testing.B, cfg synth.Config) (signups, logins []pipeline.Record, at []time.Time) {
	b.Helper()
	cfg.Logins = true
	recs, _ := scenario(b, cfg)
	for _, r := range recs {
		if strings.Contains(string(r.Body), `"detail-type":"Mailbox Login"`) {
			ev, err := event.Decode(r.Body)
			if err != nil {
				b.Fatal(err)
			}
			logins = append(logins, r)
			at = append(at, ev.Login.At)
			continue
		}
		signups = append(signups, r)
	}
	return signups, logins, at
}

// BenchmarkLoginReplay scores the backtest stream's sign-ins (about
// 170,000) on an embedded store that already holds its signups, as
// `abusectl replay` does (batches of 500, no fsync, a write buffer), and
// reports logins per second. BenchmarkLoginDecodeLookup is its floor.
func BenchmarkLoginReplay(b *testing.B) {
	signups, logins, _ := loginStream(b, synth.Backtest())
	for _, clusters := range []bool{false, true} {
		b.Run(fmt.Sprintf("clusters=%v", clusters), func(b *testing.B) { loginReplay(b, signups, logins, clusters) })
	}
}

func loginReplay(b *testing.B, signups, logins []pipeline.Record, clusters bool) {
	ctx := context.Background()
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := embedded.Open(filepath.Join(b.TempDir(), "replay.db"), embedded.Options{NoSync: true, Buffer: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		p := buildPipeline(b, st, nil, decision.DefaultPolicy(), setup.Clock{}, clusters)
		processAll(ctx, b, p, signups, 500)
		b.StartTimer()
		start := time.Now()
		for _, r := range processAll(ctx, b, p, logins, 500) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.RecordID, r.Err)
			}
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(len(logins)*b.N)/elapsed.Seconds(), "logins/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(logins)*b.N), "ns/login")
}

// BenchmarkLoginDecodeLookup is the floor the login path is held against:
// merely decoding the same sign-ins and looking up their addresses.
func BenchmarkLoginDecodeLookup(b *testing.B) {
	_, logins, _ := loginStream(b, synth.Backtest())
	decodeLookup(b, logins, "login", nil)
}

// BenchmarkLoginCost replays a generated stream with sign-ins into
// DynamoDB (dynalite): its first two weeks warm the store up (every
// account new to the scanner is learned then, as in a deployment's first
// weeks), and the sign-ins of the third week are measured in batches of
// 100, the Kinesis batch size, as DynamoDB's ConsumedCapacity counts them.
func BenchmarkLoginCost(b *testing.B) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cfg := synth.Config{Seed: 11, Start: start, Days: 21, GenuinePerDay: 150,
		Campaigns: []synth.Campaign{
			{ID: "farm", Type: synth.LaptopFarm, Start: start.Add(3 * 24 * time.Hour), Accounts: 14, Spread: 4 * 24 * time.Hour},
			{ID: "itw", Type: synth.ITWorkerFarm, Start: start.Add(2 * 24 * time.Hour), Accounts: 30, Spread: 6 * 24 * time.Hour},
		}}
	signups, logins, at := loginStream(b, cfg)
	for _, clusters := range []bool{false, true} {
		b.Run(fmt.Sprintf("clusters=%v", clusters), func(b *testing.B) {
			measureLogins(b, signups, logins, at, start.Add(14*24*time.Hour), clusters)
		})
	}
}

// measureLogins scores signups and the logins before from on a fresh
// DynamoDB (dynalite), then reports what the logins from then on cost, in
// batches of 100.
func measureLogins(b *testing.B, signups, logins []pipeline.Record, at []time.Time, from time.Time, clusters bool) {
	b.Helper()
	split := 0
	for split < len(logins) && at[split].Before(from) {
		split++
	}
	measureCost(b, "login", 100, func(st pipeline.Store) *pipeline.Pipeline {
		return buildPipeline(b, st, nil, decision.DefaultPolicy(), setup.Clock{}, clusters)
	}, signups, logins[:split], logins[split:])
}

// measureCost scores signups (in batches of 100) and then warm (in batches
// of batch) on a fresh DynamoDB (dynalite) through the pipeline newP
// builds, and reports what measured costs per event (unit), as
// ConsumedCapacity counts it, write units also by the record kind they
// went to.
func measureCost(b *testing.B, unit string, batch int, newP func(pipeline.Store) *pipeline.Pipeline, signups, warm, measured []pipeline.Record) {
	b.Helper()
	ctx := context.Background()
	var reqs, wcu, rcu float64
	byKind := map[string]float64{}
	for b.Loop() {
		b.StopTimer()
		st := dynamo.New(dynamotest.Client(b), dynamotest.Tables(b))
		counted := &recordCost{Store: st, wcu: map[string]float64{}}
		p := newP(counted)
		processAll(ctx, b, p, signups, 100)
		processAll(ctx, b, p, warm, batch)
		before := st.Usage()
		clear(counted.wcu)
		b.StartTimer()
		for _, r := range processAll(ctx, b, p, measured, batch) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.RecordID, r.Err)
			}
		}
		u := st.Usage()
		reqs += float64(u.Requests - before.Requests)
		wcu += u.WriteUnits - before.WriteUnits
		rcu += u.ReadUnits - before.ReadUnits
		for k, v := range counted.wcu {
			byKind[k] += v
		}
	}
	n := float64(len(measured) * b.N)
	b.ReportMetric(float64(len(measured)), unit+"s")
	b.ReportMetric(reqs/n, "requests/"+unit)
	b.ReportMetric(wcu/n, "WCU/"+unit)
	b.ReportMetric(rcu/n, "RCU/"+unit)
	for k, v := range byKind {
		b.ReportMetric(v/n, k+"-WCU/"+unit)
	}
}

// recordCost attributes the write units of versioned records to what they
// hold: login histories, address and device peer sets; and the queue's.
type recordCost struct {
	*dynamo.Store
	wcu map[string]float64
}

func (c *recordCost) PutRecords(ctx context.Context, ws []versioned.Write) []error {
	errs := make([]error, 0, len(ws))
	for _, w := range ws {
		before := c.Store.Usage().WriteUnits
		errs = append(errs, c.Store.PutRecords(ctx, []versioned.Write{w})...)
		c.wcu[w.Key[:3]] += c.Store.Usage().WriteUnits - before
	}
	return errs
}

// steadyLogins generates the login stream of a deployment past its first
// weeks: established accounts whose mail clients sign in again and again
// (a laptop at home, a phone on a carrier NAT by day and on home Wi-Fi in
// the evening, every 20 minutes to 2 hours while in use), the odd new
// device, and a few new mailboxes signing up and in. Most logins repeat a
// known network and device; what a login costs then depends on how often
// its account's stored last-seen time needs refreshing.
func steadyLogins(accounts, days int, start time.Time) (signups, logins []pipeline.Record, at []time.Time) {
	r := rand.New(rand.NewPCG(uint64(accounts), uint64(days)))
	// A home line and a carrier of the same city, by the test GeoIP data.
	cities := []struct{ home, carrier string }{
		{"73.44", "172.56"}, {"99.56", "172.56"}, // Chicago
		{"100.2", "174.192"}, {"67.243", "174.192"}, // New York
		{"70.112", "107.77.200"}, // Austin (a /18)
		{"73.97", "172.58"},      // Seattle
	}
	type person struct {
		id, home, laptop, phone string
		mobile                  []string
		young                   bool
	}
	var people []person
	for i := range accounts {
		city := cities[r.IntN(len(cities))]
		p := person{id: fmt.Sprintf("acc-st-%05d", i),
			home:   fmt.Sprintf("%s.%d.%d", city.home, r.IntN(250)+1, r.IntN(250)+1),
			laptop: fmt.Sprintf("lap-%d", i), phone: fmt.Sprintf("ph-%d", i),
			young: r.IntN(100) < 3}
		for range 3 {
			if strings.Count(city.carrier, ".") == 2 {
				p.mobile = append(p.mobile, fmt.Sprintf("%s.%d", city.carrier, r.IntN(250)+1))
			} else {
				p.mobile = append(p.mobile, fmt.Sprintf("%s.%d.%d", city.carrier, r.IntN(250)+1, r.IntN(250)+1))
			}
		}
		if p.young {
			su := signupRec("su-"+p.id, p.id, p.home, "US", start.Add(-time.Duration(r.IntN(20*24))*time.Hour))
			signups = append(signups, su)
		}
		people = append(people, p)
	}
	type stamped struct {
		at  time.Time
		rec pipeline.Record
	}
	var all []stamped
	n := 0
	for _, p := range people {
		for d := range days {
			day := start.Add(time.Duration(d) * 24 * time.Hour)
			for t := day.Add(7*time.Hour + time.Duration(r.IntN(60))*time.Minute); t.Before(day.Add(23 * time.Hour)); t = t.Add(time.Duration(20+r.IntN(100)) * time.Minute) {
				ip, dev := p.home, p.laptop
				if h := t.Sub(day).Hours(); h >= 8 && h < 18 && r.IntN(2) == 0 {
					ip, dev = p.mobile[r.IntN(len(p.mobile))], p.phone
				} else if r.IntN(3) == 0 {
					dev = p.phone
				}
				if r.IntN(400) == 0 {
					dev = fmt.Sprintf("new-%d", n) // a new browser
				}
				n++
				all = append(all, stamped{t, loginRec(fmt.Sprintf("st-%d", n), p.id, ip, dev, t)})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b stamped) int { return a.at.Compare(b.at) })
	for _, s := range all {
		logins = append(logins, s.rec)
		at = append(at, s.at)
	}
	return signups, logins, at
}

// BenchmarkLoginCostSteady is BenchmarkLoginCost on steadyLogins: 300
// accounts over 5 days, the first 2 warming the store up (every account
// is past its learning period by then), the last 3 measured.
func BenchmarkLoginCostSteady(b *testing.B) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	signups, logins, at := steadyLogins(300, 5, start)
	measureLogins(b, signups, logins, at, start.Add(2*24*time.Hour), false)
}

// BenchmarkLoginQuiet measures the login that teaches nothing new: after
// the backtest stream's signups and sign-ins, every account signs in once
// more from its last address and device a minute after its last sign-in
// (untimed); the accounts whose history that rewrote (still learning, or
// a place due a refresh) are left out, and the others sign in again a
// minute later, timed, in batches of 500. It fails unless at least 95% of
// those write nothing, so that it measures the quiet path; it reports
// allocations per login ("allocs/login").
func BenchmarkLoginQuiet(b *testing.B) {
	signups, logins, _ := loginStream(b, synth.Backtest())
	last := map[string]event.Event{}
	for _, r := range logins {
		ev, err := event.Decode(r.Body)
		if err != nil {
			b.Fatal(err)
		}
		last[ev.Login.AccountID] = ev
	}
	accounts := slices.Sorted(maps.Keys(last))
	again := func(ids []string, after time.Duration, round int) []pipeline.Record {
		out := make([]pipeline.Record, len(ids))
		for i, id := range ids {
			ev := last[id]
			lg := *ev.Login
			lg.At = lg.At.Add(after)
			ev.ID, ev.Time, ev.Login = fmt.Sprintf("quiet-%d-%d", round, i), lg.At, &lg
			body, err := event.Marshal(ev)
			if err != nil {
				b.Fatal(err)
			}
			out[i] = pipeline.Record{ID: ev.ID, Body: body}
		}
		return out
	}
	ctx := context.Background()
	versions := func(st pipeline.Store, ids []string) map[string]int64 {
		keys := make([]string, len(ids))
		for i, id := range ids {
			keys[i] = pipeline.LoginKey(id)
		}
		recs, err := st.Records(ctx, keys, true)
		if err != nil {
			b.Fatal(err)
		}
		out := make(map[string]int64, len(ids))
		for i, id := range ids {
			out[id] = recs[keys[i]].Version
		}
		return out
	}
	b.ReportAllocs()
	var mallocs uint64
	var quiet, wrote int
	for b.Loop() {
		b.StopTimer()
		st, err := embedded.Open(filepath.Join(b.TempDir(), "replay.db"), embedded.Options{NoSync: true, Buffer: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		p := buildPipeline(b, st, nil, decision.DefaultPolicy(), setup.Clock{}, true)
		processAll(ctx, b, p, signups, 500)
		processAll(ctx, b, p, logins, 500)
		before := versions(st, accounts)
		processAll(ctx, b, p, again(accounts, time.Minute, 1), 500)
		mid := versions(st, accounts)
		var settled []string
		for _, id := range accounts {
			if mid[id] == before[id] {
				settled = append(settled, id)
			}
		}
		recs := again(settled, 2*time.Minute, 2)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		start := ms.Mallocs
		b.StartTimer()
		for _, r := range processAll(ctx, b, p, recs, 500) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.RecordID, r.Err)
			}
		}
		b.StopTimer()
		runtime.ReadMemStats(&ms)
		mallocs += ms.Mallocs - start
		after := versions(st, settled)
		for _, id := range settled {
			if after[id] != mid[id] {
				wrote++
			}
		}
		quiet += len(settled)
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	if quiet == 0 || wrote*20 > quiet {
		b.Fatalf("%d of %d quiet logins wrote their history: not the quiet path", wrote, quiet)
	}
	b.ReportMetric(float64(mallocs)/float64(quiet), "allocs/login")
	b.ReportMetric(float64(quiet)/float64(b.N), "logins")
}
