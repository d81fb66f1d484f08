// Package decision turns a score and its reasons into a verdict: allow,
// review or suspend, by the deployment's thresholds, with the safety rules
// that keep one signal from suspending an account on its own.
package decision

import (
	"errors"
	"fmt"

	"github.com/mailtrust/abusescan/internal/queue"
)

// Verdict is the scanner's conclusion about one event.
type Verdict string

// Verdicts, in rising severity.
const (
	Allow   Verdict = "allow"
	Review  Verdict = "review"
	Suspend Verdict = "suspend"
)

// Action returns the queue action of a verdict, and false for Allow.
func (v Verdict) Action() (queue.Action, bool) {
	switch v {
	case Review:
		return queue.Review, true
	case Suspend:
		return queue.Suspend, true
	}
	return "", false
}

// Policy holds the thresholds of a deployment.
type Policy struct {
	// Review and Suspend are the score thresholds (0..100, Review <= Suspend).
	Review, Suspend int
	// MinSuspendRules is how many rules with positive points a suspend
	// verdict needs; with fewer it is downgraded to review.
	MinSuspendRules int
	// Shadow: score and report everything, write nothing to the queue.
	Shadow bool
}

// DefaultPolicy is the policy of a deployment that sets nothing.
func DefaultPolicy() Policy {
	return Policy{Review: 50, Suspend: 80, MinSuspendRules: 2}
}

// Validate reports every problem with p.
func (p Policy) Validate() error {
	var errs []error
	if p.Review < 1 || p.Review > 100 {
		errs = append(errs, fmt.Errorf("review threshold %d outside 1..100", p.Review))
	}
	if p.Suspend < 1 || p.Suspend > 100 {
		errs = append(errs, fmt.Errorf("suspend threshold %d outside 1..100", p.Suspend))
	}
	if p.Review > p.Suspend {
		errs = append(errs, fmt.Errorf("review threshold %d above suspend threshold %d", p.Review, p.Suspend))
	}
	if p.MinSuspendRules < 1 {
		errs = append(errs, fmt.Errorf("min suspend rules %d below 1", p.MinSuspendRules))
	}
	return errors.Join(errs...)
}

// Decide returns the verdict for a score and the reasons behind it.
func (p Policy) Decide(score int, reasons []queue.Reason) Verdict {
	switch {
	case score >= p.Suspend && positive(reasons) >= p.MinSuspendRules:
		return Suspend
	case score >= p.Review:
		return Review
	}
	return Allow
}

func positive(rs []queue.Reason) int {
	n := 0
	for _, r := range rs {
		if r.Points > 0 {
			n++
		}
	}
	return n
}
