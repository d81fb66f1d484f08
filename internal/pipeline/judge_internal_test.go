package pipeline

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/queue"
)

// TestDecisionEncoding: a decision read back from a claim is the one
// written, short (kept as JSON) or long (deflated), and a damaged one is an
// error, never a different decision.
func TestDecisionEncoding(t *testing.T) {
	t.Parallel()
	long := decided{Verdict: Suspend, Score: 100, Rules: "v1", Cluster: &queue.Cluster{Key: "net#198.51.100.0/24", Size: 27}}
	for i := range 20 {
		long.Reasons = append(long.Reasons, queue.Reason{Rule: "rule" + strings.Repeat("x", i), Points: i, Detail: strings.Repeat("27 signups from 198.51.100.0/24 in 10 min; ", 3)})
	}
	short := decided{Verdict: Allow, Score: -25, Reasons: []queue.Reason{{Rule: "human", Points: -25, Detail: "name-shaped username"}}}
	for name, d := range map[string]decided{"short": short, "long": long, "empty": {}} {
		b := d.encode()
		if name == "long" && b[0] != 'z' || name != "long" && b[0] != 'j' {
			t.Errorf("%s: encoded as %q", name, b[0])
		}
		var got decided
		if err := got.decode(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%s: read back %+v, want %+v", name, got, d)
		}
	}
	for _, bad := range [][]byte{nil, []byte("x{}"), []byte("z\xff\xff"), []byte("j{")} {
		var got decided
		if err := got.decode(bad); err == nil {
			t.Errorf("decode(%q) = %+v, want an error", bad, got)
		}
	}
}
