package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

func cmdQueue(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: queue list|show|release|dismiss|apply", errUsage)
	}
	sub, rest := args[0], args[1:]
	if isHelp(sub) {
		return helpRequest{cmd: "queue"}
	}
	fs := newFlagSet("queue " + sub)
	var sf storeFlags
	sf.register(fs, getenv)
	// Only a replay creates a store: an empty one made here would read as
	// an empty queue.
	sf.mustExist = true
	pretty := fs.Bool("pretty", false, "indented JSON instead of one item a line")
	switch sub {
	case "list":
		status := fs.String("status", "pending", "pending, applied, released or dismissed")
		action := fs.String("action", "", "suspend or review (default both)")
		limit := fs.Int("limit", 0, "at most this many items (0: all)")
		format := fs.String("format", "json", "json (JSON Lines) or table (for people; text escaped)")
		if err := parseInterleaved(fs, rest, 0); err != nil {
			return err
		}
		s, a := queue.Status(*status), queue.Action(*action)
		if !s.Valid() {
			return fmt.Errorf("%w: --status %q", errUsage, *status)
		}
		if a != "" && !a.Valid() {
			return fmt.Errorf("%w: --action %q", errUsage, *action)
		}
		if *format != "json" && *format != "table" {
			return fmt.Errorf("%w: --format %q: want json or table", errUsage, *format)
		}
		st, closeStore, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer closeStore()
		items, err := st.ListQueue(ctx, s, a, *limit)
		if err != nil {
			return err
		}
		if *format == "table" {
			return WriteTable(stdout, items)
		}
		return writeItems(stdout, items, *pretty)
	case "show":
		if err := parseInterleaved(fs, rest, 1); err != nil {
			return err
		}
		st, closeStore, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer closeStore()
		it, err := st.QueueItem(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		return writeItems(stdout, []queue.Item{it}, *pretty)
	case "release", "dismiss", "apply":
		by := fs.String("by", "", "who decided (required)")
		note := fs.String("note", "", "why (required)")
		if err := parseInterleaved(fs, rest, 1); err != nil {
			return err
		}
		if strings.TrimSpace(*by) == "" || strings.TrimSpace(*note) == "" {
			return fmt.Errorf("%w: --by and --note are required", errUsage)
		}
		to := map[string]queue.Status{"release": queue.Released, "dismiss": queue.Dismissed, "apply": queue.Applied}[sub]
		st, closeStore, err := sf.open(ctx, false)
		if err != nil {
			return err
		}
		defer closeStore()
		it, err := decide(ctx, st, fs.Arg(0), to, *by, *note, now)
		if err != nil {
			return err
		}
		return writeItems(stdout, []queue.Item{it}, *pretty)
	}
	return fmt.Errorf("%w: unknown queue command %q: want list, show, release, dismiss or apply", errUsage, sub)
}

// writeItems writes items as JSON Lines, or indented when pretty.
func writeItems(w io.Writer, items []queue.Item, pretty bool) error {
	if !pretty {
		return WriteItems(w, items)
	}
	bw := bufio.NewWriter(w)
	for _, it := range items {
		if err := WriteJSON(bw, it, "  "); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// decide changes an item's status with a conditional write, re-reading on a
// concurrent change so a person's decision is never lost to a scanner write.
// now dates the decision.
func decide(ctx context.Context, st store, id string, to queue.Status, by, note string, now func() time.Time) (queue.Item, error) {
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := st.QueueItem(ctx, id)
		if err != nil {
			return queue.Item{}, err
		}
		// Both stores keep milliseconds: a finer time would make the item
		// printed differ from the item stored.
		next, err := queue.Decide(cur, to, by, note, now().UTC().Truncate(time.Millisecond))
		if err != nil {
			return queue.Item{}, fmt.Errorf("%s: %w", id, err)
		}
		errs := st.PutQueueItems(ctx, []queue.Write{{Item: next, PrevVersion: cur.Version}})
		if len(errs) == 1 && errs[0] == nil {
			return next, nil
		}
		if len(errs) == 1 && !errors.Is(errs[0], queue.ErrConflict) {
			return queue.Item{}, errs[0]
		}
	}
	return queue.Item{}, fmt.Errorf("%s: %w five times; try again", id, queue.ErrConflict)
}

// parseInterleaved parses flags that may come before or after the
// positional arguments, and checks their number.
func parseInterleaved(fs *flag.FlagSet, args []string, positional int) error {
	if err := parseAnywhere(fs, args); err != nil {
		return err
	}
	if fs.NArg() != positional {
		return fmt.Errorf("%w: want %d argument(s), got %d", errUsage, positional, fs.NArg())
	}
	return nil
}

// parseAnywhere parses flags that may come before or after the positional
// arguments, which fs.Args then returns.
func parseAnywhere(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, pos...))
}
