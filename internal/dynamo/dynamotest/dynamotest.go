// Package dynamotest runs tests of DynamoDB code against a real DynamoDB
// API with nothing else running: the first test that asks for a client
// starts one dynalite server (infra/dynalite.js, from `npm ci --prefix
// infra`) on a free loopback port for the whole test process, and every test
// gets fresh tables created from template.yaml.
//
// With DYNAMODB_ENDPOINT set, tests use that server instead. Without dynalite
// installed, tests are skipped, or fail when CI is set.
//
// A package's TestMain should call Main, which stops the server when the
// tests end. Without it the server still stops with the test process: it
// exits when its standard input, a pipe from this process, closes.
package dynamotest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/modroot"
)

// EndpointEnv names the variable that points tests at a running server.
const EndpointEnv = "DYNAMODB_ENDPOINT"

// The test process's server and client: test-helper state, set up once.
var (
	setup     sync.Once
	setupErr  error
	notFound  bool // dynalite is not installed
	endpoint  string
	client    *dynamodb.Client
	server    *exec.Cmd
	serverIn  io.Closer
	serverEnd chan struct{}
	tableSeq  atomic.Int64
)

// Main runs the tests of a package and then stops the dynalite server if
// one was started. Call it from TestMain:
//
//	func TestMain(m *testing.M) { dynamotest.Main(m) }
func Main(m *testing.M) {
	defer stop()
	m.Run()
}

// Endpoint returns the URL of the DynamoDB API for tests, starting dynalite
// if needed.
func Endpoint(t testing.TB) string {
	t.Helper()
	ready(t)
	return endpoint
}

// Client returns a client of the DynamoDB API for tests: static dummy
// credentials, region us-east-1.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	ready(t)
	return client
}

// Tables creates a fresh state and queue table from template.yaml, with
// names no other test uses, and deletes them when the test ends.
func Tables(t testing.TB) dynamo.Tables {
	t.Helper()
	c := Client(t)
	tmpl := Template(t)
	n := tableSeq.Add(1)
	tabs := dynamo.Tables{
		State: fmt.Sprintf("state-%d-%d", os.Getpid(), n),
		Queue: fmt.Sprintf("queue-%d-%d", os.Getpid(), n),
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := dynamo.CreateTables(ctx, c, tmpl, tabs)
	t.Cleanup(func() {
		// t.Context is already cancelled here.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, name := range []string{tabs.State, tabs.Queue} {
			_, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
			var nf *types.ResourceNotFoundException
			if err != nil && !errors.As(err, &nf) {
				t.Errorf("delete table %s: %v", name, err)
			}
		}
	})
	if err != nil {
		t.Fatalf("create tables: %v", err)
	}
	return tabs
}

// Template returns the repository's template.yaml.
func Template(t testing.TB) []byte {
	t.Helper()
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Root returns the repository root: the nearest directory above the working
// directory that holds go.mod.
func Root() (string, error) { return modroot.Find() }

// ready sets up the server and client once, and skips or fails t if that
// did not work.
func ready(t testing.TB) {
	t.Helper()
	setup.Do(func() { setupErr = start() })
	switch {
	case setupErr == nil:
	case notFound && os.Getenv("CI") == "":
		t.Skipf("no DynamoDB API for tests: %v", setupErr)
	default:
		t.Fatalf("no DynamoDB API for tests: %v", setupErr)
	}
}

func start() error {
	endpoint = os.Getenv(EndpointEnv)
	if endpoint == "" {
		var err error
		if endpoint, err = startDynalite(); err != nil {
			return err
		}
	}
	client = newClient(endpoint)
	// dynalite answers as soon as it listens; a server named by the
	// environment may still be starting.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamodb at %s does not answer: %w", endpoint, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func newClient(endpoint string, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 64 // the adapter runs 16 requests at once, tests run in parallel
	})
	o := dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:   httpClient,
	}
	dynamo.Retries(&o)
	for _, f := range opts {
		f(&o)
	}
	return dynamodb.New(o)
}

// ClientWith returns a new client of the local DynamoDB, with the
// adapter's retry settings and then opts applied: a test's own HTTP
// transport, say, to inject faults below the SDK.
func ClientWith(t testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	ready(t)
	return newClient(endpoint, opts...)
}

// startDynalite starts infra/dynalite.js on a port the system picks and
// returns its endpoint once it listens.
func startDynalite() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	script := filepath.Join(root, "infra", "dynalite.js")
	if _, err := os.Stat(filepath.Join(root, "infra", "node_modules", "dynalite", "package.json")); err != nil {
		notFound = true
		return "", fmt.Errorf("dynalite is not installed: run npm ci --prefix infra (or set %s)", EndpointEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		notFound = true
		return "", fmt.Errorf("node is not installed, dynalite needs it (or set %s): %w", EndpointEnv, err)
	}
	cmd := exec.Command(node, script, "--host", "127.0.0.1", "--port", "0", "--exit-with-stdin")
	cmd.Dir = filepath.Join(root, "infra")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", fmt.Errorf("start dynalite: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", fmt.Errorf("start dynalite: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start dynalite: %w", err)
	}
	server, serverIn, serverEnd = cmd, stdin, make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(serverEnd)
	}()
	select {
	case line, ok := <-lines:
		port, found := strings.CutPrefix(line, "listening ")
		if _, err := strconv.Atoi(port); ok && found && err == nil {
			return "http://127.0.0.1:" + port, nil
		}
		stop()
		return "", fmt.Errorf("start dynalite: unexpected output %q: %s", line, stderr.String())
	case <-time.After(30 * time.Second):
		stop()
		return "", fmt.Errorf("start dynalite: not listening after 30s: %s", stderr.String())
	}
}

// stop ends the server, if this process started one: closing its standard
// input asks it to exit; after 5 seconds it is killed.
func stop() {
	if server == nil {
		return
	}
	_ = serverIn.Close()
	select {
	case <-serverEnd:
	case <-time.After(5 * time.Second):
		_ = server.Process.Kill()
		<-serverEnd
	}
	server = nil
}

// lockedBuffer lets the exec package's copying goroutine and an error
// message share a buffer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
