package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelp: asking for help is not a mistake. -h and --help on every
// command and subcommand print its usage lines (and flags, where it has
// any) on standard output and exit 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string // in stdout
	}{
		{[]string{"-h"}, []string{"abusectl replay", "abusectl rules show", "abusectl --version"}},
		{[]string{"--help"}, []string{"abusectl queue list"}},
		{[]string{"help"}, []string{"abusectl backtest"}},
		{[]string{"replay", "-h"}, []string{"abusectl replay", "-geoip-city", "-db"}},
		{[]string{"replay", "--help", "some.jsonl"}, []string{"abusectl replay", "-batch"}},
		{[]string{"queue", "-h"}, []string{"abusectl queue list", "abusectl queue show", "abusectl queue release|dismiss|apply"}},
		{[]string{"queue", "--help"}, []string{"abusectl queue show"}},
		{[]string{"queue", "list", "-h"}, []string{"abusectl queue list", "-format", "-pretty", "-status"}},
		{[]string{"queue", "show", "--help"}, []string{"abusectl queue show", "-db"}},
		{[]string{"queue", "dismiss", "-h"}, []string{"abusectl queue release|dismiss|apply", "-by", "-note"}},
		{[]string{"backtest", "-h"}, []string{"abusectl backtest", "-scenario", "-pretty"}},
		{[]string{"rules", "-h"}, []string{"abusectl rules signals", "abusectl rules check", "abusectl rules show"}},
		{[]string{"rules", "check", "-h"}, []string{"abusectl rules check"}},
		{[]string{"rules", "show", "--help"}, []string{"abusectl rules show"}},
		{[]string{"rules", "signals", "-h"}, []string{"abusectl rules signals"}},
		{[]string{"state", "-h"}, []string{"abusectl state show"}},
		{[]string{"state", "show", "--help"}, []string{"abusectl state show"}},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", tc.args...)
			if o.code != 0 || o.stderr != "" {
				t.Fatalf("exit %d, want 0 and nothing on standard error:\n%s", o.code, o.stderr)
			}
			for _, s := range append([]string{"Usage:"}, tc.want...) {
				if !strings.Contains(o.stdout, s) {
					t.Errorf("stdout does not say %q:\n%s", s, o.stdout)
				}
			}
		})
	}
}

// TestUsageListsEveryCommand: the top usage names every command and
// subcommand there is, so none is found only by reading the source.
func TestUsageListsEveryCommand(t *testing.T) {
	t.Parallel()
	o := mustRun(t, "-h")
	for _, c := range []string{"replay", "queue list", "queue show", "queue release", "queue dismiss", "queue apply", "backtest", "rules signals", "rules check", "rules show", "state show"} {
		if len((helpRequest{cmd: c}).lines()) == 0 {
			t.Errorf("the usage does not list %q:\n%s", c, o.stdout)
		}
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--version", "-version", "version"} {
		o := cli(t, nil, "", arg)
		if o.code != 0 || o.stderr != "" || !strings.HasPrefix(o.stdout, "abusectl ") || strings.Count(o.stdout, "\n") != 1 {
			t.Errorf("abusectl %s: exit %d, stdout %q, stderr %q; want one line on stdout, exit 0", arg, o.code, o.stdout, o.stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	const mod = "github.com/mailtrust/abusescan"
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"no build information", nil, false, "abusectl: version unknown (built without module information)"},
		{"a work tree without VCS information",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: mod, Version: "(devel)"}}, true,
			"abusectl devel (" + mod + "), revision unknown (built without VCS information), go1.26.8"},
		{"an empty version",
			&debug.BuildInfo{Main: debug.Module{Path: mod}}, true,
			"abusectl devel (" + mod + "), revision unknown (built without VCS information)"},
		{"a tagged release",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: mod, Version: "v1.4.0"},
				Settings: vcs("vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-11-20T10:00:00Z", "vcs.modified", "false")}, true,
			"abusectl v1.4.0 (" + mod + "), revision 0123456789abcdef0123456789abcdef01234567 of 2026-11-20T10:00:00Z, go1.26.8"},
		{"a tree with local changes",
			&debug.BuildInfo{Main: debug.Module{Path: mod, Version: "v0.0.0-20261125164705-6a3fb6837993+dirty"},
				Settings: vcs("vcs.revision", "6a3fb6837993", "vcs.modified", "true")}, true,
			"abusectl v0.0.0-20261125164705-6a3fb6837993+dirty (" + mod + "), revision 6a3fb6837993, with uncommitted changes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := version(tc.bi, tc.ok); got != tc.want {
				t.Errorf("version = %q\nwant      %q", got, tc.want)
			}
		})
	}
}

// TestErrorsGoToStderr: every failure is said on standard error with a
// non-zero exit, and prints nothing on standard output.
func TestErrorsGoToStderr(t *testing.T) {
	t.Parallel()
	db, _ := replayedDemo(t)
	for _, args := range [][]string{
		{"queue", "list", "--db", db, "--pretty=maybe"},
		{"queue", "show", "--db", db, "acc-NOSUCHACCT"},
		{"queue", "show", "--db", db, "--format", "table", "acc-1"},
		{"rules", "show", "extra"},
		{"rules", "signals", "--bogus"},
		{"rules", "check", "a.yaml", "b.yaml"},
		{"backtest", "--bogus"},
		{"replay", "--bogus"},
		{"--bogus"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", args...)
			if o.code == 0 || o.stdout != "" || o.stderr == "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want non-zero, nothing, an error", o.code, o.stdout, o.stderr)
			}
		})
	}
}
