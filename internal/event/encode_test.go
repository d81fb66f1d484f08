package event

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func marshalPtr[T any](v T) *T { return &v }

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 3, 0, time.UTC)
	tests := []struct {
		name string
		in   Event
	}{
		{"signup full", Event{
			ID: "7f2c0f0e-6c1a-4bde-9a43-4c3c2f9b2f10", Kind: KindSignup, Source: "mail.platform", Time: at,
			Signup: &Signup{
				AccountID: "acc-01J9Z6Q4", Address: "james.miller1987@mail.example", DisplayName: "James Miller",
				CreatedAt: at.Add(-time.Second), IP: netip.MustParseAddr("198.51.100.23"),
				UserAgent:      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
				AcceptLanguage: "en-US,en;q=0.9", Timezone: "America/Chicago", Country: "US",
				RecoveryEmail: "jm.backup@othermail.example", RecoveryPhone: "+13125550123", DeviceID: "d1f0c4e2a9",
				FormFillMs: marshalPtr(int64(48210)), CaptchaScore: marshalPtr(0.9), Channel: "web",
			},
		}},
		{"signup minimal ipv6 zero scores", Event{
			ID: "e2", Kind: KindSignup, Source: "s", Time: at.Add(500 * time.Millisecond),
			Signup: &Signup{
				AccountID: "acc-2", Address: "zoë@mail.example", CreatedAt: at,
				IP: netip.MustParseAddr("2001:db8::1"), FormFillMs: marshalPtr(int64(0)), CaptchaScore: marshalPtr(0.0),
			},
		}},
		{"login", Event{
			ID: "e3", Kind: KindLogin, Source: "mail.platform", Time: at,
			Login: &Login{
				AccountID: "acc-01J9Z6Q4", At: at.Add(-2 * time.Second), IP: netip.MustParseAddr("203.0.113.77"),
				UserAgent: "Microsoft Outlook 16.0", DeviceID: "d1f0c4e2a9", Protocol: "imap", Result: "challenge",
			},
		}},
		{"message", Event{
			ID: "e4", Kind: KindMessage, Source: "mail.platform", Time: at,
			Message: &Message{
				AccountID: "acc-01J9Z6Q4", MessageID: "<CAF1x2y3@mail.example>", SentAt: at.Add(-time.Minute),
				Object: Object{Bucket: "mail-outbound-copies", Key: "outbound/acc-01J9Z6Q4/0001.eml"},
			},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := Marshal(tt.in)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode(%s): %v", data, err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip:\n got %+v\nwant %+v\njson %s", got, tt.in, data)
			}
		})
	}
}

func TestMarshalWireShape(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 3, 0, time.FixedZone("x", 3600))
	data, err := Marshal(Event{
		ID: "e1", Kind: KindSignup, Source: "mail.platform", Time: at,
		Signup: &Signup{AccountID: "a", Address: "a@mail.example", CreatedAt: at, IP: netip.MustParseAddr("::ffff:192.0.2.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	detail, _ := m["detail"].(map[string]any)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"version", m["version"], "0"},
		{"detail-type", m["detail-type"], "Mailbox Signup"},
		{"time in UTC", m["time"], "2026-11-22T09:00:03Z"},
		{"ip unmapped", detail["ip"], "192.0.2.1"},
		{"createdAt", detail["createdAt"], "2026-11-22T09:00:03Z"},
		{"detail keys", len(detail), 4},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if strings.HasSuffix(string(data), "\n") {
		t.Error("output ends with a newline")
	}
}

func TestMarshalIncomplete(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 3, 0, time.UTC)
	ip := netip.MustParseAddr("192.0.2.1")
	signup := &Signup{AccountID: "a", Address: "a@mail.example", CreatedAt: at, IP: ip}
	tests := []struct {
		name string
		in   Event
	}{
		{"no id", Event{Kind: KindSignup, Source: "s", Time: at, Signup: signup}},
		{"no source", Event{ID: "e", Kind: KindSignup, Time: at, Signup: signup}},
		{"no time", Event{ID: "e", Kind: KindSignup, Source: "s", Signup: signup}},
		{"no payload", Event{ID: "e", Kind: KindSignup, Source: "s", Time: at}},
		{"kind mismatch", Event{ID: "e", Kind: KindLogin, Source: "s", Time: at, Signup: signup}},
		{"two payloads", Event{ID: "e", Kind: KindSignup, Source: "s", Time: at, Signup: signup, Login: &Login{AccountID: "a", At: at, IP: ip}}},
		{"signup without ip", Event{ID: "e", Kind: KindSignup, Source: "s", Time: at, Signup: &Signup{AccountID: "a", Address: "a@x.example", CreatedAt: at}}},
		{"message without object", Event{ID: "e", Kind: KindMessage, Source: "s", Time: at, Message: &Message{AccountID: "a", SentAt: at}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Marshal(tt.in); !errors.Is(err, ErrIncomplete) {
				t.Errorf("Marshal = %v, want ErrIncomplete", err)
			}
		})
	}
}
