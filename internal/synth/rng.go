package synth

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// rng is one deterministic stream of random choices. Every part of a
// scenario (the genuine population, each campaign) draws from its own stream,
// named after it, so that adding a campaign to a Config leaves the traffic of
// the others unchanged.
type rng struct {
	r *rand.Rand
}

func newRNG(seed int64, stream string) *rng {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return &rng{r: rand.New(rand.NewPCG(uint64(seed), h.Sum64()))}
}

func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return r.r.IntN(n)
}

// between returns an int in [lo, hi].
func (r *rng) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.r.IntN(hi-lo+1)
}

func (r *rng) float() float64 { return r.r.Float64() }

// uniform returns a float in [lo, hi).
func (r *rng) uniform(lo, hi float64) float64 { return lo + (hi-lo)*r.r.Float64() }

func (r *rng) chance(p float64) bool { return r.r.Float64() < p }

func (r *rng) u64() uint64 { return r.r.Uint64() }

// lognormal draws from a log-normal distribution with the given median.
func (r *rng) lognormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*r.r.NormFloat64())
}

// duration returns a duration in [0, d).
func (r *rng) duration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(r.r.Int64N(int64(d)))
}

// weighted returns an index of ws, each with probability proportional to
// its weight.
func (r *rng) weighted(ws ...float64) int {
	total := 0.0
	for _, w := range ws {
		total += w
	}
	x := r.r.Float64() * total
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}

func (r *rng) letters(n int) string {
	const abc = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = abc[r.r.IntN(len(abc))]
	}
	return string(b)
}

// alnum returns n characters of lowercase letters and digits, starting with
// a letter.
func (r *rng) alnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		if i == 0 {
			b[i] = chars[r.r.IntN(26)]
			continue
		}
		b[i] = chars[r.r.IntN(len(chars))]
	}
	return string(b)
}

func (r *rng) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.r.IntN(10))
	}
	return string(b)
}

func (r *rng) hex(n int) string {
	const h = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = h[r.r.IntN(16)]
	}
	return string(b)
}

func pick[T any](r *rng, xs []T) T {
	return xs[r.intn(len(xs))]
}

// choice is one option of a weighted list.
type choice[T any] struct {
	v T
	w float64
}

func pickW[T any](r *rng, cs []choice[T]) T {
	ws := make([]float64, len(cs))
	for i, c := range cs {
		ws[i] = c.w
	}
	return cs[r.weighted(ws...)].v
}

// shuffled returns a shuffled copy of xs.
func shuffled[T any](r *rng, xs []T) []T {
	out := append([]T(nil), xs...)
	r.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// mix64 is splitmix64's finaliser: a bijection that scatters counters.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash64 hashes a seed, a stream name and a counter.
func hash64(seed int64, stream string, n uint64) uint64 {
	h := fnv.New64a()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], n)
	h.Write(b[:])
	h.Write([]byte(stream))
	return mix64(h.Sum64())
}
