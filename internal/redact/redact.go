// Package redact makes text safe for logs: error messages and log
// attributes lose what could be personal data (quoted input values, counted
// keys, IP addresses, email addresses, phone numbers) before they leave the
// process. Errors are written by many packages (the event decoder, the
// stores, the AWS SDK) that cannot all be trusted to leave values out, so
// every function's logger goes through here.
package redact

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mailtrust/abusescan/internal/window"
)

// maxErrorLen bounds a logged error message.
const maxErrorLen = 512

// Patterns of personal data in error text. Errors are written by many
// packages (the event decoder, the stores, the AWS SDK) that cannot all be
// trusted to leave values out, so the text is redacted here, where it
// leaves for the logs.
var (
	// quoted matches a Go-quoted string, which is how the event package
	// (and this code) embeds input values in error messages.
	quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	// storeKey matches a window.Key of a kind that counts personal data;
	// asn is matched too, and Redacted leaves it readable.
	storeKey = regexp.MustCompile(`\b(ip|net|asn|dev|rem|rph|tpl)#([^\s"'(),;\[\]{}<>]*)`)
	// alreadyRedacted is the value part of Key.Redacted: left as it is, so
	// that redacting twice changes nothing.
	alreadyRedacted = regexp.MustCompile(`^h:[0-9a-f]{8}$`)
	email           = regexp.MustCompile(`[^\s"'<>(),;:\[\]{}@]+@[^\s"'<>(),;:\[\]{}@]+`)
	// ipv6 matches candidates only; each is checked by netip, so that a
	// time of day ("10:00:03") stays.
	ipv6 = regexp.MustCompile(`(?i)(?:[0-9a-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{0,4})(?:%[0-9a-z._-]+)?(?:/\d{1,3})?`)
	// ipv4 matches also what is not a valid address ("203.0.113.300"): a
	// typo of an address is as personal as the address.
	ipv4 = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b`)
	// phone is E.164, + and 7 to 15 digits, as people write it too: with
	// single spaces, dots or hyphens between digits.
	phone = regexp.MustCompile(`\+\d(?:[ .\-]?\d){6,14}\b`)
)

// Error returns err's message as it may be logged: Text, then cut to
// maxErrorLen bytes.
func Error(err error) string {
	s := Text(err.Error())
	if len(s) > maxErrorLen {
		cut := maxErrorLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Text replaces what could be personal data in s: a quoted value by
// "…", a counted key (ip#198.51.100.23) by its window.Key.Redacted form,
// and IPv4 and IPv6 addresses, email addresses and E.164 phone numbers by
// [ip], [email] and [phone]. Keys keep a hash because a log query needs to
// follow one hot key; a bare value in an error has no such use. Redacting
// twice changes nothing.
func Text(s string) string {
	if !strings.ContainsAny(s, `"#@:.+`) {
		return s // every pattern needs one of these
	}
	s = quoted.ReplaceAllStringFunc(s, func(q string) string {
		if v, err := strconv.Unquote(q); err == nil {
			if m := storeKey.FindStringSubmatch(v); m != nil && m[0] == v {
				return strconv.Quote(redactKey(m[1], m[2]))
			}
		}
		return `"…"`
	})
	s = storeKey.ReplaceAllStringFunc(s, func(k string) string {
		kind, v, _ := strings.Cut(k, "#")
		// A key ends where the sentence goes on: "key ip#198.51.100.23: …".
		// An IPv6 value never ends in a single colon.
		var rest string
		for len(v) > 0 && (v[len(v)-1] == '.' || v[len(v)-1] == ':' && !strings.HasSuffix(v, "::")) {
			v, rest = v[:len(v)-1], v[len(v)-1:]+rest
		}
		return redactKey(kind, v) + rest
	})
	s = email.ReplaceAllLiteralString(s, "[email]")
	s = ipv6.ReplaceAllStringFunc(s, func(c string) string {
		if validIP(c) {
			return "[ip]"
		}
		// The candidate may run on into the text by one colon:
		// "2001:db8::17: refused".
		if t, ok := strings.CutSuffix(c, ":"); ok && validIP(t) {
			return "[ip]:"
		}
		// Not an address, but hex and colons ending in a dotted quad
		// ("::00.0.0.00") are one to a reader; left to the IPv4 pattern,
		// the colons would be an address ("::") the next time round.
		if ipv4.MatchString(c) {
			return "[ip]"
		}
		return c
	})
	s = ipv4.ReplaceAllLiteralString(s, "[ip]")
	return phone.ReplaceAllLiteralString(s, "[phone]")
}

// redactKey returns the key of kind and value v redacted, and an already
// redacted one unchanged.
func redactKey(kind, v string) string {
	if alreadyRedacted.MatchString(v) {
		return kind + "#" + v
	}
	return window.Key(kind + "#" + v).Redacted()
}

// validIP reports whether s is an IP address or prefix.
func validIP(s string) bool {
	if strings.Contains(s, "/") {
		_, err := netip.ParsePrefix(s)
		return err == nil
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// NewLogger returns the function's JSON logger, writing to w: every string
// and error it is given is redacted (redactText), so that no package's
// careless line puts an address in the logs.
func NewLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(redactHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// redactHandler redacts the attributes of every record before next sees
// them. Messages are the code's own constants and are left alone.
type redactHandler struct{ next slog.Handler }

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.next.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.next.WithGroup(name)}
}

// redactAttr redacts a's strings and errors, in groups too. Other values
// (numbers, times, lists of rule names) hold no free text.
func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Text(v.String()))
	case slog.KindGroup:
		as := v.Group()
		red := make([]slog.Attr, len(as))
		for i, g := range as {
			red[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, Text(err.Error()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
