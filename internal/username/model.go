package username

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
)

const (
	// alphabet is a–z plus one boundary symbol, which stands for the start
	// of a name in a context and for its end when predicted.
	alphabet = 27
	boundary = 26
	// scale is the number of table steps per bit of surprisal: a step of
	// 1/16 bit is far below anything a threshold could tell apart, and 255
	// steps (almost 16 bits, p = 1/60000) cover the rarest transitions.
	scale = 16

	minOrder = 2
	maxOrder = 4

	magic     = "UNM1"
	headerLen = 8
)

// ErrModel reports model data that cannot be used: a wrong magic number,
// order or size.
var ErrModel = errors.New("username: bad model data")

func errOrder(order int) error {
	return fmt.Errorf("%w: order %d not in %d..%d", ErrModel, order, minOrder, maxOrder)
}

// Model is a character n-gram model of personal names. It is immutable and
// safe for concurrent use.
type Model struct {
	order    int
	ctxMod   int    // 27^(order-1): the number of contexts
	startCtx int    // the all-boundary context
	table    string // surprisal of symbol s after context h at h*27+s, in 1/scale bits
}

func newModel(order int, table string) *Model {
	mod := pow27(order - 1)
	return &Model{order: order, ctxMod: mod, startCtx: mod - 1, table: table}
}

// Order returns the n of the n-gram model: how many symbols, the predicted
// one included, each probability looks at.
func (m *Model) Order() int { return m.order }

// MarshalBinary returns the model's table with a small header: the magic
// "UNM1", the order, the scale and two reserved bytes, then 27^order bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	out := make([]byte, headerLen, headerLen+len(m.table))
	copy(out, magic)
	out[4] = byte(m.order)
	out[5] = scale
	return append(out, m.table...), nil
}

// Parse reads a model written by MarshalBinary.
func Parse(data []byte) (*Model, error) {
	return parse(string(data))
}

//go:embed model.bin
var embedded string

// Default returns the model committed with this package, trained by
// infra/namemodel on the 1990 US Census names and the stdlib first-name
// lists. It does not copy or decode the table, so it is cheap, but not free
// of checks: call it once at start-up and pass the model on.
func Default() (*Model, error) {
	m, err := parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("embedded model: %w", err)
	}
	return m, nil
}

func parse(data string) (*Model, error) {
	if len(data) < headerLen || string(data[:4]) != magic {
		return nil, fmt.Errorf("%w: no %q header", ErrModel, magic)
	}
	order := int(data[4])
	if order < minOrder || order > maxOrder {
		return nil, errOrder(order)
	}
	if data[5] != scale {
		return nil, fmt.Errorf("%w: scale %d, want %d", ErrModel, data[5], scale)
	}
	if data[6] != 0 || data[7] != 0 {
		return nil, fmt.Errorf("%w: reserved bytes not zero", ErrModel)
	}
	if want := headerLen + pow27(order); len(data) != want {
		return nil, fmt.Errorf("%w: %d bytes, want %d for order %d", ErrModel, len(data), want, order)
	}
	return newModel(order, data[headerLen:]), nil
}

// Surprisal returns how many bits the model needs to encode word as a whole
// name: every letter, then the end of the name. Anything but a–z (after
// lowercasing A–Z) is skipped.
func (m *Model) Surprisal(word string) float64 {
	ctx := m.startCtx
	total := 0
	for i := range len(word) {
		c := word[i] | 0x20
		if c < 'a' || c > 'z' {
			continue
		}
		s := int(c - 'a')
		total += int(m.table[ctx*alphabet+s])
		ctx = (ctx*alphabet + s) % m.ctxMod
	}
	total += int(m.table[ctx*alphabet+boundary])
	return float64(total) / scale
}

const (
	// maxRun bounds the letters one segmentation looks at; longer runs are
	// judged in pieces of this size.
	maxRun = 32
	// minJudged is the shortest letter run Randomness judges: three random
	// letters look like a name too often to mean anything.
	minJudged = 4
	// segPenalty is what each name after the first costs a segmentation,
	// in 1/scale bits. Without it random strings get cheap by being cut
	// at every unlikely transition; with too much of it "jamesmiller" pays
	// for the unusual "sm" inside one name. 4 bits was the best trade on
	// the held-out data (see README.md).
	segPenalty = 4 * scale
	// initialCost is what a one-letter initial costs: log2(26) bits, the
	// price of any letter under the uniform alternative. Initials are
	// allowed as the first two letters and the last letter of a run
	// ("jsmith", "jmsmith", "smithj").
	initialCost = 75
	// uniformBits is the surprisal of one letter drawn uniformly from a–z.
	uniformBits = 4.700439718141092 // log2(26)
	// uniformMilli is uniformBits in 1/(1000*scale) bits, for integer sums.
	uniformMilli = 75207
)

// runCost returns the cheapest encoding, in 1/scale bits, of the lowercase
// letters w (at most maxRun of them) as a sequence of whole names and
// initials, each name ending with the boundary symbol. Usernames join names
// ("jamesmiller", "nguyenthanh", "jsmith"), and a model of single names
// would otherwise count every join as a surprise.
func (m *Model) runCost(w []byte) int {
	n := len(w)
	var best [maxRun + 1]int
	for i := 1; i <= n; i++ {
		best[i] = math.MaxInt32
	}
	for j := range n {
		base := best[j]
		if j > 0 {
			base += segPenalty
		}
		if (j <= 1 || j == n-1) && base+initialCost < best[j+1] {
			best[j+1] = base + initialCost
		}
		ctx := m.startCtx
		acc := base
		for i := j; i < n; i++ {
			s := int(w[i] - 'a')
			acc += int(m.table[ctx*alphabet+s])
			ctx = (ctx*alphabet + s) % m.ctxMod
			if i == j {
				continue // a one-letter name is an initial, costed above
			}
			if c := acc + int(m.table[ctx*alphabet+boundary]); c < best[i+1] {
				best[i+1] = c
			}
		}
	}
	return best[n]
}

// wordCost returns the encoding of the lowercase letters w as one name, in
// 1/scale bits.
func (m *Model) wordCost(w string) int {
	ctx := m.startCtx
	total := 0
	for i := range len(w) {
		s := int(w[i] - 'a')
		total += int(m.table[ctx*alphabet+s])
		ctx = (ctx*alphabet + s) % m.ctxMod
	}
	return total + int(m.table[ctx*alphabet+boundary])
}

// Excess returns, in bits, how much worse the name model explains the letters
// of s than uniformly random letters do, and how many letters it judged. It
// judges runs of a–z and A–Z of at least four letters (digits, separators
// and anything else split runs) and returns the highest excess of any run:
// one random run makes a username random, and two unusual but real names
// ("oluwaseun.adeyemi") do not add up to one. It is a log-likelihood ratio:
// positive means the run looks more like random letters than like names;
// names of ordinary length come out well below zero.
func (m *Model) Excess(s string) (bits float64, judged int) {
	var run [maxRun]byte
	n := 0
	worst := math.MinInt
	flush := func() {
		if n >= minJudged {
			// In 1/(1000*scale) bits, to sum in integers.
			e := m.runCost(run[:n])*1000 - n*uniformMilli
			worst = max(worst, e)
			judged += n
		}
		n = 0
	}
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			flush()
			continue
		}
		if n == maxRun {
			flush()
		}
		run[n] = c
		n++
	}
	flush()
	if judged == 0 {
		return 0, 0
	}
	return float64(worst) / (1000 * scale), judged
}

// Thresholds recommended for the scores; README.md has what they cost and
// catch on held-out names.
const (
	// RandomThreshold is the Randomness from which a username's letters
	// should be taken for random: 1 in 3,000 held-out real names and 1 in
	// 700 username forms of them ("jamesmiller", "jmiller") reach it, and
	// 8 to 9 in 10 random letter strings do. 0.5 catches a few more random
	// strings but also up to 1 in 100 real names, and far more names from
	// outside the English-speaking world the model was trained on.
	RandomThreshold = 0.9
	// FillerThreshold is the randomness from which NameMismatch takes
	// filler for random.
	FillerThreshold = 0.5
)

// Calibration of the scores, in bits of Excess: the score is 0.5 at mid
// and moves from 0.12 to 0.88 over mid ± 2 widths.
const (
	randomMid   = 7.0
	randomWidth = 2.0
	fillerMid   = 4.0
	fillerWidth = 1.5
)

// Randomness scores how much the letter runs of s look like random letters
// rather than names, from 0 (surely names) to 1 (surely random): a logistic
// of Excess. It also returns the number of letters judged; with 0 the
// score means nothing. Compare the score with RandomThreshold.
func (m *Model) Randomness(s string) (score float64, judged int) {
	bits, judged := m.Excess(s)
	if judged == 0 {
		return 0, 0
	}
	return logistic((bits - randomMid) / randomWidth), judged
}

// fillerRandomness scores lowercase letters found between names in a
// username as one word: filler is short, and a segmentation into names
// would explain random letters away.
func (m *Model) fillerRandomness(w string) float64 {
	bits := float64(m.wordCost(w))/scale - float64(len(w))*uniformBits
	return logistic((bits - fillerMid) / fillerWidth)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
