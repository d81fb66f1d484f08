// Package event holds the scanner's input contract (spec/events.md): the
// envelope the mail platform sends and the three event kinds inside it, with
// decoding and validation whose errors name the offending field.
//
// The package knows no transport: an SQS body, a Kinesis record, an
// EventBridge event and a line of a replay file all carry the same envelope.
package event

import (
	"net/netip"
	"time"
)

// Kind is the envelope's detail-type.
type Kind string

// The detail-types the scanner knows.
const (
	KindSignup  Kind = "Mailbox Signup"
	KindLogin   Kind = "Mailbox Login"
	KindMessage Kind = "Mailbox Message Sent"
)

// Limits on input size. An event beyond them is malformed, never truncated,
// so that what is scored is exactly what was sent.
const (
	// MaxEventBytes bounds one envelope as it arrives (an SQS message is at most
	// 256 KiB; a real signup is well under 4 KiB).
	MaxEventBytes = 64 << 10
	maxIDLen      = 128
	maxShortText  = 256
	maxLongText   = 1024
)

// Event is one decoded, validated envelope. Exactly one of Signup, Login and
// Message is set, according to Kind.
type Event struct {
	ID      string
	Kind    Kind
	Source  string
	Time    time.Time
	Signup  *Signup
	Login   *Login
	Message *Message
}

// AccountID returns the account the event is about.
func (e Event) AccountID() string {
	switch {
	case e.Signup != nil:
		return e.Signup.AccountID
	case e.Login != nil:
		return e.Login.AccountID
	case e.Message != nil:
		return e.Message.AccountID
	}
	return ""
}

// Signup is a Mailbox Signup: a new consumer mailbox was created.
type Signup struct {
	AccountID      string     `json:"accountId"`
	Address        string     `json:"address"`
	DisplayName    string     `json:"displayName,omitempty"`
	CreatedAt      time.Time  `json:"createdAt"`
	IP             netip.Addr `json:"ip"`
	UserAgent      string     `json:"userAgent,omitempty"`
	AcceptLanguage string     `json:"acceptLanguage,omitempty"`
	Timezone       string     `json:"timezone,omitempty"`
	Country        string     `json:"country,omitempty"`
	RecoveryEmail  string     `json:"recoveryEmail,omitempty"`
	RecoveryPhone  string     `json:"recoveryPhone,omitempty"`
	DeviceID       string     `json:"deviceId,omitempty"`
	FormFillMs     *int64     `json:"formFillMs,omitempty"`
	CaptchaScore   *float64   `json:"captchaScore,omitempty"`
	Channel        string     `json:"channel,omitempty"`
}

// Login is a Mailbox Login: a sign-in attempt on an existing mailbox.
type Login struct {
	AccountID string     `json:"accountId"`
	At        time.Time  `json:"at"`
	IP        netip.Addr `json:"ip"`
	UserAgent string     `json:"userAgent,omitempty"`
	DeviceID  string     `json:"deviceId,omitempty"`
	Protocol  string     `json:"protocol,omitempty"`
	Result    string     `json:"result,omitempty"`
}

// Message is a Mailbox Message Sent: a new mailbox sent a message whose raw
// copy is in an object store.
type Message struct {
	AccountID string    `json:"accountId"`
	MessageID string    `json:"messageId,omitempty"`
	SentAt    time.Time `json:"sentAt"`
	Object    Object    `json:"object"`
}

// Object locates a stored raw message.
type Object struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}
