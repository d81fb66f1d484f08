package embedded

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// randomItem is an item as PutQueueItems stores it (normalized), with
// every field drawn, empty ones included.
func randomItem(rng *rand.Rand) queue.Item {
	str := func() string {
		if rng.IntN(4) == 0 {
			return ""
		}
		return strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(300)) + "ü\x00\""
	}
	tm := func() time.Time {
		if rng.IntN(5) == 0 {
			return time.Time{}
		}
		return time.UnixMilli(rng.Int64N(4e12) - 1e12)
	}
	it := queue.Item{
		AccountID: str(), Action: queue.Action(str()), Status: queue.Status(str()), Score: rng.IntN(201) - 100,
		ClusterID: str(), CreatedAt: tm(), UpdatedAt: tm(), Version: rng.Int64() - rng.Int64(),
		RulesVersion: str(), DecidedBy: str(), Note: str(), ExpiresAt: rng.Int64N(1 << 40),
	}
	for range rng.IntN(4) {
		it.Reasons = append(it.Reasons, queue.Reason{Rule: str(), Points: rng.IntN(200) - 100, Detail: str()})
	}
	if rng.IntN(2) == 0 {
		it.Cluster = &queue.Cluster{Key: str(), Size: rng.IntN(7000)}
	}
	for range rng.IntN(4) {
		it.EventIDs = append(it.EventIDs, str())
	}
	for range rng.IntN(4) {
		it.History = append(it.History, queue.Change{At: tm(), By: str(), From: str(), To: str(), Note: str(), Version: rng.Int64N(100)})
	}
	return normalize(it)
}

// TestItemEncoding holds the binary encoding to what the JSON one, which
// stores before it used, reads back: the same item, field for field.
func TestItemEncoding(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 2000 {
		it := randomItem(rng)
		bin, err := decodeItem(appendItem(nil, it))
		if err != nil {
			t.Fatalf("item %d: %v", i, err)
		}
		js, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		old, err := decodeItem(js)
		if err != nil {
			t.Fatalf("item %d as JSON: %v", i, err)
		}
		if !reflect.DeepEqual(bin, old) {
			t.Fatalf("item %d:\nbinary %#v\nJSON   %#v", i, bin, old)
		}
	}
}

// TestItemEncodingRefusesDamage: every truncation, and a trailing byte, is
// refused rather than read as another item.
func TestItemEncodingRefusesDamage(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 50 {
		b := appendItem(nil, randomItem(rng))
		for cut := range len(b) {
			if _, err := decodeItem(b[:cut]); err == nil {
				t.Fatalf("item %d cut to %d of %d bytes read without error", i, cut, len(b))
			}
		}
		if _, err := decodeItem(append(b, 0)); err == nil {
			t.Fatalf("item %d with a trailing byte read without error", i)
		}
	}
	if _, err := decodeItem([]byte{itemVersion + 1}); err == nil {
		t.Error("an unknown version read without error")
	}
}

func BenchmarkItemDecode(b *testing.B) {
	it := randomItem(rand.New(rand.NewPCG(1, 2)))
	for _, enc := range []string{"binary", "json"} {
		v := appendItem(nil, it)
		if enc == "json" {
			v, _ = json.Marshal(it)
		}
		b.Run(fmt.Sprint(enc), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeItem(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
