package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/scenarios/demo.* instead of comparing")

// committed is where the demo scenario lives in the repository.
const committed = "../../testdata/scenarios/demo"

// TestDemoUpToDate regenerates the demo and compares it with the committed
// files, so that the sample never goes stale when the generator changes.
func TestDemoUpToDate(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "demo")
	if *update {
		prefix = committed
	}
	if err := run([]string{"-scenario", "demo", "-out", prefix}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if *update {
		return
	}
	for _, suffix := range []string{".jsonl", ".labels.jsonl"} {
		got, err := os.ReadFile(prefix + suffix)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(committed + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/scenarios/demo%s is stale; regenerate it with\n\tgo run ./infra/mkscenarios -scenario demo -out testdata/scenarios/demo\n(or go test ./infra/mkscenarios -update)", suffix)
		}
		if len(want) > 2<<20 {
			t.Errorf("testdata/scenarios/demo%s is %d bytes, too big to commit", suffix, len(want))
		}
	}
}

func TestSeedChangesOutput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, args := range [][]string{{"-out", a}, {"-seed", "99", "-out", b}} {
		if err := run(args, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := os.ReadFile(a + ".jsonl")
	y, _ := os.ReadFile(b + ".jsonl")
	if len(x) == 0 || bytes.Equal(x, y) {
		t.Error("-seed did not change the scenario")
	}
}

// TestLogins checks that -logins adds sign-ins to a scenario that has
// none of its own, and that every account in the stream has one label.
func TestLogins(t *testing.T) {
	t.Parallel()
	prefix := filepath.Join(t.TempDir(), "demo")
	if err := run([]string{"-scenario", "demo", "-logins", "-out", prefix}, io.Discard); err != nil {
		t.Fatal(err)
	}
	stream, err := os.ReadFile(prefix + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	labels, err := os.ReadFile(prefix + ".labels.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	accounts := map[string]bool{}
	for line := range bytes.Lines(stream) {
		var e struct {
			Type   string `json:"detail-type"`
			Detail struct {
				AccountID string `json:"accountId"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		kinds[e.Type]++
		accounts[e.Detail.AccountID] = true
	}
	if kinds["Mailbox Login"] == 0 || kinds["Mailbox Signup"] != 2060 {
		t.Errorf("demo with -logins: %v, want the 2,060 signups and sign-ins", kinds)
	}
	if n := bytes.Count(labels, []byte("\n")); n != len(accounts) {
		t.Errorf("%d labels for %d accounts", n, len(accounts))
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "x")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"-scenario", "demo"}, "-out"},
		{"unknown scenario", []string{"-scenario", "nope", "-out", out}, "unknown scenario"},
		{"stray argument", []string{"-out", out, "extra"}, "unexpected"},
		{"bad flag", []string{"-frobnicate"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error mentioning %q", tt.args, err, tt.want)
			}
			if _, statErr := os.Stat(out + ".jsonl"); statErr == nil {
				t.Error("a failed run wrote output")
			}
		})
	}
}
