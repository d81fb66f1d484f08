package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/visible"
)

// What abusectl prints comes in part from events and from the queue, and
// such text is hostile: a right-to-left override makes a username read
// backwards, a C1 or escape sequence drives the terminal it is printed on.
// Every string printed in text form goes through Escape, and every JSON
// document through WriteJSON.

// Escape returns s fit to print on a terminal (visible.Escape).
func Escape(s string) string { return visible.Escape(s) }

// printable reports whether r may go to a terminal as itself.
func printable(r rune) bool { return visible.Printable(r) }

// WriteJSON writes v as one JSON document followed by a newline, indented
// by indent ("" for one line), with every character that is not printable
// written as a \u escape. encoding/json escapes C0 controls and U+2028/9,
// but writes C1 controls, DEL and bidi overrides raw; outside strings, JSON
// is ASCII, so such characters can only stand inside a string literal,
// where the escape decodes to the very same string.
func WriteJSON(w io.Writer, v any, indent string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeJSON(buf.Bytes()))
	return err
}

// escapeJSON rewrites the non-printable characters of the JSON document b
// as \u escapes (pairs of them beyond the BMP). encoding/json has already
// made b valid UTF-8.
func escapeJSON(b []byte) []byte {
	clean := true
	for i := 0; i < len(b); i++ {
		if b[i] >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r < 0x7f || printable(r):
			// ASCII below DEL is left to encoding/json, which escaped
			// what it must.
			out = append(out, b[i:i+size]...)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, hi, lo)
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}

// WriteItems writes queue items as JSON Lines, one item a line, escaped as
// WriteJSON escapes. It is how every command prints items.
func WriteItems(w io.Writer, items []queue.Item) error {
	bw := bufio.NewWriter(w)
	for _, it := range items {
		if err := WriteJSON(bw, it, ""); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// maxCell bounds a table's reason column, in runes, so one long reason
// does not push a row off the screen; the JSON output has it whole.
const maxCell = 100

// WriteTable writes queue items as a table for people: account, action,
// status, score, creation time and the strongest reason (with how many
// more there are). Every string is escaped, so a hostile username quoted
// in a reason can neither drive the terminal nor break the columns.
func WriteTable(w io.Writer, items []queue.Item) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tACTION\tSTATUS\tSCORE\tCREATED\tREASON")
	for _, it := range items {
		reason := ""
		if len(it.Reasons) > 0 {
			reason = truncate(Escape(it.Reasons[0].Detail), maxCell)
			if n := len(it.Reasons) - 1; n > 0 {
				reason += fmt.Sprintf(" (+%d more)", n)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", Escape(it.AccountID), Escape(string(it.Action)), Escape(string(it.Status)),
			it.Score, it.CreatedAt.UTC().Format(time.RFC3339), reason)
	}
	return tw.Flush()
}

// truncate cuts s, already escaped, to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// escapeAll formats ss as %v does, each string escaped.
func escapeAll(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = Escape(s)
	}
	return fmt.Sprint(out)
}
