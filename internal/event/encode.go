package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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

// Marshal writes e as one contract envelope (spec/events.md), without a
// trailing newline: version "0", times in UTC RFC 3339 (with fractional
// seconds only when the time has them), optional fields left out when empty.
// The detail types carry the contract's JSON names and are written as they
// are.
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
		c := *s
		c.CreatedAt, c.IP = c.CreatedAt.UTC(), c.IP.Unmap()
		env.Detail = c
	case e.Kind == KindLogin && e.Login != nil:
		l := e.Login
		if l.AccountID == "" || l.At.IsZero() || !l.IP.IsValid() {
			return nil, fmt.Errorf("%w: login %s lacks accountId, at or ip", ErrIncomplete, e.ID)
		}
		c := *l
		c.At, c.IP = c.At.UTC(), c.IP.Unmap()
		env.Detail = c
	case e.Kind == KindMessage && e.Message != nil:
		m := e.Message
		if m.AccountID == "" || m.SentAt.IsZero() || m.Object.Bucket == "" || m.Object.Key == "" {
			return nil, fmt.Errorf("%w: message %s lacks accountId, sentAt or object", ErrIncomplete, e.ID)
		}
		c := *m
		c.SentAt = c.SentAt.UTC()
		env.Detail = c
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
