package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/synth"
)

// The figures of these benchmarks, and the commands that produce them, are
// in BENCHMARKS.md ("Replay of the whole mix").

// mixStream is the 30-day backtest stream as abusectl backtest replays it:
// signups, the accounts' sign-ins and their outbound messages, in time
// order, with the objects the messages refer to.
type mixStream struct {
	all                       []pipeline.Record
	signups, logins, messages []pipeline.Record
	objs                      *memObjects // rendered before any timing
	bytes                     int64       // of the rendered messages
}

func newMixStream(b *testing.B) mixStream {
	b.Helper()
	cfg := synth.Backtest()
	cfg.Logins, cfg.Messages = true, true
	evs, _, objs, err := synth.GenerateAll(cfg)
	if err != nil {
		b.Fatal(err)
	}
	m := mixStream{objs: &memObjects{objs: map[string][]byte{}}}
	var keys []string
	for i, e := range evs {
		body, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		r := pipeline.Record{ID: fmt.Sprintf("r%d", i), Body: body}
		m.all = append(m.all, r)
		switch {
		case e.Signup != nil:
			m.signups = append(m.signups, r)
		case e.Login != nil:
			m.logins = append(m.logins, r)
		default:
			m.messages = append(m.messages, r)
			keys = append(keys, e.Message.Object.Bucket+"/"+e.Message.Object.Key)
		}
	}
	// synth.Objects renders a message (its images encoded) on every read:
	// render each once, on every core, outside the timed part.
	raws := make([][]byte, len(keys))
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	next := atomic.Int64{}
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(keys); i = int(next.Add(1) - 1) {
				bucket, key, _ := strings.Cut(keys[i], "/")
				raw, err := objs.Read(context.Background(), bucket, key)
				if err != nil {
					failed.Store(&err)
					return
				}
				raws[i] = raw
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	for i, k := range keys {
		m.objs.objs[k] = raws[i]
		m.bytes += int64(len(raws[i]))
	}
	return m
}

// BenchmarkReplayMix replays the whole 30-day stream (about 51,000
// signups, 251,000 sign-ins and 94,000 outbound messages) on a fresh
// embedded store per iteration, as abusectl replay does (batches of 500,
// no fsync, a write buffer, campaign clusters on), and reports events per
// second: "mix" in time order; "kinds" the same events kind after kind
// (every signup, then every sign-in, then every message: a valid order,
// each account's events come after its signup), with each kind's rate.
func BenchmarkReplayMix(b *testing.B) {
	m := newMixStream(b)
	b.Run("mix", func(b *testing.B) {
		elapsed := replayParts(b, m, [][]pipeline.Record{m.all})
		b.ReportMetric(float64(len(m.all)*b.N)/elapsed[0].Seconds(), "events/s")
		b.ReportMetric(float64(elapsed[0].Nanoseconds())/float64(len(m.all)*b.N), "ns/event")
	})
	b.Run("kinds", func(b *testing.B) {
		parts := [][]pipeline.Record{m.signups, m.logins, m.messages}
		elapsed := replayParts(b, m, parts)
		var total time.Duration
		for i, unit := range []string{"signups", "logins", "msgs"} {
			b.ReportMetric(float64(len(parts[i])*b.N)/elapsed[i].Seconds(), unit+"/s")
			total += elapsed[i]
		}
		b.ReportMetric(float64(len(m.all)*b.N)/total.Seconds(), "events/s")
	})
}

// replayParts replays each part in turn, b.N times on a fresh store, and
// returns the time each part took in all.
func replayParts(b *testing.B, m mixStream, parts [][]pipeline.Record) []time.Duration {
	ctx := context.Background()
	elapsed := make([]time.Duration, len(parts))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st, err := embedded.Open(filepath.Join(b.TempDir(), "replay.db"), embedded.Options{NoSync: true, Buffer: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		p := buildPipeline(b, st, m.objs, decision.DefaultPolicy(), setup.Clock{}, true)
		b.StartTimer()
		for i, part := range parts {
			start := time.Now()
			for _, r := range processAll(ctx, b, p, part, 500) {
				if r.Err != nil {
					b.Fatalf("%s: %v", r.RecordID, r.Err)
				}
			}
			elapsed[i] += time.Since(start)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return elapsed
}

// BenchmarkMixDecodeLookup is the floor BenchmarkReplayMix is held
// against, on one goroutine: decoding every event and looking up its
// address ("geo"), and the same with each message's object read and
// parsed ("parse"), since a message's content is what its event carries.
func BenchmarkMixDecodeLookup(b *testing.B) {
	m := newMixStream(b)
	b.Run("geo", func(b *testing.B) { decodeLookup(b, m.all, "event", nil) })
	b.Run("parse", func(b *testing.B) { decodeLookup(b, m.all, "event", m.objs) })
}
