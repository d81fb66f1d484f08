// Package account holds what the scanner remembers of an account it has
// scored: the facts of its signup that later logins and messages are judged
// against, and the id of the signup event, which makes a redelivered signup a
// no-op.
package account

import (
	"errors"
	"strings"
	"time"
	"unicode"
)

// ErrExists is returned by a store asked to create an account record that is
// already there.
var ErrExists = errors.New("account record exists")

// Account is the scanner's record of one account. It holds no raw personal
// values beyond the signup network: devices and contacts are keyed hashes.
type Account struct {
	ID            string
	SignupEventID string
	CreatedAt     time.Time
	Country       string // IP country at signup
	ASN           uint32
	Prefix        string // the /24 or /48 of the signup IP
	DeviceHash    string
	Claimed       string // country chosen in the signup form
	Anonymous     bool   // signed up through an anonymizer (VPN, hosting, Tor, proxy)
	Zone          string // IANA time zone the signup form reported ("" if none)
	NameHash      string // keyed hash of the display name's NameKey ("" if none)
	Score         int    // score of the signup
	// Expires is the unix time after which the record may be deleted (TTL).
	Expires int64
}

// NameKey is the form of a display name that two sightings of the same
// name share: letters and digits only, lower case, words in order, one
// space between. "" when nothing is left. It is hashed, never stored.
func NameKey(display string) string {
	var b strings.Builder
	space := false
	for _, r := range display {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
		if b.Len() >= 256 {
			break
		}
	}
	return b.String()
}
