// Command invoke runs one function of this repository on this machine as it
// is deployed, without Docker or the SAM CLI: it builds the function's
// bootstrap for this machine (as infra/sam.mk builds it for arm64), starts
// it under the AWS Lambda Runtime Interface Emulator (pinned in go.mod) with
// dynalite for DynamoDB, invokes it once with an event file, and prints the
// function's log lines to standard error and its response to standard
// output.
//
//	go run ./infra/invoke -function signup -event events/signup-sqs.json
//	make invoke FUNCTION=signup EVENT=events/signup-sqs.json [SHIFT=0]
//	make invoke FUNCTION=login EVENT=events/login-kinesis.json
//	make invoke FUNCTION=message EVENT=events/message-sqs-s3.json
//
// The event's times (`time`, `detail.createdAt` or `detail.at`, also inside
// SQS bodies and Kinesis data) are moved so that the newest is a minute
// before now (lambdalocal.Retime), unless -shift=false:
// the function refuses events an hour ahead of its clock or older than the
// 30-day state retention.
//
// Everything listens on loopback only. The function gets dummy AWS
// credentials and AWS_ENDPOINT_URL pointing at a closed loopback port, so
// nothing it does reaches AWS: a RULES_SOURCE of s3:// or ssm: fails, a
// file path works. DYNAMODB_ENDPOINT names a running local server (it must be
// on loopback); without it a fresh in-memory dynalite is started and
// stopped, so each run starts from empty tables. HASH_KEY is random for each
// run unless set. Of the caller's environment only the function's own
// settings are passed on (LOG_LEVEL, SHADOW_MODE, thresholds, RULES_SOURCE,
// the GEOIP_*_DB and list files, OBJECTS_DIR); GEOIP_*_DB default to the
// generated test databases in testdata/geoip, OBJECTS_DIR to testdata/objects
// (the messages the message samples name; S3 is out of reach) and
// SHADOW_MODE to false, so that the run writes its decisions to the queue
// table.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/lambdalocal"
	"github.com/mailtrust/abusescan/internal/modroot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

// errFunction is returned when the function answered with an error, or the
// emulator with something other than 200.
var errFunction = errors.New("the function failed")

// passed are the function's settings taken from the caller's environment.
var passed = []string{
	"LOG_LEVEL", "SHADOW_MODE", "REVIEW_THRESHOLD", "SUSPEND_THRESHOLD", "MIN_SUSPEND_RULES",
	"RULES_SOURCE", "GEOIP_CITY_DB", "GEOIP_ASN_DB", "GEOIP_ANON_DB",
	"HOSTING_CIDRS", "VPN_CIDRS", "HOSTING_ASNS", "VPN_ASNS", "DISPOSABLE_DOMAINS",
	"OBJECTS_DIR", "OBJECTS_MAX_BYTES",
}

// paths are the settings among passed that may name a file: a relative one
// is taken from the caller's working directory, not the function's.
var paths = map[string]bool{
	"RULES_SOURCE": true, "GEOIP_CITY_DB": true, "GEOIP_ASN_DB": true, "GEOIP_ANON_DB": true,
	"HOSTING_CIDRS": true, "VPN_CIDRS": true, "HOSTING_ASNS": true, "VPN_ASNS": true, "DISPOSABLE_DOMAINS": true,
	"OBJECTS_DIR": true,
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	function := fs.String("function", "signup", "the function: its main package is functions/<name>")
	eventPath := fs.String("event", "", "the event file, e.g. events/signup-sqs.json (required)")
	shift := fs.Bool("shift", true, "move the event's times so that the newest is a minute before now")
	requestID := fs.String("request-id", "", "the invocation's request id (default: a random one)")
	emulatorLog := fs.Bool("emulator-log", false, "also print the emulator's own log")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *eventPath == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("want -event FILE and no arguments")
	}
	if strings.ContainsAny(*function, `/\.`) || *function == "" {
		return fmt.Errorf("-function %q: want the name of a folder of functions/", *function)
	}
	root, err := modroot.Find()
	if err != nil {
		return err
	}
	event, err := os.ReadFile(*eventPath)
	if err != nil {
		return err
	}
	if *shift {
		if event, err = lambdalocal.Retime(event, time.Now()); err != nil {
			return fmt.Errorf("%s: %w (use -shift=false to send it as it is)", *eventPath, err)
		}
	}
	id := *requestID
	if id == "" {
		id = "local-" + randomText(8)
	}

	endpoint := getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		var stop func()
		if endpoint, stop, err = startDynalite(ctx, root); err != nil {
			return err
		}
		defer stop()
	} else if err := loopback(endpoint); err != nil {
		return err
	}
	tables := dynamo.Tables{State: orDefault(getenv("STATE_TABLE"), "abuse-state"), Queue: orDefault(getenv("QUEUE_TABLE"), "abuse-queue")}
	if err := createTables(ctx, root, endpoint, tables); err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "abusescan-invoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("no go command to build the function: %w", err)
	}
	bin, err := lambdalocal.Build(ctx, goBin, root, *function, tmp)
	if err != nil {
		return err
	}
	env, err := functionEnv(root, tmp, *function, endpoint, tables, getenv)
	if err != nil {
		return err
	}
	emu, err := lambdalocal.Start(ctx, bin, env)
	if err != nil {
		return err
	}
	defer emu.Close()
	res, err := emu.Invoke(ctx, id, event)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, emu.Output())
	}
	fmt.Fprintf(stderr, "--- %s logs (request %s; tables %s, %s at %s)\n", *function, id, tables.State, tables.Queue, endpoint)
	for _, l := range res.Logs {
		fmt.Fprintln(stderr, l)
	}
	if *emulatorLog || res.Status != 200 {
		fmt.Fprintf(stderr, "--- emulator\n%s\n", emu.Output())
	}
	fmt.Fprintf(stderr, "--- response (HTTP %d)\n", res.Status)
	if _, err := fmt.Fprintf(stdout, "%s\n", strings.TrimSpace(string(res.Body))); err != nil {
		return err
	}
	if res.Status != 200 || strings.Contains(string(res.Body), `"errorType"`) {
		return errFunction
	}
	return nil
}

// functionEnv is the whole environment of the emulator and the function.
func functionEnv(root, home, function, endpoint string, tables dynamo.Tables, getenv func(string) string) ([]string, error) {
	key := getenv("HASH_KEY")
	if key == "" {
		key = base64.StdEncoding.EncodeToString(randomBytes(32))
	}
	geoip := filepath.Join(root, "testdata", "geoip")
	settings := map[string]string{
		"SHADOW_MODE":   "false",
		"GEOIP_CITY_DB": filepath.Join(geoip, "GeoIP2-City-Test.mmdb"),
		"GEOIP_ASN_DB":  filepath.Join(geoip, "GeoLite2-ASN-Test.mmdb"),
		"GEOIP_ANON_DB": filepath.Join(geoip, "GeoIP2-Anonymous-IP-Test.mmdb"),
		// The raw messages the message samples' notifications name.
		"OBJECTS_DIR": filepath.Join(root, "testdata", "objects"),
	}
	for _, name := range passed {
		v := getenv(name)
		if v == "" {
			continue
		}
		if paths[name] && !strings.Contains(v, ":") && !filepath.IsAbs(v) {
			abs, err := filepath.Abs(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			v = abs
		}
		settings[name] = v
	}
	env := lambdalocal.Local{
		Function: function, Home: home, DynamoDB: endpoint,
		StateTable: tables.State, Queue: tables.Queue, HashKey: key,
	}.Env()
	for name, v := range settings {
		env = append(env, name+"="+v)
	}
	return env, nil
}

// createTables creates the tables from template.yaml where they are absent.
func createTables(ctx context.Context, root, endpoint string, tables dynamo.Tables) error {
	tmpl, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		return err
	}
	// Dummy keys, never the caller's: the server is local.
	o := dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	dynamo.Retries(&o)
	client := dynamodb.New(o)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return dynamo.CreateTables(ctx, client, tmpl, tables)
}

// startDynalite starts an in-memory dynalite on a free loopback port; stop
// ends it. It also ends when this process does: it exits when its standard
// input closes.
func startDynalite(ctx context.Context, root string) (endpoint string, stop func(), err error) {
	if _, err := os.Stat(filepath.Join(root, "infra", "node_modules", "dynalite", "package.json")); err != nil {
		return "", nil, errors.New("dynalite is not installed: run npm ci --prefix infra (or set DYNAMODB_ENDPOINT)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return "", nil, fmt.Errorf("dynalite needs node: %w", err)
	}
	cmd := exec.Command(node, filepath.Join(root, "infra", "dynalite.js"), "--host", "127.0.0.1", "--port", "0", "--exit-with-stdin")
	cmd.Dir = filepath.Join(root, "infra")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start dynalite: %w", err)
	}
	exited := make(chan struct{})
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(exited)
	}()
	stop = func() {
		_ = in.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	select {
	case line := <-first:
		if port, ok := strings.CutPrefix(line, "listening "); ok {
			return "http://127.0.0.1:" + port, stop, nil
		}
		stop()
		return "", nil, fmt.Errorf("start dynalite: unexpected output %q", line)
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, errors.New("start dynalite: not listening after 30s")
	case <-ctx.Done():
		stop()
		return "", nil, ctx.Err()
	}
}

// loopback refuses an endpoint that is not on this machine: a local run
// never writes to a shared or real table.
func loopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("DYNAMODB_ENDPOINT %q: want http://127.0.0.1:PORT", endpoint)
	}
	if u.Hostname() == "localhost" {
		return nil
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("DYNAMODB_ENDPOINT %q is not on loopback: a local run only talks to a local server", endpoint)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported systems
	return b
}

func randomText(n int) string {
	return fmt.Sprintf("%x", randomBytes(n))
}
