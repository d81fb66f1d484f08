package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/webhook"
)

// The Standard Webhooks specification's test vector (its reference
// libraries test against the same).
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignVector(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhook.Sign(key, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody)); got != vectorSig {
		t.Errorf("Sign = %s, want %s", got, vectorSig)
	}
	// Without the prefix, the same key.
	bare, err := webhook.ParseSecret(strings.TrimPrefix(vectorSecret, "whsec_"))
	if err != nil || string(bare) != string(key) {
		t.Errorf("ParseSecret without whsec_ = %x, %v; want %x", bare, err, key)
	}
}

func TestParseSecretRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ="} {
		if _, err := webhook.ParseSecret(s); err == nil {
			t.Errorf("ParseSecret(%q) = nil error", s)
		} else if strings.Contains(err.Error(), strings.TrimPrefix(s, "whsec_")) && s != "" && s != "whsec_" {
			t.Errorf("ParseSecret(%q) error %q quotes the secret", s, err)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	key, _ := webhook.ParseSecret(vectorSecret)
	at := time.Unix(vectorTS, 0)
	header := func(sig string) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, vectorID)
		h.Set(webhook.HeaderTimestamp, "1614265330")
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	cases := []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		ok   bool
	}{
		{"valid", header(vectorSig), vectorBody, at, true},
		{"one of several", header("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + vectorSig), vectorBody, at, true},
		{"body changed", header(vectorSig), `{"test": 2432232315}`, at, false},
		{"wrong signature", header("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), vectorBody, at, false},
		{"too old", header(vectorSig), vectorBody, at.Add(6 * time.Minute), false},
		{"from the future", header(vectorSig), vectorBody, at.Add(-6 * time.Minute), false},
		{"no signature", header(""), vectorBody, at, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Verify(key, c.h, []byte(c.body), c.now, 5*time.Minute)
			if got := err == nil; got != c.ok {
				t.Errorf("Verify = %v, want ok %v", err, c.ok)
			}
			if err != nil && !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("error %v does not wrap ErrSignature", err)
			}
		})
	}
}

// server answers the statuses of answers in turn (then 200), checking every
// call's signature, and counts the calls.
func server(t *testing.T, key []byte, answers ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(key, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("call %d: %v", n, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if int(n) <= len(answers) {
			answers[n-1](w)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "answer\x00 body")
	}
}

func repeat(n int, f func(w http.ResponseWriter)) []func(w http.ResponseWriter) {
	out := make([]func(w http.ResponseWriter), n)
	for i := range out {
		out[i] = f
	}
	return out
}

func client(srv *httptest.Server, key []byte, timeout time.Duration) *webhook.Client {
	h := srv.Client()
	h.Timeout = timeout
	return &webhook.Client{URL: srv.URL, Key: key, HTTP: h, Now: time.Now,
		Backoff: webhook.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond, Reserve: 50 * time.Millisecond}}
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	key, _ := webhook.ParseSecret(vectorSecret)
	slow := func(w http.ResponseWriter) { time.Sleep(300 * time.Millisecond); w.WriteHeader(http.StatusOK) }
	cases := []struct {
		name      string
		answers   []func(w http.ResponseWriter)
		deadline  time.Duration
		wantCalls int64
		wantErr   error
		wantSnip  string
	}{
		{"taken at once", nil, 5 * time.Second, 1, nil, ""},
		{"5xx then taken", []func(http.ResponseWriter){status(500), status(503)}, 5 * time.Second, 3, nil, ""},
		{"429 honours Retry-After", []func(http.ResponseWriter){status(429, "Retry-After", "1")}, 5 * time.Second, 2, nil, ""},
		{"429 asking longer than the budget", []func(http.ResponseWriter){status(429, "Retry-After", "60")}, 2 * time.Second, 1, webhook.ErrUnavailable, ""},
		{"400 is permanent", []func(http.ResponseWriter){status(400)}, 5 * time.Second, 1, webhook.ErrRefused, "answer  body"},
		{"slow past the attempt timeout, then taken", []func(http.ResponseWriter){slow}, 5 * time.Second, 2, nil, ""},
		{"5xx until the deadline", repeat(1000, status(500)), 300 * time.Millisecond, -1, webhook.ErrUnavailable, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, calls := server(t, key, c.answers...)
			cl := client(srv, key, 100*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
			defer cancel()
			start := time.Now()
			resp, n, err := cl.Deliver(ctx, webhook.Call{ID: "suspend.acct-1.v1", Body: []byte(`{"type":"account.suspend"}`)})
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Fatalf("Deliver = %v, want %v", err, c.wantErr)
			}
			if c.wantCalls >= 0 && calls.Load() != c.wantCalls {
				t.Errorf("server saw %d calls, want %d", calls.Load(), c.wantCalls)
			}
			if int64(n) < calls.Load()-1 || n < 1 {
				t.Errorf("Deliver counted %d attempts, the server %d", n, calls.Load())
			}
			if c.wantSnip != "" && resp.Snippet != c.wantSnip {
				t.Errorf("Snippet = %q, want %q", resp.Snippet, c.wantSnip)
			}
			if dl, _ := ctx.Deadline(); time.Now().After(dl) {
				t.Errorf("Deliver returned %s after its deadline (started %s before it)", time.Since(dl), dl.Sub(start))
			}
		})
	}
}

// TestDeliverSameID: every attempt of a call carries its id, so that the
// receiver sees a retry as a repeat.
func TestDeliverSameID(t *testing.T) {
	t.Parallel()
	key, _ := webhook.ParseSecret(vectorSecret)
	var ids []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, r.Header.Get(webhook.HeaderID))
		if len(ids) < 3 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	if _, _, err := client(srv, key, time.Second).Deliver(context.Background(), webhook.Call{ID: "suspend.a.v3", Body: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id != "suspend.a.v3" {
			t.Errorf("ids %q, want suspend.a.v3 on every attempt", ids)
		}
	}
}
