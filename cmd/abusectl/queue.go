package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

func cmdQueue(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: queue list|show|history|release|dismiss|apply", errUsage)
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
	case "history":
		format := fs.String("format", "json", "json (JSON Lines, one change a line) or table (for people: the reasons, event ids and changes; text escaped)")
		if err := parseInterleaved(fs, rest, 1); err != nil {
			return err
		}
		if *format != "json" && *format != "table" {
			return fmt.Errorf("%w: --format %q: want json or table", errUsage, *format)
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
		if *format == "table" {
			return WriteHistoryTable(stdout, it)
		}
		return writeChanges(stdout, it.History, *pretty)
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
	return fmt.Errorf("%w: unknown queue command %q: want list, show, history, release, dismiss or apply", errUsage, sub)
}

// writeChanges writes an item's history as JSON Lines, one change a line,
// oldest first, or indented when pretty.
func writeChanges(w io.Writer, h []queue.Change, pretty bool) error {
	indent := ""
	if pretty {
		indent = "  "
	}
	bw := bufio.NewWriter(w)
	for _, c := range h {
		if err := WriteJSON(bw, c, indent); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// historyTime is how the history table shows times: as the stores keep them.
const historyTime = "2006-01-02T15:04:05.000Z"

// WriteHistoryTable writes what an appeal asks of an item, for people: the
// account and where it stands, the evidence it holds now (every reason and
// the ids of the events that raised it), then its history oldest first:
// when, who, from and to, the version and why. Every string is escaped.
func WriteHistoryTable(w io.Writer, it queue.Item) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ACCOUNT\t%s\n", Escape(it.AccountID))
	fmt.Fprintf(tw, "NOW\t%s, version %d, score %d, updated %s\n", Escape(it.State()), it.Version, it.Score, it.UpdatedAt.UTC().Format(historyTime))
	label := "REASONS"
	for _, r := range it.Reasons {
		fmt.Fprintf(tw, "%s\t%d %s: %s\n", label, r.Points, Escape(r.Rule), Escape(r.Detail))
		label = ""
	}
	if label != "" {
		fmt.Fprintf(tw, "%s\t(none)\n", label)
	}
	label = "EVENTS"
	for _, id := range it.EventIDs {
		fmt.Fprintf(tw, "%s\t%s\n", label, Escape(id))
		label = ""
	}
	if label != "" {
		fmt.Fprintf(tw, "%s\t(none)\n", label)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if len(it.History) == 0 {
		_, err := fmt.Fprintln(w, "no history: the item was written before history was kept")
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tBY\tFROM\tTO\tVERSION\tNOTE")
	for _, c := range it.History {
		from := cmp.Or(c.From, "-")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", c.At.UTC().Format(historyTime), Escape(cmp.Or(c.By, "-")),
			Escape(from), Escape(c.To), c.Version, Escape(c.Note))
	}
	return tw.Flush()
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
