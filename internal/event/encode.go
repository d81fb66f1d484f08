package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrIncomplete is returned by Marshal for an Event that cannot be written as
// a contract envelope: a missing required value, or a Kind that does not
// match the payload that is set.
var ErrIncomplete = errors.New("incomplete event")

// envelopeOut is the wire form Marshal writes; its field order is the
// contract's.
type envelopeOut struct {
	Version    string `json:"version"`
	ID         string `json:"id"`
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Time       string `json:"time"`
	Detail     any    `json:"detail"`
}

type signupOut struct {
	AccountID      string   `json:"accountId"`
	Address        string   `json:"address"`
	DisplayName    string   `json:"displayName,omitempty"`
	CreatedAt      string   `json:"createdAt"`
	IP             string   `json:"ip"`
	UserAgent      string   `json:"userAgent,omitempty"`
	AcceptLanguage string   `json:"acceptLanguage,omitempty"`
	Timezone       string   `json:"timezone,omitempty"`
	Country        string   `json:"country,omitempty"`
	RecoveryEmail  string   `json:"recoveryEmail,omitempty"`
	RecoveryPhone  string   `json:"recoveryPhone,omitempty"`
	DeviceID       string   `json:"deviceId,omitempty"`
	FormFillMs     *int64   `json:"formFillMs,omitempty"`
	CaptchaScore   *float64 `json:"captchaScore,omitempty"`
	Channel        string   `json:"channel,omitempty"`
}

type loginOut struct {
	AccountID string `json:"accountId"`
	At        string `json:"at"`
	IP        string `json:"ip"`
	UserAgent string `json:"userAgent,omitempty"`
	DeviceID  string `json:"deviceId,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	Result    string `json:"result,omitempty"`
}

type messageOut struct {
	AccountID string `json:"accountId"`
	MessageID string `json:"messageId,omitempty"`
	SentAt    string `json:"sentAt"`
	Object    Object `json:"object"`
}

// Marshal writes e as one contract envelope (spec/events.md), without a
// trailing newline: version "0", times in UTC RFC 3339 (with fractional
// seconds only when the time has them), optional fields left out when empty.
//
// Decode(Marshal(e)) gives back e for any valid e whose times are in UTC,
// except that a Login with an empty Result decodes with Result "success",
// the contract's default.
func Marshal(e Event) ([]byte, error) {
	if e.ID == "" {
		return nil, fmt.Errorf("%w: id missing", ErrIncomplete)
	}
	if e.Source == "" {
		return nil, fmt.Errorf("%w: source missing", ErrIncomplete)
	}
	if e.Time.IsZero() {
		return nil, fmt.Errorf("%w: time missing", ErrIncomplete)
	}
	set := 0
	for _, p := range []bool{e.Signup != nil, e.Login != nil, e.Message != nil} {
		if p {
			set++
		}
	}
	if set != 1 {
		return nil, fmt.Errorf("%w: event %s has %d payloads, want exactly 1", ErrIncomplete, e.ID, set)
	}
	env := envelopeOut{Version: "0", ID: e.ID, DetailType: string(e.Kind), Source: e.Source, Time: formatTime(e.Time)}
	switch {
	case e.Kind == KindSignup && e.Signup != nil:
		s := e.Signup
		if s.AccountID == "" || s.Address == "" || s.CreatedAt.IsZero() || !s.IP.IsValid() {
			return nil, fmt.Errorf("%w: signup %s lacks accountId, address, createdAt or ip", ErrIncomplete, e.ID)
		}
		env.Detail = signupOut{
			AccountID: s.AccountID, Address: s.Address, DisplayName: s.DisplayName,
			CreatedAt: formatTime(s.CreatedAt), IP: formatIP(s.IP), UserAgent: s.UserAgent,
			AcceptLanguage: s.AcceptLanguage, Timezone: s.Timezone, Country: s.Country,
			RecoveryEmail: s.RecoveryEmail, RecoveryPhone: s.RecoveryPhone, DeviceID: s.DeviceID,
			FormFillMs: s.FormFillMs, CaptchaScore: s.CaptchaScore, Channel: s.Channel,
		}
	case e.Kind == KindLogin && e.Login != nil:
		l := e.Login
		if l.AccountID == "" || l.At.IsZero() || !l.IP.IsValid() {
			return nil, fmt.Errorf("%w: login %s lacks accountId, at or ip", ErrIncomplete, e.ID)
		}
		env.Detail = loginOut{
			AccountID: l.AccountID, At: formatTime(l.At), IP: formatIP(l.IP),
			UserAgent: l.UserAgent, DeviceID: l.DeviceID, Protocol: l.Protocol, Result: l.Result,
		}
	case e.Kind == KindMessage && e.Message != nil:
		m := e.Message
		if m.AccountID == "" || m.SentAt.IsZero() || m.Object.Bucket == "" || m.Object.Key == "" {
			return nil, fmt.Errorf("%w: message %s lacks accountId, sentAt or object", ErrIncomplete, e.ID)
		}
		env.Detail = messageOut{AccountID: m.AccountID, MessageID: m.MessageID, SentAt: formatTime(m.SentAt), Object: m.Object}
	default:
		return nil, fmt.Errorf("%w: event %s: detail-type %q does not match its payload", ErrIncomplete, e.ID, e.Kind)
	}
	// An Encoder, not json.Marshal, so that message ids like <a@b> stay
	// readable instead of becoming \u003ca@b\u003e.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", e.ID, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// formatIP writes IPv4-mapped IPv6 addresses as plain IPv4, as Decode reads
// them.
func formatIP(ip netip.Addr) string { return ip.Unmap().String() }
