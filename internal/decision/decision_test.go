package decision

import (
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/queue"
)

func rs(points ...int) []queue.Reason {
	out := make([]queue.Reason, len(points))
	for i, p := range points {
		out[i] = queue.Reason{Rule: string(rune('a' + i)), Points: p}
	}
	return out
}

func TestDecide(t *testing.T) {
	t.Parallel()
	def := DefaultPolicy()
	one := Policy{Review: 40, Suspend: 70, MinSuspendRules: 1}
	same := Policy{Review: 60, Suspend: 60, MinSuspendRules: 2}
	tests := []struct {
		name    string
		p       Policy
		score   int
		reasons []queue.Reason
		want    Verdict
	}{
		{"zero", def, 0, nil, Allow},
		{"below review", def, def.Review - 1, rs(30, 19), Allow},
		{"at review", def, def.Review, rs(30, 20), Review},
		{"between", def, def.Suspend - 1, rs(40, 39), Review},
		{"at suspend, two rules", def, def.Suspend, rs(40, 40), Suspend},
		{"above suspend, three rules", def, 100, rs(50, 30, 20), Suspend},
		{"at suspend, one rule: downgraded", def, def.Suspend, rs(80), Review},
		{"max score, one rule: downgraded", def, 100, rs(100), Review},
		{"suspend score, no reasons: downgraded", def, 95, nil, Review},
		{"negative points do not count", def, 90, rs(90, -10), Review},
		{"zero points do not count", def, 90, rs(90, 0), Review},
		{"negatives alongside two positives", def, 85, rs(60, 35, -10), Suspend},
		{"one rule enough when the policy says so", one, 70, rs(70), Suspend},
		{"custom review threshold", one, 40, rs(40), Review},
		{"custom below review", one, 39, rs(39), Allow},
		{"equal thresholds suspend", same, 60, rs(30, 30), Suspend},
		{"equal thresholds downgrade", same, 60, rs(60), Review},
		{"negative score", def, -20, rs(-20), Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Decide(tt.score, tt.reasons); got != tt.want {
				t.Errorf("Decide(%d, %v) = %s, want %s", tt.score, tt.reasons, got, tt.want)
			}
		})
	}
}

func TestVerdictAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v      Verdict
		want   queue.Action
		wantOK bool
	}{
		{Allow, "", false},
		{Review, queue.Review, true},
		{Suspend, queue.Suspend, true},
		{Verdict("block"), "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.v), func(t *testing.T) {
			t.Parallel()
			got, ok := tt.v.Action()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Action() = %q, %v, want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Policy
		want []string // substrings of the error, one per problem; nil = valid
	}{
		{"default", DefaultPolicy(), nil},
		{"extremes", Policy{Review: 1, Suspend: 100, MinSuspendRules: 1}, nil},
		{"equal thresholds", Policy{Review: 70, Suspend: 70, MinSuspendRules: 3}, nil},
		{"zero value", Policy{}, []string{"review threshold 0", "suspend threshold 0", "min suspend rules 0"}},
		{"review 0", Policy{Review: 0, Suspend: 80, MinSuspendRules: 2}, []string{"review threshold 0"}},
		{"review 101", Policy{Review: 101, Suspend: 80, MinSuspendRules: 2}, []string{"review threshold 101 outside", "above suspend"}},
		{"suspend 101", Policy{Review: 50, Suspend: 101, MinSuspendRules: 2}, []string{"suspend threshold 101"}},
		{"suspend negative", Policy{Review: 50, Suspend: -1, MinSuspendRules: 2}, []string{"suspend threshold -1", "above suspend"}},
		{"review above suspend", Policy{Review: 80, Suspend: 50, MinSuspendRules: 2}, []string{"review threshold 80 above suspend threshold 50"}},
		{"min rules 0", Policy{Review: 50, Suspend: 80, MinSuspendRules: 0}, []string{"min suspend rules 0"}},
		{"everything", Policy{Review: 200, Suspend: 0, MinSuspendRules: -1}, []string{"review threshold 200", "suspend threshold 0", "above suspend", "min suspend rules -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.want)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("Validate() = %q, missing %q", msg, w)
				}
			}
			if got := len(strings.Split(msg, "\n")); got != len(tt.want) {
				t.Errorf("Validate() reports %d problems, want %d: %q", got, len(tt.want), msg)
			}
		})
	}
}

func TestDefaultPolicyIsValidAndSafe(t *testing.T) {
	t.Parallel()
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	if p.Shadow {
		t.Error("DefaultPolicy is in shadow mode")
	}
	if p.MinSuspendRules < 2 {
		t.Errorf("DefaultPolicy lets %d rule suspend on its own", p.MinSuspendRules)
	}
	if p.Review >= p.Suspend {
		t.Errorf("DefaultPolicy review %d is not below suspend %d", p.Review, p.Suspend)
	}
}
