package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.yaml", `version: 1
rules:
  - name: tor_exit
    when: tor
    points: 30
    reason: "signed up from a Tor exit node ({{.ip}})"
  - name: busy_ip
    when: ip_1h >= 8 && hosting
    points: 25
    reason: "{{.ip_1h}} signups from {{.ip}} in 1 h"
`)
	badSyntax := write("bad-syntax.yaml", `version: 1
rules:
  - name: tor_exit
    when: tor
    points: 30
    reason: "Tor"
  - name: broken_burst
    when: ip_1h >= && hosting
    points: 25
    reason: "burst"
`)
	badSignal := write("bad-signal.yaml", `version: 1
rules:
  - name: unknown_signal
    when: no_such_signal > 3
    points: 10
    reason: "x"
`)
	badType := write("bad-type.yaml", `version: 1
rules:
  - name: not_a_condition
    when: ip_1h + 1
    points: 10
    reason: "x"
`)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"signals", []string{"rules", "signals"}, 0, []string{`{"name":"ip_1h","type":`, `"name":"hosting"`, `"name":"tor"`, `"name":"form_fill_ms"`, `"name":"recovery_disposable"`}, nil},
		{"signals table", []string{"rules", "signals", "--format", "table"}, 0, []string{"signal", "ip_1h", "form_fill_ms"}, nil},
		{"check embedded", []string{"rules", "check"}, 0, []string{`{"file":"(embedded default)","rules":`, `"version":"`}, nil},
		{"check file", []string{"rules", "check", good}, 0, []string{`good.yaml","rules":2,`}, nil},
		{"check file as text", []string{"rules", "check", "--format", "table", good}, 0, []string{"good.yaml: 2 rules"}, nil},
		{"bad format", []string{"rules", "signals", "--format", "yaml"}, 2, nil, []string{"--format"}},
		{"show", []string{"rules", "show"}, 0, []string{"hosting_network"}, nil},
		{"check bad CEL syntax", []string{"rules", "check", badSyntax}, 1, nil, []string{"bad-syntax.yaml", "broken_burst"}},
		{"check unknown signal", []string{"rules", "check", badSignal}, 1, nil, []string{"unknown_signal", "no_such_signal"}},
		{"check non-boolean condition", []string{"rules", "check", badType}, 1, nil, []string{"not_a_condition"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", tc.args...)
			if o.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", o.code, tc.wantCode, o.stderr)
			}
			for _, s := range tc.wantStdout {
				if !strings.Contains(o.stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, o.stdout)
				}
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, o.stderr)
				}
			}
			if tc.name == "check bad CEL syntax" && strings.Contains(o.stderr, "tor_exit") {
				t.Errorf("stderr blames the good rule too:\n%s", o.stderr)
			}
		})
	}

	// Every signal the catalog lists has a name, a type and a meaning.
	o := mustRun(t, "rules", "signals")
	for i, line := range strings.Split(strings.TrimSpace(o.stdout), "\n")[1:] {
		if f := strings.Fields(line); len(f) < 3 {
			t.Errorf("signals line %d = %q, want name, type and meaning", i+1, line)
		}
	}

	// A replay with a bad rules file does not start.
	r := cli(t, nil, "", replayArgs(filepath.Join(dir, "r.db"), "--rules", badSyntax, demoFile)...)
	if r.code != 1 || !strings.Contains(r.stderr, "broken_burst") {
		t.Errorf("replay --rules bad: exit %d, want 1 naming the rule\n%s", r.code, r.stderr)
	}
}
