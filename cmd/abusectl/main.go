// Command abusectl runs the abuse scanner outside AWS: it replays JSON Lines
// event files through the same pipeline as the Lambda functions, works the
// suspension queue, checks rules, and backtests them on labelled traffic
// (spec/cli.md). It only wires: every decision is made by internal packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `abusectl: run the email-account abuse scanner locally.

Usage:
  abusectl replay [flags] FILE.jsonl...      score events, print the queue
  abusectl queue list [--status S] [--action A] [--limit N]
  abusectl queue show ACCOUNT_ID
  abusectl queue release|dismiss|apply ACCOUNT_ID --by NAME --note TEXT
  abusectl backtest [flags] [FILE.jsonl --labels FILE.labels.jsonl]
  abusectl rules signals|check [FILE]
  abusectl state show KIND VALUE             the windows, baseline and recent accounts behind a count

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
	case "backtest":
		err = cmdBacktest(ctx, args[1:], stdout, stderr, getenv)
	case "rules":
		err = cmdRules(args[1:], stdout, stderr)
	case "state":
		err = cmdState(ctx, args[1:], stdout, stderr, getenv)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "abusectl: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "abusectl %s: %s\n", args[0], Escape(err.Error()))
		return 2
	default:
		fmt.Fprintf(stderr, "abusectl %s: %s\n", args[0], Escape(err.Error()))
		return 1
	}
}
