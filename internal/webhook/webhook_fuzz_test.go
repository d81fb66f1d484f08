package webhook_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/webhook"
)

// FuzzVerify holds signature verification, a receiver's parser of outside
// input, to its contract: on any headers and body it never panics; a call
// signed with Sign verifies; and one flipped byte of its id, body or
// signature, or of the key, makes it fail with ErrSignature. The seeds
// are the Standard Webhooks test vector and the enforce samples of events/
// as bodies.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(vectorSecret), vectorID, int64(1614265330), []byte(`{"test": 2432232314}`), "", uint(0))
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "enforce-stream*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no enforce samples in events/ (%v)", err)
	}
	for i, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte("0123456789abcdef"), "suspend.acct-7f3a9c.v1", int64(1795341602), body, "v1,bm90IGEgc2lnbmF0dXJl", uint(i*97))
	}
	f.Add([]byte{}, "", int64(-1), []byte{}, "v1, v1,,\tv2,x", uint(3))

	f.Fuzz(func(t *testing.T, key []byte, id string, secs int64, body []byte, sig string, at uint) {
		now := time.Unix(secs, 0)
		// Outside input: any headers at all.
		raw := http.Header{}
		raw.Set(webhook.HeaderID, id)
		raw.Set(webhook.HeaderTimestamp, strconv.FormatInt(secs, 10))
		raw.Set(webhook.HeaderSignature, sig)
		if err := webhook.Verify(key, raw, body, now, time.Minute); err != nil && !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("Verify error %v is not ErrSignature", err)
		}

		if id == "" {
			return // Verify refuses a call without an id
		}
		signed := func(id, sig string) http.Header {
			h := http.Header{}
			h.Set(webhook.HeaderID, id)
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(secs, 10))
			h.Set(webhook.HeaderSignature, sig)
			return h
		}
		good := webhook.Sign(key, id, now, body)
		if err := webhook.Verify(key, signed(id, good), body, now, time.Minute); err != nil {
			t.Fatalf("Verify(Sign(id %q, ts %d, %d bytes)) = %v", id, secs, len(body), err)
		}
		// A signature among others still verifies.
		if err := webhook.Verify(key, signed(id, "v1,AAAA "+good), body, now, time.Minute); err != nil {
			t.Errorf("the signature second in the list: %v", err)
		}

		flip := func(b []byte) []byte {
			out := bytes.Clone(b)
			out[at%uint(len(out))] ^= 0x01
			return out
		}
		type call struct {
			key, body []byte
			id, sig   string
		}
		tamper := map[string]call{
			"id":        {key, body, string(flip([]byte(id))), good},
			"signature": {key, body, id, string(flip([]byte(good)))},
		}
		if len(body) > 0 {
			tamper["body"] = call{key, flip(body), id, good}
		}
		if len(key) > 0 {
			tamper["key"] = call{flip(key), body, id, good}
		}
		for what, c := range tamper {
			err := webhook.Verify(c.key, signed(c.id, c.sig), c.body, now, time.Minute)
			if !errors.Is(err, webhook.ErrSignature) {
				t.Errorf("a flipped byte of the %s: Verify = %v, want ErrSignature", what, err)
			}
		}
		// Out of tolerance, the right signature is refused all the same.
		if err := webhook.Verify(key, signed(id, good), body, now.Add(2*time.Minute), time.Minute); !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("a call 2 minutes old with a tolerance of 1: Verify = %v, want ErrSignature", err)
		}
	})
}
