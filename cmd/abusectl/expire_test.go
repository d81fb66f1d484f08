package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/synth"
	"github.com/mailtrust/abusescan/internal/window"
)

// TestReplayExpires replays 75 days of signups: the store is left with the
// state of the last 30 days or so, as DynamoDB's TTL would leave it, not
// with that of the whole span, and the replay scores every event.
func TestReplayExpires(t *testing.T) {
	t.Parallel()
	start := testNow.Add(-100 * 24 * time.Hour).Truncate(24 * time.Hour)
	evs, _, err := synth.Generate(synth.Config{Seed: 3, Start: start, Days: 75, GenuinePerDay: 12})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, e := range evs {
		line, err := event.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	file := filepath.Join(t.TempDir(), "signups.jsonl")
	if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	db := newDB(t)
	o := mustRun(t, replayArgs(db, file)...)
	if s := parseSummary(t, o.stderr); s["read"] != len(evs) || s["failed"] != 0 {
		t.Fatalf("replay summary %v, want %d read and none failed\n%s", s, len(evs), o.stderr)
	}

	st, err := embedded.Open(db, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ipKey := func(e event.Event) window.Key { return window.NewKey(window.IP, pipeline.Host(e.Signup.IP)) }
	first, last := evs[0], evs[len(evs)-1]
	keys, err := st.Keys(t.Context(), []window.Key{ipKey(first), ipKey(last)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := keys[ipKey(first)]; ok && ipKey(first) != ipKey(last) {
		t.Errorf("the first signup's address key (day 1 of 75) is still stored")
	}
	if _, ok := keys[ipKey(last)]; !ok {
		t.Errorf("the last signup's address key is gone")
	}
	accts, err := st.Accounts(t.Context(), []string{first.Signup.AccountID, last.Signup.AccountID})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := accts[first.Signup.AccountID]; ok {
		t.Errorf("the first signup's account record (day 1 of 75) is still stored")
	}
	if _, ok := accts[last.Signup.AccountID]; !ok {
		t.Errorf("the last signup's account record is gone")
	}
}
