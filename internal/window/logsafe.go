package window

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"slices"
	"strings"
)

// redactDomain prefixes every value hashed for a log, so that these hashes
// match no other use of SHA-256 over the same values.
const redactDomain = "abusescan/window.Key.Redacted/v1\x00"

// Redacted returns the key as a log line may show it: its kind and the
// first 8 hex digits of a fixed-domain SHA-256 of the key, "ip#h:fe8b2f93".
// Equal keys give equal strings, so a log query can still follow one key
// across lines and deployments, but the line carries no address, phone or
// device. Values of dev, rem and rph are already keyed hashes; they are
// shortened all the same, since a full one is itself a stable identifier
// of a person.
//
// The hash is not keyed: it keeps casual readers of the logs, and the
// systems logs are shipped to, from the values, not an attacker who hashes
// every IPv4 address. That needs the logs themselves to be protected.
//
// An ASN is shown as it is ("asn#16509"): it names a network operator, not
// a person, and an operator needs it to see which network is attacking. A
// key of no known kind shows "?" for its kind, which may be anything.
func (k Key) Redacted() string {
	kind, v, ok := strings.Cut(string(k), "#")
	switch {
	case !ok || !known(Kind(kind)):
		kind = "?"
	case Kind(kind) == ASN && v != "" && strings.Trim(v, "0123456789") == "":
		return string(k)
	}
	sum := sha256.Sum256([]byte(redactDomain + string(k)))
	return kind + "#h:" + hex.EncodeToString(sum[:4])
}

// LogValue makes slog write the key redacted: slog.Any("key", k) is safe.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.Redacted()) }

// known reports whether k is one of Kinds.
func known(k Kind) bool { return slices.Contains(Kinds, k) }
