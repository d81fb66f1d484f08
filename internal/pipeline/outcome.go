package pipeline

import (
	"errors"

	"github.com/mailtrust/abusescan/internal/event"
)

// Outcome is what became of one record: the one classification the
// functions, their metrics and abusectl all report.
type Outcome string

// Outcomes.
const (
	// Scored: judged, and its verdict written (or, in shadow mode, logged).
	Scored Outcome = "scored"
	// Duplicate: scored before; nothing changed.
	Duplicate Outcome = "duplicate"
	// Skipped: not scored by design (Result.Skipped says why).
	Skipped Outcome = "skipped"
	// Rejected: malformed, a conflicting duplicate, or refused by the store
	// as such; never succeeds on retry, and is kept by the trigger's
	// dead-letter machinery.
	Rejected Outcome = "rejected"
	// Failed: a fault a retry may cure.
	Failed Outcome = "failed"
)

// Outcome classifies r.
func (r Result) Outcome() Outcome {
	switch {
	case r.Err != nil && (errors.Is(r.Err, event.ErrMalformed) || errors.Is(r.Err, ErrPermanent)):
		return Rejected
	case r.Err != nil:
		return Failed
	case r.Duplicate:
		return Duplicate
	case r.Skipped != "":
		return Skipped
	}
	return Scored
}
