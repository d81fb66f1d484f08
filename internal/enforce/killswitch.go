package enforce

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
)

// KillSwitch is the operators' off switch: a value read from where the
// deployment keeps it (an SSM parameter), at most once per TTL, so that
// turning it off stops suspensions within a minute without a deployment,
// and a busy stream does not read the parameter for every record.
//
// "on", "true", "enabled" and "1" turn enforcement on; anything else,
// "off" included, turns it off: a typo stops suspensions rather than
// starting them. A failed read keeps the last value for at most Stale;
// with none that recent, Enabled fails, and the record is retried.
type KillSwitch struct {
	// Fetch reads the switch's value.
	Fetch func(ctx context.Context) (string, error)
	Now   func() time.Time
	// TTL is how long a value is used before it is read again.
	TTL time.Duration
	// Stale is how long a value is still used while reads fail.
	Stale time.Duration

	mu   sync.Mutex
	on   bool
	read time.Time // when on was read; zero: never
}

// Enabled reports whether enforcement is on.
func (k *KillSwitch) Enabled(ctx context.Context) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.Now()
	if !k.read.IsZero() && now.Sub(k.read) < k.TTL {
		return k.on, nil
	}
	v, err := k.Fetch(ctx)
	if err != nil {
		if !k.read.IsZero() && now.Sub(k.read) < k.Stale {
			return k.on, nil
		}
		return false, fmt.Errorf("read the kill switch: %w", err)
	}
	k.on, k.read = SwitchOn(v), now
	return k.on, nil
}

// SwitchOn reads a switch value.
func SwitchOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "enabled", "1":
		return true
	}
	return false
}
