package pipeline

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/ipinfo"
	"github.com/mailtrust/abusescan/internal/keyhash"
	"github.com/mailtrust/abusescan/internal/window"
)

func testHasher(t *testing.T) *keyhash.Hasher {
	t.Helper()
	h, err := keyhash.New([]byte("keyof-test-hash-key-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestKeyOfMatchesSignupKeys holds KeyOf to signupKeys: the key a person
// looks up from a raw value is the key a signup carrying it was counted
// under, for every kind, including values given in another of their forms.
func TestKeyOfMatchesSignupKeys(t *testing.T) {
	t.Parallel()
	h := testHasher(t)
	tpl := func(local string) string { return "L5D2" }
	signups := []struct {
		su   event.Signup
		asn  uint32
		alts map[window.Kind][]string // other forms of the same values
	}{
		{
			su: event.Signup{
				AccountID: "acc-1", Address: "jamal42@mail.example", IP: netip.MustParseAddr("198.51.100.23"),
				DeviceID: "1a52bbea4aa38ed2", RecoveryEmail: "J.M.Backup+farm7@Gmail.com", RecoveryPhone: "+13125550123",
			},
			asn: 64500,
			alts: map[window.Kind][]string{
				window.IP:            {" 198.51.100.23 ", "198.51.100.23/32", "::ffff:198.51.100.23"},
				window.Prefix:        {"198.51.100.0/24", "198.51.100.255", "198.51.100.7/24", "::ffff:198.51.100.0/120"},
				window.ASN:           {"AS64500", "as64500", "064500"},
				window.Device:        {"1A52BBEA4AA38ED2", " 1a52bbea4aa38ed2"},
				window.RecoveryEmail: {"jmbackup@googlemail.com", "JMBackup@gmail.com", "j.m.backup+other@gmail.com"},
			},
		},
		{
			su: event.Signup{
				AccountID: "acc-2", Address: "x@mail.example", IP: netip.MustParseAddr("2001:db8:aa:bb:1:2:3:4"),
				RecoveryEmail: "Someone@Inbox.Example",
			},
			alts: map[window.Kind][]string{
				window.IP:            {"2001:db8:aa:bb::/64", "2001:db8:aa:bb:ffff::9"},
				window.Prefix:        {"2001:db8:aa::/48", "2001:db8:aa:ff::1"},
				window.RecoveryEmail: {"someone@inbox.example", "someone+tag@inbox.example"},
			},
		},
	}
	for _, s := range signups {
		raw := map[window.Kind]string{
			window.IP: s.su.IP.String(), window.Prefix: s.su.IP.String(), window.ASN: "64500",
			window.Device: s.su.DeviceID, window.RecoveryEmail: s.su.RecoveryEmail, window.RecoveryPhone: s.su.RecoveryPhone,
			window.Template: "L5D2",
		}
		for _, c := range signupKeys(&s.su, ipinfo.Info{ASN: s.asn}, h, tpl) {
			for _, v := range append([]string{raw[c.kind]}, s.alts[c.kind]...) {
				got, err := KeyOf(c.kind, v, h)
				if err != nil || got != c.key {
					t.Errorf("KeyOf(%s, %q) = %q, %v, want %q", c.kind, v, got, err, c.key)
				}
			}
		}
	}
}

func TestKeyOfRefuses(t *testing.T) {
	t.Parallel()
	h := testHasher(t)
	cases := []struct {
		kind  window.Kind
		value string
	}{
		{window.IP, ""},
		{window.IP, "not-an-ip"},
		{window.IP, "198.51.100.0/24"},
		{window.IP, "fe80::1%eth0"},
		{window.IP, "2001:db8::/48"},
		{window.Prefix, "198.51.0.0/16"},
		{window.Prefix, "2001:db8::/64"},
		{window.Prefix, "198.51.100"},
		{window.ASN, "AS"},
		{window.ASN, "0"},
		{window.ASN, "4294967296"},
		{window.ASN, "-1"},
		{window.Template, "   "},
		{"nope", "x"},
	}
	for _, c := range cases {
		if got, err := KeyOf(c.kind, c.value, h); err == nil {
			t.Errorf("KeyOf(%s, %q) = %q, want an error", c.kind, c.value, got)
		}
	}
	// A hashed kind without the key says so, and shows nothing of the value.
	for _, k := range []window.Kind{window.Device, window.RecoveryEmail, window.RecoveryPhone} {
		_, err := KeyOf(k, "secret@mail.example", nil)
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("KeyOf(%s, value, nil) = %v, want an error without the value", k, err)
		}
	}
}
