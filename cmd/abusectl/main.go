// Command abusectl runs the abuse scanner outside AWS: it replays JSON Lines
// event files through the same pipeline as the Lambda functions, works the
// suspension queue, checks rules, and backtests them on labelled traffic
// (spec/cli.md). It only wires: every decision is made by internal packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

const usage = `abusectl: run the email-account abuse scanner locally.

Usage:
  abusectl replay [flags] FILE.jsonl...      score events into the store (created if absent), print the queue
  abusectl queue list [--status S] [--action A] [--limit N] [--format json|table]
  abusectl queue show ACCOUNT_ID
  abusectl queue release|dismiss|apply ACCOUNT_ID --by NAME --note TEXT
  abusectl queue history ACCOUNT_ID [--format json|table]  who changed the item, when, from what to what, and why
  abusectl serve [--addr 127.0.0.1:8080] [--by NAME]  the review page over the store, on loopback
  abusectl backtest [flags] [FILE.jsonl --labels FILE.labels.jsonl]
  abusectl rules signals [--kind signup|login] [--format json|table]  every signal a rule may use
  abusectl rules check [FILE] [--format json|table]  compile and type-check a rules file (default: the embedded rules)
  abusectl rules show [--kind signup|login]  print the embedded rules
  abusectl state show KIND VALUE             the windows, baseline and recent accounts behind a count (KIND login: an account's login history)
  abusectl cluster show ACCOUNT|CLUSTER [--json] [--limit N]  a campaign cluster: its root, judgement, link kinds and members by join time
  abusectl --version                         the module version and VCS revision of this build

Queue commands open an existing store (--db FILE, default abusectl.db; "make
demo" leaves .demo.db). Output is JSON Lines; --pretty indents it.
Run "abusectl COMMAND -h" for a command's flags.
`

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv, time.Now)
	stop()
	os.Exit(code)
}

// run is main without the process: testable end to end. now is the clock
// that dates a person's queue decisions.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "replay":
		err = cmdReplay(ctx, args[1:], stdin, stdout, stderr, getenv, now)
	case "queue":
		err = cmdQueue(ctx, args[1:], stdout, stderr, getenv, now)
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, getenv, now)
	case "backtest":
		err = cmdBacktest(ctx, args[1:], stdout, stderr, getenv)
	case "rules":
		err = cmdRules(args[1:], stdout, stderr)
	case "state":
		err = cmdState(ctx, args[1:], stdout, stderr, getenv)
	case "cluster":
		err = cmdCluster(ctx, args[1:], stdout, stderr, getenv)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, version(debug.ReadBuildInfo()))
		return 0
	default:
		fmt.Fprintf(stderr, "abusectl: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var help helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		if err := help.write(stdout); err != nil {
			fmt.Fprintf(stderr, "abusectl %s: %s\n", args[0], Escape(err.Error()))
			return 1
		}
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "abusectl %s: %s\nRun \"abusectl %s -h\" for usage.\n", args[0], Escape(err.Error()), args[0])
		return 2
	default:
		fmt.Fprintf(stderr, "abusectl %s: %s\n", args[0], Escape(err.Error()))
		return 1
	}
}

// helpRequest is what a command returns for -h or --help: run writes its
// usage lines and flags to standard output and exits 0, because asking for
// help is not a mistake.
type helpRequest struct {
	cmd string        // "queue list", or "queue" for the command's list
	fs  *flag.FlagSet // its flags, if it has any
}

func (h helpRequest) Error() string { return "abusectl " + h.cmd + ": help requested" }

// lines returns the lines of the usage that describe h.cmd.
func (h helpRequest) lines() []string {
	var lines []string
	for l := range strings.Lines(usage) {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "abusectl" && describes(f[1:], strings.Fields(h.cmd)) {
			lines = append(lines, l)
		}
	}
	return lines
}

// write prints the lines of the usage that describe h.cmd, then its flags.
func (h helpRequest) write(w io.Writer) error {
	lines := h.lines()
	if len(lines) == 0 {
		lines = []string{"  abusectl " + h.cmd + " [flags]\n"}
	}
	if _, err := fmt.Fprintf(w, "Usage:\n%s", strings.Join(lines, "")); err != nil {
		return err
	}
	if h.fs == nil {
		return nil
	}
	hasFlags := false
	h.fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if !hasFlags {
		return nil
	}
	if _, err := fmt.Fprintln(w, "\nFlags:"); err != nil {
		return err
	}
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
	return nil
}

// describes reports whether a usage line's words (after "abusectl") are
// about the command words cmd: "queue release|dismiss|apply ID" describes
// "queue dismiss", and every queue line describes "queue".
func describes(line, cmd []string) bool {
	for i, w := range cmd {
		if i >= len(line) || !slices.Contains(strings.Split(line[i], "|"), w) {
			return false
		}
	}
	return true
}

// isHelp reports whether arg asks for help in place of a subcommand.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help" || arg == "help"
}

// newFlagSet returns a flag set that prints nothing itself: run reports a
// parse error on standard error and help on standard output.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs: -h or --help becomes a helpRequest, any
// other error a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return helpRequest{cmd: fs.Name(), fs: fs}
	default:
		return fmt.Errorf("%w: %v", errUsage, err)
	}
}

// version describes this build from its build information: the main
// module's version ("devel" for a build from a work tree, where Go writes
// "(devel)") and the VCS revision, its time and whether the tree had local
// changes, as far as the build recorded them.
func version(bi *debug.BuildInfo, ok bool) string {
	if !ok || bi == nil {
		return "abusectl: version unknown (built without module information)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	out := "abusectl " + v
	if bi.Main.Path != "" {
		out += " (" + bi.Main.Path + ")"
	}
	if rev == "" {
		out += ", revision unknown (built without VCS information)"
	} else {
		out += ", revision " + rev
		if at != "" {
			out += " of " + at
		}
		if modified {
			out += ", with uncommitted changes"
		}
	}
	if bi.GoVersion != "" {
		out += ", " + bi.GoVersion
	}
	return out
}
