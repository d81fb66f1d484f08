package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBacktest(t *testing.T) {
	t.Parallel()
	type figures struct {
		Events   int `json:"events"`
		Campaign struct {
			Accounts int `json:"accounts"`
		} `json:"campaign"`
		Genuine struct {
			Accounts int `json:"accounts"`
		} `json:"genuine"`
		Recall      float64 `json:"recall"`
		Precision   float64 `json:"precision"`
		SuspendRate float64 `json:"genuineSuspendRate"`
		ReviewRate  float64 `json:"genuineReviewRate"`
		Pass        bool    `json:"pass"`
	}
	tests := []struct {
		name string
		args []string
	}{
		{"generated demo", []string{"backtest", "--scenario", "demo", "--json", "--check"}},
		{"demo file with labels", []string{"backtest", "--json", "--check", "--labels", demoLabels, demoFile}},
		// As README and the usage write it.
		{"labels after the file", []string{"backtest", demoFile, "--labels", demoLabels, "--json", "--check"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := mustRun(t, append(tc.args, geoFlags()...)...)
			var got figures
			if err := json.Unmarshal([]byte(o.stdout), &got); err != nil {
				t.Fatalf("--json output is not JSON: %v\n%s", err, o.stdout)
			}
			if got.Events != 2060 || got.Campaign.Accounts == 0 || got.Genuine.Accounts == 0 {
				t.Errorf("events %d, campaign accounts %d, genuine accounts %d; want the demo's 2060 events and both kinds",
					got.Events, got.Campaign.Accounts, got.Genuine.Accounts)
			}
			if got.Recall < 0.95 {
				t.Errorf("recall %.4f, want >= 0.95: the bot wave must be caught", got.Recall)
			}
			if got.SuspendRate >= 0.0005 {
				t.Errorf("genuineSuspendRate %.5f, want < 0.0005", got.SuspendRate)
			}
			if !got.Pass {
				t.Errorf("pass = false\n%s", o.stdout)
			}
		})
	}

	// The report for people says the same.
	o := mustRun(t, append([]string{"backtest", "--format", "table", "--scenario", "demo", "--explain", "3"}, geoFlags()...)...)
	for _, s := range []string{"all targets met", "genuine accounts queued:", "campaign accounts missed:"} {
		if !strings.Contains(o.stdout, s) {
			t.Errorf("report does not say %q:\n%s", s, o.stdout)
		}
	}
	// By default standard output is one JSON line, and what --explain lists
	// goes to standard error.
	o = mustRun(t, append([]string{"backtest", "--scenario", "demo", "--explain", "3"}, geoFlags()...)...)
	var f figures
	if err := json.Unmarshal([]byte(o.stdout), &f); err != nil || strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("default output is not one JSON line (%v):\n%s", err, o.stdout)
	}
	if !strings.Contains(o.stderr, "campaign accounts missed:") {
		t.Errorf("--explain did not go to standard error:\n%s", o.stderr)
	}
}
