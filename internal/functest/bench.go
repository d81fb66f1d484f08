package functest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"gopkg.in/yaml.v3"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/redact"
	"github.com/mailtrust/abusescan/internal/setup"
)

// Bench is a scoring function's handler benchmark (each function's
// BenchmarkHandlerBatch100): a replay of a synthetic stream's events, in
// batches of the function's trigger, through the function as its main
// wires it, over an embedded store instead of DynamoDB. What is the
// function's own it is given (its handler, its id in template.yaml) or
// given built (its trigger's records, through a Batcher); the rest, the
// same for every function, is here.
type Bench struct {
	// Function is the function's id in template.yaml, whose MemorySize
	// the cost per million events is figured at.
	Function string
	// NewHandler is the function's newHandler, wrapped as main wraps it:
	// lambda.NewHandler(invoke.Raw(...)).
	NewHandler func(p invoke.Processor, log *slog.Logger, metricsOut io.Writer) Handler
	// Signups, if any, are scored through the same pipeline, untimed,
	// before each replay, so that the replayed events' accounts exist.
	Signups []SignupBatch
	// Objects is the raw messages' store; nil for none.
	Objects pipeline.Objects
	// Check, if set, is called after each replay's own checks, with the
	// timer stopped, for what else the function must have done.
	Check func(b *testing.B)
}

// Run replays batches, in order, once per iteration of b.Loop, each time
// on a fresh function and embedded store (no fsync, write-behind buffer).
// Only the Invoke calls are timed.
//
// It fails b if an invocation returns an error or its response lists a
// failed record (batchItemFailures, absent or null counting as failed),
// or unless the function's metrics count every event received and every
// one scored but those skipped by design, so that it never measures an
// error path.
//
// It reports ms/batch, µs/event, events/s, allocs/event
// (runtime.MemStats.Mallocs over the timed part, the store's background
// flushes included) and GB-s/Mevents: seconds per event × 1e6 × the
// function's MemorySize in template.yaml, in GB. Lambda gives CPU in
// proportion to memory (1,769 MB is one vCPU), so run it with -cpu 1 as
// well: at a MemorySize of m MB (below 1,769) a CPU-bound event takes
// about 1769/m times its -cpu 1 time, which makes the deployed cost about
// 1769/1024 = 1.73 GB-s per second of one core whatever the MemorySize.
func (bn Bench) Run(b *testing.B, batches []Batch) {
	b.Helper()
	memoryMB := memorySize(b, bn.Function)
	var m measure
	for b.Loop() {
		b.StopTimer()
		st, err := embedded.Open(filepath.Join(b.TempDir(), "state.db"), embedded.Options{NoSync: true, Buffer: 100_000})
		if err != nil {
			b.Fatal(err)
		}
		f := bn.newFunction(b, st)
		if len(bn.Signups) > 0 {
			for _, s := range bn.Signups {
				f.clock.set(s.at)
				for _, r := range f.sc.Pipeline.Process(context.Background(), s.recs) {
					if r.Err != nil {
						b.Fatalf("signup %s: %v", r.RecordID, r.Err)
					}
				}
			}
			if err := st.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		outs := m.run(b, f, batches)
		for i, out := range outs {
			// The failed records, as an SQS and a Kinesis response both
			// list them.
			var resp struct {
				BatchItemFailures []struct {
					ItemIdentifier string `json:"itemIdentifier"`
				} `json:"batchItemFailures"`
			}
			if err := json.Unmarshal(out, &resp); err != nil {
				b.Fatalf("batch %d: response %s: %v", i, out, err)
			}
			if resp.BatchItemFailures == nil || len(resp.BatchItemFailures) > 0 {
				b.Fatalf("batch %d: response %s, want no failures", i, out)
			}
		}
		checkScored(b, f.metrics.Bytes(), batches)
		if bn.Check != nil {
			bn.Check(b)
		}
		if err := errors.Join(st.Close(), f.sc.Close()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	m.report(b, memoryMB)
}

// Batch is one invocation of a replay: its payload, its context (a
// request id), the receiver's clock when it is delivered, how many events
// it carries, and how many of those the pipeline skips by design.
type Batch struct {
	payload      []byte
	ctx          context.Context
	at           time.Time
	events, skip int
}

// Batcher cuts a replay's records of a trigger (R: an SQS message, a
// Kinesis record) into Batches of a size, each wrapped in the trigger's
// envelope, so that each function builds only its own records.
type Batcher[R any] struct {
	size     int
	envelope func(recs []R) any
	recs     []R
	at       time.Time
	skip     int
	out      []Batch
}

// NewBatcher returns a Batcher of size records a batch, which envelope
// wraps in the trigger's event (events.SQSEvent, events.KinesisEvent).
func NewBatcher[R any](size int, envelope func(recs []R) any) *Batcher[R] {
	return &Batcher[R]{size: size, envelope: envelope}
}

// Add adds rec, sent at at (a batch is delivered at its latest record's
// time), which the pipeline skips by design if skip is set.
func (bt *Batcher[R]) Add(b *testing.B, rec R, at time.Time, skip bool) {
	b.Helper()
	bt.recs = append(bt.recs, rec)
	if at.After(bt.at) {
		bt.at = at
	}
	if skip {
		bt.skip++
	}
	if len(bt.recs) == bt.size {
		bt.flush(b)
	}
}

// Batches returns the batches of the records added, the last one short if
// they do not fill it, and fails b if there are none: what names the
// records ("signups") in its message.
func (bt *Batcher[R]) Batches(b *testing.B, what string) []Batch {
	b.Helper()
	bt.flush(b)
	if len(bt.out) == 0 {
		b.Fatalf("no %s in the stream", what)
	}
	return bt.out
}

// flush makes a batch of the records not yet in one, if any.
func (bt *Batcher[R]) flush(b *testing.B) {
	b.Helper()
	if len(bt.recs) == 0 {
		return
	}
	raw, err := json.Marshal(bt.envelope(bt.recs))
	if err != nil {
		b.Fatal(err)
	}
	n := len(bt.out)
	bt.out = append(bt.out, Batch{payload: raw, ctx: LambdaCtx(fmt.Sprintf("bench-%06d", n)), at: bt.at, events: len(bt.recs), skip: bt.skip})
	bt.recs, bt.at, bt.skip = nil, time.Time{}, 0
}

// SignupBatch is a batch of the signups that precede a replay's events,
// and the receiver's clock when it is scored.
type SignupBatch struct {
	recs []pipeline.Record
	at   time.Time
}

// SignupBatches returns the signups of evs, in order, in batches of 500,
// for Bench.Signups.
func SignupBatches(b *testing.B, evs []event.Event) []SignupBatch {
	b.Helper()
	var out []SignupBatch
	for i, e := range evs {
		if e.Signup == nil {
			continue
		}
		body, err := event.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) == 0 || len(out[len(out)-1].recs) == 500 {
			out = append(out, SignupBatch{})
		}
		s := &out[len(out)-1]
		s.recs = append(s.recs, pipeline.Record{ID: fmt.Sprintf("s%d", i), Body: body})
		s.at = e.Time
	}
	return out
}

// benchClock is the receiver's clock in a replay: it reads the time of the
// batch being delivered, so that events are judged as a deployment judges
// them when they arrive (setup.Clock.Now, not a replay of history).
type benchClock struct{ ns atomic.Int64 }

func (c *benchClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *benchClock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// benchHashKey is the HMAC key of the benchmarks' stores.
const benchHashKey = "handler-bench-hash-key:Qm7Tz2Kd9Xw4Lp1Vb8Nc5Rj3Hs6Gf0Ya"

// benchFunction is the function as its main wires it, over an embedded
// store: config.Load, setup.Build, newHandler, lambda.NewHandler.
type benchFunction struct {
	handler lambda.Handler
	sc      *setup.Scanner
	clock   *benchClock
	metrics *bytes.Buffer // the EMF lines, read back by checkScored
}

// newFunction builds the function over st and bn.Objects as
// template.yaml's defaults configure it (thresholds 50 and 80, clustering
// on, the embedded rules, INFO logs) but for two settings that make it do
// the most: every GeoIP database (the test ones, the Anonymous IP one
// included, so that every signal is on) and shadow mode off, so that
// verdicts are written to the queue as once the deployment is live. The
// logs go to io.Discard, after being formatted and redacted.
func (bn Bench) newFunction(b *testing.B, st pipeline.Store) *benchFunction {
	b.Helper()
	env := map[string]string{
		"REVIEW_THRESHOLD": "50", "SUSPEND_THRESHOLD": "80", "SHADOW_MODE": "false", "LOG_LEVEL": "INFO",
		"HASH_KEY": benchHashKey,
	}
	root, err := dynamotest.Root()
	if err != nil {
		b.Fatal(err)
	}
	for _, db := range geoipDBs {
		env[db.name] = filepath.Join(root, "testdata", "geoip", db.file)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	log := redact.NewLogger(io.Discard, cfg.LogLevel)
	f := &benchFunction{clock: &benchClock{}, metrics: &bytes.Buffer{}}
	f.sc, err = setup.Build(cfg, st, bn.Objects, nil, []byte(cfg.HashKey), log, setup.Clock{Now: f.clock.now})
	if err != nil {
		b.Fatal(err)
	}
	if len(f.sc.Off) > 0 {
		b.Fatalf("signals off: %v", f.sc.Off)
	}
	f.handler = lambda.NewHandler(invoke.Raw(bn.NewHandler(f.sc.Pipeline, log, f.metrics)))
	return f
}

// measure adds up the timed part of a benchmark's iterations.
type measure struct {
	elapsed         time.Duration
	batches, events int
	mallocs         uint64
}

// run invokes f with every batch, in order, timing only the Invoke calls,
// and returns the responses. It is called with the timer stopped and
// returns with it stopped.
func (m *measure) run(b *testing.B, f *benchFunction, batches []Batch) [][]byte {
	b.Helper()
	outs := make([][]byte, len(batches))
	runtime.GC() // the setup's garbage is not the replay's
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.StartTimer()
	start := time.Now()
	for i, bt := range batches {
		f.clock.set(bt.at)
		out, err := f.handler.Invoke(bt.ctx, bt.payload)
		if err != nil {
			b.Fatalf("batch %d: %v", i, err)
		}
		outs[i] = out
	}
	m.elapsed += time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	m.mallocs += after.Mallocs - before.Mallocs
	m.batches += len(batches)
	for _, bt := range batches {
		m.events += bt.events
	}
	return outs
}

// report reports the figures of the timed parts; memoryMB is the
// function's MemorySize.
func (m *measure) report(b *testing.B, memoryMB int) {
	b.Helper()
	perEvent := m.elapsed.Seconds() / float64(m.events)
	b.ReportMetric(m.elapsed.Seconds()*1e3/float64(m.batches), "ms/batch")
	b.ReportMetric(perEvent*1e6, "µs/event")
	b.ReportMetric(1/perEvent, "events/s")
	b.ReportMetric(float64(m.mallocs)/float64(m.events), "allocs/event")
	b.ReportMetric(perEvent*1e6*float64(memoryMB)/1024, "GB-s/Mevents")
}

// checkScored reads the function's EMF lines back and fails b unless every
// event of batches was received and scored but those skipped by design:
// none rejected, failed, skipped otherwise or a duplicate.
func checkScored(b *testing.B, emf []byte, batches []Batch) {
	b.Helper()
	var received, rejected, failed, duplicates, scored int
	dec := json.NewDecoder(bytes.NewReader(emf))
	for dec.More() {
		var line struct {
			Events, Rejected, Failed, Duplicates, Verdicts int
		}
		if err := dec.Decode(&line); err != nil {
			b.Fatalf("metrics: %v", err)
		}
		received += line.Events
		rejected += line.Rejected
		failed += line.Failed
		duplicates += line.Duplicates
		scored += line.Verdicts
	}
	sent, skip := 0, 0
	for _, bt := range batches {
		sent += bt.events
		skip += bt.skip
	}
	if received != sent || scored != sent-skip {
		b.Fatalf("sent %d events, %d to be skipped; the metrics count %d received, %d scored, %d rejected, %d failed, %d duplicates",
			sent, skip, received, scored, rejected, failed, duplicates)
	}
}

// memorySize returns the MemorySize of template.yaml's function id, or
// else the Globals' one.
func memorySize(b *testing.B, id string) int {
	b.Helper()
	var doc struct {
		Globals struct {
			Function struct {
				MemorySize int `yaml:"MemorySize"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				MemorySize int `yaml:"MemorySize"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(dynamotest.Template(b), &doc); err != nil {
		b.Fatalf("template.yaml: %v", err)
	}
	fn, ok := doc.Resources[id]
	if !ok || fn.Type != "AWS::Serverless::Function" {
		b.Fatalf("template.yaml has no function %s", id)
	}
	mb := fn.Properties.MemorySize
	if mb == 0 {
		mb = doc.Globals.Function.MemorySize
	}
	if mb == 0 {
		b.Fatalf("template.yaml gives %s no MemorySize", id)
	}
	return mb
}
