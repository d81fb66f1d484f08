package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// parseChanges reads JSON Lines (or indented documents) of history
// entries, refusing any field queue.Change does not know.
func parseChanges(t *testing.T, out string) []queue.Change {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var h []queue.Change
	for dec.More() {
		var c queue.Change
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("history entry %d: %v\n%s", len(h), err, out)
		}
		h = append(h, c)
	}
	return h
}

// TestQueueHistory answers an appeal: the scanner queued the account for
// suspension on some event's evidence, and a person released it, saying
// why. queue history shows both, oldest first, and with --format table
// the evidence the item holds.
func TestQueueHistory(t *testing.T) {
	t.Parallel()
	db, items := replayedDemo(t)
	var it queue.Item
	for _, c := range items {
		if c.Action == queue.Suspend {
			it = c
			break
		}
	}
	if it.AccountID == "" {
		t.Fatal("the demo queued no account for suspension")
	}
	mustRun(t, "queue", "release", "--db", db, it.AccountID, "--by", "alice@trust", "--note", "verified by phone")
	stored := showItem(t, db, it.AccountID)

	h := parseChanges(t, mustRun(t, "queue", "history", "--db", db, it.AccountID).stdout)
	if len(h) != 2 {
		t.Fatalf("history of %d entries, want the creation and the release: %+v", len(h), h)
	}
	if c := h[0]; c.By != queue.ByScanner || c.From != "" || c.To != "pending/suspend" || c.Version != 1 ||
		!c.At.Equal(it.CreatedAt) || !strings.Contains(c.Note, it.EventIDs[0]) {
		t.Errorf("first entry %+v, want the scanner creating the item at %v on event %s", c, it.CreatedAt, it.EventIDs[0])
	}
	want := queue.Change{At: stored.UpdatedAt, By: "alice@trust", From: "pending/suspend", To: "released/suspend", Note: "verified by phone", Version: it.Version + 1}
	if c := h[1]; !c.At.Equal(want.At) || c.By != want.By || c.From != want.From || c.To != want.To || c.Note != want.Note || c.Version != want.Version {
		t.Errorf("second entry %+v, want the release %+v", c, want)
	}
	if !reflect.DeepEqual(h, stored.History) {
		t.Errorf("history printed %+v, want the stored item's %+v", h, stored.History)
	}

	pretty := mustRun(t, "queue", "history", it.AccountID, "--db", db, "--pretty").stdout
	if !strings.Contains(pretty, "\n  \"by\": \"alice@trust\"") || !reflect.DeepEqual(parseChanges(t, pretty), h) {
		t.Errorf("--pretty printed another history, or not indented:\n%s", pretty)
	}

	table := mustRun(t, "queue", "history", "--db", db, it.AccountID, "--format", "table").stdout
	for _, s := range []string{it.AccountID, "released/suspend", it.Reasons[0].Rule, it.Reasons[len(it.Reasons)-1].Detail, it.EventIDs[0], "AT", "BY", "NOTE"} {
		if !strings.Contains(table, s) {
			t.Errorf("table does not show %q:\n%s", s, table)
		}
	}
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	last := lines[len(lines)-1]
	for _, s := range []string{"alice@trust", "pending/suspend", "released/suspend", "verified by phone"} {
		if !strings.Contains(last, s) {
			t.Errorf("last row %q does not show %q", last, s)
		}
	}
	if row := lines[len(lines)-2]; !strings.Contains(row, queue.ByScanner) || !strings.Contains(row, it.EventIDs[0]) {
		t.Errorf("first change row %q, want the scanner and the event", row)
	}
}

// TestQueueHistoryEscapes: a history quotes people and events, and the
// table shows what it holds without letting it drive the terminal.
func TestQueueHistoryEscapes(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	it, _ := queue.Raise(nil, queue.Proposal{
		AccountID: "acc-" + hostile, Action: queue.Suspend, Score: 90, EventID: "e-" + hostile, At: at,
		Reasons: []queue.Reason{{Rule: "random_username", Points: 90, Detail: "username \"" + hostile + "\""}},
	})
	// A history written by another writer, raw.
	it.History = append(it.History, queue.Change{At: at.Add(time.Minute), By: "ana" + hostile, From: "pending/suspend", To: "pending/" + hostile, Note: "why " + hostile, Version: 2})
	it.Version = 2
	putItem(t, db, it)
	for _, format := range []string{"json", "table"} {
		o := mustRun(t, "queue", "history", "--db", db, it.AccountID, "--format", format)
		if r := rawControl(strings.ReplaceAll(o.stdout, "\n", "")); r >= 0 {
			t.Errorf("--format %s printed %U raw:\n%q", format, r, o.stdout)
		}
		if format == "json" {
			if got := parseChanges(t, o.stdout); !reflect.DeepEqual(got, it.History) {
				t.Errorf("JSON decodes to %+v, want %+v", got, it.History)
			}
			continue
		}
		for _, s := range []string{Escape("ana" + hostile), Escape("why " + hostile), Escape("e-" + hostile)} {
			if !strings.Contains(o.stdout, s) {
				t.Errorf("table does not show %q escaped:\n%s", s, o.stdout)
			}
		}
	}
}

func TestQueueHistoryMistakes(t *testing.T) {
	t.Parallel()
	db, items := replayedDemo(t)
	id := items[0].AccountID
	missing := filepath.Join(t.TempDir(), "demo.bd")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  []string
	}{
		{"no store", []string{"queue", "history", "--db", missing, id}, 1, []string{"no store", missing, "abusectl replay"}},
		{"no such item", []string{"queue", "history", "--db", db, "acc-nobody"}, 1, []string{"queue item not found"}},
		{"no account", []string{"queue", "history", "--db", db}, 2, []string{"want 1 argument"}},
		{"two accounts", []string{"queue", "history", "--db", db, id, id}, 2, []string{"want 1 argument"}},
		{"bad format", []string{"queue", "history", "--db", db, id, "--format", "yaml"}, 2, []string{`"yaml"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", tc.args...)
			if o.code != tc.wantCode || o.stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", o.code, o.stdout, tc.wantCode)
			}
			for _, s := range tc.wantErr {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, o.stderr)
				}
			}
		})
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("%s was created (stat: %v)", missing, err)
	}
	help := cli(t, nil, "", "queue", "history", "-h")
	if help.code != 0 || !strings.Contains(help.stdout, "queue history") || !strings.Contains(help.stdout, "-format") {
		t.Errorf("queue history -h: exit %d\n%s", help.code, help.stdout)
	}
}
