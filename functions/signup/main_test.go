package main

import (
	"context"
	"errors"
	"testing"

	"github.com/mailtrust/abusescan/internal/config"
)

// TestHashKey: hashKey is coldstart.HashKey, whose rule
// internal/coldstart's tests hold it to; here only that the function reads
// the parameter it is configured with and passes a refusal on.
func TestHashKey(t *testing.T) {
	t.Parallel()
	const random = "b7Qw0m3Zx9T4pL2vR8sK1nC6yH5uJ0aE3fG9dW2qX4M="
	cfg := config.Config{HashKeyParam: "/abusescan/hash-key"}
	errDenied := errors.New("AccessDeniedException")
	for _, fetchErr := range []error{nil, errDenied} {
		fetch := func(_ context.Context, name string) ([]byte, error) {
			if name != cfg.HashKeyParam {
				t.Errorf("fetched %q, want %q", name, cfg.HashKeyParam)
			}
			return []byte(random), fetchErr
		}
		key, err := hashKey(t.Context(), cfg, fetch)
		if fetchErr == nil && (err != nil || string(key) != random) {
			t.Errorf("hashKey = %q, %v; want %q", key, err, random)
		}
		if fetchErr != nil && !errors.Is(err, errDenied) {
			t.Errorf("hashKey error = %v, want it to wrap %v", err, errDenied)
		}
	}
}
