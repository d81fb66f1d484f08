package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/claim"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/geo"
	"github.com/mailtrust/abusescan/internal/mail"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/synth"
	"github.com/mailtrust/abusescan/internal/versioned"
	"github.com/mailtrust/abusescan/internal/window"
)

// The figures of these benchmarks, and the commands that produce them, are
// in BENCHMARKS.md.

// BenchmarkReplay scores the 30-day backtest stream (about 48,000 signups)
// on a fresh embedded store per iteration, as `abusectl replay` does
// (batches of 500, no fsync, changed keys buffered and flushed in the
// background), and reports events per second.
func BenchmarkReplay(b *testing.B) {
	recs, _ := scenario(b, synth.Backtest())
	for _, clusters := range []bool{false, true} {
		b.Run(fmt.Sprintf("clusters=%v", clusters), func(b *testing.B) { replay(b, recs, clusters) })
	}
}

func replay(b *testing.B, recs []pipeline.Record, clusters bool) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := embedded.Open(filepath.Join(b.TempDir(), "replay.db"), embedded.Options{NoSync: true, Buffer: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		p := buildPipeline(b, st, nil, decision.DefaultPolicy(), setup.Clock{}, clusters)
		b.StartTimer()
		start := time.Now()
		processAll(ctx, b, p, recs, 500)
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(len(recs)*b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(recs)*b.N), "ns/event")
}

// BenchmarkDecodeLookup is the floor the pipeline is held against: merely
// decoding the same events and looking up their addresses.
func BenchmarkDecodeLookup(b *testing.B) {
	recs, _ := scenario(b, synth.Backtest())
	decodeLookup(b, recs, "event", nil)
}

// decodeLookup decodes recs and looks up each event's address, b.N times,
// and reports the rate per unit (event, login). With objs, it also reads
// each message's object and parses it, as the message path must.
func decodeLookup(b *testing.B, recs []pipeline.Record, unit string, objs pipeline.Objects) {
	b.Helper()
	ctx := context.Background()
	g := openGeo(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		for _, r := range recs {
			ev, err := event.Decode(r.Body)
			if err != nil {
				b.Fatal(err)
			}
			switch {
			case ev.Signup != nil:
				g.Lookup(ev.Signup.IP)
			case ev.Login != nil:
				g.Lookup(ev.Login.IP)
			case ev.Message != nil && objs != nil:
				raw, err := objs.Read(ctx, ev.Message.Object.Bucket, ev.Message.Object.Key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := mail.Parse(raw, mail.DefaultLimits()); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(len(recs)*b.N)/elapsed.Seconds(), unit+"s/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(len(recs)*b.N), "ns/"+unit)
}

// openGeo opens the test GeoIP databases, closed when b ends.
func openGeo(b *testing.B) *geo.Reader {
	b.Helper()
	g, err := geo.Open(geo.Config{
		CityPath: filepath.Join(geoDir, "GeoIP2-City-Test.mmdb"),
		ASNPath:  filepath.Join(geoDir, "GeoLite2-ASN-Test.mmdb"),
		AnonPath: filepath.Join(geoDir, "GeoIP2-Anonymous-IP-Test.mmdb"),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

// BenchmarkDynamoCost replays traffic into DynamoDB (dynalite) in batches of
// 100, the functions' SQS batch size, and reports requests and write units
// per signup as DynamoDB's ConsumedCapacity counts them, tables and indexes.
func BenchmarkDynamoCost(b *testing.B) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	mixes := []struct {
		name string
		cfg  synth.Config
	}{
		{"genuine", synth.Config{Seed: 5, Start: start, Days: 1, GenuinePerDay: 1500}},
		{"bot-wave", synth.Config{Seed: 6, Start: start, Days: 1, GenuinePerDay: 1,
			Campaigns: []synth.Campaign{{ID: "w", Type: synth.BotWave, Start: start.Add(2 * time.Hour), Accounts: 1000, Spread: 30 * time.Minute}}}},
		{"mixed", synth.Config{Seed: 7, Start: start, Days: 1, GenuinePerDay: 1500,
			Campaigns: []synth.Campaign{
				{ID: "w", Type: synth.BotWave, Start: start.Add(9 * time.Hour), Accounts: 400, Spread: 20 * time.Minute},
				{ID: "f", Type: synth.ITWorkerFarm, Start: start.Add(time.Hour), Accounts: 60, Spread: 20 * time.Hour},
			}}},
	}
	for _, m := range mixes {
		for _, clusters := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/clusters=%v", m.name, clusters), func(b *testing.B) { signupCost(b, m.cfg, clusters) })
		}
	}
}

func signupCost(b *testing.B, cfg synth.Config, clusters bool) {
	{
		{
			recs, _ := scenario(b, cfg)
			ctx := context.Background()
			var reqs, wcu, rcu, iwcu float64
			byCall := map[string]float64{}
			for b.Loop() {
				b.StopTimer()
				st := dynamo.New(dynamotest.Client(b), dynamotest.Tables(b))
				split := &costSplit{Store: st, wcu: map[string]float64{}}
				p := buildPipeline(b, split, nil, decision.DefaultPolicy(), setup.Clock{}, clusters)
				b.StartTimer()
				for _, r := range processAll(ctx, b, p, recs, 100) {
					if r.Err != nil {
						b.Fatalf("%s: %v", r.RecordID, r.Err)
					}
				}
				u := st.Usage()
				reqs += float64(u.Requests)
				wcu += u.WriteUnits
				rcu += u.ReadUnits
				iwcu += u.IndexWriteUnits
				for k, v := range split.wcu {
					byCall[k] += v
				}
			}
			n := float64(len(recs) * b.N)
			b.ReportMetric(reqs/n, "requests/signup")
			b.ReportMetric(wcu/n, "WCU/signup")
			b.ReportMetric(rcu/n, "RCU/signup")
			b.ReportMetric(iwcu/n, "indexWCU/signup")
			for k, v := range byCall {
				b.ReportMetric(v/n, k+"-WCU/signup")
			}
		}
	}
}

var _ pipeline.Store = (*dynamo.Store)(nil)

// costSplit attributes write units to the kind of write that spent them.
type costSplit struct {
	*dynamo.Store
	wcu map[string]float64
}

func (c *costSplit) measure(name string, f func()) {
	before := c.Store.Usage().WriteUnits
	f()
	c.wcu[name] += c.Store.Usage().WriteUnits - before
}

func (c *costSplit) UpdateKeys(ctx context.Context, ds []window.Delta) (errs []error) {
	for _, d := range ds {
		c.measure(string(d.Key.Kind()), func() { errs = append(errs, c.Store.UpdateKeys(ctx, []window.Delta{d})...) })
	}
	return errs
}

func (c *costSplit) PutRecords(ctx context.Context, ws []versioned.Write) (errs []error) {
	for _, w := range ws {
		c.measure(w.Key[:3], func() { errs = append(errs, c.Store.PutRecords(ctx, []versioned.Write{w})...) })
	}
	return errs
}

func (c *costSplit) CreateAccounts(ctx context.Context, as []account.Account) (errs []error) {
	c.measure("account", func() { errs = c.Store.CreateAccounts(ctx, as) })
	return errs
}

func (c *costSplit) PutClaims(ctx context.Context, ws []claim.Write) (errs []error) {
	c.measure("claim", func() { errs = c.Store.PutClaims(ctx, ws) })
	return errs
}

func (c *costSplit) PutQueueItems(ctx context.Context, ws []queue.Write) (errs []error) {
	c.measure("queue", func() { errs = c.Store.PutQueueItems(ctx, ws) })
	return errs
}
