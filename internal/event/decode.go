package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error about the content of an event. Such
// an event will never succeed on retry: it goes to the dead-letter path, not
// back to the source.
var ErrMalformed = errors.New("malformed event")

// FieldError says which field of an event is wrong and why.
type FieldError struct {
	Field  string // JSON path, e.g. "detail.recoveryPhone"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes every FieldError an ErrMalformed.
func (e *FieldError) Unwrap() error { return ErrMalformed }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// envelope is the wire form; unknown fields are ignored, as the contract
// says. The detail is decoded in the same pass into the union of the three
// kinds' fields (they agree on the names they share), and checked by kind.
type envelope struct {
	Version    string      `json:"version"`
	ID         string      `json:"id"`
	DetailType string      `json:"detail-type"`
	Source     string      `json:"source"`
	Time       string      `json:"time"`
	Detail     *detailWire `json:"detail"`
}

// detailWire keeps times and IPs as strings so that a bad value is reported
// with its field name rather than as a generic JSON error.
type detailWire struct {
	AccountID string `json:"accountId"`
	IP        string `json:"ip"`
	UserAgent string `json:"userAgent"`
	DeviceID  string `json:"deviceId"`

	// Mailbox Signup
	Address        string   `json:"address"`
	DisplayName    string   `json:"displayName"`
	CreatedAt      string   `json:"createdAt"`
	AcceptLanguage string   `json:"acceptLanguage"`
	Timezone       string   `json:"timezone"`
	Country        string   `json:"country"`
	RecoveryEmail  string   `json:"recoveryEmail"`
	RecoveryPhone  string   `json:"recoveryPhone"`
	FormFillMs     *int64   `json:"formFillMs"`
	CaptchaScore   *float64 `json:"captchaScore"`
	Channel        string   `json:"channel"`

	// Mailbox Login
	At       string `json:"at"`
	Protocol string `json:"protocol"`
	Result   string `json:"result"`

	// Mailbox Message Sent
	MessageID string      `json:"messageId"`
	SentAt    string      `json:"sentAt"`
	Object    *objectWire `json:"object"`
}

type objectWire struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
}

// Decode parses and validates one envelope.
func Decode(data []byte) (Event, error) {
	if len(data) > MaxEventBytes {
		return Event{}, fieldErr("(event)", "%d bytes, more than the limit of %d", len(data), MaxEventBytes)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Event{}, jsonErr("", err)
	}
	e := Event{ID: env.ID, Kind: Kind(env.DetailType), Source: env.Source}
	if err := checkID("id", env.ID); err != nil {
		return Event{}, err
	}
	if env.DetailType == "" {
		return Event{}, fieldErr("detail-type", "missing")
	}
	if env.Source == "" {
		return Event{}, fieldErr("source", "missing")
	}
	if len(env.Source) > maxShortText {
		return Event{}, fieldErr("source", "longer than %d bytes", maxShortText)
	}
	t, err := parseTime("time", env.Time)
	if err != nil {
		return Event{}, err
	}
	e.Time = t
	detail := env.Detail
	if detail == nil {
		return Event{}, fieldErr("detail", "missing")
	}
	var field string
	var at time.Time
	switch e.Kind {
	case KindSignup:
		e.Signup, err = decodeSignup(detail)
		if err == nil {
			field, at = "detail.createdAt", e.Signup.CreatedAt
		}
	case KindLogin:
		e.Login, err = decodeLogin(detail)
		if err == nil {
			field, at = "detail.at", e.Login.At
		}
	case KindMessage:
		e.Message, err = decodeMessage(detail)
		if err == nil {
			field, at = "detail.sentAt", e.Message.SentAt
		}
	default:
		return Event{}, fieldErr("detail-type", "unknown kind %q", truncate(env.DetailType, 64))
	}
	if err != nil {
		return Event{}, err
	}
	// What happened cannot be later than the producer's report of it; a
	// clock far ahead would otherwise age out the history of every key the
	// event shares.
	if at.Sub(e.Time) > MaxSkew {
		return Event{}, fieldErr(field, "%s is after the event's time %s", at.Format(time.RFC3339), e.Time.Format(time.RFC3339))
	}
	return e, nil
}

// MaxSkew is how far a detail's time may run ahead of the envelope's time,
// and the envelope's time ahead of the receiver's clock, before the event is
// malformed.
const MaxSkew = time.Hour

func decodeSignup(w *detailWire) (*Signup, error) {
	s := &Signup{
		AccountID: w.AccountID, DisplayName: w.DisplayName, UserAgent: w.UserAgent,
		AcceptLanguage: w.AcceptLanguage, Timezone: w.Timezone, DeviceID: w.DeviceID,
		FormFillMs: w.FormFillMs, CaptchaScore: w.CaptchaScore, Channel: w.Channel,
	}
	var err error
	if err = checkID("detail.accountId", w.AccountID); err != nil {
		return nil, err
	}
	if s.Address, err = checkAddress("detail.address", w.Address, true); err != nil {
		return nil, err
	}
	if s.CreatedAt, err = parseTime("detail.createdAt", w.CreatedAt); err != nil {
		return nil, err
	}
	if s.IP, err = parseIP("detail.ip", w.IP); err != nil {
		return nil, err
	}
	if s.RecoveryEmail, err = checkAddress("detail.recoveryEmail", w.RecoveryEmail, false); err != nil {
		return nil, err
	}
	if s.RecoveryPhone, err = checkPhone("detail.recoveryPhone", w.RecoveryPhone); err != nil {
		return nil, err
	}
	if s.Country, err = checkCountry("detail.country", w.Country); err != nil {
		return nil, err
	}
	texts := []struct {
		field, value string
		max          int
	}{
		{"detail.displayName", w.DisplayName, maxShortText},
		{"detail.userAgent", w.UserAgent, maxLongText},
		{"detail.acceptLanguage", w.AcceptLanguage, maxShortText},
		{"detail.timezone", w.Timezone, 64},
		{"detail.deviceId", w.DeviceID, maxShortText},
		{"detail.channel", w.Channel, 32},
	}
	for _, f := range texts {
		if err := checkText(f.field, f.value, f.max); err != nil {
			return nil, err
		}
	}
	if s.FormFillMs != nil && *s.FormFillMs < 0 {
		return nil, fieldErr("detail.formFillMs", "negative (%d)", *s.FormFillMs)
	}
	if s.CaptchaScore != nil && (*s.CaptchaScore < 0 || *s.CaptchaScore > 1) {
		return nil, fieldErr("detail.captchaScore", "%g is outside 0..1", *s.CaptchaScore)
	}
	return s, nil
}

func decodeLogin(w *detailWire) (*Login, error) {
	l := &Login{AccountID: w.AccountID, UserAgent: w.UserAgent, DeviceID: w.DeviceID, Protocol: w.Protocol, Result: w.Result}
	var err error
	if err = checkID("detail.accountId", w.AccountID); err != nil {
		return nil, err
	}
	if l.At, err = parseTime("detail.at", w.At); err != nil {
		return nil, err
	}
	if l.IP, err = parseIP("detail.ip", w.IP); err != nil {
		return nil, err
	}
	switch l.Result {
	case "":
		l.Result = "success"
	case "success", "failure", "challenge":
	default:
		return nil, fieldErr("detail.result", "%q is not success, failure or challenge", truncate(l.Result, 32))
	}
	for _, f := range [][3]string{{"detail.userAgent", w.UserAgent}, {"detail.deviceId", w.DeviceID}, {"detail.protocol", w.Protocol}} {
		if err := checkText(f[0], f[1], maxLongText); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func decodeMessage(w *detailWire) (*Message, error) {
	m := &Message{AccountID: w.AccountID, MessageID: w.MessageID}
	var err error
	if err = checkID("detail.accountId", w.AccountID); err != nil {
		return nil, err
	}
	if err = checkText("detail.messageId", w.MessageID, 998); err != nil {
		return nil, err
	}
	if m.SentAt, err = parseTime("detail.sentAt", w.SentAt); err != nil {
		return nil, err
	}
	if w.Object == nil {
		return nil, fieldErr("detail.object", "missing")
	}
	if w.Object.Bucket == "" {
		return nil, fieldErr("detail.object.bucket", "missing")
	}
	if w.Object.Key == "" {
		return nil, fieldErr("detail.object.key", "missing")
	}
	if len(w.Object.Bucket) > 63 {
		return nil, fieldErr("detail.object.bucket", "longer than 63 bytes")
	}
	if err := checkText("detail.object.key", w.Object.Key, maxLongText); err != nil {
		return nil, err
	}
	if strings.Contains(w.Object.Key, "..") || strings.Contains(w.Object.Bucket, "/") || strings.Contains(w.Object.Bucket, "..") {
		return nil, fieldErr("detail.object", "bucket or key escapes its folder")
	}
	m.Object = Object{Bucket: w.Object.Bucket, Key: w.Object.Key}
	return m, nil
}

// jsonErr turns encoding/json errors into FieldErrors that name the field
// where the library tells us which one it was.
func jsonErr(prefix string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		field := te.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		return fieldErr(field, "expected %s, got JSON %s", te.Type, te.Value)
	}
	field := prefix
	if field == "" {
		field = "(event)"
	}
	return fieldErr(field, "not valid JSON: %v", err)
}

func checkID(field, v string) error {
	switch {
	case v == "":
		return fieldErr(field, "missing")
	case len(v) > maxIDLen:
		return fieldErr(field, "longer than %d bytes", maxIDLen)
	case !utf8.ValidString(v) || strings.ContainsFunc(v, isControl):
		return fieldErr(field, "contains control or invalid UTF-8 characters")
	}
	return nil
}

func checkText(field, v string, max int) error {
	switch {
	case len(v) > max:
		return fieldErr(field, "longer than %d bytes", max)
	case !utf8.ValidString(v):
		return fieldErr(field, "not valid UTF-8")
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fieldErr(field, "missing")
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fieldErr(field, "%q is not an RFC 3339 time", truncate(v, 64))
	}
	return t.UTC(), nil
}

func parseIP(field, v string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, fieldErr(field, "missing")
	}
	ip, err := netip.ParseAddr(v)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fieldErr(field, "%q is not an IPv4 or IPv6 address", truncate(v, 64))
	}
	return ip.Unmap(), nil
}

// checkAddress validates a mailbox address loosely (RFC 5321 lengths, one @,
// a dotted domain of sane labels) and returns it lowercased. Mail platforms
// accept odd but valid local parts; the scanner only needs them as keys.
func checkAddress(field, v string, required bool) (string, error) {
	if v == "" {
		if required {
			return "", fieldErr(field, "missing")
		}
		return "", nil
	}
	if len(v) > 254 {
		return "", fieldErr(field, "longer than 254 bytes")
	}
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 {
		return "", fieldErr(field, "%q is not an address of the form local@domain", truncate(v, 64))
	}
	local, domain := v[:at], v[at+1:]
	if len(local) > 64 {
		return "", fieldErr(field, "local part longer than 64 bytes")
	}
	if strings.ContainsFunc(local, func(r rune) bool { return isControl(r) || r == ' ' || r == '@' || r == '<' || r == '>' }) || !utf8.ValidString(local) {
		return "", fieldErr(field, "local part has characters a mailbox cannot have")
	}
	if !validDomain(domain) {
		return "", fieldErr(field, "domain %q is not a valid host name", truncate(domain, 64))
	}
	return strings.ToLower(v), nil
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}

// checkPhone accepts E.164: a plus sign and 8 to 15 digits, the first not 0.
func checkPhone(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) < 8 || len(v) > 16 || v[0] != '+' || v[1] == '0' {
		return "", fieldErr(field, "%q is not an E.164 number (+ and 7 to 15 digits)", truncate(v, 32))
	}
	for i := 1; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return "", fieldErr(field, "%q is not an E.164 number (+ and 7 to 15 digits)", truncate(v, 32))
		}
	}
	return v, nil
}

func checkCountry(field, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) != 2 || !isUpperAlpha(v[0]) || !isUpperAlpha(v[1]) {
		return "", fieldErr(field, "%q is not an ISO 3166-1 alpha-2 code", truncate(v, 16))
	}
	return v, nil
}

func isUpperAlpha(c byte) bool { return c >= 'A' && c <= 'Z' }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
