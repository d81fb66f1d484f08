// Package textsim finds near-duplicate texts: the templated cover letters,
// pitches and first messages that one operator sends from many new
// mailboxes, with a name, a company or a date changed, a sentence moved or
// rewritten. Sum gives each text a 64-bit SimHash of its word 3-shingles;
// texts from one template differ in few bits (Distance at most Near), while
// unrelated texts differ in about half of them.
//
// Hashes are stored and compared across processes and machines, so they
// depend on nothing but the text: words are hashed with FNV-1a and
// shingles mixed with fixed constants, never a randomly seeded hash. Work is bounded: only the first
// MaxBytes of a text are read.
package textsim

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hash is the 64-bit SimHash of a text. Each bit is the majority vote of
// that bit over the hashes of the text's word 3-shingles.
type Hash uint64

// MaxBytes is how much of a text Sum reads: enough for any letter, and a
// bound on the work a hostile message can cause.
const MaxBytes = 64 << 10

// MinWords is the fewest words a text needs for a hash: shorter texts
// ("Thanks, see you tomorrow") are written alike by unrelated people, so
// their hashes would link accounts that have nothing in common.
const MinWords = 20

// Near is the largest Distance at which two texts are taken to come from
// one template. It was chosen from the distances measured by TestNearRates
// (BENCH-imagehash.md, "Text"): 96% of pairs of lightly edited letters of
// one template are within it, and 0.05% of unrelated pairs. That is close
// to the floor for 64 bits: two independent random hashes are within 18
// bits of each other 0.03% of the time, so across many texts Near alone
// links some unrelated pairs, and should be one signal among others.
const Near = 18

// Distance returns the number of bits in which a and b differ, 0 to 64.
func Distance(a, b Hash) int { return bits.OnesCount64(uint64(a ^ b)) }

// FNV-1a, 64-bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Sum returns the SimHash of text and the number of words it read. Words
// are runs of Unicode letters and digits, lowercased; everything else
// separates them, and line breaks do not end a shingle. Quoted reply lines
// (starting with '>', after any indentation) are skipped, and reading stops
// at a signature separator, a line "-- " (or "--", as clients that strip
// trailing spaces send it), because neither is the sender's own text. Only
// the first MaxBytes bytes are read. A text of fewer than MinWords words
// hashes to 0.
func Sum(text string) (Hash, int) {
	if len(text) > MaxBytes {
		text = text[:MaxBytes]
	}
	var (
		c     counter
		words int
		prev  [2]uint64 // the two words before the current one
	)
	addWord := func(w uint64) {
		words++
		if words >= 3 {
			c.add(shingle(prev[0], prev[1], w))
		}
		prev[0], prev[1] = prev[1], w
	}

	for line := range strings.Lines(text) {
		body := strings.TrimRight(line, "\r\n")
		if body == "-- " || body == "--" {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(body, " \t"), ">") {
			continue
		}
		var w uint64
		inWord := false
		for _, r := range body {
			if r < utf8.RuneSelf {
				// ASCII, most of any text: skip the Unicode tables.
				switch {
				case 'A' <= r && r <= 'Z':
					r += 'a' - 'A'
				case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
				default:
					if inWord {
						addWord(w)
						inWord = false
					}
					continue
				}
				if !inWord {
					w, inWord = fnvOffset, true
				}
				w = (w ^ uint64(r)) * fnvPrime
				continue
			}
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				if inWord {
					addWord(w)
					inWord = false
				}
				continue
			}
			if !inWord {
				w, inWord = fnvOffset, true
			}
			var buf [utf8.UTFMax]byte
			for _, b := range buf[:utf8.EncodeRune(buf[:], unicode.ToLower(r))] {
				w = (w ^ uint64(b)) * fnvPrime
			}
		}
		if inWord {
			addWord(w)
		}
	}
	if words < MinWords {
		return 0, words
	}
	return c.majority(), words
}

// counter counts, for each bit position, how many of the added hashes
// have it set. It counts in byte-wide lanes, eight positions per word, so
// that adding a hash costs eight additions rather than 64; a lane holds up
// to 255, so the lanes are emptied into ones every 255 hashes.
type counter struct {
	lanes   [8]uint64 // byte k of lanes[j] counts bit 8k+j
	pending int
	ones    [64]int
	n       int
}

func (c *counter) add(h uint64) {
	for j := range c.lanes {
		c.lanes[j] += h >> j & 0x0101010101010101
	}
	c.n++
	if c.pending++; c.pending == 255 {
		c.flush()
	}
}

func (c *counter) flush() {
	for j, l := range c.lanes {
		for k := range 8 {
			c.ones[8*k+j] += int(l >> (8 * k) & 0xff)
		}
		c.lanes[j] = 0
	}
	c.pending = 0
}

// majority returns the hash whose bits are set where more than half of
// the added hashes have them set.
func (c *counter) majority() Hash {
	c.flush()
	var h Hash
	for i, n := range c.ones {
		if 2*n > c.n {
			h |= 1 << i
		}
	}
	return h
}

// shingle hashes three consecutive words, given their FNV-1a hashes: each
// multiplied by its own odd constant (so order matters and no word is
// lost), then MurmurHash3's 64-bit finalizer, so that every bit of the
// result depends on every word. SimHash needs each bit to be a fair coin,
// and plain FNV-1a mixes its high bits poorly into its low ones. The
// constants are fixed: hashes are stored.
func shingle(a, b, c uint64) uint64 {
	h := a*0x9e3779b97f4a7c15 ^ b*0xc2b2ae3d27d4eb4f ^ c*0x165667b19e3779f9
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
