// Package functest holds what the Lambda functions' tests share, so that
// each function's suite says only what is its own: a fake processor, a
// harness that keeps a handler's logs and metrics, the real pipeline over
// an embedded store, the checks every events/ sample is held to, and the
// function's real bootstrap under the Runtime Interface Emulator. Only
// _test.go files import it.
package functest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/mailtrust/abusescan/internal/config"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/invoke"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
)

// Processor is a processor whose behaviour each test sets.
type Processor struct {
	ProcessFn func(ctx context.Context, recs []pipeline.Record) []pipeline.Result

	mu    sync.Mutex
	calls [][]pipeline.Record
}

var _ invoke.Processor = (*Processor)(nil)

// Process keeps a copy of recs and answers with ProcessFn.
func (f *Processor) Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result {
	f.mu.Lock()
	f.calls = append(f.calls, slices.Clone(recs))
	f.mu.Unlock()
	return f.ProcessFn(ctx, recs)
}

// Calls returns the batches processed so far.
func (f *Processor) Calls() [][]pipeline.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Outcomes returns a processor that gives each record the result named by
// its ID in want (Err and verdict fields), and every other record
// otherwise.
func Outcomes(want map[string]pipeline.Result, otherwise pipeline.Result) *Processor {
	return &Processor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
		rs := make([]pipeline.Result, len(recs))
		for i, rec := range recs {
			r, ok := want[rec.ID]
			if !ok {
				r = otherwise
			}
			r.RecordID = rec.ID
			rs[i] = r
		}
		return rs
	}}
}

// DecodingProcessor decides failure the way the pipeline does, by decoding
// each body, and marks a repeated event id as a duplicate. What it does
// with a valid event (allow) stands for whatever the pipeline will do.
func DecodingProcessor() *Processor {
	return &Processor{ProcessFn: func(_ context.Context, recs []pipeline.Record) []pipeline.Result {
		seen := map[string]bool{}
		rs := make([]pipeline.Result, len(recs))
		for i, rec := range recs {
			e, err := event.Decode(rec.Body)
			if err != nil {
				rs[i] = pipeline.Result{RecordID: rec.ID, Err: fmt.Errorf("decode record %s: %w", rec.ID, err)}
				continue
			}
			rs[i] = pipeline.Result{RecordID: rec.ID, EventID: e.ID, AccountID: e.AccountID(), Verdict: pipeline.Allow, Duplicate: seen[e.ID]}
			seen[e.ID] = true
		}
		return rs
	}}
}

// Recorder is a processor that passes batches to P (the real pipeline) and
// keeps its results, which the handler does not return.
type Recorder struct {
	P invoke.Processor

	mu      sync.Mutex
	results []pipeline.Result
}

var _ invoke.Processor = (*Recorder)(nil)

// Process passes recs to P and keeps the results.
func (r *Recorder) Process(ctx context.Context, recs []pipeline.Record) []pipeline.Result {
	rs := r.P.Process(ctx, recs)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, rs...)
	return rs
}

// Last returns the result of the last record processed.
func (r *Recorder) Last(t *testing.T) pipeline.Result {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) == 0 {
		t.Fatal("the pipeline processed nothing")
	}
	return r.results[len(r.results)-1]
}

// All returns every result so far.
func (r *Recorder) All() []pipeline.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pipeline.Result(nil), r.results...)
}

// Handler is a scoring function's handler, as lambda.Start takes it.
type Handler = func(ctx context.Context, raw json.RawMessage) (any, error)

// Harness runs one handler and keeps what it logged and measured.
type Harness struct {
	Handle  Handler
	Logs    bytes.Buffer
	Metrics bytes.Buffer
}

// NewHarness builds the handler with newHandler over p, logging at debug
// level into Logs and writing metrics into Metrics.
func NewHarness(newHandler func(invoke.Processor, *slog.Logger, io.Writer) Handler, p invoke.Processor) *Harness {
	h := &Harness{}
	log := slog.New(slog.NewJSONHandler(&h.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.Handle = newHandler(p, log, &h.Metrics)
	return h
}

// Invoke runs the handler as the Lambda runtime does, through
// aws-lambda-go's own handler as main.go hands it over (invoke.Raw): the
// payload as bytes, the response encoded to them.
func (h *Harness) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return lambda.NewHandler(invoke.Raw(h.Handle)).Invoke(ctx, payload)
}

// LogLines parses the JSON log lines whose msg is msg.
func (h *Harness) LogLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(h.Logs.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// SummaryLine returns the invocation's one summary line.
func (h *Harness) SummaryLine(t *testing.T) map[string]any {
	t.Helper()
	lines := h.LogLines(t, "invocation")
	if len(lines) != 1 {
		t.Fatalf("%d summary lines, want 1; log:\n%s", len(lines), h.Logs.String())
	}
	return lines[0]
}

// LambdaCtx is the context of an invocation with requestID.
func LambdaCtx(requestID string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
}

// geoipDBs are the generated test databases (testdata/geoip), by the
// variable that names each.
var geoipDBs = []struct{ name, file string }{
	{"GEOIP_CITY_DB", "GeoIP2-City-Test.mmdb"},
	{"GEOIP_ASN_DB", "GeoLite2-ASN-Test.mmdb"},
	{"GEOIP_ANON_DB", "GeoIP2-Anonymous-IP-Test.mmdb"},
}

// GeoIPEnv points the GEOIP_*_DB variables at the generated test
// databases, by absolute path.
func GeoIPEnv(t *testing.T) []string {
	t.Helper()
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, db := range geoipDBs {
		env = append(env, db.name+"="+filepath.Join(root, "testdata", "geoip", db.file))
	}
	return env
}

// ObjectsDir is the folder of the message samples' objects (testdata/objects),
// read in place of S3 as a local run does (OBJECTS_DIR).
func ObjectsDir(t *testing.T) string {
	t.Helper()
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "objects")
}

// RealScanner builds the real pipeline, as a function's main does, with
// hashKey, over a fresh embedded store and the test GeoIP databases, every
// signal on. Its clock is the events' own (setup.Clock{}), so the samples'
// fixed dates are never judged against the wall clock.
func RealScanner(t *testing.T, hashKey string) (*setup.Scanner, *embedded.Store) {
	t.Helper()
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HASH_KEY": hashKey}
	for _, db := range geoipDBs {
		env[db.name] = filepath.Join(root, "testdata", "geoip", db.file)
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(t.TempDir(), "state.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	sc, err := setup.Build(cfg, st, nil, nil, []byte(cfg.HashKey), nil, setup.Clock{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	if len(sc.Off) > 0 {
		t.Fatalf("signals off with every test database configured: %v", sc.Off)
	}
	return sc, st
}

// SamplesListed checks that the files of dir matching glob are exactly
// those samples lists, so that no sample goes untested and stale.
func SamplesListed[S any](t *testing.T, dir, glob string, samples map[string]S) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for _, n := range names {
		if _, ok := samples[n]; !ok {
			t.Errorf("events/%s is not listed in samples: say what it is and what must become of it", n)
		}
	}
	for n := range samples {
		if !slices.Contains(names, n) {
			t.Errorf("samples lists events/%s, which does not exist", n)
		}
	}
}

// DecodeStrict decodes data into v, refusing fields v does not have and
// anything after the value, so that a sample cannot drift from the Lambda
// event type it claims to be.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the event")
	}
	return nil
}

// Bootstrap builds function's bootstrap (as infra/sam.mk builds it, but for
// this machine) and the emulator, and returns them with the DynamoDB
// endpoint and a context that ends within two minutes or when t's
// subtests end. It skips t in short mode, off Linux, without a go command
// or without a DynamoDB API.
func Bootstrap(t *testing.T, function string) (context.Context, lambdalocal.Binaries, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the function and the emulator and runs them")
	}
	if runtime.GOOS != "linux" {
		t.Skip(lambdalocal.ErrUnsupported)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the function: %v", err)
	}
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	root, err := dynamotest.Root()
	if err != nil {
		t.Fatal(err)
	}
	// Subtests may run after the test function returns: cancel when they end.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	bin, err := lambdalocal.Build(ctx, goBin, root, function, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return ctx, bin, endpoint
}

// Emulate starts bin under the emulator with env, which is all of the
// environment the function sees, and closes it when t ends.
func Emulate(t *testing.T, ctx context.Context, bin lambdalocal.Binaries, env []string) *lambdalocal.Emulator {
	t.Helper()
	emu, err := lambdalocal.Start(ctx, bin, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
	})
	return emu
}

// Lines returns the JSON lines of an invocation's logs whose msg is msg;
// the emulator's own lines are not JSON and are passed over.
func Lines(logs []string, msg string) []map[string]any {
	var out []map[string]any
	for _, line := range logs {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// Run is one events/ sample run through a scoring function's bootstrap.
type Run struct {
	Raw     []byte // the sample as it is in events/
	Payload []byte // the sample as invoked: its times moved to now
	ID      string // the invocation's request id
	Res     lambdalocal.Result
	Emu     *lambdalocal.Emulator
	Tables  dynamo.Tables
}

// RunSample invokes a scoring function's bootstrap, bin, once with the
// sample name of dir, its times moved to now (lambdalocal.Retime), as the
// deployed function judges them against its clock. The function gets its
// own emulator and tables, the test GeoIP databases, shadow mode off and
// debug logs, and nothing else of this process's environment. It fails t
// unless the emulator answers 200.
func RunSample(t *testing.T, ctx context.Context, bin lambdalocal.Binaries, endpoint, function, dir, name string) Run {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := lambdalocal.Retime(raw, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tables := dynamotest.Tables(t)
	// Only what is set here reaches the function (the emulator passes its
	// whole environment on).
	env := append(lambdalocal.Local{
		Function: function + "-emulator-test", Home: t.TempDir(), DynamoDB: endpoint,
		StateTable: tables.State, Queue: tables.Queue, HashKey: "test-key-emulator-0001",
	}.Env(), append([]string{"SHADOW_MODE=false", "LOG_LEVEL=DEBUG", "OBJECTS_DIR=" + ObjectsDir(t)}, GeoIPEnv(t)...)...)
	emu := Emulate(t, ctx, bin, env)
	id := "emulator-" + strings.TrimSuffix(name, ".json")
	res, err := emu.Invoke(ctx, id, payload)
	if err != nil {
		t.Fatalf("%v\n%s", err, emu.Output())
	}
	if res.Status != 200 {
		t.Fatalf("status %d, body %s\n%s", res.Status, res.Body, emu.Output())
	}
	return Run{Raw: raw, Payload: payload, ID: id, Res: res, Emu: emu, Tables: tables}
}

// Summary returns the one summary line of an invocation's logs.
func Summary(t *testing.T, res lambdalocal.Result) map[string]any {
	t.Helper()
	summaries := Lines(res.Logs, "invocation")
	if len(summaries) != 1 {
		t.Fatalf("%d summary lines in the invocation's logs, want 1:\n%s", len(summaries), strings.Join(res.Logs, "\n"))
	}
	return summaries[0]
}
