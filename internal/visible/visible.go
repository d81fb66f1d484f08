// Package visible makes hostile text safe to show a person: on a terminal
// (abusectl) or in a page (the review page, before html/template escapes it
// for HTML). Account ids, usernames and reasons come from events, and a
// right-to-left override makes one read as another, a C1 or escape
// sequence drives the terminal it is printed on.
package visible

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that is not graphic (C0 and C1
// controls, DEL, bidi and other format characters, line and paragraph
// separators) written as \uXXXX (\UXXXXXXXX beyond the BMP) and every byte
// of invalid UTF-8 as \xXX; letters of every script, marks, digits,
// punctuation, symbols and spaces are kept.
func Escape(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case Printable(r):
			b.WriteString(s[i : i+size])
		case r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// Printable reports whether r may be shown as itself. U+FFFD is escaped
// too: it may be a sign of text already damaged.
func Printable(r rune) bool { return r != utf8.RuneError && unicode.IsGraphic(r) }

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			// Only non-ASCII needs the slower look.
			return strings.ContainsFunc(s[i:], func(r rune) bool { return !Printable(r) })
		}
	}
	return false
}
