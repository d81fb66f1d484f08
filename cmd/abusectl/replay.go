package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
)

// tally counts what a replay did.
type tally struct {
	read, rejected, failed, duplicates, skipped int
	verdicts                                    map[pipeline.Verdict]int
}

func (t *tally) add(r pipeline.Result) {
	t.read++
	switch r.Outcome() {
	case pipeline.Rejected:
		t.rejected++
	case pipeline.Failed:
		t.failed++
	case pipeline.Duplicate:
		t.duplicates++
	case pipeline.Skipped:
		t.skipped++
	default:
		if t.verdicts == nil {
			t.verdicts = map[pipeline.Verdict]int{}
		}
		t.verdicts[r.Verdict]++
	}
}

func (t *tally) String() string {
	return fmt.Sprintf("events read %d, rejected %d, failed %d, duplicates %d, skipped %d; verdicts: suspend %d, review %d, allow %d",
		t.read, t.rejected, t.failed, t.duplicates, t.skipped,
		t.verdicts[pipeline.Suspend], t.verdicts[pipeline.Review], t.verdicts[pipeline.Allow])
}

func cmdReplay(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string, now func() time.Time) (err error) {
	fs := newFlagSet("replay")
	var sf storeFlags
	var scan scanFlags
	sf.register(fs, getenv)
	scan.register(fs, getenv)
	objectsDir := fs.String("objects", getenv("OBJECTS_DIR"), "folder of Mailbox Message Sent objects (DIR/BUCKET/KEY)")
	pretty := fs.Bool("pretty", false, "print the queue as indented JSON instead of one item a line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *objectsDir != "" {
		// Opened now, so that a wrong path fails the run at once.
		dir, err := objects.OpenDir(*objectsDir, 0)
		if err != nil {
			return err
		}
		defer dir.Close()
		scan.objects = dir
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: no input files (use - for standard input)", errUsage)
	}
	st, closeStore, err := sf.open(ctx, true)
	if err != nil {
		return err
	}
	// Closing writes the last buffered changes: its failure is the run's.
	defer func() {
		if cerr := closeStore(); cerr != nil && err == nil {
			err = fmt.Errorf("close store: %w", cerr)
		}
	}()
	// History is judged by its own times, but nothing is dated past now:
	// a year-9999 event would otherwise keep shared keys forever.
	sc, err := scan.build(st, getenv, stderr, setup.Clock{Now: now, History: true})
	if err != nil {
		return err
	}
	defer sc.Close()

	var t tally
	progress := newProgress(stderr)
	expire := expirer(st, sc.Pipeline)
	for _, name := range fs.Args() {
		err := replayFile(ctx, name, stdin, sc.Pipeline, scan.batch, expire, func(r pipeline.Result) {
			t.add(r)
			if r.Err != nil {
				fmt.Fprintf(stderr, "%s: %s\n", Escape(r.RecordID), Escape(r.Err.Error()))
			}
			progress.tick(t.read)
		})
		if err != nil {
			return err
		}
	}
	progress.done()
	items, err := st.ListQueue(ctx, queue.Pending, "", 0)
	if err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	if err := writeItems(stdout, items, *pretty); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "abusectl replay: %s; queue pending: suspend %d, review %d\n", &t, count(items, queue.Suspend), count(items, queue.Review))
	if t.failed > 0 {
		return fmt.Errorf("%d events could not be stored; run the replay again to finish them", t.failed)
	}
	return nil
}

// maxLine bounds one line of input: an event is at most event.MaxEventBytes,
// and a longer line is reported as malformed rather than read whole.
const maxLine = event.MaxEventBytes + 1

// expirer returns what a replay runs after each batch: once a day of the
// replay's own time, the store deletes what DynamoDB's TTL would have by
// then, so that its file holds the keys of the last 30 days, not of the
// whole span (a store that cannot returns a func that does nothing).
func expirer(st store, p *pipeline.Pipeline) func() error {
	x, ok := st.(interface{ Expire(time.Time) (int, error) })
	if !ok {
		return func() error { return nil }
	}
	var last time.Time
	return func() error {
		now := p.Present()
		if now.Sub(last) < 24*time.Hour {
			return nil
		}
		last = now
		if _, err := x.Expire(now); err != nil {
			return fmt.Errorf("delete expired state: %w", err)
		}
		return nil
	}
}

// replayFile feeds a JSON Lines file through the pipeline in batches, in
// order, calling emit for every line's result and after for every batch.
func replayFile(ctx context.Context, name string, stdin io.Reader, p *pipeline.Pipeline, batch int, after func() error, emit func(pipeline.Result)) error {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	if batch < 1 {
		batch = 1
	}
	br := bufio.NewReaderSize(r, 1<<16)
	recs := make([]pipeline.Record, 0, batch)
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		for _, res := range p.Process(ctx, recs) {
			emit(res)
		}
		recs = recs[:0]
		return after()
	}
	for line := 1; ; line++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := readLine(br)
		if len(b) > 0 || (err == nil) {
			if len(trimSpace(b)) > 0 {
				recs = append(recs, pipeline.Record{ID: fmt.Sprintf("%s:%d", name, line), Body: b})
				if len(recs) == batch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
	return flush()
}

// readLine returns one line without its newline; a line longer than maxLine
// is returned cut at maxLine+1 bytes (so Decode rejects it by size) and the
// rest is skipped.
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		// Keep what fits, even of a chunk that does not fit whole: a line
		// cut short of maxLine+1 bytes could pass as a smaller event.
		if room := maxLine + 1 - len(out); room > 0 {
			out = append(out, chunk[:min(len(chunk), room)]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n := len(out); n > 0 && out[n-1] == '\n' {
			out = out[:n-1]
		}
		return out, err
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func count(items []queue.Item, a queue.Action) int {
	n := 0
	for _, it := range items {
		if it.Action == a {
			n++
		}
	}
	return n
}

// progress writes a counter to standard error while it is a terminal.
type progress struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newProgress(w io.Writer) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, on: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *progress) tick(n int) {
	if !p.on || n%1000 != 0 || time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%d events…", n)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
