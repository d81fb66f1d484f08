package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/functest"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
)

// TestMain stops the dynalite server the bootstrap test may start.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// fakeRuntime is the Lambda Runtime API as far as one invocation needs it,
// served on loopback: the first /next returns the event, later ones wait
// until the test ends, as the real API waits for the next event.
type fakeRuntime struct {
	srv       *httptest.Server
	requestID string
	responses chan []byte // bodies POSTed to /response
	failures  chan string // bodies POSTed to /error or /init/error
	nexts     atomic.Int32
}

func newFakeRuntime(t *testing.T, event []byte) *fakeRuntime {
	t.Helper()
	rt := &fakeRuntime{
		requestID: "7e1f5c2a-0d4b-4c8e-9a36-b2f0e7d9c514",
		responses: make(chan []byte, 1),
		failures:  make(chan string, 2),
	}
	done := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		if rt.nexts.Add(1) > 1 {
			select {
			case <-done:
			case <-r.Context().Done():
			}
			http.Error(w, "test over", http.StatusGone)
			return
		}
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", rt.requestID)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:signup-bootstrap-test")
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-67a1b2c3-4d5e6f708192a3b4c5d6e7f8;Parent=0123456789abcdef;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if id := r.PathValue("id"); id != rt.requestID {
			rt.fail("response for unknown request " + id)
		} else {
			select {
			case rt.responses <- body:
			default:
				rt.fail("a second response")
			}
		}
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rt.fail("invocation error: " + string(body))
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rt.fail("init error: " + string(body))
		w.WriteHeader(http.StatusAccepted)
	})
	rt.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(rt.srv.Close)
	t.Cleanup(func() { close(done) }) // runs before Close, which waits for the blocked /next
	return rt
}

// fail reports what went wrong without ever blocking a handler, which
// would keep the server's Close waiting.
func (rt *fakeRuntime) fail(msg string) {
	select {
	case rt.failures <- msg:
	default:
	}
}

// addr is host:port, the form AWS_LAMBDA_RUNTIME_API takes.
func (rt *fakeRuntime) addr() string { return strings.TrimPrefix(rt.srv.URL, "http://") }

// hasMain reports whether the package in dir declares func main.
func hasMain(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
				return true
			}
		}
	}
	return false
}

// syncBuffer collects a child process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBootstrap builds the function as SAM does (with lambda.norpc, for
// this machine rather than arm64) and runs it against a fake Runtime API and
// dynalite: the binary must start, take an SQS batch, score it through the
// real pipeline and answer with exactly the malformed record as a batch item
// failure.
func TestBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary")
	}
	if !hasMain(t, ".") {
		t.Skip("functions/signup has no func main yet")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the function: %v", err)
	}
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	tables := dynamotest.Tables(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.CommandContext(ctx, goBin, "build", "-tags", "lambda.norpc", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	event, err := os.ReadFile(filepath.Join(eventsDir, "signup-sqs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if event, err = lambdalocal.Retime(event, time.Now()); err != nil {
		t.Fatal(err)
	}
	wantFailed := slices.Sorted(maps.Keys(samples["signup-sqs.json"].malformed))
	rt := newFakeRuntime(t, event)

	home := t.TempDir()
	cmd := exec.Command(bin)
	// Only what is set here: no credentials, profile or endpoint of the
	// machine leaks in, and every AWS call other than DynamoDB's goes to a
	// closed loopback port instead of the internet.
	cmd.Env = append(lambdalocal.Local{
		Function: "signup-bootstrap-test", Home: home, DynamoDB: endpoint,
		// The brief's "test-key" is shorter than keyhash.MinKeyBytes (16).
		StateTable: tables.State, Queue: tables.Queue, HashKey: "test-key-bootstrap-0001",
	}.Env(), append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + rt.addr(),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"SHADOW_MODE=false",
		"LOG_LEVEL=DEBUG",
	}, functest.GeoIPEnv(t)...)...)
	var stdout, stderr syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	stop := func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	t.Cleanup(stop)
	logs := func() string { return "stdout:\n" + stdout.String() + "\nstderr:\n" + stderr.String() }

	var body []byte
	select {
	case body = <-rt.responses:
	case f := <-rt.failures:
		t.Fatalf("%s\n%s", f, logs())
	case <-exited:
		t.Fatalf("bootstrap exited (%v) before answering\n%s", waitErr, logs())
	case <-ctx.Done():
		t.Fatalf("no answer after %v\n%s", 3*time.Minute, logs())
	}

	var resp events.SQSEventResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("response %s is not an SQSEventResponse: %v", body, err)
	}
	var got []string
	for _, f := range resp.BatchItemFailures {
		got = append(got, f.ItemIdentifier)
	}
	slices.Sort(got)
	if !slices.Equal(got, wantFailed) {
		t.Errorf("batch item failures %v, want exactly the malformed record %v\n%s", got, wantFailed, logs())
	}

	// Back at /next, the invocation is over: stop the process, so that all
	// it wrote has been read, and look for its one summary line.
	for deadline := time.Now().Add(10 * time.Second); rt.nexts.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the runtime did not come back to /next after answering\n%s", logs())
		}
	}
	stop()
	var summary map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "invocation" {
			summary = m
		}
	}
	if summary == nil {
		t.Fatalf("no summary line\n%s", logs())
	}
	if summary["requestId"] != rt.requestID || summary["records"] != float64(3) || summary["rejected"] != float64(1) || summary["failed"] != float64(0) {
		t.Errorf("summary = %v, want request %s, 3 records, 1 rejected, 0 failed", summary, rt.requestID)
	}
	out, err := dynamotest.Client(t).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(tables.State), Limit: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count == 0 {
		t.Errorf("state table %s is empty: the function scored nothing into DynamoDB", tables.State)
	}
}
