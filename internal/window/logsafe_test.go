package window

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// redactedShape is every form Redacted may return.
var redactedShape = regexp.MustCompile(`^(ip|net|asn|dev|rem|rph|tpl|\?)#(h:[0-9a-f]{8}|[0-9]+)$`)

func TestKeyRedacted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    Key
		want   string // "" = only the shape and the secrets are checked
		secret string // must not appear in the result
	}{
		// Pinned (computed outside Go): a log query that follows one key
		// across deployments relies on the hash never changing.
		{"ipv4", NewKey(IP, "198.51.100.23"), "ip#h:fe8b2f93", "198.51.100.23"},
		{"ipv6 /64", NewKey(IP, "2001:db8:1:2::/64"), "", "2001:db8"},
		{"prefix", NewKey(Prefix, "198.51.100.0/24"), "", "198.51.100"},
		{"device hash", NewKey(Device, "q3V8dJ0bXk2mC9tLw1Rz4A"), "", "q3V8dJ0bXk2mC9tLw1Rz4A"},
		{"recovery email hash", NewKey(RecoveryEmail, "Zm9vYmFyYmF6cXV4MTIzNA"), "", "Zm9vYmFy"},
		{"recovery phone hash", NewKey(RecoveryPhone, "b64phonehashvalue00001"), "", "b64phone"},
		{"template", NewKey(Template, "l5d4"), "", "l5d4"},
		// An ASN names a network operator, not a person.
		{"asn", NewKey(ASN, "16509"), "asn#16509", ""},
		{"asn that is not a number", NewKey(ASN, "jm@example.org"), "", "jm@example.org"},
		{"empty value", NewKey(IP, ""), "", ""},
		// A key of no known kind may be anything: its kind is not shown either.
		{"unknown kind", Key("jm@example.org#x"), "", "jm@example.org"},
		{"no separator", Key("198.51.100.23"), "", "198.51.100.23"},
		{"empty key", Key(""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.key.Redacted()
			if tt.want != "" && got != tt.want {
				t.Errorf("Key(%q).Redacted() = %q, want %q", tt.key, got, tt.want)
			}
			if !redactedShape.MatchString(got) {
				t.Errorf("Key(%q).Redacted() = %q, not of the form kind#h:8hex", tt.key, got)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("Key(%q).Redacted() = %q shows %q", tt.key, got, tt.secret)
			}
			if again := tt.key.Redacted(); again != got {
				t.Errorf("Key(%q).Redacted() is not stable: %q, then %q", tt.key, got, again)
			}
			if k := tt.key.Kind(); got[:strings.IndexByte(got, '#')] != string(k) && known(k) {
				t.Errorf("Key(%q).Redacted() = %q does not keep the kind %q", tt.key, got, k)
			}
		})
	}
}

func TestKeyRedactedTellsKeysApart(t *testing.T) {
	t.Parallel()
	seen := map[string]Key{}
	for _, k := range []Key{
		NewKey(IP, "198.51.100.23"), NewKey(IP, "198.51.100.24"), NewKey(Prefix, "198.51.100.23"),
		NewKey(Device, "a"), NewKey(RecoveryEmail, "a"), NewKey(RecoveryPhone, "a"), NewKey(Template, "a"),
		NewKey(IP, ""), Key("ip"), Key(""),
	} {
		got := k.Redacted()
		if prev, ok := seen[got]; ok {
			t.Errorf("Key(%q) and Key(%q) both redact to %q", prev, k, got)
		}
		seen[got] = k
	}
}

func TestKeyLogValue(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	k := NewKey(IP, "198.51.100.23")
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("update", slog.Any("key", k))
	if strings.Contains(buf.String(), "198.51.100.23") || !strings.Contains(buf.String(), `"key":"`+k.Redacted()+`"`) {
		t.Errorf("logged %s, want the key as %s", buf.String(), k.Redacted())
	}
}
