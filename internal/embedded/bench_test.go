package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/window"
)

// batchDeltas is the size of a benchmark batch: about what 70 signups
// write, one delta per counted kind.
const batchDeltas = 500

// workload makes batches of deltas as the pipeline writes them for signups:
// each signup counts its IP, /24, ASN, device, recovery email and phone and
// username template, from populations of realistic sizes, so that some keys
// are busy (an ASN, a template: many buckets and a full member set) and most
// are new.
type workload struct {
	rng  *rand.Rand
	at   time.Time
	seq  int
	recs map[window.Key]*window.Record
}

func newWorkload() *workload {
	return &workload{
		rng:  rand.New(rand.NewPCG(1, 2)),
		at:   time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		recs: map[window.Key]*window.Record{},
	}
}

// batch returns the keys, deltas (merged per key) and accounts of the next
// batch of signups.
func (w *workload) batch() ([]window.Key, []window.Delta, []account.Account) {
	byKey := map[window.Key]*window.Delta{}
	var keys []window.Key
	var accts []account.Account
	for len(keys) < batchDeltas {
		w.seq++
		w.at = w.at.Add(time.Duration(w.rng.IntN(2000)) * time.Millisecond)
		id := "acc-" + strconv.Itoa(w.seq)
		r := w.rng
		values := []struct {
			k window.Kind
			v string
		}{
			{window.IP, fmt.Sprintf("198.%d.%d.%d", r.IntN(64), r.IntN(256), r.IntN(256))},
			{window.Prefix, fmt.Sprintf("198.%d.%d.0/24", r.IntN(64), r.IntN(256))},
			{window.ASN, strconv.Itoa(64500 + r.IntN(300))},
			{window.Device, fmt.Sprintf("k1:%016x", r.Uint64())},
			{window.RecoveryEmail, fmt.Sprintf("k1:%016x", r.Uint64())},
			{window.RecoveryPhone, fmt.Sprintf("k1:%016x", r.Uint64()%5000)},
			{window.Template, fmt.Sprintf("L%dD%d", 3+r.IntN(8), r.IntN(5))},
		}
		for _, kv := range values {
			k := window.NewKey(kv.k, kv.v)
			if byKey[k] == nil && len(keys) == batchDeltas {
				continue // the batch is full: the signup's other keys are left out
			}
			rec := w.recs[k]
			if rec == nil {
				rec = &window.Record{}
				w.recs[k] = rec
			}
			d := rec.Add(w.at, id)
			d.Key = k
			if prev := byKey[k]; prev != nil {
				prev.Merge(d)
				continue
			}
			d.Remove = rec.Stale(w.at)
			rec.Prune(w.at)
			d.Expires = w.at.Add(window.Retention).Unix()
			byKey[k] = &d
			keys = append(keys, k)
		}
		accts = append(accts, account.Account{
			ID: id, SignupEventID: "evt-" + id, CreatedAt: w.at, Country: "US", ASN: 64500,
			Prefix: "198.51.100.0/24", DeviceHash: "k1:0123456789abcdef", Score: 12, Expires: w.at.Add(window.Retention).Unix(),
		})
	}
	deltas := make([]window.Delta, len(keys))
	for i, k := range keys {
		deltas[i] = *byKey[k]
	}
	return keys, deltas, accts
}

type benchBatch struct {
	keys   []window.Key
	deltas []window.Delta
	accts  []account.Account
}

// benchModes are the ways a replay may open the store.
var benchModes = []struct {
	name string
	o    embedded.Options
}{
	{"tx", embedded.Options{NoSync: true}},
	{"buffered", embedded.Options{NoSync: true, Buffer: 100_000}},
}

// benchStore opens a store already holding warm batches, and returns the
// batches to run, which follow them in time.
func benchStore(b *testing.B, o embedded.Options, warm, run int) (*embedded.Store, []benchBatch) {
	b.Helper()
	s, err := embedded.Open(filepath.Join(b.TempDir(), "bench.db"), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	ctx := context.Background()
	w := newWorkload()
	for range warm {
		_, deltas, accts := w.batch()
		if err := errors.Join(s.UpdateKeys(ctx, deltas)...); err != nil {
			b.Fatal(err)
		}
		if err := errors.Join(s.CreateAccounts(ctx, accts)...); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
	batches := make([]benchBatch, run)
	for i := range batches {
		batches[i].keys, batches[i].deltas, batches[i].accts = w.batch()
	}
	runtime.GC()
	return s, batches
}

// report adds per-item figures: wall time, and CPU time of the process
// (GC and background flushes included), which a busy machine distorts less.
func report(b *testing.B, items int, unit string, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(items), "ns/"+unit)
	if cpu := cpuTime(); cpu > 0 {
		b.ReportMetric(float64((cpu-cpu0).Nanoseconds())/float64(items), "cpu-ns/"+unit)
	}
}

// BenchmarkBatch is the store's share of a pipeline batch of signups: read
// the keys, apply the deltas, create the accounts, about 500 of each kind
// of item but 70 accounts. Later rounds of the same batches find their
// accounts: a lookup instead of a write. A buffered store's writes to the
// file are included: the timing ends with a Flush.
func BenchmarkBatch(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s, batches := benchStore(b, m.o, 400, 100)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, items := cpuTime(), 0
			for i := range b.N {
				bt := batches[i%len(batches)]
				if _, err := s.Keys(ctx, bt.keys); err != nil {
					b.Fatal(err)
				}
				if err := errors.Join(s.UpdateKeys(ctx, bt.deltas)...); err != nil {
					b.Fatal(err)
				}
				s.CreateAccounts(ctx, bt.accts)
				items += len(bt.deltas)
			}
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			report(b, items, "delta", cpu0)
		})
	}
}

func BenchmarkKeys(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s, batches := benchStore(b, m.o, 400, 100)
			ctx := context.Background()
			for _, bt := range batches {
				s.UpdateKeys(ctx, bt.deltas)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, items := cpuTime(), 0
			for i := range b.N {
				bt := batches[i%len(batches)]
				if _, err := s.Keys(ctx, bt.keys); err != nil {
					b.Fatal(err)
				}
				items += len(bt.keys)
			}
			b.StopTimer()
			report(b, items, "key", cpu0)
		})
	}
}

func BenchmarkUpdateKeys(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s, batches := benchStore(b, m.o, 400, 100)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, items := cpuTime(), 0
			for i := range b.N {
				bt := batches[i%len(batches)]
				if err := errors.Join(s.UpdateKeys(ctx, bt.deltas)...); err != nil {
					b.Fatal(err)
				}
				items += len(bt.deltas)
			}
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			report(b, items, "delta", cpu0)
		})
	}
}

// BenchmarkCreateAccounts creates new records, 500 a call.
func BenchmarkCreateAccounts(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			s, _ := benchStore(b, m.o, 400, 0)
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
			accts := make([]account.Account, batchDeltas)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := range b.N {
				for j := range accts {
					id := "new-" + strconv.Itoa(i*batchDeltas+j)
					accts[j] = account.Account{
						ID: id, SignupEventID: "evt-" + id, CreatedAt: at, Country: "US", ASN: 64500,
						Prefix: "198.51.100.0/24", DeviceHash: "k1:0123456789abcdef", Score: 12, Expires: 1_800_000_000,
					}
				}
				if err := errors.Join(s.CreateAccounts(ctx, accts)...); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			report(b, b.N*batchDeltas, "account", cpu0)
		})
	}
}
