// Package webhook signs and sends webhook calls the Standard Webhooks way
// (https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp
// and webhook-signature, the signature "v1," + base64(HMAC-SHA256(secret,
// id + "." + timestamp + "." + body)), with the secret shared as "whsec_" +
// base64. The id is the receiver's idempotency key: a call sent again under
// the same id must change nothing the second time.
//
// Send makes one call; Deliver retries what a retry may cure (a timeout, a
// connection refused, a 5xx, a 429 after its Retry-After) with jittered
// backoff for as long as the caller's deadline allows, and returns at once
// on what no retry cures (any other 4xx).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Headers of a signed call.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix marks a secret in the Standard Webhooks form.
const secretPrefix = "whsec_"

// Errors of Deliver and Verify.
var (
	// ErrRefused: the receiver answered with a 4xx other than 429; sending
	// the same call again will not change its answer.
	ErrRefused = errors.New("webhook refused")
	// ErrUnavailable: the receiver did not take the call (timeouts, 5xx,
	// 429) before the retry budget ran out; a later try may succeed.
	ErrUnavailable = errors.New("webhook unavailable")
	// ErrSignature: a call's signature does not verify.
	ErrSignature = errors.New("webhook signature does not verify")
)

// ParseSecret decodes a secret given as "whsec_" + base64 (the prefix may
// be left out). It never quotes the secret in its error.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), secretPrefix))
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("webhook secret: not whsec_ followed by base64")
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("webhook secret: %d bytes, want at least 16", len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature value of a call: "v1," +
// base64(HMAC-SHA256(key, id.timestamp.body)).
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte("."))
	mac.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a received call as a receiver should: the three headers
// present, the timestamp within tolerance of now (against replays), and
// one of the space-separated v1 signatures matching.
func Verify(key []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return fmt.Errorf("%w: missing %s, %s or %s", ErrSignature, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	secs, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not unix seconds", ErrSignature, tsText)
	}
	ts := time.Unix(secs, 0)
	if d := now.Sub(ts); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is more than %s from now", ErrSignature, ts.UTC().Format(time.RFC3339), tolerance)
	}
	want := Sign(key, id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) == 1 {
			return nil
		}
	}
	return ErrSignature
}

// Call is one webhook call: the idempotency id and the JSON body.
type Call struct {
	ID   string
	Body []byte
}

// Response is what a receiver answered.
type Response struct {
	Status int
	// RetryAfter is the receiver's Retry-After, 0 if none or unreadable.
	RetryAfter time.Duration
	// Snippet is the start of the answer's body, for a note a person
	// reads: printable characters only, at most snippetBytes.
	Snippet string
}

// snippetBytes bounds what a refusal's note quotes of the receiver's answer.
const snippetBytes = 200

// Client sends signed calls to one URL.
type Client struct {
	URL string
	Key []byte
	// HTTP sends the calls; its Timeout bounds one attempt.
	HTTP *http.Client
	// Now is the clock of the timestamps and of Retry-After dates.
	Now func() time.Time
	// Backoff configures Deliver's retries.
	Backoff Backoff
	// Sleep waits between attempts; nil for a timer that ctx cancels.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Backoff is Deliver's retry schedule: full jitter between 0 and
// min(Max, Base * 2^attempt), never less than what a Retry-After asks.
type Backoff struct {
	Base, Max time.Duration
	// Reserve is kept of the caller's deadline for the caller: Deliver
	// makes no attempt that could run into it.
	Reserve time.Duration
}

// Send makes one attempt of c. A transport error (timeout, refused
// connection) is returned as an error; any HTTP answer as a Response.
func (cl *Client) Send(ctx context.Context, c Call) (Response, error) {
	now := cl.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.URL, bytes.NewReader(c.Body))
	if err != nil {
		return Response{}, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, c.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(cl.Key, c.ID, now, c.Body))
	resp, err := cl.HTTP.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("webhook call %s: %w", c.ID, err)
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, snippetBytes))
	// Drain a little more so the connection can be reused; not forever.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return Response{
		Status:     resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now),
		Snippet:    printable(head),
	}, nil
}

// Deliver sends c until the receiver takes it (a 2xx, returned), refuses
// it (a 4xx other than 429: ErrRefused, at once), or the retry budget, the
// caller's deadline less Backoff.Reserve, runs out (ErrUnavailable, wrapping
// the last fault). Every attempt carries the same id, so a receiver that
// took an attempt whose answer was lost sees the next as a repeat.
func (cl *Client) Deliver(ctx context.Context, c Call) (Response, int, error) {
	sleep := cl.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	budget, hasDeadline := ctx.Deadline()
	if hasDeadline {
		budget = budget.Add(-cl.Backoff.Reserve)
	}
	attempts := 0
	for {
		attemptCtx := ctx
		var cancel context.CancelFunc = func() {}
		if hasDeadline {
			attemptCtx, cancel = context.WithDeadline(ctx, budget)
		}
		attempts++
		resp, err := cl.Send(attemptCtx, c)
		cancel()
		var fault error
		switch {
		case err != nil:
			fault = err
		case resp.Status >= 200 && resp.Status < 300:
			return resp, attempts, nil
		case resp.Status == http.StatusTooManyRequests || resp.Status >= 500:
			fault = fmt.Errorf("webhook call %s: HTTP %d", c.ID, resp.Status)
		default:
			return resp, attempts, fmt.Errorf("%w: HTTP %d %s", ErrRefused, resp.Status, resp.Snippet)
		}
		wait := cl.Backoff.delay(attempts)
		if resp.RetryAfter > wait {
			wait = resp.RetryAfter
		}
		if ctx.Err() != nil || (hasDeadline && cl.Now().Add(wait).After(budget)) {
			return resp, attempts, fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, attempts, fault)
		}
		if err := sleep(ctx, wait); err != nil {
			return resp, attempts, fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, attempts, fault)
		}
	}
}

// delay is the full-jitter backoff before attempt n+1.
func (b Backoff) delay(n int) time.Duration {
	base, ceil := b.Base, b.Max
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	if ceil <= 0 {
		ceil = 5 * time.Second
	}
	d := base << min(n-1, 20)
	if d <= 0 || d > ceil {
		d = ceil
	}
	return rand.N(d) + 1
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// printable keeps the graphic characters of b, for a note: a receiver's
// answer is outside input.
func printable(b []byte) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsGraphic(r) {
			return ' '
		}
		return r
	}, string(b)))
}
