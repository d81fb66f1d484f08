package review

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
)

// A POST is the only request that changes anything, and it must come from
// a page this handler served to this caller: a cross-site page could
// otherwise make a reviewer's browser (or the signing proxy in front of
// the function URL, which signs whatever reaches it) release an account.
// Three checks, each enough against a browser of today:
//
//   - the browser's Sec-Fetch-Site says same-origin; without it, Origin,
//     when sent, names this host;
//   - the session cookie is SameSite=Strict, so a cross-site request does
//     not carry it;
//   - the form carries a token, an HMAC of the cookie's nonce and the
//     caller under a key the page never shows, compared in constant time.

// sessionCookie holds the session's nonce.
const sessionCookie = "review_session"

// NewKey returns a random key for Options.Key.
func NewKey() []byte { return []byte(rand.Text() + rand.Text()) }

// session returns the request's session nonce, setting a new one on w when
// the request has none.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) >= 26 {
		return c.Value
	}
	nonce := rand.Text()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: nonce, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return nonce
}

// token is the form token of a session nonce for a caller.
func (h *Handler) token(nonce, caller string) string {
	m := hmac.New(sha256.New, h.opts.Key)
	m.Write([]byte("review-form\x00" + nonce + "\x00" + caller))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF returns why a POST is refused, or "".
func (h *Handler) checkCSRF(r *http.Request) string {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if site != "same-origin" {
			return "The form was sent from another site (Sec-Fetch-Site: " + visible(site) + ")."
		}
	} else if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host != r.Host {
			return "The form was sent from another origin (" + visible(origin) + ")."
		}
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return "The session cookie is missing."
	}
	want := h.token(c.Value, h.opts.Caller(r))
	if !hmac.Equal([]byte(want), []byte(r.PostForm.Get("csrf"))) {
		return "The form's token does not match this session (it may come from an earlier run of the server)."
	}
	return ""
}
