//go:build !unix

package embedded_test

import "time"

// cpuTime is unknown here.
func cpuTime() time.Duration { return 0 }
