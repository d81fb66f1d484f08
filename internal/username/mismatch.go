package username

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pattern is how a username is built from its owner's display name.
type Pattern uint8

// The patterns, benign first. Suspicious reports the ones bought and farmed
// accounts show: a persona name padded with random letters so that the
// mailbox name is free.
const (
	// PatternNone means there was nothing to compare: no display name, or no
	// letters in the username.
	PatternNone Pattern = iota
	// PatternUnrelated means the username uses none of the display name's
	// names ("coolguy99" for "James Miller").
	PatternUnrelated
	// PatternFirstLast is two or more names, whole or shortened, in any
	// order and with or without separators: "james.miller",
	// "millerjames", "jim_miller1987".
	PatternFirstLast
	// PatternInitialLast is a surname with initials: "jmiller", "j.miller",
	// "millerj".
	PatternInitialLast
	// PatternFirstInitial is a first (or middle) name with initials:
	// "jamesm", "james.r.m".
	PatternFirstInitial
	// PatternOneName is one whole name: "miller1987", "james".
	PatternOneName
	// PatternNickname is only a short or familiar form of a first name:
	// "jim1987" or "chris" for Christopher.
	PatternNickname
	// PatternInitials is initials only: "jm1987".
	PatternInitials
	// PatternNameExtra is names plus letters that are not judged random: a
	// word or another name ("millerfamily", "robles.maria"), or too few
	// letters to judge ("millerxy").
	PatternNameExtra
	// PatternSurnameRandom is the surname followed by random letters:
	// "roblesxyfi" for Margarite Robles.
	PatternSurnameRandom
	// PatternSurnameRandomFirst is the surname, random letters, then the
	// first name or its start: "truesdaleebweli" for Elin Truesdale.
	PatternSurnameRandomFirst
	// PatternFirstRandom is the first name followed by random letters:
	// "margaritexyfi".
	PatternFirstRandom
	// PatternNameRandom is any other mix of names and random letters:
	// "xyfirobles", "margaritexyfirobles".
	PatternNameRandom
)

var patternNames = [...]string{
	PatternNone:               "none",
	PatternUnrelated:          "unrelated",
	PatternFirstLast:          "first_last",
	PatternInitialLast:        "initial_last",
	PatternFirstInitial:       "first_initial",
	PatternOneName:            "one_name",
	PatternNickname:           "nickname",
	PatternInitials:           "initials",
	PatternNameExtra:          "name_extra",
	PatternSurnameRandom:      "surname_random",
	PatternSurnameRandomFirst: "surname_random_first",
	PatternFirstRandom:        "first_random",
	PatternNameRandom:         "name_random",
}

// String returns the pattern's snake_case name, stable for use in rules and
// metrics.
func (p Pattern) String() string {
	if int(p) < len(patternNames) {
		return patternNames[p]
	}
	return "pattern(" + strconv.Itoa(int(p)) + ")"
}

// Suspicious reports whether the pattern is one of names padded with random
// letters.
func (p Pattern) Suspicious() bool {
	return p >= PatternSurnameRandom && p <= PatternNameRandom
}

// PartKind says where a part of a username came from.
type PartKind uint8

// The kinds of parts.
const (
	// PartFirst is the display name's first name, whole or shortened.
	PartFirst PartKind = iota + 1
	// PartMiddle is one of its middle names.
	PartMiddle
	// PartLast is its surname (the last name, or the first one before a
	// comma: "Robles, Margarite").
	PartLast
	// PartName is the only name of a one-word display name.
	PartName
	// PartInitial is the first letter of one of its names.
	PartInitial
	// PartFiller is letters the display name does not explain.
	PartFiller
)

var partNames = [...]string{
	PartFirst:   "first name",
	PartMiddle:  "middle name",
	PartLast:    "surname",
	PartName:    "name",
	PartInitial: "initial",
	PartFiller:  "filler",
}

// String returns the kind as used in reasons: "surname", "first name" ….
func (k PartKind) String() string {
	if k != 0 && int(k) < len(partNames) {
		return partNames[k]
	}
	return "part(" + strconv.Itoa(int(k)) + ")"
}

// Part is a run of a username's letters and where it came from.
type Part struct {
	Kind PartKind
	// Text is the letters, lowercase and without diacritics.
	Text string
}

// Mismatch is what NameMismatch found.
type Mismatch struct {
	Pattern Pattern
	// Parts are the username's letters, in order, split into the names
	// they came from and the filler between them. Digits and separators are
	// left out. Empty for PatternNone and PatternUnrelated.
	Parts []Part
	// Filler is all the letters the display name does not explain, joined.
	Filler string
	// Randomness is the highest randomness score, in [0, 1], of the
	// filler's runs of three or more letters; 0 when none was judged.
	Randomness float64
}

// Suspicious reports whether m is one of the patterns of bought and farmed
// accounts.
func (m Mismatch) Suspicious() bool { return m.Pattern.Suspicious() }

// String returns a reason a person can read:
// "username = surname 'robles' + random 'xyfi'".
func (m Mismatch) String() string {
	switch {
	case m.Pattern == PatternNone:
		return "username not compared with a display name"
	case m.Pattern == PatternUnrelated:
		return "username unrelated to display name"
	}
	var b strings.Builder
	b.WriteString("username = ")
	for i, p := range m.Parts {
		if i > 0 {
			b.WriteString(" + ")
		}
		switch {
		case p.Kind == PartFiller && m.Pattern.Suspicious():
			b.WriteString("random")
		case p.Kind == PartFiller:
			b.WriteString("other")
		default:
			b.WriteString(p.Kind.String())
		}
		b.WriteString(" '")
		b.WriteString(p.Text)
		b.WriteByte('\'')
	}
	return b.String()
}

const (
	// maxLetters bounds the username letters compared; mailbox local parts
	// are at most 64 octets.
	maxLetters = 64
	// maxTokens and maxTokenLen bound the display name's names.
	maxTokens   = 6
	maxTokenLen = 24
	// minFiller is the shortest filler run judged: two letters are as
	// likely initials or a state code as random.
	minFiller = 3
	// minShort is the shortest start of a name that counts as the name
	// ("chr" for Christopher; "eli" for Elin).
	minShort = 3
)

// Costs of the parse of a username into parts: every letter left
// unexplained costs most, so the parse explains as many letters as it can,
// and among those prefers whole names to shortened ones and names to
// initials.
const (
	costName    = 1
	costShort   = 2
	costInitial = 3
	costFiller  = 10
)

type token struct {
	text [maxTokenLen]byte
	n    int
	kind PartKind
}

func (t *token) bytes() []byte { return t.text[:t.n] }

// NameMismatch tells how the mailbox local part was built from the display
// name the account was opened with. It finds the display name's names in
// the username, whole, shortened to three letters or more, as a common
// nickname, or as initials, and judges with the model whether the letters
// left over are random. Case, diacritics, digits, separators and a "+tag"
// do not matter. Display names are read as "First [Middle…] Last" or
// "Last, First …"; titles like "Dr" and suffixes like "Jr" are skipped. For
// family-name-first display names ("Nguyen Thanh Hai") the first and last
// roles come out swapped, which changes the pattern's name but not whether
// it is suspicious.
func (m *Model) NameMismatch(local, displayName string) Mismatch {
	var letters [maxLetters]byte
	// brk[i] says that letters i-1 and i were apart in the username (or i is
	// an end): a name or initial never spans a break, and an initial next to
	// one stands on its own.
	var brk [maxLetters + 1]bool
	n := 0
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	brk[0] = true
	for i := 0; i < len(local) && n < maxLetters; {
		r, size := utf8.DecodeRuneInString(local[i:])
		i += size
		var buf [2]byte
		out, ok := foldRune(buf[:0], r)
		if !ok {
			brk[n] = true
			continue
		}
		for _, c := range out {
			if n < maxLetters {
				letters[n] = c
				n++
			}
		}
	}
	brk[n] = true
	var toks [maxTokens]token
	nt := tokenize(&toks, displayName)
	if n == 0 || nt == 0 {
		return Mismatch{Pattern: PatternNone}
	}
	return m.classify(letters[:n], brk[:n+1], toks[:nt])
}

// honorifics are display-name words that are not names.
var honorifics = [...]string{"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "sir", "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"}

// tokenize splits a display name into up to maxTokens names, folded to
// lowercase ASCII, and gives each its role. Apostrophes inside a name are
// dropped ("O'Brien" is "obrien"); any other non-letter splits.
func tokenize(toks *[maxTokens]token, display string) int {
	nt := 0
	comma := -1 // tokens before a comma are the surname
	cur := token{}
	flush := func() {
		if cur.n == 0 {
			return
		}
		w := string(cur.bytes()) // does not escape: compared and dropped
		for _, h := range honorifics {
			if w == h {
				cur.n = 0
				return
			}
		}
		if nt < maxTokens {
			toks[nt] = cur
			nt++
		}
		cur.n = 0
	}
	for i := 0; i < len(display); {
		r, size := utf8.DecodeRuneInString(display[i:])
		i += size
		if r == '\'' || r == '’' {
			continue
		}
		var buf [2]byte
		out, ok := foldRune(buf[:0], r)
		if !ok {
			flush()
			if r == ',' && comma < 0 {
				comma = nt
			}
			continue
		}
		for _, c := range out {
			if cur.n < maxTokenLen {
				cur.text[cur.n] = c
				cur.n++
			}
		}
	}
	flush()
	switch {
	case nt == 0:
	case nt == 1:
		toks[0].kind = PartName
	case comma > 0 && comma < nt:
		// "Robles, Margarite Ann": surname first.
		for i := range nt {
			switch {
			case i < comma:
				toks[i].kind = PartLast
			case i == comma:
				toks[i].kind = PartFirst
			default:
				toks[i].kind = PartMiddle
			}
		}
	default:
		for i := range nt {
			toks[i].kind = PartMiddle
		}
		toks[0].kind = PartFirst
		toks[nt-1].kind = PartLast
	}
	return nt
}

// parse states: what the previous part was.
const (
	stName    = iota // a name, an initial that stands on its own, or the start
	stPending        // an initial that still needs a name after it
	stFiller         // filler
	nStates
)

// step is how the parse reached a position and state.
type step struct {
	cost      int
	fromState int8 // the previous position is pos - length
	length    int8
	kind      PartKind // PartFiller for a filler letter
	short     bool     // a shortened name or nickname
	tok       int8
}

// classify parses letters into parts and names the pattern.
func (m *Model) classify(letters []byte, brk []bool, toks []token) Mismatch {
	n := len(letters)
	const inf = 1 << 30
	var dp [maxLetters + 1][nStates]step
	for i := range n + 1 {
		for s := range nStates {
			dp[i][s].cost = inf
		}
	}
	dp[0][stName].cost = 0
	relax := func(to, state int, st step) {
		if st.cost < dp[to][state].cost {
			dp[to][state] = st
		}
	}
	var nicks [maxTokens][]string
	for t := range toks {
		if toks[t].kind != PartLast {
			nicks[t] = nicknamesOf(toks[t].bytes())
		}
	}
	for i := range n {
		// nextBreak is the first break after i: no name crosses it.
		nextBreak := i + 1
		for !brk[nextBreak] {
			nextBreak++
		}
		for s := range nStates {
			cur := dp[i][s].cost
			if cur == inf {
				continue
			}
			name := func(length int, t int, short bool, cost int) {
				relax(i+length, stName, step{cost: cur + cost, fromState: int8(s), length: int8(length),
					kind: toks[t].kind, short: short, tok: int8(t)})
			}
			for t := range toks {
				tok := toks[t].bytes()
				k := 0
				for k < len(tok) && i+k < nextBreak && letters[i+k] == tok[k] {
					k++
				}
				if k == len(tok) && k >= 2 {
					name(k, t, false, costName)
				}
				for l := minShort; l <= k && l < len(tok); l++ {
					name(l, t, true, costShort)
				}
				for _, nick := range nicks[t] {
					if i+len(nick) <= nextBreak && string(letters[i:i+len(nick)]) == nick {
						name(len(nick), t, true, costShort)
					}
				}
				// An initial needs a break or a name (or another initial)
				// on its left, and gets the same on its right.
				if k >= 1 && (brk[i] || s != stFiller) {
					state := stPending
					if brk[i+1] {
						state = stName
					}
					relax(i+1, state, step{cost: cur + costInitial, fromState: int8(s), length: 1,
						kind: PartInitial, tok: int8(t)})
				}
			}
			if s != stPending || brk[i] {
				relax(i+1, stFiller, step{cost: cur + costFiller, fromState: int8(s), length: 1, kind: PartFiller})
			}
		}
	}
	// A pending initial at the end is impossible: the end is a break.
	end := stName
	if dp[n][stFiller].cost < dp[n][stName].cost {
		end = stFiller
	}
	// Walk back, collecting parts in reverse.
	type span struct {
		start, end int
		kind       PartKind
		short      bool
		tok        int8
	}
	var spans [maxLetters]span
	ns := 0
	for pos, state := n, end; pos > 0; {
		st := dp[pos][state]
		start := pos - int(st.length)
		if ns > 0 && st.kind == PartFiller && spans[ns-1].kind == PartFiller && !brk[pos] {
			spans[ns-1].start = start // extend the filler run leftwards
		} else {
			spans[ns] = span{start: start, end: pos, kind: st.kind, short: st.short, tok: st.tok}
			ns++
		}
		pos, state = start, int(st.fromState)
	}
	for i, j := 0, ns-1; i < j; i, j = i+1, j-1 {
		spans[i], spans[j] = spans[j], spans[i]
	}

	var names, initials, fillerLetters, shortFirst int
	var seen [maxTokens]bool
	distinct := 0
	nameTok := -1
	for _, sp := range spans[:ns] {
		switch sp.kind {
		case PartFiller:
			fillerLetters += sp.end - sp.start
		case PartInitial:
			initials++
		default:
			names++
			nameTok = int(sp.tok)
			if !seen[sp.tok] {
				seen[sp.tok] = true
				distinct++
			}
			if sp.short && sp.kind != PartLast {
				shortFirst++
			}
		}
	}
	if names == 0 && (fillerLetters > 0 || initials == 0) {
		return Mismatch{Pattern: PatternUnrelated}
	}

	text := string(letters) // one allocation; parts are slices of it
	res := Mismatch{Parts: make([]Part, ns)}
	for i, sp := range spans[:ns] {
		res.Parts[i] = Part{Kind: sp.kind, Text: text[sp.start:sp.end]}
	}
	if fillerLetters == 0 {
		switch {
		case names == 0:
			res.Pattern = PatternInitials
		case distinct >= 2:
			res.Pattern = PatternFirstLast
		case initials > 0 && toks[nameTok].kind == PartLast:
			res.Pattern = PatternInitialLast
		case initials > 0:
			res.Pattern = PatternFirstInitial
		case shortFirst == names:
			res.Pattern = PatternNickname
		default:
			res.Pattern = PatternOneName
		}
		return res
	}

	// Judge the filler runs; the filler as a whole is random if any run of
	// it is.
	fillers := 0
	for _, p := range res.Parts {
		if p.Kind != PartFiller {
			continue
		}
		fillers++
		res.Filler = p.Text
		if len(p.Text) >= minFiller && !isCommonWord(p.Text) {
			res.Randomness = max(res.Randomness, m.fillerRandomness(p.Text))
		}
	}
	if fillers > 1 {
		joined := make([]byte, 0, fillerLetters)
		for _, p := range res.Parts {
			if p.Kind == PartFiller {
				joined = append(joined, p.Text...)
			}
		}
		res.Filler = string(joined)
	}
	if res.Randomness < FillerThreshold {
		res.Pattern = PatternNameExtra
		return res
	}
	// The shape, with initials left out and filler runs merged.
	var shape [4]PartKind
	k := 0
	for _, p := range res.Parts {
		kind := p.Kind
		if kind == PartInitial || k > 0 && kind == PartFiller && shape[k-1] == PartFiller {
			continue
		}
		if k == len(shape) {
			k++
			break
		}
		shape[k] = kind
		k++
	}
	switch {
	case k == 2 && shape[0] == PartLast && shape[1] == PartFiller:
		res.Pattern = PatternSurnameRandom
	case k == 3 && shape[0] == PartLast && shape[1] == PartFiller && shape[2] == PartFirst:
		res.Pattern = PatternSurnameRandomFirst
	case k == 2 && shape[0] == PartFirst && shape[1] == PartFiller:
		res.Pattern = PatternFirstRandom
	default:
		res.Pattern = PatternNameRandom
	}
	return res
}
