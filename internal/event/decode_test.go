package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The three examples of spec/events.md, verbatim but for the "..." that ends
// the signup's user agent there.
const (
	specSignup = `{
  "version": "0",
  "id": "7f2c0f0e-6c1a-4bde-9a43-4c3c2f9b2f10",
  "detail-type": "Mailbox Signup",
  "source": "mail.platform",
  "time": "2026-11-22T10:00:03Z",
  "detail": {
  "accountId": "acc-01J9Z6Q4",
  "address": "james.miller1987@mail.example",
  "displayName": "James Miller",
  "createdAt": "2026-11-22T10:00:02Z",
  "ip": "198.51.100.23",
  "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "acceptLanguage": "en-US,en;q=0.9",
  "timezone": "America/Chicago",
  "country": "US",
  "recoveryEmail": "jm.backup@othermail.example",
  "recoveryPhone": "+13125550123",
  "deviceId": "d1f0c4e2a9",
  "formFillMs": 48210,
  "captchaScore": 0.9,
  "channel": "web"
}
}`
	specLogin = `{
  "version": "0",
  "id": "7f2c0f0e-6c1a-4bde-9a43-4c3c2f9b2f11",
  "detail-type": "Mailbox Login",
  "source": "mail.platform",
  "time": "2026-11-23T08:14:56Z",
  "detail": {
  "accountId": "acc-01J9Z6Q4",
  "at": "2026-11-23T08:14:55Z",
  "ip": "203.0.113.77",
  "userAgent": "Microsoft Outlook 16.0",
  "deviceId": "d1f0c4e2a9",
  "protocol": "imap",
  "result": "success"
}
}`
	specMessage = `{
  "version": "0",
  "id": "7f2c0f0e-6c1a-4bde-9a43-4c3c2f9b2f12",
  "detail-type": "Mailbox Message Sent",
  "source": "mail.platform",
  "time": "2026-11-23T09:02:12Z",
  "detail": {
  "accountId": "acc-01J9Z6Q4",
  "messageId": "<CAF1x2y3@mail.example>",
  "sentAt": "2026-11-23T09:02:11Z",
  "object": {"bucket": "mail-outbound-copies", "key": "outbound/acc-01J9Z6Q4/0001.eml"}
}
}`
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// deleteField, passed as a value to withField, removes the field.
var deleteField = &struct{ delete bool }{true}

// withField returns the JSON of base with the field at dotted path set to
// value (or removed, for deleteField). Path segments are split on "." except
// inside the envelope's "detail-type".
func withField(t testing.TB, base, path string, value any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatalf("base example: %v", err)
	}
	parts := strings.Split(path, ".")
	cur := m
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	last := parts[len(parts)-1]
	if value == deleteField {
		delete(cur, last)
	} else {
		cur[last] = value
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeSpecExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, e Event)
	}{
		{"signup", specSignup, func(t *testing.T, e Event) {
			if e.Kind != KindSignup || e.Signup == nil || e.Login != nil || e.Message != nil {
				t.Fatalf("kind %q, payloads signup=%v login=%v message=%v", e.Kind, e.Signup != nil, e.Login != nil, e.Message != nil)
			}
			s := e.Signup
			checks := []struct {
				field     string
				got, want any
			}{
				{"id", e.ID, "7f2c0f0e-6c1a-4bde-9a43-4c3c2f9b2f10"},
				{"source", e.Source, "mail.platform"},
				{"time", e.Time, utc("2026-11-22T10:00:03Z")},
				{"accountId", s.AccountID, "acc-01J9Z6Q4"},
				{"address", s.Address, "james.miller1987@mail.example"},
				{"displayName", s.DisplayName, "James Miller"},
				{"createdAt", s.CreatedAt, utc("2026-11-22T10:00:02Z")},
				{"ip", s.IP, netip.MustParseAddr("198.51.100.23")},
				{"userAgent prefix", strings.HasPrefix(s.UserAgent, "Mozilla/5.0 (Windows NT 10.0"), true},
				{"acceptLanguage", s.AcceptLanguage, "en-US,en;q=0.9"},
				{"timezone", s.Timezone, "America/Chicago"},
				{"country", s.Country, "US"},
				{"recoveryEmail", s.RecoveryEmail, "jm.backup@othermail.example"},
				{"recoveryPhone", s.RecoveryPhone, "+13125550123"},
				{"deviceId", s.DeviceID, "d1f0c4e2a9"},
				{"formFillMs", deref(s.FormFillMs), int64(48210)},
				{"captchaScore", deref(s.CaptchaScore), 0.9},
				{"channel", s.Channel, "web"},
				{"AccountID()", e.AccountID(), "acc-01J9Z6Q4"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
		}},
		{"login", specLogin, func(t *testing.T, e Event) {
			if e.Kind != KindLogin || e.Login == nil || e.Signup != nil || e.Message != nil {
				t.Fatalf("kind %q, payloads signup=%v login=%v message=%v", e.Kind, e.Signup != nil, e.Login != nil, e.Message != nil)
			}
			l := e.Login
			checks := []struct {
				field     string
				got, want any
			}{
				{"accountId", l.AccountID, "acc-01J9Z6Q4"},
				{"at", l.At, utc("2026-11-23T08:14:55Z")},
				{"ip", l.IP, netip.MustParseAddr("203.0.113.77")},
				{"userAgent", l.UserAgent, "Microsoft Outlook 16.0"},
				{"deviceId", l.DeviceID, "d1f0c4e2a9"},
				{"protocol", l.Protocol, "imap"},
				{"result", l.Result, "success"},
				{"AccountID()", e.AccountID(), "acc-01J9Z6Q4"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
		}},
		{"message", specMessage, func(t *testing.T, e Event) {
			if e.Kind != KindMessage || e.Message == nil || e.Signup != nil || e.Login != nil {
				t.Fatalf("kind %q, payloads signup=%v login=%v message=%v", e.Kind, e.Signup != nil, e.Login != nil, e.Message != nil)
			}
			m := e.Message
			checks := []struct {
				field     string
				got, want any
			}{
				{"accountId", m.AccountID, "acc-01J9Z6Q4"},
				{"messageId", m.MessageID, "<CAF1x2y3@mail.example>"},
				{"sentAt", m.SentAt, utc("2026-11-23T09:02:11Z")},
				{"object", m.Object, Object{Bucket: "mail-outbound-copies", Key: "outbound/acc-01J9Z6Q4/0001.eml"}},
				{"AccountID()", e.AccountID(), "acc-01J9Z6Q4"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			tt.check(t, got)
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
	}{
		{"eventbridge envelope fields", withField(t, specSignup, "resources", []any{"arn:aws:x"})},
		{"top-level object", withField(t, specLogin, "extension", map[string]any{"a": []any{1, 2}})},
		{"detail string", withField(t, specSignup, "detail.newOptionalField", "x")},
		{"detail object", withField(t, specMessage, "detail.object.storageClass", "GLACIER")},
		{"detail nested", withField(t, specLogin, "detail.mfa", map[string]any{"method": "totp", "ok": true})},
		{"detail null", withField(t, specMessage, "detail.future", nil)},
		{"version other than 0", withField(t, specSignup, "version", "1")},
		{"version missing", withField(t, specSignup, "version", deleteField)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.in, err)
			}
			if got.AccountID() != "acc-01J9Z6Q4" {
				t.Errorf("AccountID() = %q, want acc-01J9Z6Q4", got.AccountID())
			}
		})
	}
}

func TestDecodeAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    []byte
		check func(e Event) (got, want any)
	}{
		{"time with offset is UTC", withField(t, specSignup, "time", "2026-11-22T11:00:03+01:00"),
			func(e Event) (any, any) { return e.Time, utc("2026-11-22T10:00:03Z") }},
		{"time location is UTC", withField(t, specSignup, "time", "2026-11-22T11:00:03+01:00"),
			func(e Event) (any, any) { return e.Time.Location(), time.UTC }},
		{"fractional seconds kept", withField(t, specLogin, "detail.at", "2026-11-23T08:14:55.123456789Z"),
			func(e Event) (any, any) { return e.Login.At.Nanosecond(), 123456789 }},
		{"createdAt with offset is UTC", withField(t, specSignup, "detail.createdAt", "2026-11-22T04:00:02-06:00"),
			func(e Event) (any, any) { return e.Signup.CreatedAt, utc("2026-11-22T10:00:02Z") }},
		{"IPv4-mapped IPv6 becomes IPv4", withField(t, specSignup, "detail.ip", "::ffff:198.51.100.23"),
			func(e Event) (any, any) { return e.Signup.IP, netip.MustParseAddr("198.51.100.23") }},
		{"IPv4-mapped IPv6 is 4 bytes", withField(t, specLogin, "detail.ip", "::ffff:203.0.113.77"),
			func(e Event) (any, any) { return e.Login.IP.Is4(), true }},
		{"IPv6", withField(t, specSignup, "detail.ip", "2001:db8::23"),
			func(e Event) (any, any) { return e.Signup.IP, netip.MustParseAddr("2001:db8::23") }},
		{"address lowercased", withField(t, specSignup, "detail.address", "James.Miller1987@Mail.Example"),
			func(e Event) (any, any) { return e.Signup.Address, "james.miller1987@mail.example" }},
		{"recovery address lowercased", withField(t, specSignup, "detail.recoveryEmail", "JM.Backup@OtherMail.Example"),
			func(e Event) (any, any) { return e.Signup.RecoveryEmail, "jm.backup@othermail.example" }},
		{"odd but valid local part", withField(t, specSignup, "detail.address", "j.m+news_2026!#$%&'*=?^`{|}~@mail.example"),
			func(e Event) (any, any) { return e.Signup.Address, "j.m+news_2026!#$%&'*=?^`{|}~@mail.example" }},
		{"IDN domain", withField(t, specSignup, "detail.address", "zoë@bücher.example"),
			func(e Event) (any, any) { return e.Signup.Address, "zoë@bücher.example" }},
		{"recovery email optional", withField(t, specSignup, "detail.recoveryEmail", deleteField),
			func(e Event) (any, any) { return e.Signup.RecoveryEmail, "" }},
		{"recovery phone optional", withField(t, specSignup, "detail.recoveryPhone", deleteField),
			func(e Event) (any, any) { return e.Signup.RecoveryPhone, "" }},
		{"phone 15 digits", withField(t, specSignup, "detail.recoveryPhone", "+123456789012345"),
			func(e Event) (any, any) { return e.Signup.RecoveryPhone, "+123456789012345" }},
		{"formFillMs absent is nil", withField(t, specSignup, "detail.formFillMs", deleteField),
			func(e Event) (any, any) { return e.Signup.FormFillMs == nil, true }},
		{"formFillMs null is nil", withField(t, specSignup, "detail.formFillMs", nil),
			func(e Event) (any, any) { return e.Signup.FormFillMs == nil, true }},
		{"formFillMs zero is kept", withField(t, specSignup, "detail.formFillMs", 0),
			func(e Event) (any, any) { return deref(e.Signup.FormFillMs), int64(0) }},
		{"captchaScore absent is nil", withField(t, specSignup, "detail.captchaScore", deleteField),
			func(e Event) (any, any) { return e.Signup.CaptchaScore == nil, true }},
		{"captchaScore 0", withField(t, specSignup, "detail.captchaScore", 0),
			func(e Event) (any, any) { return deref(e.Signup.CaptchaScore), 0.0 }},
		{"captchaScore 1", withField(t, specSignup, "detail.captchaScore", 1),
			func(e Event) (any, any) { return deref(e.Signup.CaptchaScore), 1.0 }},
		{"country optional", withField(t, specSignup, "detail.country", deleteField),
			func(e Event) (any, any) { return e.Signup.Country, "" }},
		{"login result default success", withField(t, specLogin, "detail.result", deleteField),
			func(e Event) (any, any) { return e.Login.Result, "success" }},
		{"login result empty is success", withField(t, specLogin, "detail.result", ""),
			func(e Event) (any, any) { return e.Login.Result, "success" }},
		{"login result failure", withField(t, specLogin, "detail.result", "failure"),
			func(e Event) (any, any) { return e.Login.Result, "failure" }},
		{"login result challenge", withField(t, specLogin, "detail.result", "challenge"),
			func(e Event) (any, any) { return e.Login.Result, "challenge" }},
		{"messageId optional", withField(t, specMessage, "detail.messageId", deleteField),
			func(e Event) (any, any) { return e.Message.MessageID, "" }},
		{"any source", withField(t, specMessage, "source", "replay/2026-11-23"),
			func(e Event) (any, any) { return e.Source, "replay/2026-11-23" }},
		{"leading whitespace", []byte("\n\t " + specLogin + "\n"),
			func(e Event) (any, any) { return e.Kind, KindLogin }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode(%s): %v", tt.in, err)
			}
			if got, want := tt.check(e); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name  string
		in    []byte
		field string
	}{
		// Envelope.
		{"empty input", []byte(""), "(event)"},
		{"not JSON", []byte("hello"), "(event)"},
		{"truncated JSON", []byte(specSignup[:len(specSignup)/2]), "(event)"},
		{"trailing garbage", []byte(specLogin + "}"), "(event)"},
		{"JSON array", []byte(`[` + specLogin + `]`), "(event)"},
		{"JSON null", []byte(`null`), "id"},
		{"empty object", []byte(`{}`), "id"},
		{"id missing", withField(t, specSignup, "id", deleteField), "id"},
		{"id empty", withField(t, specSignup, "id", ""), "id"},
		{"id number", withField(t, specSignup, "id", 42), "id"},
		{"id too long", withField(t, specSignup, "id", long(129)), "id"},
		{"id control character", withField(t, specSignup, "id", "abc\ndef"), "id"},
		{"detail-type missing", withField(t, specSignup, "detail-type", deleteField), "detail-type"},
		{"detail-type unknown", withField(t, specSignup, "detail-type", "Mailbox Deleted"), "detail-type"},
		{"detail-type wrong case", withField(t, specSignup, "detail-type", "mailbox signup"), "detail-type"},
		{"detail-type array", withField(t, specSignup, "detail-type", []any{"Mailbox Signup"}), "detail-type"},
		{"source missing", withField(t, specSignup, "source", deleteField), "source"},
		{"source empty", withField(t, specLogin, "source", ""), "source"},
		{"source too long", withField(t, specLogin, "source", long(257)), "source"},
		{"time missing", withField(t, specSignup, "time", deleteField), "time"},
		{"time with space", withField(t, specSignup, "time", "2026-11-22 10:00:03Z"), "time"},
		{"time without zone", withField(t, specSignup, "time", "2026-11-22T10:00:03"), "time"},
		{"time month 13", withField(t, specSignup, "time", "2026-13-22T10:00:03Z"), "time"},
		{"time Feb 30", withField(t, specSignup, "time", "2026-02-30T10:00:03Z"), "time"},
		{"time date only", withField(t, specSignup, "time", "2026-11-22"), "time"},
		{"time unix number", withField(t, specSignup, "time", 1795341603), "time"},
		{"time words", withField(t, specSignup, "time", "yesterday"), "time"},
		{"detail missing", withField(t, specSignup, "detail", deleteField), "detail"},
		{"detail null", withField(t, specSignup, "detail", nil), "detail"},
		{"detail string", withField(t, specSignup, "detail", "x"), "detail"},
		{"detail array", withField(t, specSignup, "detail", []any{}), "detail"},
		{"detail empty object", withField(t, specSignup, "detail", map[string]any{}), "detail.accountId"},
		{"login detail in a signup", withField(t, specLogin, "detail-type", "Mailbox Signup"), "detail.address"},

		// Signup.
		{"signup accountId missing", withField(t, specSignup, "detail.accountId", deleteField), "detail.accountId"},
		{"signup accountId number", withField(t, specSignup, "detail.accountId", 123), "detail.accountId"},
		{"signup accountId too long", withField(t, specSignup, "detail.accountId", long(129)), "detail.accountId"},
		{"signup accountId control", withField(t, specSignup, "detail.accountId", "acc\x00"), "detail.accountId"},
		{"address missing", withField(t, specSignup, "detail.address", deleteField), "detail.address"},
		{"address no @", withField(t, specSignup, "detail.address", "james.mail.example"), "detail.address"},
		{"address empty local", withField(t, specSignup, "detail.address", "@mail.example"), "detail.address"},
		{"address empty domain", withField(t, specSignup, "detail.address", "james@"), "detail.address"},
		{"address domain without dot", withField(t, specSignup, "detail.address", "james@localhost"), "detail.address"},
		{"address domain empty label", withField(t, specSignup, "detail.address", "james@mail..example"), "detail.address"},
		{"address domain leading dot", withField(t, specSignup, "detail.address", "james@.mail.example"), "detail.address"},
		{"address domain trailing dot", withField(t, specSignup, "detail.address", "james@mail.example."), "detail.address"},
		{"address domain leading hyphen", withField(t, specSignup, "detail.address", "james@-mail.example"), "detail.address"},
		{"address domain trailing hyphen", withField(t, specSignup, "detail.address", "james@mail-.example"), "detail.address"},
		{"address domain underscore", withField(t, specSignup, "detail.address", "james@mail_x.example"), "detail.address"},
		{"address domain IP literal", withField(t, specSignup, "detail.address", "james@[198.51.100.23]"), "detail.address"},
		{"address domain label too long", withField(t, specSignup, "detail.address", "james@"+long(64)+".example"), "detail.address"},
		{"address space in local", withField(t, specSignup, "detail.address", "james miller@mail.example"), "detail.address"},
		{"address angle brackets", withField(t, specSignup, "detail.address", "<james@mail.example>"), "detail.address"},
		{"address two @", withField(t, specSignup, "detail.address", "ja@mes@mail.example"), "detail.address"},
		{"address local too long", withField(t, specSignup, "detail.address", long(65)+"@mail.example"), "detail.address"},
		{"address too long", withField(t, specSignup, "detail.address", long(64)+"@"+strings.Repeat(long(60)+".", 3)+"example"), "detail.address"},
		{"address number", withField(t, specSignup, "detail.address", 5), "detail.address"},
		{"createdAt missing", withField(t, specSignup, "detail.createdAt", deleteField), "detail.createdAt"},
		{"createdAt bad", withField(t, specSignup, "detail.createdAt", "22/11/2026 10:00"), "detail.createdAt"},
		{"createdAt hour 24", withField(t, specSignup, "detail.createdAt", "2026-11-22T24:00:02Z"), "detail.createdAt"},
		{"ip missing", withField(t, specSignup, "detail.ip", deleteField), "detail.ip"},
		{"ip octet too big", withField(t, specSignup, "detail.ip", "198.51.100.256"), "detail.ip"},
		{"ip three octets", withField(t, specSignup, "detail.ip", "198.51.100"), "detail.ip"},
		{"ip with zone", withField(t, specSignup, "detail.ip", "fe80::1%eth0"), "detail.ip"},
		{"ip mapped with zone", withField(t, specSignup, "detail.ip", "::ffff:198.51.100.23%eth0"), "detail.ip"},
		{"ip prefix", withField(t, specSignup, "detail.ip", "198.51.100.0/24"), "detail.ip"},
		{"ip with port", withField(t, specSignup, "detail.ip", "198.51.100.23:443"), "detail.ip"},
		{"ip host name", withField(t, specSignup, "detail.ip", "mail.example"), "detail.ip"},
		{"ip with spaces", withField(t, specSignup, "detail.ip", " 198.51.100.23"), "detail.ip"},
		{"ip leading zero", withField(t, specSignup, "detail.ip", "198.051.100.23"), "detail.ip"},
		{"ip number", withField(t, specSignup, "detail.ip", 3325256727), "detail.ip"},
		{"recoveryEmail no @", withField(t, specSignup, "detail.recoveryEmail", "jm.backup"), "detail.recoveryEmail"},
		{"recoveryEmail bad domain", withField(t, specSignup, "detail.recoveryEmail", "jm@othermail"), "detail.recoveryEmail"},
		{"recoveryEmail empty local", withField(t, specSignup, "detail.recoveryEmail", "@othermail.example"), "detail.recoveryEmail"},
		{"phone without plus", withField(t, specSignup, "detail.recoveryPhone", "13125550123"), "detail.recoveryPhone"},
		{"phone leading zero", withField(t, specSignup, "detail.recoveryPhone", "+03125550123"), "detail.recoveryPhone"},
		{"phone with spaces", withField(t, specSignup, "detail.recoveryPhone", "+1 312 555 0123"), "detail.recoveryPhone"},
		{"phone with dashes", withField(t, specSignup, "detail.recoveryPhone", "+1-312-555-0123"), "detail.recoveryPhone"},
		{"phone with letter", withField(t, specSignup, "detail.recoveryPhone", "+1312555012a"), "detail.recoveryPhone"},
		{"phone 16 digits", withField(t, specSignup, "detail.recoveryPhone", "+1234567890123456"), "detail.recoveryPhone"},
		{"phone too short", withField(t, specSignup, "detail.recoveryPhone", "+123456"), "detail.recoveryPhone"},
		{"phone plus only", withField(t, specSignup, "detail.recoveryPhone", "+"), "detail.recoveryPhone"},
		{"phone number type", withField(t, specSignup, "detail.recoveryPhone", 13125550123), "detail.recoveryPhone"},
		{"country lowercase", withField(t, specSignup, "detail.country", "us"), "detail.country"},
		{"country mixed case", withField(t, specSignup, "detail.country", "Us"), "detail.country"},
		{"country alpha-3", withField(t, specSignup, "detail.country", "USA"), "detail.country"},
		{"country one letter", withField(t, specSignup, "detail.country", "U"), "detail.country"},
		{"country digit", withField(t, specSignup, "detail.country", "U1"), "detail.country"},
		{"country non-ASCII", withField(t, specSignup, "detail.country", "ÜS"), "detail.country"},
		{"captchaScore negative", withField(t, specSignup, "detail.captchaScore", -0.01), "detail.captchaScore"},
		{"captchaScore above 1", withField(t, specSignup, "detail.captchaScore", 1.0001), "detail.captchaScore"},
		{"captchaScore string", withField(t, specSignup, "detail.captchaScore", "0.9"), "detail.captchaScore"},
		{"formFillMs negative", withField(t, specSignup, "detail.formFillMs", -1), "detail.formFillMs"},
		{"formFillMs string", withField(t, specSignup, "detail.formFillMs", "12"), "detail.formFillMs"},
		{"formFillMs fraction", withField(t, specSignup, "detail.formFillMs", 1.5), "detail.formFillMs"},
		{"formFillMs bool", withField(t, specSignup, "detail.formFillMs", true), "detail.formFillMs"},
		{"displayName too long", withField(t, specSignup, "detail.displayName", long(257)), "detail.displayName"},
		{"displayName object", withField(t, specSignup, "detail.displayName", map[string]any{}), "detail.displayName"},
		{"userAgent too long", withField(t, specSignup, "detail.userAgent", long(1025)), "detail.userAgent"},
		{"acceptLanguage too long", withField(t, specSignup, "detail.acceptLanguage", long(257)), "detail.acceptLanguage"},
		{"timezone too long", withField(t, specSignup, "detail.timezone", long(65)), "detail.timezone"},
		{"deviceId too long", withField(t, specSignup, "detail.deviceId", long(257)), "detail.deviceId"},
		{"channel too long", withField(t, specSignup, "detail.channel", long(33)), "detail.channel"},

		// Login.
		{"login accountId missing", withField(t, specLogin, "detail.accountId", deleteField), "detail.accountId"},
		{"login at missing", withField(t, specLogin, "detail.at", deleteField), "detail.at"},
		{"login at bad", withField(t, specLogin, "detail.at", "2026-11-23T08:14:55"), "detail.at"},
		{"login ip missing", withField(t, specLogin, "detail.ip", deleteField), "detail.ip"},
		{"login ip zone", withField(t, specLogin, "detail.ip", "fe80::1%eth0"), "detail.ip"},
		{"login result unknown", withField(t, specLogin, "detail.result", "ok"), "detail.result"},
		{"login result wrong case", withField(t, specLogin, "detail.result", "Success"), "detail.result"},
		{"login result bool", withField(t, specLogin, "detail.result", true), "detail.result"},
		{"login userAgent too long", withField(t, specLogin, "detail.userAgent", long(1025)), "detail.userAgent"},
		{"login protocol number", withField(t, specLogin, "detail.protocol", 143), "detail.protocol"},

		// Message.
		{"message accountId missing", withField(t, specMessage, "detail.accountId", deleteField), "detail.accountId"},
		{"message sentAt missing", withField(t, specMessage, "detail.sentAt", deleteField), "detail.sentAt"},
		{"message sentAt bad", withField(t, specMessage, "detail.sentAt", "Mon, 23 Nov 2026 09:02:11 +0000"), "detail.sentAt"},
		{"message messageId too long", withField(t, specMessage, "detail.messageId", long(999)), "detail.messageId"},
		{"object missing", withField(t, specMessage, "detail.object", deleteField), "detail.object"},
		{"object null", withField(t, specMessage, "detail.object", nil), "detail.object"},
		{"object string", withField(t, specMessage, "detail.object", "s3://mail-outbound-copies/outbound/x.eml"), "detail.object"},
		{"object bucket missing", withField(t, specMessage, "detail.object.bucket", deleteField), "detail.object.bucket"},
		{"object bucket empty", withField(t, specMessage, "detail.object.bucket", ""), "detail.object.bucket"},
		{"object bucket number", withField(t, specMessage, "detail.object.bucket", 7), "detail.object.bucket"},
		{"object bucket too long", withField(t, specMessage, "detail.object.bucket", long(64)), "detail.object.bucket"},
		{"object key missing", withField(t, specMessage, "detail.object.key", deleteField), "detail.object.key"},
		{"object key empty", withField(t, specMessage, "detail.object.key", ""), "detail.object.key"},
		{"object key too long", withField(t, specMessage, "detail.object.key", long(1025)), "detail.object.key"},
		{"object key dot dot", withField(t, specMessage, "detail.object.key", "outbound/../../etc/passwd"), "detail.object"},
		{"object key leading dot dot", withField(t, specMessage, "detail.object.key", "../secret.eml"), "detail.object"},
		{"object bucket dot dot", withField(t, specMessage, "detail.object.bucket", ".."), "detail.object"},
		{"object bucket slash", withField(t, specMessage, "detail.object.bucket", "mail/../x"), "detail.object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tt.in)
			if err == nil {
				t.Fatalf("Decode(%s) = %+v, want error on %s", tt.in, got, tt.field)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("errors.Is(%v, ErrMalformed) = false", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FieldError", err, err)
			}
			if fe.Field != tt.field {
				t.Errorf("Field = %q, want %q (error: %v)", fe.Field, tt.field, err)
			}
			if fe.Reason == "" {
				t.Error("Reason is empty")
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("Error() = %q, want it to start with the field %q", err.Error(), tt.field)
			}
		})
	}
}

func TestDecodeSize(t *testing.T) {
	t.Parallel()
	// padded returns the signup example grown to exactly n bytes by an
	// unknown field, which Decode must otherwise ignore.
	padded := func(n int) []byte {
		head := strings.TrimSuffix(specSignup, "}")
		const pre, post = `,"padding":"`, `"}`
		fill := n - len(head) - len(pre) - len(post)
		if fill < 0 {
			t.Fatalf("cannot pad to %d bytes", n)
		}
		b := []byte(head + pre + strings.Repeat("x", fill) + post)
		if len(b) != n {
			t.Fatalf("padded to %d bytes, want %d", len(b), n)
		}
		return b
	}
	tests := []struct {
		name   string
		in     []byte
		wantOK bool
	}{
		{"at the limit", padded(MaxEventBytes), true},
		{"one byte over", padded(MaxEventBytes + 1), false},
		{"far over", padded(4 * MaxEventBytes), false},
		{"over, and not even JSON", []byte(strings.Repeat("{", MaxEventBytes+1)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.in)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Decode(%d bytes): %v", len(tt.in), err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode(%d bytes) = %v, want a malformed FieldError", len(tt.in), err)
			}
			if fe.Field != "(event)" {
				t.Errorf("Field = %q, want (event)", fe.Field)
			}
			if !strings.Contains(fe.Reason, fmt.Sprint(MaxEventBytes)) {
				t.Errorf("Reason %q does not state the limit %d", fe.Reason, MaxEventBytes)
			}
		})
	}
}

// TestFieldErrorWrapsOnlyErrMalformed guards the distinction the pipeline
// relies on: content errors wrap ErrMalformed, others do not.
func TestFieldErrorWrapsOnlyErrMalformed(t *testing.T) {
	t.Parallel()
	err := error(&FieldError{Field: "detail.ip", Reason: "bad"})
	if !errors.Is(err, ErrMalformed) {
		t.Error("FieldError does not wrap ErrMalformed")
	}
	if errors.Is(errors.New("timeout"), ErrMalformed) {
		t.Error("an unrelated error is ErrMalformed")
	}
	wrapped := fmt.Errorf("record 3: %w", err)
	var fe *FieldError
	if !errors.As(wrapped, &fe) || fe.Field != "detail.ip" {
		t.Errorf("errors.As through a wrap = %v, %+v", errors.As(wrapped, &fe), fe)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{specSignup, specLogin, specMessage} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"id":"x","detail-type":"Mailbox Login","source":"s","time":"2026-11-23T08:14:55Z","detail":{"accountId":"a","at":"2026-11-23T08:14:55Z","ip":"::ffff:1.2.3.4"}}`))
	f.Add([]byte(`{"id":"x","detail-type":"Mailbox Message Sent","source":"s","time":"2026-11-23T08:14:55Z","detail":{"accountId":"a","sentAt":"2026-11-23T08:14:55Z","object":{"bucket":"b","key":"../k"}}}`))
	f.Add([]byte(`{"detail":{"formFillMs":"12"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v (%T) is not a malformed FieldError", err, err)
			}
			if fe.Field == "" {
				t.Fatalf("FieldError without a field: %v", err)
			}
			return
		}
		if e.AccountID() == "" {
			t.Fatalf("decoded event without an account id: %+v", e)
		}
		payloads := map[Kind]bool{KindSignup: e.Signup != nil, KindLogin: e.Login != nil, KindMessage: e.Message != nil}
		set, ok := payloads[e.Kind]
		if !ok {
			t.Fatalf("Kind %q is not one of the three", e.Kind)
		}
		n := 0
		for _, p := range payloads {
			if p {
				n++
			}
		}
		if !set || n != 1 {
			t.Fatalf("Kind %q with payloads %v", e.Kind, payloads)
		}
		if e.ID == "" || e.Source == "" {
			t.Fatalf("decoded event without id or source: %+v", e)
		}
		for field, s := range eventStrings(e) {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return runeProblem(r) != "" }) {
				t.Fatalf("%s = %q: invalid UTF-8, a control or a bidi character got through", field, s)
			}
		}
		switch {
		case e.Signup != nil:
			if !e.Signup.IP.IsValid() || e.Signup.IP.Is4In6() || e.Signup.IP.Zone() != "" {
				t.Fatalf("signup IP %v", e.Signup.IP)
			}
		case e.Login != nil:
			if !e.Login.IP.IsValid() || e.Login.IP.Is4In6() || e.Login.IP.Zone() != "" {
				t.Fatalf("login IP %v", e.Login.IP)
			}
		case e.Message != nil:
			if strings.Contains(e.Message.Object.Key, "..") || e.Message.Object.Bucket == "" {
				t.Fatalf("message object %+v", e.Message.Object)
			}
		}
	})
}

func TestDetailTimeAfterEnvelopeTime(t *testing.T) {
	t.Parallel()
	body := func(kind, detail string) []byte {
		return []byte(`{"id":"e1","detail-type":"` + kind + `","source":"s","time":"2026-11-22T10:00:00Z","detail":` + detail + `}`)
	}
	cases := []struct {
		name  string
		body  []byte
		field string // "" = accepted
	}{
		{"signup at the envelope time", body("Mailbox Signup", `{"accountId":"a","address":"a@mail.example","createdAt":"2026-11-22T10:00:00Z","ip":"1.2.3.4"}`), ""},
		{"signup within the skew", body("Mailbox Signup", `{"accountId":"a","address":"a@mail.example","createdAt":"2026-11-22T10:59:00Z","ip":"1.2.3.4"}`), ""},
		{"signup from the future", body("Mailbox Signup", `{"accountId":"a","address":"a@mail.example","createdAt":"2099-01-01T00:00:00Z","ip":"1.2.3.4"}`), "detail.createdAt"},
		{"login from the future", body("Mailbox Login", `{"accountId":"a","at":"2026-11-22T12:00:00Z","ip":"1.2.3.4"}`), "detail.at"},
		{"message from the future", body("Mailbox Message Sent", `{"accountId":"a","sentAt":"2026-11-23T10:00:00Z","object":{"bucket":"b","key":"k"}}`), "detail.sentAt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(c.body)
			var fe *FieldError
			switch {
			case c.field == "" && err != nil:
				t.Errorf("rejected: %v", err)
			case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
				t.Errorf("error %v, want one naming %s", err, c.field)
			}
		})
	}
}

// withRawField is withField for values JSON cannot hold as a Go string:
// raw is written between the quotes as it is, invalid UTF-8 and escapes
// included.
func withRawField(t testing.TB, base, path, raw string) []byte {
	t.Helper()
	const marker = "\x01raw\x01"
	b := withField(t, base, path, marker)
	quoted, err := json.Marshal(marker)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Replace(b, quoted, []byte(`"`+raw+`"`), 1)
}

// TestDecodeRejectsHostileText reproduces the "Hostile text" report: a
// right-to-left override or a C1 control in a username was accepted (and
// later printed raw by abusectl), and invalid UTF-8 or an unpaired
// surrogate escape was silently replaced by U+FFFD. Every string field of
// every kind is tried, so that a new field cannot skip the check.
func TestDecodeRejectsHostileText(t *testing.T) {
	t.Parallel()
	fields := []struct{ base, path string }{
		{specSignup, "id"}, {specSignup, "detail-type"}, {specSignup, "source"}, {specSignup, "time"},
		{specSignup, "detail.accountId"}, {specSignup, "detail.address"}, {specSignup, "detail.displayName"},
		{specSignup, "detail.createdAt"}, {specSignup, "detail.ip"}, {specSignup, "detail.userAgent"},
		{specSignup, "detail.acceptLanguage"}, {specSignup, "detail.timezone"}, {specSignup, "detail.country"},
		{specSignup, "detail.recoveryEmail"}, {specSignup, "detail.recoveryPhone"}, {specSignup, "detail.deviceId"},
		{specSignup, "detail.channel"},
		{specLogin, "detail.accountId"}, {specLogin, "detail.at"}, {specLogin, "detail.ip"},
		{specLogin, "detail.userAgent"}, {specLogin, "detail.deviceId"}, {specLogin, "detail.protocol"},
		{specLogin, "detail.result"},
		{specMessage, "detail.accountId"}, {specMessage, "detail.messageId"}, {specMessage, "detail.sentAt"},
		{specMessage, "detail.object.bucket"}, {specMessage, "detail.object.key"},
	}
	values := []struct {
		name, raw, reason string
	}{
		{"right-to-left override", "james\u202emoc.elgoog", "contains a bidi control character U+202E"},
		{"escaped right-to-left override", `james\u202Emoc`, "contains a bidi control character U+202E"},
		{"left-to-right mark", "a\u200eb", "contains a bidi control character U+200E"},
		{"arabic letter mark", "a\u061cb", "contains a bidi control character U+061C"},
		{"first strong isolate", "a\u2068b", "contains a bidi control character U+2068"},
		{"C1 next line", "james\u0085miller", "contains a control character U+0085"},
		{"escaped C1 CSI", `a\u009b31mb`, "contains a control character U+009B"},
		{"escaped escape", `a\u001b[31mb`, "contains a control character U+001B"},
		{"escaped newline", `a\nb`, "contains a control character U+000A"},
		{"delete", "a\x7fb", "contains a control character U+007F"},
		{"invalid UTF-8", "james\xffmiller", "not valid UTF-8 (byte 0xff)"},
		{"truncated UTF-8", "james\xe2\x80", "not valid UTF-8 (byte 0xe2)"},
		{"overlong UTF-8", "\xc0\xaf", "not valid UTF-8 (byte 0xc0)"},
		{"UTF-8 encoded surrogate", "\xed\xa0\x80", "not valid UTF-8 (byte 0xed)"},
		{"unpaired high surrogate escape", `james\uD800`, `contains an unpaired surrogate escape \ud800`},
		{"unpaired low surrogate escape", `\udc00james`, `contains an unpaired surrogate escape \udc00`},
		{"high surrogate then a letter", `\ud83dA`, `contains an unpaired surrogate escape \ud83d`},
		{"high surrogate then another high", `\ud83d\ud83d`, `contains an unpaired surrogate escape \ud83d`},
	}
	for _, f := range fields {
		kind := strings.SplitN(strings.SplitN(f.base, `"detail-type": "`, 2)[1], `"`, 2)[0]
		for _, v := range values {
			t.Run(kind+"/"+f.path+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				in := withRawField(t, f.base, f.path, v.raw)
				got, err := Decode(in)
				var fe *FieldError
				if !errors.As(err, &fe) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode(%q) = %+v, %v; want a malformed FieldError", in, got, err)
				}
				if fe.Field != f.path || fe.Reason != v.reason {
					t.Errorf("error %q, want %q", err, f.path+": "+v.reason)
				}
			})
		}
	}
}

// TestDecodeKeepsOrdinaryText holds the check to what it is for: scripts
// written right to left, CJK, emoji (joined, or escaped as surrogate pairs
// by producers that write ASCII-only JSON) and an explicit U+FFFD are text.
func TestDecodeKeepsOrdinaryText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, want string
	}{
		{"arabic", "محمد علي", "محمد علي"},
		{"hebrew", "דוד לוי", "דוד לוי"},
		{"mixed direction", "James דוד 12", "James דוד 12"},
		{"cjk", "王小明", "王小明"},
		{"emoji with joiners", "👩‍👩‍👧 family", "👩‍👩‍👧 family"},
		{"escaped surrogate pair", `\ud83d\ude00 and \uD83D\uDE00`, "😀 and 😀"},
		{"escaped latin", `Jos\u00e9 \"Pep\" \\ \/`, `José "Pep" \ /`},
		{"escaped arabic", `\u0645\u062d\u0645\u062f`, "محمد"},
		{"replacement character as sent", "a\uFFFDb", "a\uFFFDb"},
		{"escaped replacement character", `a\ufffdb`, "a\uFFFDb"},
		{"non-breaking space and soft hyphen", "Anne\u00a0Marie\u00ad", "Anne\u00a0Marie\u00ad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := Decode(withRawField(t, specSignup, "detail.displayName", tt.raw))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := e.Signup.DisplayName; got != tt.want {
				t.Errorf("DisplayName = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDecodeUnknownFieldsNotChecked keeps the contract's promise that
// unknown fields are ignored, hostile or not; a field of another kind is
// unknown to this one.
func TestDecodeUnknownFieldsNotChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
	}{
		{"unknown field", withRawField(t, specSignup, "detail.nickname", "\u202e\xff")},
		{"signup field on a login", withRawField(t, specLogin, "detail.displayName", "\u202e")},
		{"login field on a message", withRawField(t, specMessage, "detail.protocol", `\ud800`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Decode(tt.in); err != nil {
				t.Errorf("Decode: %v", err)
			}
		})
	}
}

// FuzzUnquote holds the one-pass decoder of JSON strings to encoding/json:
// whenever it accepts a string, it decodes it exactly as encoding/json does,
// and it refuses only what the event contract calls hostile.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`abc`, `\u00e9\n`, `\ud83d\ude00`, `\ud800`, "\xff", "\u202e", `\"\\\/\b\f\r\t`, `\u0085`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		lit := []byte(`"` + raw + `"`)
		var want string
		if json.Unmarshal(lit, &want) != nil {
			return // not a JSON string: encoding/json never hands it to text
		}
		var got text
		if err := got.UnmarshalJSON(lit); err != nil {
			t.Fatalf("UnmarshalJSON(%q): %v", lit, err)
		}
		if got.problem != "" {
			if got.s != "" {
				t.Fatalf("%q: rejected (%s) but decoded to %q", lit, got.problem, got.s)
			}
			hostile := strings.ContainsFunc(want, func(r rune) bool { return runeProblem(r) != "" })
			if !hostile && !strings.ContainsRune(want, utf8.RuneError) {
				t.Fatalf("%q rejected (%s), but decodes to %q", lit, got.problem, want)
			}
			return
		}
		if got.s != want {
			t.Fatalf("%q decoded to %q, encoding/json gives %q", lit, got.s, want)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	inputs := []struct{ name, in string }{
		{"signup", specSignup},
		{"signup escaped", strings.Replace(specSignup, "James Miller", `J\u00e9r\u00f4me \ud83d\ude00 Miller`, 1)},
		{"login", specLogin},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			data := []byte(in.in)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// eventStrings returns every string of e by field name, found by reflection
// so that a field added later is covered too.
func eventStrings(e Event) map[string]string {
	out := map[string]string{"id": e.ID, "kind": string(e.Kind), "source": e.Source}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			name := prefix + v.Type().Field(i).Name
			switch f.Kind() {
			case reflect.String:
				out[name] = f.String()
			case reflect.Struct:
				walk(name+".", f)
			}
		}
	}
	for _, p := range []any{e.Signup, e.Login, e.Message} {
		if v := reflect.ValueOf(p); !v.IsNil() {
			walk("", v.Elem())
		}
	}
	return out
}
