package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayRefusesFarFuture: a replay judges history by its own times, but
// an event dated past the machine's clock (year 9999) is refused by name,
// so it cannot keep shared keys, or the personal data in them, forever.
func TestReplayRefusesFarFuture(t *testing.T) {
	t.Parallel()
	head := demoHead(t, 2)
	lines := []string{
		withField(t, []byte(withField(t, head[0], "time", "9999-12-31T23:00:00Z")), "detail.createdAt", "9999-12-31T23:00:00Z"),
		string(head[1]),
	}
	o := cli(t, nil, "", replayArgs(newDB(t), writeFile(t, "future.jsonl", lines...))...)
	if o.code != 0 {
		t.Fatalf("exit %d\n%s", o.code, o.stderr)
	}
	if !strings.Contains(o.stderr, "future.jsonl:1: time: more than 1h0m0s ahead of the receiver's clock") {
		t.Errorf("stderr does not name the far-future line and field:\n%s", o.stderr)
	}
	if s := parseSummary(t, o.stderr); s["rejected"] != 1 {
		t.Errorf("%d events rejected, want 1:\n%s", s["rejected"], o.stderr)
	}
}

// TestReplayObjectsFolder: --objects names the folder message objects are
// read from; one that is not there fails the run at once, naming it.
func TestReplayObjectsFolder(t *testing.T) {
	t.Parallel()
	in := writeFile(t, "one.jsonl", string(demoHead(t, 1)[0]))
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	o := cli(t, nil, "", replayArgs(newDB(t), "--objects", missing, in)...)
	if o.code != 1 || !strings.Contains(o.stderr, "objects folder") || !strings.Contains(o.stderr, "no-such-folder") {
		t.Errorf("replay --objects %s: exit %d, stderr:\n%s", missing, o.code, o.stderr)
	}
	o = cli(t, nil, "", replayArgs(newDB(t), "--objects", t.TempDir(), in)...)
	if o.code != 0 {
		t.Errorf("replay --objects with a folder: exit %d\n%s", o.code, o.stderr)
	}
}

// TestReplayPretty: replay prints the queue as JSON Lines, or indented with
// --pretty; the same items either way.
func TestReplayPretty(t *testing.T) {
	t.Parallel()
	in := demoFile
	plain := cli(t, nil, "", replayArgs(newDB(t), in)...)
	pretty := cli(t, nil, "", replayArgs(newDB(t), "--pretty", in)...)
	if plain.code != 0 || pretty.code != 0 {
		t.Fatalf("exit %d and %d\n%s%s", plain.code, pretty.code, plain.stderr, pretty.stderr)
	}
	items := parseItems(t, plain.stdout)
	if len(items) == 0 {
		t.Fatal("the demo queues nothing: the test proves nothing")
	}
	if strings.Count(plain.stdout, "\n") != len(items) {
		t.Errorf("%d lines for %d items", strings.Count(plain.stdout, "\n"), len(items))
	}
	if !strings.Contains(pretty.stdout, "\n  \"accountId\"") || strings.Count(pretty.stdout, "\"accountId\"") != len(items) {
		t.Errorf("--pretty output is not the %d items indented:\n%.300s", len(items), pretty.stdout)
	}
}
