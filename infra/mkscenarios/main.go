// Command mkscenarios writes a labelled synthetic scenario of internal/synth:
// PREFIX.jsonl, the event stream as contract envelopes (spec/events.md), one
// a line in time order, ready for abusectl replay or backtest (signups and,
// with -logins, the accounts' sign-ins between them), and PREFIX.labels.jsonl,
// the truth about every account (synth.Label), one a line, in the order of
// the accounts' first events. The output is byte-for-byte reproducible from
// the scenario, the seed and -logins.
//
// Usage, from the repository root:
//
//	go run ./infra/mkscenarios -scenario demo -out testdata/scenarios/demo
//	go run ./infra/mkscenarios -scenario backtest -seed 42 -out /tmp/backtest
//	go run ./infra/mkscenarios -scenario backtest -logins=false -out /tmp/signups
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mkscenarios:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mkscenarios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scenario := fs.String("scenario", "demo", "scenario to write: demo or backtest")
	seed := fs.Int64("seed", 0, "seed (default: the scenario's own, which the committed files use)")
	logins := fs.Bool("logins", false, "add the accounts' sign-ins (Mailbox Login events) (default: true for backtest, as abusectl backtest runs it; false for demo)")
	out := fs.String("out", "", "output prefix: writes PREFIX.jsonl and PREFIX.labels.jsonl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("-out PREFIX is required")
	}
	var cfg synth.Config
	switch *scenario {
	case "demo":
		cfg = synth.Demo()
	case "backtest":
		cfg = synth.Backtest()
	default:
		return fmt.Errorf("unknown scenario %q (want demo or backtest)", *scenario)
	}
	// The backtest scenario as abusectl backtest runs it; the demo stays
	// the signup stream the README shows.
	cfg.Logins = *scenario == "backtest"
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "seed":
			cfg.Seed = *seed
		case "logins":
			cfg.Logins = *logins
		}
	})
	evs, labels, err := synth.Generate(cfg)
	if err != nil {
		return fmt.Errorf("generate %s: %w", *scenario, err)
	}
	if dir := filepath.Dir(*out); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := writeLines(*out+".jsonl", len(evs), func(i int) ([]byte, error) { return event.Marshal(evs[i]) }); err != nil {
		return err
	}
	if err := writeLines(*out+".labels.jsonl", len(labels), func(i int) ([]byte, error) { return json.Marshal(labels[i]) }); err != nil {
		return err
	}
	campaign, established := 0, 0
	for _, l := range labels {
		switch {
		case l.Campaign != "":
			campaign++
		case l.Kind == synth.Established:
			established++
		}
	}
	signups := len(labels) - established
	fmt.Fprintf(stderr, "mkscenarios: %s (seed %d): %d signups, %d genuine and %d from %d campaigns; %d sign-ins (%d established accounts only sign in); to %s.jsonl and %s.labels.jsonl\n",
		*scenario, cfg.Seed, signups, signups-campaign, campaign, len(cfg.Campaigns), len(evs)-signups, established, *out, *out)
	return nil
}

// writeFile writes name through a temporary file in the same folder, so that
// a failed run never leaves half a scenario behind.
func writeFile(name string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := write(w); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return os.Rename(tmp.Name(), name)
}

// writeLines writes n JSON Lines, the i-th from line(i).
func writeLines(path string, n int, line func(i int) ([]byte, error)) error {
	return writeFile(path, func(w io.Writer) error {
		for i := range n {
			b, err := line(i)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
				return err
			}
		}
		return nil
	})
}
