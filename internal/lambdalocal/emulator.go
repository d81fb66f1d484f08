// Package lambdalocal runs a Lambda function on this machine as it is
// deployed, without Docker: the function's own bootstrap binary under the
// AWS Lambda Runtime Interface Emulator (the Go module pinned as a tool in
// go.mod), both on loopback. It also moves a sample event's times to now,
// because a deployed function refuses events far from its clock.
//
// `make invoke` (infra/invoke) and the functions' emulator tests use
// it.
package lambdalocal

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EmulatorPackage is the Go package of the Runtime Interface Emulator's
// command, pinned by the tool directive in go.mod.
const EmulatorPackage = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// invocationsPath is where the emulator takes an invocation, as the Lambda
// Invoke API's path for a function named "function".
const invocationsPath = "/2015-03-31/functions/function/invocations"

// Errors.
var (
	// ErrUnsupported is returned on a system the emulator does not run on:
	// it supports Linux only.
	ErrUnsupported = errors.New("the Runtime Interface Emulator runs on Linux only")
	// ErrExited is returned when the emulator ends before it is closed.
	ErrExited = errors.New("the emulator exited")
)

// Binaries are the two executables a local run needs.
type Binaries struct {
	// Bootstrap is the function, built as infra/sam.mk builds it (tags
	// lambda.norpc, trimmed paths, stripped, static) but for this machine's
	// GOOS and GOARCH.
	Bootstrap string
	// Emulator is the aws-lambda-rie command.
	Emulator string
}

// Build builds the function whose main package is ./functions/<function>
// under the module root root, and the emulator, into dir. goBin is the go
// command; its output is in the error when a build fails.
func Build(ctx context.Context, goBin, root, function, dir string) (Binaries, error) {
	if runtime.GOOS != "linux" {
		return Binaries{}, ErrUnsupported
	}
	b := Binaries{Bootstrap: filepath.Join(dir, "bootstrap"), Emulator: filepath.Join(dir, "aws-lambda-rie")}
	for _, args := range [][]string{
		{"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", b.Bootstrap, "./functions/" + function},
		{"build", "-o", b.Emulator, EmulatorPackage},
	} {
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return b, nil
}

// Emulator is a running Runtime Interface Emulator with one function.
type Emulator struct {
	url    string
	cmd    *exec.Cmd
	stdout *lines // the function's output and the emulator's START/END/REPORT
	stderr *lines // the emulator's own log
	exited chan struct{}
	err    error // from Wait, once exited is closed
}

// Start starts the emulator for the bootstrap in b, listening on free
// loopback ports only. env is the whole environment of the emulator, which
// passes it on to the function: nothing of this process's environment is
// added. The function starts at the first invocation, as in Lambda.
func Start(ctx context.Context, b Binaries, env []string) (*Emulator, error) {
	if runtime.GOOS != "linux" {
		return nil, ErrUnsupported
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	invokeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	runtimeAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
	// --log-level, because the emulator would otherwise take the
	// function's LOG_LEVEL for its own.
	cmd := exec.Command(b.Emulator,
		"--log-level", "info",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		b.Bootstrap)
	cmd.Dir = filepath.Dir(b.Bootstrap) // Lambda's /var/task
	cmd.Env = env
	cmd.SysProcAttr = procAttr()
	e := &Emulator{
		url:    "http://" + invokeAddr + invocationsPath,
		cmd:    cmd,
		stdout: &lines{},
		stderr: &lines{},
		exited: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = e.stdout, e.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	go func() { e.err = cmd.Wait(); close(e.exited) }()
	if err := e.waitListening(ctx, invokeAddr); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// freePorts asks the system for n free loopback ports. Another process may
// take one before the emulator binds it; the emulator then fails to start,
// saying so.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitListening waits until the emulator accepts connections on addr: it
// prints nothing when it does.
func (e *Emulator) waitListening(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-e.exited:
			return fmt.Errorf("%w before listening (%v): %s", ErrExited, e.err, e.stderr.String())
		case <-ctx.Done():
			return fmt.Errorf("emulator not listening on %s: %w: %s", addr, ctx.Err(), e.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Result is what one invocation returned.
type Result struct {
	// Status is the HTTP status of the emulator's answer: 200 also when the
	// function returned an error, which is then the Body.
	Status int
	// Body is the function's response: its JSON result, or an object with
	// errorMessage and errorType when it returned an error.
	Body []byte
	// Logs are the lines the function wrote in this invocation (and, in the
	// first, at its cold start), without the emulator's START, END and
	// REPORT lines.
	Logs []string
}

// Invoke invokes the function with payload under the request id id and
// returns its response and its log lines. Invocations run one at a time.
func (e *Emulator) Invoke(ctx context.Context, id string, payload []byte) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(payload))
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", id, err)
	}
	req.Header.Set("X-Amzn-RequestId", id)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, fmt.Errorf("invoke %s: read response: %w", id, err)
	}
	res := Result{Status: resp.StatusCode, Body: body}
	start := "START RequestId: " + id + " "
	if res.Status != http.StatusOK {
		// A function that failed to start or crashed gets no REPORT line:
		// what it wrote is all there is.
		res.Logs, _ = e.stdout.between(start, "")
		return res, nil
	}
	// The emulator prints REPORT before it answers, and the function writes
	// to the emulator's own standard output: the lines are all there, or
	// nearly. Wait a little for the pipe all the same.
	report := "REPORT RequestId: " + id + "\t"
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if logs, ok := e.stdout.between(start, report); ok {
			res.Logs = logs
			return res, nil
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("invoke %s: no REPORT line from the emulator", id)
		}
	}
}

// Output is all the emulator wrote to its standard output (the function's
// output among START, END and REPORT lines) and to its standard error (its
// own log): for a failure message.
func (e *Emulator) Output() string {
	return "emulator stdout:\n" + e.stdout.String() + "\nemulator stderr:\n" + e.stderr.String()
}

// Close stops the emulator, which stops the function, and waits for it: a
// SIGTERM, then SIGKILL after 5 seconds.
func (e *Emulator) Close() error {
	select {
	case <-e.exited:
		return nil
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
		return nil
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
		return fmt.Errorf("emulator did not stop on SIGTERM within 5s")
	}
}

// lines collects a child process's output.
type lines struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// between returns the complete lines after the first that starts with
// start and before the first after it that starts with end, leaving out
// END lines; ok is false until both have been written. With end "" it
// returns every line after start.
func (l *lines) between(start, end string) (out []string, ok bool) {
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in:
			in = strings.HasPrefix(line, start)
		case end != "" && strings.HasPrefix(line, end):
			return out, true
		case strings.HasPrefix(line, "END RequestId: "):
		default:
			out = append(out, line)
		}
	}
	if end == "" {
		return out, in
	}
	return nil, false
}

// Local is what a function run on this machine is pointed at.
type Local struct {
	Function          string // AWS_LAMBDA_FUNCTION_NAME
	Home              string // an empty folder: no profile or credentials of the machine's
	DynamoDB          string // the local DynamoDB endpoint (loopback)
	StateTable, Queue string
	HashKey           string
}

// Env returns a local run's whole environment, so that nothing of the
// machine's leaks in: dummy credentials, no profile, and every AWS call but
// DynamoDB's sent to a closed loopback port instead of the internet. The
// function's own settings (SHADOW_MODE, GEOIP_*, …) are appended by the
// caller.
func (l Local) Env() []string {
	return []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + l.Function,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"HOME=" + l.Home,
		"AWS_CONFIG_FILE=" + filepath.Join(l.Home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(l.Home, "aws-credentials"),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9",
		"DYNAMODB_ENDPOINT=" + l.DynamoDB,
		"STATE_TABLE=" + l.StateTable,
		"QUEUE_TABLE=" + l.Queue,
		"HASH_KEY=" + l.HashKey,
	}
}
