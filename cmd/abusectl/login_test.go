package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReplayLogins: a replay file whose signups, logins and messages are
// interleaved in time is scored as the functions score them: the sign-in
// from Beijing 20 minutes after one from New York is queued for review,
// naming the jump; the failed sign-in and the message are skipped.
func TestReplayLogins(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"id":"s1","detail-type":"Mailbox Signup","source":"t","time":"2026-11-20T09:00:00Z","detail":{"accountId":"acc-r1","address":"pat.lee@mail.example","displayName":"Pat Lee","createdAt":"2026-11-20T09:00:00Z","ip":"100.2.14.7","country":"US"}}`,
		`{"id":"l1","detail-type":"Mailbox Login","source":"t","time":"2026-11-20T09:05:00Z","detail":{"accountId":"acc-r1","at":"2026-11-20T09:05:00Z","ip":"100.2.14.7","deviceId":"d1"}}`,
		`{"id":"m1","detail-type":"Mailbox Message Sent","source":"t","time":"2026-11-20T09:06:00Z","detail":{"accountId":"acc-r1","sentAt":"2026-11-20T09:06:00Z","object":{"bucket":"b","key":"outbound/acc-r1/1.eml"}}}`,
		`{"id":"l2","detail-type":"Mailbox Login","source":"t","time":"2026-11-20T09:10:00Z","detail":{"accountId":"acc-r1","at":"2026-11-20T09:10:00Z","ip":"203.0.113.9","result":"failure"}}`,
		`{"id":"l3","detail-type":"Mailbox Login","source":"t","time":"2026-11-20T09:25:00Z","detail":{"accountId":"acc-r1","at":"2026-11-20T09:25:00Z","ip":"123.112.44.5","deviceId":"d1"}}`,
	}
	file := filepath.Join(t.TempDir(), "mixed.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := mustRun(t, replayArgs(newDB(t), file)...)
	items := parseItems(t, o.stdout)
	if len(items) != 1 || items[0].AccountID != "acc-r1" {
		t.Fatalf("queued %+v, want acc-r1 alone", items)
	}
	it := items[0]
	rules := make([]string, len(it.Reasons))
	for i, r := range it.Reasons {
		rules[i] = r.Rule
	}
	if !slices.Contains(rules, "impossible_travel") || !slices.Contains(it.EventIDs, "l3") {
		t.Errorf("queued for %v by %v, want impossible_travel by l3", rules, it.EventIDs)
	}
	s := parseSummary(t, o.stderr)
	if s["read"] != 5 || s["skipped"] != 2 || s["rejected"] != 0 || s["failed"] != 0 {
		t.Errorf("summary %v, want 5 read, 2 skipped (the failed sign-in, the message)\n%s", s, o.stderr)
	}
}

// TestStateShowLogin: the login history behind the verdict, for a person:
// the two places with their countries, the signup's facts, and no IP.
func TestStateShowLogin(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"id":"s1","detail-type":"Mailbox Signup","source":"t","time":"2026-11-20T09:00:00Z","detail":{"accountId":"acc-r1","address":"pat.lee@mail.example","createdAt":"2026-11-20T09:00:00Z","ip":"100.2.14.7","country":"US"}}`,
		`{"id":"l1","detail-type":"Mailbox Login","source":"t","time":"2026-11-20T09:05:00Z","detail":{"accountId":"acc-r1","at":"2026-11-20T09:05:00Z","ip":"100.2.14.7","deviceId":"d1"}}`,
		`{"id":"l3","detail-type":"Mailbox Login","source":"t","time":"2026-11-20T09:25:00Z","detail":{"accountId":"acc-r1","at":"2026-11-20T09:25:00Z","ip":"123.112.44.5","deviceId":"d1"}}`,
	}
	db := newDB(t)
	file := filepath.Join(t.TempDir(), "l.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, replayArgs(db, file)...)
	o := mustRun(t, "state", "show", "--db", db, "login", "acc-r1")
	var v struct {
		Places []struct {
			Country string `json:"country"`
		} `json:"places"`
		Countries []string `json:"countries"`
		Signup    *struct {
			ClaimedCountry string `json:"claimedCountry"`
		} `json:"signup"`
		Raised struct {
			Score int `json:"score"`
		} `json:"raised"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &v); err != nil {
		t.Fatalf("%v\n%s", err, o.stdout)
	}
	if len(v.Places) != 2 || v.Places[0].Country != "CN" || v.Places[1].Country != "US" {
		t.Errorf("places %+v, want Beijing then New York", v.Places)
	}
	if v.Signup == nil || v.Signup.ClaimedCountry != "US" || v.Raised.Score < 50 {
		t.Errorf("signup %+v raised %+v", v.Signup, v.Raised)
	}
	if strings.Contains(o.stdout, "100.2.14.7") || strings.Contains(o.stdout, "123.112") {
		t.Errorf("the history shows an IP address:\n%s", o.stdout)
	}
	if o := cli(t, nil, "", "state", "show", "--db", db, "login", "acc-none"); o.code != 1 || !strings.Contains(o.stderr, "no login history") {
		t.Errorf("unknown account: exit %d %s", o.code, o.stderr)
	}
}
