package username

import (
	"math"
	"slices"
	"unicode/utf8"
)

// Train builds a character model of the given names: an interpolated
// Witten-Bell n-gram model of the given order (2 to 4) over a–z and a word
// boundary. Each name is folded to lowercase ASCII and split at anything that
// is not a letter ("Anne-Marie" trains "anne" and "marie"); parts shorter than
// two letters are dropped and duplicates count once, so the result depends
// only on the set of names, not on their order or repetition.
//
// Train is deterministic: the same names give a byte-identical
// MarshalBinary on every run.
func Train(names []string, order int) (*Model, error) {
	if order < minOrder || order > maxOrder {
		return nil, errOrder(order)
	}
	words := make(map[string]struct{}, len(names))
	var buf []byte
	for _, n := range names {
		buf = buf[:0]
		flush := func() {
			if len(buf) >= 2 {
				words[string(buf)] = struct{}{}
			}
			buf = buf[:0]
		}
		for i := 0; i < len(n); {
			r, size := utf8.DecodeRuneInString(n[i:])
			i += size
			var ok bool
			if buf, ok = foldRune(buf, r); !ok {
				flush()
			}
		}
		flush()
	}
	sorted := make([]string, 0, len(words))
	for w := range words {
		sorted = append(sorted, w)
	}
	slices.Sort(sorted)

	// counts[k] holds the counts of (k-symbol context, symbol) pairs; the
	// context is a base-27 number whose least significant digit is the most
	// recent symbol.
	counts := make([][]uint32, order)
	for k := range order {
		counts[k] = make([]uint32, pow27(k+1))
	}
	for _, w := range sorted {
		ctx := pow27(order-1) - 1 // all boundary symbols
		step := func(sym int) {
			for k := range order {
				c := ctx % pow27(k)
				counts[k][c*alphabet+sym]++
			}
			ctx = (ctx*alphabet + sym) % pow27(order-1)
		}
		for i := range len(w) {
			step(int(w[i] - 'a'))
		}
		step(boundary)
	}

	// Interpolate level by level: P_k(s|h) = (C(h,s) + T(h) P_{k-1}(s|h'))
	// / (C(h) + T(h)), where T(h) is the number of distinct symbols seen
	// after h and h' drops the oldest symbol of h. The lowest level is
	// add-one smoothed. Explicit float64 conversions keep the compiler from
	// fusing multiply-adds, so every architecture rounds the same way.
	prev := make([]float64, alphabet)
	var total uint64
	for _, c := range counts[0] {
		total += uint64(c)
	}
	for s := range alphabet {
		prev[s] = float64(float64(counts[0][s])+1) / float64(float64(total)+alphabet)
	}
	for k := 1; k < order; k++ {
		cur := make([]float64, len(counts[k]))
		for h := range pow27(k) {
			row := counts[k][h*alphabet : (h+1)*alphabet]
			var n, t uint64
			for _, c := range row {
				n += uint64(c)
				if c > 0 {
					t++
				}
			}
			lower := prev[(h%pow27(k-1))*alphabet:][:alphabet]
			for s := range alphabet {
				if n == 0 {
					cur[h*alphabet+s] = lower[s]
					continue
				}
				num := float64(float64(row[s]) + float64(float64(t)*lower[s]))
				cur[h*alphabet+s] = float64(num / float64(n+t))
			}
		}
		prev = cur
	}

	table := make([]byte, len(prev))
	for i, p := range prev {
		q := math.Round(float64(-math.Log2(p) * scale))
		table[i] = byte(min(q, math.MaxUint8))
	}
	return newModel(order, string(table)), nil
}

// pow27 returns 27^k.
func pow27(k int) int {
	n := 1
	for range k {
		n *= alphabet
	}
	return n
}
