package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/window"
)

// errThrottled stands for a store's own error, as the pipeline wraps it.
var errThrottled = errors.New("throttled")

// Values that must never reach a log, and the keys made of them.
var (
	ipv4Key = window.NewKey(window.IP, "198.51.100.23")
	ipv6Key = window.NewKey(window.IP, "2001:db8:1:2::/64")
	netKey  = window.NewKey(window.Prefix, "198.51.100.0/24")
	devKey  = window.NewKey(window.Device, "q3V8dJ0bXk2mC9tLw1Rz4A")
	remKey  = window.NewKey(window.RecoveryEmail, "Zm9vYmFyYmF6cXV4MTIzNA")
	rphKey  = window.NewKey(window.RecoveryPhone, "cGhvbmVoYXNodmFsdWUwMQ")
	tplKey  = window.NewKey(window.Template, "l5d4")
)

func TestRedact(t *testing.T) {
	t.Parallel()
	storage := func(format string, a ...any) error {
		// As the pipeline reports a store's failure: wrapped twice, transient.
		return fmt.Errorf("record m1: %w", fmt.Errorf(format+": %w", append(a, errThrottled)...))
	}
	tests := []struct {
		name    string
		err     error
		want    string
		secrets []string // besides the want check, for cases that are easier read this way
	}{
		{"quoted value", &event.FieldError{Field: "detail.ip", Reason: `"203.0.113.300" is not an IPv4 or IPv6 address`},
			`detail.ip: "…" is not an IPv4 or IPv6 address`, nil},
		{"quoted value with an escaped quote", &event.FieldError{Field: "detail.recoveryEmail", Reason: `domain "x\"y" is not a valid host name`},
			`detail.recoveryEmail: domain "…" is not a valid host name`, nil},
		{"nothing to redact", &event.FieldError{Field: "detail.accountId", Reason: "missing"}, "detail.accountId: missing", nil},
		{"too long", errors.New(strings.Repeat("x", 600)), strings.Repeat("x", 512) + "…", nil},
		{"too long, cut between runes", errors.New("x" + strings.Repeat("é", 300)), "x" + strings.Repeat("é", 255) + "…", nil},
		{"redacted before it is cut", errors.New(strings.Repeat("x", 505) + " 198.51.100.23"), strings.Repeat("x", 505) + " [ip]", nil},

		{"ipv4 key in a wrapped storage error", storage("update key %s", ipv4Key),
			"record m1: update key ip#h:fe8b2f93: throttled", []string{"198.51.100"}},
		{"ipv6 key", storage("update key %s", ipv6Key),
			"record m1: update key " + ipv6Key.Redacted() + ": throttled", []string{"2001:db8"}},
		{"prefix key", storage("update key %s", netKey), "record m1: update key " + netKey.Redacted() + ": throttled", nil},
		{"hashed keys", storage("get keys [%s %s %s]", devKey, remKey, rphKey),
			"record m1: get keys [" + devKey.Redacted() + " " + remKey.Redacted() + " " + rphKey.Redacted() + "]: throttled", nil},
		{"template key", storage("update key %s", tplKey), "record m1: update key " + tplKey.Redacted() + ": throttled", nil},
		{"asn key stays", storage("update key asn#16509"), "record m1: update key asn#16509: throttled", nil},
		{"key at the end of a sentence", fmt.Errorf("no such key %s.", ipv4Key), "no such key ip#h:fe8b2f93.", nil},
		{"quoted key keeps its hash", fmt.Errorf("update key %q: %w", ipv4Key, errThrottled),
			`update key "ip#h:fe8b2f93": throttled`, nil},
		{"already redacted key", fmt.Errorf("update key %s: throttled", ipv4Key.Redacted()), "update key ip#h:fe8b2f93: throttled", nil},
		{"not a key kind", errors.New("skip#198.51.100.23"), "skip#[ip]", nil},

		{"ipv4 with a port", fmt.Errorf("put: %w", errors.New("dial tcp 198.51.100.23:443: connection refused")),
			"put: dial tcp [ip]:443: connection refused", nil},
		{"ipv4 prefix", errors.New("inside 198.51.100.0/24"), "inside [ip]", nil},
		{"ipv6", fmt.Errorf("put: %w", errors.New("dial tcp [2001:db8::1]:443: refused")), "put: dial tcp [[ip]]:443: refused", nil},
		{"ipv6 before a colon", errors.New("from 2001:db8:1:2::17: refused"), "from [ip]: refused", nil},
		{"ipv6 prefix", errors.New("in 2001:db8:1::/48 and fe80::1%eth0"), "in [ip] and [ip]", nil},
		{"ipv4-mapped ipv6", errors.New("from ::ffff:198.51.100.23"), "from [ip]", nil},
		{"email", fmt.Errorf("decode: %w", errors.New("recovery jm.backup+x@othermail.example bounced")), "decode: recovery [email] bounced", nil},
		{"e.164 phone", fmt.Errorf("decode: %w", errors.New("sms to +13125550123, rejected")), "decode: sms to [phone], rejected", nil},
		{"phone with spaces", errors.New("sms to +1 312 555 0123 failed"), "sms to [phone] failed", nil},
		{"everything at once", errors.Join(storage("update key %s", devKey), errors.New("a@b.example from 198.51.100.23 and +447700900123")),
			"record m1: update key " + devKey.Redacted() + ": throttled\n[email] from [ip] and [phone]", nil},

		// What must stay readable.
		{"times", errors.New("event time 2026-11-22T10:00:03Z is more than 5m0s ahead of 10:00:03"),
			"event time 2026-11-22T10:00:03Z is more than 5m0s ahead of 10:00:03", nil},
		{"ids and numbers", errors.New("event 8624ca9d-ac65-4913-85e1-da1b05dd8f5c of acc-PVYJJ0AN82: 3 attempts, +5 points"),
			"event 8624ca9d-ac65-4913-85e1-da1b05dd8f5c of acc-PVYJJ0AN82: 3 attempts, +5 points", nil},
		{"short numbers after a plus", errors.New("offset +0100"), "offset +0100", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Error(tc.err)
			if got != tc.want {
				t.Errorf("Error(%q)\n = %q\nwant %q", tc.err, got, tc.want)
			}
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("Error(%q) = %q shows %q", tc.err, got, s)
				}
			}
			if again := Text(got); again != got {
				t.Errorf("redacting twice changed %q to %q", got, again)
			}
		})
	}
}

// TestLoggerRedacts: the function's logger redacts every string and error
// it is given, also through WithAttrs and groups, so that a line some
// package logs carelessly carries no address either.
func TestLoggerRedacts(t *testing.T) {
	t.Parallel()
	storageErr := fmt.Errorf("update key %s: %w", ipv4Key, errThrottled)
	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any // attributes of the line, as JSON decodes them
	}{
		{"string", func(l *slog.Logger) { l.Error("failed", slog.String("error", storageErr.Error())) },
			map[string]any{"error": "update key ip#h:fe8b2f93: throttled"}},
		{"error value", func(l *slog.Logger) { l.Error("failed", slog.Any("error", storageErr)) },
			map[string]any{"error": "update key ip#h:fe8b2f93: throttled"}},
		{"key value", func(l *slog.Logger) { l.Warn("hot", slog.Any("key", ipv4Key)) },
			map[string]any{"key": "ip#h:fe8b2f93"}},
		{"with attrs", func(l *slog.Logger) { l.With("client", "198.51.100.23").Info("x") },
			map[string]any{"client": "[ip]"}},
		{"group", func(l *slog.Logger) { l.WithGroup("g").Info("x", slog.Group("h", slog.String("to", "jm@example.org"))) },
			map[string]any{"g": map[string]any{"h": map[string]any{"to": "[email]"}}}},
		{"numbers untouched", func(l *slog.Logger) { l.Info("x", slog.Int("score", 90), slog.String("eventId", "ev-42")) },
			map[string]any{"score": float64(90), "eventId": "ev-42"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tc.log(NewLogger(&buf, slog.LevelDebug))
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
			}
			for k, want := range tc.want {
				if got, _ := json.Marshal(line[k]); string(got) != mustJSON(t, want) {
					t.Errorf("%s = %s, want %s", k, got, mustJSON(t, want))
				}
			}
			for _, secret := range []string{"198.51.100", "jm@example.org"} {
				if strings.Contains(buf.String(), secret) {
					t.Errorf("log shows %q: %s", secret, buf.String())
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzRedactText: whatever the text, no dotted quad, email or E.164 phone
// survives, and redacting twice changes nothing.
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{
		"update key ip#198.51.100.23: throttled", `get "rem#x" from 2001:db8::1: x`, "a@b.c +13125550123",
		"ip#h:fe8b2f93", "10:00:03 1.2.3.4.5", "::ffff:1.2.3.4/96", `"\"" ip#`, "::00.0.0.00", "::::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		for _, re := range []*regexp.Regexp{ipv4, email, phone} {
			if m := re.FindString(got); m != "" {
				t.Errorf("Text(%q) = %q still holds %q", s, got, m)
			}
		}
		if again := Text(got); again != got {
			t.Errorf("Text(%q) = %q, and again %q", s, got, again)
		}
	})
}
