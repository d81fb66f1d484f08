package username

import (
	"unicode"
	"unicode/utf8"
)

// MaxTemplate is the longest template Template returns, in bytes.
const MaxTemplate = 48

// letterBuckets[n] is the label of a run of n letters (a read-only table);
// runs longer than the table are labelled "17".
var letterBuckets = [...]string{
	1: "1", 2: "2", 3: "3",
	4: "4", 5: "4",
	6: "6", 7: "6",
	8: "8", 9: "8",
	10: "10", 11: "10", 12: "10",
	13: "13", 14: "13", 15: "13", 16: "13",
}

// Template returns the shape of a mailbox local part, for counting how many
// new accounts share it: a bot wave reuses one generator ("jsmith4821",
// "kdavis9310", "mbrown0023" are all "l6d4"), people do not.
//
// The local part is lowercased in effect and its "+tag" dropped. Then each
// run of letters becomes "l" and a length bucket, each run of digits "d" and
// its exact count, and every other character is kept as it is ('.', '_',
// '-'), or '?' if it is not printable ASCII:
//
//	james.miller1987  -> l4.l6d4
//	jsmith4821        -> l6d4
//	j_smith_07        -> l1_l4_d2
//
// Why these classes: generators fill slots with names or random letters of
// varying length but print counters and random numbers at a fixed width, and
// keep their separators. So digits count exactly and separators are kept,
// while letter lengths fall into buckets: 1, 2 and 3 exactly (initials),
// then 4–5, 6–7, 8–9, 10–12, 13–16 and 17 or more, about the spread of
// surnames (and of initial+surname) a template draws from. Genuine names
// spread over many shapes through their separators, digit counts (none, 2
// or 4 for years) and the number of their parts. Templates longer than
// MaxTemplate bytes end in "*" after the last whole run that fits, so a
// template never grows with hostile input.
func Template(local string) string {
	var buf [MaxTemplate]byte
	return string(AppendTemplate(buf[:0], local))
}

// AppendTemplate appends Template(local) to dst and returns the extended
// buffer; with room in dst it does not allocate.
func AppendTemplate(dst []byte, local string) []byte {
	start := len(dst)
	var kind byte // 'l', 'd' or 0 between runs
	run := 0
	emit := func() bool {
		if kind == 0 {
			return true
		}
		label := ""
		if kind == 'l' {
			label = "17"
			if run < len(letterBuckets) {
				label = letterBuckets[run]
			}
		}
		var num [4]byte
		if kind == 'd' {
			label = smallNumber(&num, run)
		}
		if len(dst)-start+1+len(label) > MaxTemplate-1 {
			return false
		}
		dst = append(dst, kind)
		dst = append(dst, label...)
		kind, run = 0, 0
		return true
	}
	for i := 0; i < len(local); {
		c := local[i]
		if c == '+' {
			break
		}
		var class byte
		size := 1
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			class = 'l'
		case '0' <= c && c <= '9':
			class = 'd'
		case c < utf8.RuneSelf:
			if c <= ' ' || c == 0x7f {
				c = '?'
			}
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(local[i:])
			switch {
			case unicode.IsLetter(r):
				class = 'l'
			case unicode.IsDigit(r):
				class = 'd'
			default:
				c = '?'
			}
		}
		i += size
		if class != 0 && class == kind {
			run++
			continue
		}
		if !emit() {
			return append(dst, '*')
		}
		if class != 0 {
			kind, run = class, 1
			continue
		}
		if len(dst)-start >= MaxTemplate-1 {
			return append(dst, '*')
		}
		dst = append(dst, c)
	}
	if !emit() {
		return append(dst, '*')
	}
	return dst
}

// smallNumber formats n (capped at 999) into buf.
func smallNumber(buf *[4]byte, n int) string {
	n = min(n, 999)
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(buf[i:])
}
