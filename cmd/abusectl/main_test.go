package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/queue"
)

// TestMain stops the dynalite server the DynamoDB test may start.
func TestMain(m *testing.M) { dynamotest.Main(m) }

// Test inputs, relative to this package's folder (where go test runs).
const (
	demoFile   = "../../testdata/scenarios/demo.jsonl"
	demoLabels = "../../testdata/scenarios/demo.labels.jsonl"
	geoipDir   = "../../testdata/geoip"
)

// testHashKey is longer than keyhash's minimum, so no run falls back to the
// development key.
const testHashKey = "abusectl-test-hash-key-0123456789"

// testEnv is the environment every run sees: only what is set here, so
// that nothing of the machine's (GEOIP_*, DYNAMODB_ENDPOINT, RULES_SOURCE…)
// leaks in.
func testEnv() map[string]string {
	return map[string]string{"HASH_KEY": testHashKey}
}

// geoFlags point the three GeoIP flags at the generated test databases.
func geoFlags() []string {
	return []string{
		"--geoip-city", filepath.Join(geoipDir, "GeoIP2-City-Test.mmdb"),
		"--geoip-asn", filepath.Join(geoipDir, "GeoLite2-ASN-Test.mmdb"),
		"--geoip-anon", filepath.Join(geoipDir, "GeoIP2-Anonymous-IP-Test.mmdb"),
	}
}

// outcome is what one run of abusectl did.
type outcome struct {
	code           int
	stdout, stderr string
}

// testNow is the clock of every run: after the demo's last event, and finer
// than the stores keep, so that a test shows which time a command used and
// whether it printed what it stored, whatever the machine's clock says.
var testNow = time.Date(2027, 1, 15, 9, 30, 0, 123456789, time.UTC)

// cli runs abusectl with args, standard input stdin and the environment
// env (testEnv when nil), at testNow.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) outcome {
	t.Helper()
	return cliAt(t, testNow, env, stdin, args...)
}

// cliAt is cli with the clock stopped at now.
func cliAt(t *testing.T, now time.Time, env map[string]string, stdin string, args ...string) outcome {
	t.Helper()
	if env == nil {
		env = testEnv()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] }, func() time.Time { return now })
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// mustRun runs abusectl and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) outcome {
	t.Helper()
	o := cli(t, nil, "", args...)
	if o.code != 0 {
		t.Fatalf("abusectl %s: exit %d, want 0\nstderr:\n%s", strings.Join(args, " "), o.code, o.stderr)
	}
	return o
}

// replayArgs is a replay of files into the embedded store at db.
func replayArgs(db string, files ...string) []string {
	args := append([]string{"replay", "--db", db}, geoFlags()...)
	return append(args, files...)
}

// newDB returns the path of a fresh embedded store for one test.
func newDB(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "abusectl.db")
}

// contractFields are the attributes every queue item carries
// (spec/queue.md); cluster is optional.
var contractFields = []string{"accountId", "action", "status", "score", "reasons", "eventIds", "createdAt", "updatedAt", "version"}

// parseItems reads JSON Lines of queue items, checking each line against
// the contract: every field present, and nothing queue.Item does not know.
func parseItems(t *testing.T, out string) []queue.Item {
	t.Helper()
	var items []queue.Item
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("output line %d is not a JSON object: %v\n%s", n, err, sc.Text())
		}
		for _, f := range contractFields {
			if _, ok := fields[f]; !ok {
				t.Errorf("output line %d has no %q: %s", n, f, sc.Text())
			}
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var it queue.Item
		if err := dec.Decode(&it); err != nil {
			t.Fatalf("output line %d is not a queue item: %v\n%s", n, err, sc.Text())
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return items
}

// checkItem checks one item against spec/queue.md.
func checkItem(t *testing.T, it queue.Item, wantStatus queue.Status) {
	t.Helper()
	if it.AccountID == "" {
		t.Errorf("item with no accountId: %+v", it)
	}
	if it.Action != queue.Suspend && it.Action != queue.Review {
		t.Errorf("%s: action %q, want suspend or review", it.AccountID, it.Action)
	}
	if it.Status != wantStatus {
		t.Errorf("%s: status %q, want %q", it.AccountID, it.Status, wantStatus)
	}
	if it.Score < 0 || it.Score > 100 {
		t.Errorf("%s: score %d, want 0..100", it.AccountID, it.Score)
	}
	if len(it.Reasons) == 0 {
		t.Errorf("%s: no reasons", it.AccountID)
	}
	for i, r := range it.Reasons {
		if r.Rule == "" || r.Detail == "" {
			t.Errorf("%s: reason %d = %+v, want a rule and a detail", it.AccountID, i, r)
		}
		if i > 0 && r.Points > it.Reasons[i-1].Points {
			t.Errorf("%s: reasons not strongest first: %+v", it.AccountID, it.Reasons)
		}
	}
	if len(it.EventIDs) == 0 || len(it.EventIDs) > queue.MaxEventIDs {
		t.Errorf("%s: %d event ids, want 1..%d", it.AccountID, len(it.EventIDs), queue.MaxEventIDs)
	}
	if it.CreatedAt.IsZero() || it.UpdatedAt.Before(it.CreatedAt) {
		t.Errorf("%s: createdAt %v, updatedAt %v", it.AccountID, it.CreatedAt, it.UpdatedAt)
	}
	if it.Version < 1 {
		t.Errorf("%s: version %d, want >= 1", it.AccountID, it.Version)
	}
}

// checkCreationOrder checks that items come oldest first.
func checkCreationOrder(t *testing.T, items []queue.Item) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		if items[i].CreatedAt.Before(items[i-1].CreatedAt) {
			t.Errorf("item %d (%s, created %v) listed after %s, created %v: not in creation order",
				i, items[i].AccountID, items[i].CreatedAt, items[i-1].AccountID, items[i-1].CreatedAt)
			return
		}
	}
}

// summary is the replay's one-line summary on standard error.
type summary map[string]int

var summaryFields = map[string]*regexp.Regexp{
	"read":           regexp.MustCompile(`events read (\d+)`),
	"rejected":       regexp.MustCompile(`rejected (\d+)`),
	"failed":         regexp.MustCompile(`failed (\d+)`),
	"duplicates":     regexp.MustCompile(`duplicates (\d+)`),
	"skipped":        regexp.MustCompile(`skipped (\d+)`),
	"queued suspend": regexp.MustCompile(`queue pending: suspend (\d+)`),
	"queued review":  regexp.MustCompile(`queue pending: suspend \d+, review (\d+)`),
}

// parseSummary finds the summary line in stderr.
func parseSummary(t *testing.T, stderr string) summary {
	t.Helper()
	var line string
	for l := range strings.Lines(stderr) {
		if strings.Contains(l, "events read") {
			if line != "" {
				t.Fatalf("more than one summary line:\n%s", stderr)
			}
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no summary line on standard error:\n%s", stderr)
	}
	s := summary{}
	for name, re := range summaryFields {
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("summary %q does not say %s", line, name)
		}
		s[name], _ = strconv.Atoi(m[1])
	}
	return s
}

// label is one line of a labels file.
type label struct {
	AccountID string `json:"accountId"`
	Campaign  string `json:"campaign"`
	Kind      string `json:"kind"`
}

func labelsByAccount(t *testing.T, path string) map[string]label {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]label{}
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l label
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[l.AccountID] = l
	}
	return out
}

// demoLines returns the demo's lines, keyed by event id.
func demoLines(t *testing.T) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for line := range bytes.Lines(b) {
		var env struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(line, &env); err != nil {
			t.Fatal(err)
		}
		out[env.ID] = bytes.TrimSpace(line)
	}
	return out
}

// demoHead returns the first n lines of the demo.
func demoHead(t *testing.T, n int) [][]byte {
	t.Helper()
	b, err := os.ReadFile(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for line := range bytes.Lines(b) {
		if len(out) == n {
			break
		}
		out = append(out, bytes.TrimSpace(line))
	}
	return out
}

// writeFile writes lines, one a line, to a new file in a temporary folder.
func writeFile(t *testing.T, name string, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// withField returns the envelope line with one field set (path: "id",
// "detail.ip", …).
func withField(t *testing.T, line []byte, path string, value any) string {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(line, &env); err != nil {
		t.Fatal(err)
	}
	m := env
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	m[parts[len(parts)-1]] = value
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func accountIDs(items []queue.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.AccountID
	}
	return out
}

func TestExitStatus(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	demo := demoFile
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string // substrings
	}{
		{"no command", nil, 2, []string{"Usage"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"help", []string{"help"}, 0, nil},
		{"replay bad flag", []string{"replay", "--no-such-flag", demo}, 2, []string{"no-such-flag"}},
		{"replay no files", []string{"replay", "--db", filepath.Join(dir, "a.db")}, 2, []string{"no input files"}},
		{"replay bad store", []string{"replay", "--store", "bogus", "--db", filepath.Join(dir, "b.db"), demo}, 2, []string{`"bogus"`}},
		{"replay bad batch flag value", []string{"replay", "--batch", "many", demo}, 2, []string{"batch"}},
		{"replay bad thresholds", []string{"replay", "--db", filepath.Join(dir, "c.db"), "--review", "90", "--suspend", "60", demo}, 2, nil},
		{"replay missing file", []string{"replay", "--db", filepath.Join(dir, "d.db"), filepath.Join(dir, "missing.jsonl")}, 1, []string{"missing.jsonl", "no such file"}},
		{"replay a folder", []string{"replay", "--db", filepath.Join(dir, "e.db"), dir}, 1, []string{"is a directory"}},
		{"replay unusable store", []string{"replay", "--db", filepath.Join(dir, "no", "such", "folder", "f.db"), demo}, 1, nil},
		{"replay missing rules file", []string{"replay", "--db", filepath.Join(dir, "g.db"), "--rules", filepath.Join(dir, "missing.yaml"), demo}, 1, []string{"rules"}},
		{"queue no subcommand", []string{"queue"}, 2, nil},
		{"queue unknown subcommand", []string{"queue", "frobnicate"}, 2, []string{`"frobnicate"`}},
		{"queue list bad status", []string{"queue", "list", "--db", filepath.Join(dir, "h.db"), "--status", "gone"}, 2, []string{`"gone"`}},
		{"queue list bad action", []string{"queue", "list", "--db", filepath.Join(dir, "h.db"), "--action", "ban"}, 2, []string{`"ban"`}},
		{"queue list bad store", []string{"queue", "list", "--store", "bogus"}, 2, []string{`"bogus"`}},
		{"queue show no id", []string{"queue", "show", "--db", filepath.Join(dir, "h.db")}, 2, nil},
		{"queue show two ids", []string{"queue", "show", "--db", filepath.Join(dir, "h.db"), "acc-1", "acc-2"}, 2, nil},
		{"rules no subcommand", []string{"rules"}, 2, nil},
		{"rules unknown subcommand", []string{"rules", "frobnicate"}, 2, nil},
		{"rules check missing file", []string{"rules", "check", filepath.Join(dir, "missing.yaml")}, 1, []string{"missing.yaml"}},
		{"backtest FILE without labels", []string{"backtest", demo}, 2, []string{"--labels"}},
		{"backtest two files", []string{"backtest", "--labels", demoLabels, demo, demo}, 2, nil},
		{"backtest unknown scenario", []string{"backtest", "--scenario", "bogus"}, 2, []string{`"bogus"`}},
		{"backtest missing labels", []string{"backtest", "--labels", filepath.Join(dir, "missing.labels.jsonl"), demo}, 1, []string{"missing.labels.jsonl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", tc.args...)
			if o.code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstderr:\n%s", o.code, tc.wantCode, o.stderr)
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, o.stderr)
				}
			}
			if tc.wantCode != 0 && o.stdout != "" {
				t.Errorf("stdout = %q, want nothing from a failed run", o.stdout)
			}
		})
	}
}

func TestReplayDemo(t *testing.T) {
	t.Parallel()
	o := mustRun(t, replayArgs(newDB(t), demoFile)...)
	items := parseItems(t, o.stdout)
	labels := labelsByAccount(t, demoLabels)

	var campaign, suspended, caught int
	for _, l := range labels {
		if l.Campaign != "" {
			campaign++
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		checkItem(t, it, queue.Pending)
		if seen[it.AccountID] {
			t.Errorf("%s is queued twice", it.AccountID)
		}
		seen[it.AccountID] = true
		l, ok := labels[it.AccountID]
		switch {
		case !ok:
			t.Errorf("%s is queued but not in the demo", it.AccountID)
		case it.Action == queue.Suspend && l.Campaign == "":
			t.Errorf("genuine account %s (%s) queued for suspension: score %d, %+v", it.AccountID, l.Kind, it.Score, it.Reasons)
		}
		if it.Action == queue.Suspend {
			suspended++
			if l.Campaign != "" {
				caught++
			}
		}
	}
	if campaign == 0 {
		t.Fatal("the demo labels no campaign account")
	}
	if float64(caught) < 0.95*float64(campaign) {
		t.Errorf("%d of %d campaign accounts queued for suspension, want at least 95%%", caught, campaign)
	}

	s := parseSummary(t, o.stderr)
	want := summary{
		"read": len(labels), "rejected": 0, "failed": 0, "duplicates": 0,
		"queued suspend": suspended, "queued review": len(items) - suspended,
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("summary %s = %d, want %d\n%s", k, s[k], v, o.stderr)
		}
	}
	if strings.Contains(o.stderr, "HASH_KEY not set") {
		t.Errorf("the run used the development key although HASH_KEY is set:\n%s", o.stderr)
	}
	if strings.Contains(o.stderr, "no database configured") {
		t.Errorf("a GeoIP database given by flag was not used:\n%s", o.stderr)
	}
}

func TestReplayBadLines(t *testing.T) {
	t.Parallel()
	lines := demoHead(t, 3)
	file := writeFile(t, "bad.jsonl",
		string(lines[0]),
		`{"version":"0","id":`, // not JSON
		withField(t, lines[1], "detail.ip", "198.51.100.300"),
		"",
		string(lines[2]),
	)
	db := newDB(t)
	o := mustRun(t, replayArgs(db, file)...)

	errLines := map[string]string{}
	for l := range strings.Lines(o.stderr) {
		for _, n := range []string{"1", "2", "3", "4", "5"} {
			if strings.HasPrefix(l, file+":"+n+":") {
				errLines[n] = l
			}
		}
	}
	if _, ok := errLines["2"]; !ok {
		t.Errorf("no error for %s:2 (not JSON):\n%s", file, o.stderr)
	}
	if l, ok := errLines["3"]; !ok || !strings.Contains(l, "detail.ip") {
		t.Errorf("error for %s:3 = %q, want one naming detail.ip:\n%s", file, l, o.stderr)
	}
	for _, n := range []string{"1", "4", "5"} {
		if l, ok := errLines[n]; ok {
			t.Errorf("error reported for good or empty line %s: %s", n, l)
		}
	}
	s := parseSummary(t, o.stderr)
	if s["read"] != 4 || s["rejected"] != 2 || s["failed"] != 0 {
		t.Errorf("summary read %d, rejected %d, failed %d; want 4, 2, 0\n%s", s["read"], s["rejected"], s["failed"], o.stderr)
	}
	if !strings.Contains(o.stderr, "allow 2") {
		t.Errorf("the two good events were not scored (want allow 2):\n%s", o.stderr)
	}
	// Scored, they are signed up: replaying them again is a duplicate.
	again := mustRun(t, replayArgs(db, writeFile(t, "good.jsonl", string(lines[0]), string(lines[2])))...)
	if s := parseSummary(t, again.stderr); s["duplicates"] != 2 {
		t.Errorf("replaying the good events again: duplicates %d, want 2\n%s", s["duplicates"], again.stderr)
	}
}

// TestReplayLongLines checks that a line longer than an event may be is
// rejected by its size, wherever it ends relative to the read buffer, and
// that the lines after it are read whole.
func TestReplayLongLines(t *testing.T) {
	t.Parallel()
	first := demoHead(t, 1)[0]
	pad := func(n int, tail string) string {
		return string(first) + strings.Repeat(" ", n-len(first)-len(tail)) + tail
	}
	const limit = maxLine - 1 // event.MaxEventBytes
	tests := []struct {
		name         string
		line         string
		wantRejected bool
	}{
		{"at the limit", pad(limit, ""), false},
		{"one byte over", pad(limit+1, ""), true},
		{"two bytes over", pad(limit+2, ""), true},
		{"three bytes over", pad(limit+3, ""), true},
		{"one buffer and a bit over", pad(limit+5000, ""), true},
		{"trailing garbage past the buffer", pad(limit+10, "garbage"), true},
		{"two buffers over", pad(3*limit+7, ""), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := mustRun(t, replayArgs(newDB(t), writeFile(t, "long.jsonl", tc.line))...)
			s := parseSummary(t, o.stderr)
			if s["read"] != 1 {
				t.Fatalf("read %d events, want 1\n%s", s["read"], o.stderr)
			}
			if got := s["rejected"] == 1; got != tc.wantRejected {
				t.Errorf("a line of %d bytes: rejected %v, want %v\n%s", len(tc.line), got, tc.wantRejected, o.stderr)
			}
			if tc.wantRejected && !strings.Contains(o.stderr, "more than the limit") {
				t.Errorf("the rejection does not name the size limit:\n%s", o.stderr)
			}
		})
	}
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 100, maxLine - 2, maxLine - 1, maxLine, maxLine + 1, maxLine + 2, 1 << 16, 1<<16 + 1, 70000, 1 << 17, 1<<17 + 3, 200000} {
		for _, nl := range []bool{true, false} {
			t.Run(strconv.Itoa(n)+map[bool]string{true: "+newline", false: ""}[nl], func(t *testing.T) {
				t.Parallel()
				line := bytes.Repeat([]byte("x"), n)
				in := slices.Clone(line)
				if nl {
					in = append(in, '\n')
					in = append(in, "next\n"...)
				}
				br := bufio.NewReaderSize(bytes.NewReader(in), 1<<16)
				got, err := readLine(br)
				if !nl && err == nil {
					t.Errorf("no io.EOF after the last line")
				}
				if nl && err != nil {
					t.Fatalf("readLine: %v", err)
				}
				if n <= maxLine-1 {
					if !bytes.Equal(got, line) {
						t.Errorf("got %d bytes, want the line of %d", len(got), n)
					}
				} else {
					if len(got) <= maxLine-1 {
						t.Errorf("a line of %d bytes read as %d: it must stay over the limit of %d so it is rejected", n, len(got), maxLine-1)
					}
					if len(got) > maxLine+1 || !bytes.HasPrefix(line, got) {
						t.Errorf("a line of %d bytes read as %d bytes, want a prefix of at most %d", n, len(got), maxLine+1)
					}
				}
				if nl {
					next, err := readLine(br)
					if string(next) != "next" || err != nil {
						t.Errorf("next line = %q, %v; want \"next\"", next, err)
					}
				}
			})
		}
	}
}

func TestReplayTwice(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	first := mustRun(t, replayArgs(db, demoFile)...)
	second := mustRun(t, replayArgs(db, demoFile)...)
	if first.stdout != second.stdout {
		a, b := parseItems(t, first.stdout), parseItems(t, second.stdout)
		t.Errorf("second replay's queue differs from the first: %d items then %d", len(a), len(b))
		for i := range min(len(a), len(b)) {
			if a[i].AccountID != b[i].AccountID || a[i].Version != b[i].Version || a[i].Score != b[i].Score {
				t.Errorf("item %d: %s v%d score %d, then %s v%d score %d", i, a[i].AccountID, a[i].Version, a[i].Score, b[i].AccountID, b[i].Version, b[i].Score)
				break
			}
		}
	}
	s1, s2 := parseSummary(t, first.stderr), parseSummary(t, second.stderr)
	if s2["read"] != s1["read"] || s2["duplicates"] != s1["read"] {
		t.Errorf("second replay: read %d, duplicates %d; want %d of each\n%s", s2["read"], s2["duplicates"], s1["read"], second.stderr)
	}
	if s2["queued suspend"] != s1["queued suspend"] || s2["queued review"] != s1["queued review"] {
		t.Errorf("queued changed: %v then %v", s1, s2)
	}
	if !strings.Contains(second.stderr, "suspend 0, review 0, allow 0") {
		t.Errorf("second replay scored events again:\n%s", second.stderr)
	}
}

func TestReplayStdin(t *testing.T) {
	t.Parallel()
	demo, err := os.ReadFile(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	fromFile := mustRun(t, replayArgs(newDB(t), demoFile)...)
	o := cli(t, nil, string(demo), replayArgs(newDB(t), "-")...)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	if o.stdout != fromFile.stdout {
		t.Errorf("replay of standard input printed another queue than replay of the file (%d and %d items)",
			len(parseItems(t, o.stdout)), len(parseItems(t, fromFile.stdout)))
	}
	// A bad line of standard input is named "-".
	bad := cli(t, nil, "{}\n", replayArgs(newDB(t), "-")...)
	if bad.code != 0 || !strings.Contains(bad.stderr, "-:1:") {
		t.Errorf("exit %d, stderr does not name -:1:\n%s", bad.code, bad.stderr)
	}
}

func TestReplayShadow(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	o := mustRun(t, append([]string{"replay", "--shadow", "--db", db}, append(geoFlags(), demoFile)...)...)
	if o.stdout != "" {
		t.Errorf("shadow replay printed a queue:\n%.500s", o.stdout)
	}
	s := parseSummary(t, o.stderr)
	if s["queued suspend"] != 0 || s["queued review"] != 0 {
		t.Errorf("shadow replay queued: %v", s)
	}
	if !regexp.MustCompile(`verdicts: suspend [1-9]`).MatchString(o.stderr) {
		t.Errorf("shadow replay reports no suspend verdicts; it must score as usual:\n%s", o.stderr)
	}
	if l := mustRun(t, "queue", "list", "--db", db); l.stdout != "" {
		t.Errorf("queue list after a shadow replay:\n%.500s", l.stdout)
	}
}

// TestDevHashKey: without HASH_KEY, abusectl hashes with its built-in
// development key only into the local embedded store, or when told so by
// ABUSECTL_DEV_HASH_KEY: hashes in shared DynamoDB tables under a published
// key are reversed by guessing. A weak HASH_KEY is refused everywhere, and
// the key is never printed.
func TestDevHashKey(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "head.jsonl", string(demoHead(t, 3)[0]))
	// A closed port: a refused run must stop before it writes anything.
	closed := []string{"--store", "dynamodb", "--endpoint", "http://127.0.0.1:9", "--state-table", "s", "--queue-table", "q"}
	tests := []struct {
		name     string
		env      map[string]string
		args     func(t *testing.T) []string
		wantCode int
		wantErr  []string // in stderr
	}{
		{"embedded store, development key with a warning", map[string]string{},
			func(t *testing.T) []string { return replayArgs(newDB(t), file) }, 0, []string{"HASH_KEY not set"}},
		{"dynamodb refused", map[string]string{},
			func(t *testing.T) []string { return append(append([]string{"replay"}, closed...), file) },
			1, []string{"HASH_KEY", "ABUSECTL_DEV_HASH_KEY=1"}},
		{"dynamodb refused, explicitly", map[string]string{"ABUSECTL_DEV_HASH_KEY": "0"},
			func(t *testing.T) []string { return append(append([]string{"replay"}, closed...), file) },
			1, []string{"ABUSECTL_DEV_HASH_KEY"}},
		{"not a boolean", map[string]string{"ABUSECTL_DEV_HASH_KEY": "please"},
			func(t *testing.T) []string { return append(append([]string{"replay"}, closed...), file) },
			2, []string{"ABUSECTL_DEV_HASH_KEY", "please"}},
		{"dynamodb allowed when told", map[string]string{"ABUSECTL_DEV_HASH_KEY": "1"},
			func(t *testing.T) []string {
				if testing.Short() {
					t.Skip("replays into a DynamoDB API")
				}
				tables := dynamotest.Tables(t) // skips when there is no DynamoDB API
				return []string{"replay", "--store", "dynamodb", "--endpoint", dynamotest.Endpoint(t),
					"--state-table", tables.State, "--queue-table", tables.Queue, file}
			}, 0, []string{"HASH_KEY not set"}},
		{"weak key refused on the embedded store", map[string]string{"HASH_KEY": strings.Repeat("k3y!", 8)},
			func(t *testing.T) []string { return replayArgs(newDB(t), file) }, 1, []string{"HASH_KEY", "entropy"}},
		{"weak key refused on dynamodb", map[string]string{"HASH_KEY": strings.Repeat(" ", 32)},
			func(t *testing.T) []string { return append(append([]string{"replay"}, closed...), file) }, 1, []string{"HASH_KEY", "entropy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := cli(t, tc.env, "", tc.args(t)...)
			if o.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", o.code, tc.wantCode, o.stderr)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, o.stderr)
				}
			}
			if tc.wantCode != 0 && o.stdout != "" {
				t.Errorf("a refused run printed %q", o.stdout)
			}
			if k := strings.TrimSpace(tc.env["HASH_KEY"]); k != "" && strings.Contains(o.stderr, k) {
				t.Errorf("stderr shows the key:\n%s", o.stderr)
			}
		})
	}
}
