package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayMessages: with --objects, message events are read from the
// folder and scored: a plain message and a hostile one (8,000 nested
// multiparts, turned away unparsed) are both handled, neither skipped nor
// failed, and the account's history counts the one turned away. A message
// whose object is missing fails (a retry may find it), and says so.
func TestReplayMessages(t *testing.T) {
	t.Parallel()
	objs := t.TempDir()
	dir := filepath.Join(objs, "mail-out", "outbound", "acc-m1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"1.eml": "../../testdata/objects/mail-outbound-copies/outbound/acc-01JA7K3M9Q/0001.eml",
		"2.eml": "../../testdata/mail/hostile/deep-nesting.eml",
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	msg := func(id, key, at string) string {
		return `{"id":"` + id + `","detail-type":"Mailbox Message Sent","source":"t","time":"` + at + `","detail":{"accountId":"acc-m1","sentAt":"` + at +
			`","object":{"bucket":"mail-out","key":"outbound/acc-m1/` + key + `"}}}`
	}
	lines := []string{
		`{"id":"s1","detail-type":"Mailbox Signup","source":"t","time":"2026-11-20T09:00:00Z","detail":{"accountId":"acc-m1","address":"pat.lee@mail.example","displayName":"Pat Lee","createdAt":"2026-11-20T09:00:00Z","ip":"100.2.14.7","country":"US","timezone":"America/New_York"}}`,
		msg("m1", "1.eml", "2026-11-20T10:00:00Z"),
		msg("m2", "2.eml", "2026-11-20T10:05:00Z"),
	}
	file := filepath.Join(t.TempDir(), "m.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := newDB(t)
	o := mustRun(t, append([]string{"replay", "--objects", objs}, replayArgs(db, file)[1:]...)...)
	s := parseSummary(t, o.stderr)
	if s["read"] != 3 || s["skipped"] != 0 || s["failed"] != 0 || s["rejected"] != 0 {
		t.Errorf("summary %v, want 3 read, none skipped, failed or rejected\n%s", s, o.stderr)
	}

	o = mustRun(t, "state", "show", "--db", db, "message", "acc-m1")
	var h struct {
		Messages, TurnedAway, RecipientDomains int
	}
	if err := json.Unmarshal([]byte(o.stdout), &h); err != nil {
		t.Fatalf("%v\n%s", err, o.stdout)
	}
	if h.Messages != 2 || h.TurnedAway != 1 || h.RecipientDomains == 0 || strings.Contains(o.stdout, "example") {
		t.Errorf("state show message = %s, want 2 messages, 1 turned away, domains counted and none named", o.stdout)
	}

	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	if err := os.WriteFile(missing, []byte(msg("m3", "3.eml", "2026-11-20T10:06:00Z")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o = cli(t, nil, "", append([]string{"replay", "--objects", objs}, replayArgs(db, missing)[1:]...)...)
	if s := parseSummary(t, o.stderr); s["failed"] != 1 || !strings.Contains(o.stderr, "object not found") {
		t.Errorf("missing object: summary %v, want 1 failed, naming it\n%s", s, o.stderr)
	}
}
