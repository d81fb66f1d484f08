package pipeline

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/storage"
)

func TestOutcome(t *testing.T) {
	t.Parallel()
	malformed := &event.FieldError{Field: "detail.ip", Reason: "bad"}
	tests := []struct {
		r    Result
		want Outcome
	}{
		{Result{Verdict: Allow}, Scored},
		{Result{Verdict: Suspend, Shadow: true}, Scored},
		{Result{Duplicate: true}, Duplicate},
		{Result{Duplicate: true, Skipped: "account already signed up in event e1"}, Duplicate},
		{Result{Skipped: "Mailbox Login events are not scored yet"}, Skipped},
		{Result{Err: fmt.Errorf("wrapped: %w", malformed)}, Rejected},
		{Result{Err: errConflicting}, Rejected},
		{Result{Err: fmt.Errorf("update key ip: %w: %w", ErrTransient, errors.New("throttled"))}, Failed},
		{Result{Err: errors.New("anything else"), Duplicate: true}, Failed},
		{Result{Err: storeErr("update key tpl", fmt.Errorf("update key tpl#h:1: %w: item too large", storage.ErrPermanent))}, Rejected},
		{Result{Err: storeErr("update key tpl", errors.New("throttled"))}, Failed},
	}
	for _, tc := range tests {
		if got := tc.r.Outcome(); got != tc.want {
			t.Errorf("%+v: Outcome() = %s, want %s", tc.r, got, tc.want)
		}
	}
}
