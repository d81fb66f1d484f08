package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailtrust/abusescan/internal/queue"
)

// hostile is text an event or a stored item may carry: a right-to-left
// override, C1 controls (NEL, CSI), an escape sequence, DEL, a line
// separator and a tag character beyond the BMP.
const hostile = "james\u202emoc.elgoog \u0085\u009b31m \x1b]0;pwned\x07 \x7f \u2028 \U000e0041"

// rawControl reports the first character of s a terminal must not receive
// as it is (what Escape escapes), or -1.
func rawControl(s string) rune {
	for _, r := range s {
		if !printable(r) {
			return r
		}
	}
	return -1
}

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "acc-01J9Z6Q4", "acc-01J9Z6Q4"},
		{"other scripts, emoji and spaces", "محمد 王小明 👩‍👩‍👧\u00a0x", "محمد 王小明 👩\\u200d👩\\u200d👧\u00a0x"},
		{"bidi override", "james\u202emoc", `james\u202emoc`},
		{"bidi isolate and marks", "\u2066a\u2069\u200e\u061c", `\u2066a\u2069\u200e\u061c`},
		{"C1", "a\u0085b\u009bc", `a\u0085b\u009bc`},
		{"C0, DEL and an escape sequence", "a\tb\n\x1b[2J\x7f", `a\u0009b\u000a\u001b[2J\u007f`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"beyond the BMP", "a\U000e0041b", `a\U000e0041b`},
		{"invalid UTF-8", "a\xff\xc3b", `a\xff\xc3b`},
		{"replacement character", "a\ufffdb", `a\ufffdb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Escape(tt.in)
			if got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if r := rawControl(got); r >= 0 {
				t.Errorf("Escape(%q) = %q still holds %U", tt.in, got, r)
			}
		})
	}
}

// TestWriteJSON: the JSON abusectl prints holds no character a terminal
// would act on, and still decodes to exactly the strings it was given.
func TestWriteJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
	}{
		{"hostile", hostile},
		{"other scripts and emoji", "محمد 王小明 👩‍👩‍👧 é"},
		{"HTML", `<script>alert("x")</script> & co`},
		{"replacement character", "a\ufffdb"},
	}
	for _, indent := range []string{"", "  "} {
		for _, tt := range tests {
			t.Run(tt.name+"/indent "+indent, func(t *testing.T) {
				t.Parallel()
				in := map[string]any{"s": tt.in, "nested": []string{tt.in}}
				var buf bytes.Buffer
				if err := WriteJSON(&buf, in, indent); err != nil {
					t.Fatal(err)
				}
				out := buf.String()
				if !strings.HasSuffix(out, "}\n") {
					t.Errorf("output does not end with one newline: %q", out)
				}
				if r := rawControl(strings.ReplaceAll(out, "\n", "")); r >= 0 {
					t.Errorf("output holds %U raw: %q", r, out)
				}
				var got struct {
					S      string   `json:"s"`
					Nested []string `json:"nested"`
				}
				if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
					t.Fatalf("output is not JSON: %v\n%s", err, out)
				}
				if got.S != tt.in || len(got.Nested) != 1 || got.Nested[0] != tt.in {
					t.Errorf("round trip: got %q and %q, want %q", got.S, got.Nested, tt.in)
				}
			})
		}
	}
}

// putItem stores an item in the embedded store at db, as an older scanner
// or another writer of the queue table might have.
func putItem(t *testing.T, db string, it queue.Item) {
	t.Helper()
	sf := storeFlags{kind: "embedded", db: db}
	st, closeStore, err := sf.open(t.Context(), false)
	if err != nil {
		t.Fatal(err)
	}
	errs := st.PutQueueItems(t.Context(), []queue.Write{{Item: it}})
	if len(errs) != 1 || errs[0] != nil {
		t.Fatalf("put item: %v", errs)
	}
	if err := closeStore(); err != nil {
		t.Fatal(err)
	}
}

// TestQueueEscapesHostileText reproduces the "Hostile text" report: a
// username with a right-to-left override and C1 controls was printed raw
// by abusectl queue list. Whatever a stored item holds, what abusectl
// prints holds no raw control or bidi character, and decodes to the item.
func TestQueueEscapesHostileText(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	it := queue.Item{
		AccountID: "acc-" + hostile, Action: queue.Suspend, Status: queue.Pending, Score: 90,
		Reasons:  []queue.Reason{{Rule: "random_username", Points: 20, Detail: "username \"" + hostile + "\""}},
		EventIDs: []string{"e-" + hostile}, CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	putItem(t, db, it)
	for _, args := range [][]string{
		{"queue", "list", "--db", db},
		{"queue", "show", "--db", db, it.AccountID},
		{"queue", "dismiss", "--db", db, it.AccountID, "--by", "ana", "--note", "checked " + hostile},
		{"queue", "show", "--db", db, "acc-missing-" + hostile},
	} {
		t.Run(args[1], func(t *testing.T) {
			o := cli(t, nil, "", args...)
			for name, out := range map[string]string{"stdout": o.stdout, "stderr": o.stderr} {
				if r := rawControl(strings.ReplaceAll(out, "\n", "")); r >= 0 {
					t.Errorf("%s holds %U raw:\n%q", name, r, out)
				}
			}
			if o.code != 0 {
				return // the missing item: only its error message matters
			}
			var got queue.Item
			if err := json.Unmarshal([]byte(o.stdout), &got); err != nil {
				t.Fatalf("stdout is not one item: %v\n%s", err, o.stdout)
			}
			if got.AccountID != it.AccountID || got.Reasons[0].Detail != it.Reasons[0].Detail || got.EventIDs[0] != it.EventIDs[0] {
				t.Errorf("printed item does not decode to the stored one:\n got %+v\nwant %+v", got, it)
			}
		})
	}
}

// TestReplayHostileEvents reproduces the "Hostile text" report for abusectl
// replay: events whose text carries a right-to-left override, a C1
// control, invalid UTF-8 or an unpaired surrogate are rejected as
// malformed, by field, and nothing of them reaches the terminal raw; HTML
// in a header is quoted in the reasons, not interpreted.
func TestReplayHostileEvents(t *testing.T) {
	t.Parallel()
	head := demoHead(t, 1)[0]
	var signup struct {
		DetailType string `json:"detail-type"`
	}
	if err := json.Unmarshal(head, &signup); err != nil || signup.DetailType != "Mailbox Signup" {
		t.Fatalf("the demo does not start with a signup: %v %q", err, signup.DetailType)
	}
	lines := []string{
		withField(t, head, "detail.displayName", "James\u202eMiller"),
		withField(t, head, "detail.userAgent", "Mozilla\u0085\u009b2J"),
		strings.Replace(withField(t, head, "detail.displayName", "\x01raw\x01"), `"\u0001raw\u0001"`, "\"James\xff\"", 1),
		strings.Replace(withField(t, head, "detail.displayName", "\x01raw\x01"), `"\u0001raw\u0001"`, `"James\ud800"`, 1),
	}
	db := newDB(t)
	o := cli(t, nil, "", replayArgs(db, writeFile(t, "hostile.jsonl", lines...))...)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	for name, out := range map[string]string{"stdout": o.stdout, "stderr": o.stderr} {
		if r := rawControl(strings.ReplaceAll(out, "\n", "")); r >= 0 {
			t.Errorf("%s holds %U raw:\n%q", name, r, out)
		}
	}
	for _, want := range []string{
		"detail.displayName: contains a bidi control character U+202E",
		"detail.userAgent: contains a control character U+0085",
		"detail.displayName: not valid UTF-8",
		`detail.displayName: contains an unpaired surrogate escape \ud800`,
	} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, o.stderr)
		}
	}
	if s := parseSummary(t, o.stderr); s["rejected"] != len(lines) {
		t.Errorf("%d events rejected, want %d:\n%s", s["rejected"], len(lines), o.stderr)
	}
	for _, it := range parseItems(t, o.stdout) {
		for _, r := range it.Reasons {
			if !utf8.ValidString(r.Detail) || rawControl(r.Detail) >= 0 {
				t.Errorf("reason %s: detail %q", r.Rule, r.Detail)
			}
		}
	}
}

// TestReplayPrintsQueueEscaped: the queue a replay prints at its end may
// hold items written before events were checked, or by another writer.
func TestReplayPrintsQueueEscaped(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	putItem(t, db, queue.Item{
		AccountID: "acc-" + hostile, Action: queue.Review, Status: queue.Pending, Score: 60,
		Reasons:  []queue.Reason{{Rule: "random_username", Points: 20, Detail: hostile}},
		EventIDs: []string{"e1"}, CreatedAt: at, UpdatedAt: at, Version: 1,
	})
	o := cli(t, nil, "", replayArgs(db, writeFile(t, "one.jsonl", string(demoHead(t, 1)[0])))...)
	if r := rawControl(strings.ReplaceAll(o.stdout, "\n", "")); r >= 0 {
		t.Errorf("stdout holds %U raw:\n%q", r, o.stdout)
	}
}

// TestWriteTable: a table shows event text escaped, so that a username or
// domain quoted in a reason can neither drive the terminal, reorder the
// line, nor break the columns.
func TestWriteTable(t *testing.T) {
	t.Parallel()
	texts := []string{
		hostile,
		"\u202egnp.exe",           // right-to-left override
		"\x1b[2J\x1b]0;owned\x07", // clear screen, set title
		"a\tb\nc\rd",              // tab, newline, carriage return
		"\u0085\u009b31m",         // C1 controls
		"\u2028\u2066x\u2069",     // line separator, bidi isolates
		"\xff\xfe",                // invalid UTF-8
		strings.Repeat("é", 300),  // long
	}
	items := make([]queue.Item, len(texts))
	for i, h := range texts {
		id := "acc-" + h
		if len(h) > 100 {
			id = "acc-LONG" // account ids are bounded; reasons quote whatever came
		}
		items[i] = queue.Item{AccountID: id, Action: queue.Suspend, Status: queue.Pending, Score: 90,
			Reasons: []queue.Reason{{Rule: "r", Points: 50, Detail: "user " + h}, {Rule: "s", Points: 40, Detail: "x"}}}
	}
	var b strings.Builder
	if err := WriteTable(&b, items); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !utf8.ValidString(out) {
		t.Errorf("table is not valid UTF-8:\n%q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if r := rawControl(l); r >= 0 {
			t.Errorf("line %d holds %U raw: %q", i, r, l)
		}
	}
	if len(lines) != len(items)+1 {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(items)+1, out)
	}
	for i, l := range lines[1:] {
		if !strings.Contains(l, "(+1 more)") {
			t.Errorf("row %d does not count the other reason: %q", i, l)
		}
		if utf8.RuneCountInString(l) > 250 {
			t.Errorf("row %d is %d characters: a long reason must be cut", i, utf8.RuneCountInString(l))
		}
	}
	if !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\u001b[2J`) {
		t.Errorf("escapes missing:\n%s", out)
	}
}
