package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/review"
)

const reviewerARN = "arn:aws:sts::123456789012:assumed-role/TrustReviewer/alice"

func readEvent(t *testing.T, name string) events.LambdaFunctionURLRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

func TestToRequest(t *testing.T) {
	t.Parallel()
	r, err := toRequest(t.Context(), readEvent(t, "url-post.json"))
	if err != nil {
		t.Fatal(err)
	}
	host := "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"
	checks := []struct{ name, got, want string }{
		{"method", r.Method, "POST"},
		{"host", r.Host, host},
		{"path", r.URL.Path, "/decide"},
		{"query", r.URL.Query().Get("x"), "/"},
		{"request URI", r.RequestURI, "/decide?from=list&x=%2F"},
		{"content type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site", r.Header.Get("Sec-Fetch-Site"), "same-origin"},
		{"Origin", r.Header.Get("Origin"), "http://localhost:9000"},
		{"remote", r.RemoteAddr, "198.51.100.7"},
		{"caller", caller(r), reviewerARN},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if c, err := r.Cookie("review_session"); err != nil || c.Value != "NONCE0123456789ABCDEFGHIJK" {
		t.Errorf("session cookie %v (%v)", c, err)
	}
	if c, err := r.Cookie("other"); err != nil || c.Value != "1" {
		t.Errorf("second cookie %v (%v)", c, err)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if got := r.PostForm.Encode(); got != "id=acc-1&note=fine&to=released&version=1" {
		t.Errorf("form %q", got)
	}
}

func TestIdentity(t *testing.T) {
	t.Parallel()
	iam := func(arn, id string) *events.LambdaFunctionURLRequestContextAuthorizerDescription {
		return &events.LambdaFunctionURLRequestContextAuthorizerDescription{IAM: &events.LambdaFunctionURLRequestContextAuthorizerIAMDescription{UserARN: arn, UserID: id}}
	}
	tests := []struct {
		name string
		auth *events.LambdaFunctionURLRequestContextAuthorizerDescription
		want string
	}{
		{"user ARN", iam("arn:aws:iam::123456789012:user/bob", "AIDAEXAMPLE"), "arn:aws:iam::123456789012:user/bob"},
		{"only an id", iam("", "AIDAEXAMPLE"), "AIDAEXAMPLE"},
		{"no IAM", &events.LambdaFunctionURLRequestContextAuthorizerDescription{}, ""},
		{"no authorizer (AuthType NONE)", nil, ""},
	}
	for _, tc := range tests {
		var ev events.LambdaFunctionURLRequest
		ev.RequestContext.Authorizer = tc.auth
		if got := identity(ev); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestBadRequest(t *testing.T) {
	t.Parallel()
	h := newHandler(http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	for name, ev := range map[string]events.LambdaFunctionURLRequest{
		"bad base64": {RawPath: "/", Body: "%%%", IsBase64Encoded: true, RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "POST"}}},
		"bad method": {RawPath: "/", RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GE T"}}},
		"bad path":   {RawPath: "x", RequestContext: events.LambdaFunctionURLRequestContext{HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}},
	} {
		resp, err := h(t.Context(), ev)
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d (%v), want 400", name, resp.StatusCode, err)
		}
	}
}

func TestResponse(t *testing.T) {
	t.Parallel()
	w := newRecorder()
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", HttpOnly: true})
	w.Header().Add("Vary", "Cookie")
	w.Header().Add("Vary", "Origin")
	w.Header().Set("Content-Type", "image/png")
	w.WriteHeader(http.StatusTeapot)
	w.WriteHeader(http.StatusOK) // ignored, as net/http does
	if _, err := w.Write([]byte{0x89, 'P', 'N', 'G', 0xff}); err != nil {
		t.Fatal(err)
	}
	resp := w.response()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status %d", resp.StatusCode)
	}
	if strings.Join(resp.Cookies, "|") != "a=1|b=2; HttpOnly" {
		t.Errorf("cookies %q", resp.Cookies)
	}
	if _, ok := resp.Headers["Set-Cookie"]; ok {
		t.Error("Set-Cookie left in the headers")
	}
	if resp.Headers["Vary"] != "Cookie, Origin" || resp.Headers["Content-Type"] != "image/png" {
		t.Errorf("headers %v", resp.Headers)
	}
	if !resp.IsBase64Encoded || resp.Body != "iVBOR/8=" {
		t.Errorf("binary body %q (base64 %v)", resp.Body, resp.IsBase64Encoded)
	}
	text := newRecorder()
	if _, err := io.WriteString(text, "<p>ok</p>"); err != nil {
		t.Fatal(err)
	}
	if r := text.response(); r.StatusCode != 200 || r.IsBase64Encoded || r.Body != "<p>ok</p>" {
		t.Errorf("text response %+v", r)
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	if c, err := loadConfig(env("QUEUE_TABLE", "q", "DYNAMODB_ENDPOINT", "http://127.0.0.1:8000")); err != nil || c.queueTable != "q" || c.endpoint != "http://127.0.0.1:8000" {
		t.Errorf("config %+v (%v)", c, err)
	}
	_, err := loadConfig(env("DYNAMODB_ENDPOINT", "localhost"))
	if err == nil || !strings.Contains(err.Error(), "QUEUE_TABLE") || !strings.Contains(err.Error(), "DYNAMODB_ENDPOINT") {
		t.Errorf("want both variables named, got %v", err)
	}
}

// TestPage runs the review page through function URL events: the IAM
// caller is who decides, and a request without IAM identity is refused.
func TestPage(t *testing.T) {
	t.Parallel()
	st, err := embedded.Open(filepath.Join(t.TempDir(), "q.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	it, _ := queue.Raise(nil, queue.Proposal{
		AccountID: "acc-1", Action: queue.Suspend, Score: 90, EventID: "e1",
		Reasons: []queue.Reason{{Rule: "r", Points: 90, Detail: "d"}}, At: time.Date(2027, 1, 14, 9, 0, 0, 0, time.UTC),
	})
	if errs := st.PutQueueItems(t.Context(), []queue.Write{{Item: it}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	page, err := review.New(st, review.Options{Caller: caller, Key: review.NewKey()})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(page, slog.New(slog.DiscardHandler))
	base := readEvent(t, "url-post.json")
	event := func(method, path, query string, cookies []string, form url.Values) events.LambdaFunctionURLRequest {
		ev := base
		ev.RequestContext.HTTP.Method = method
		ev.RawPath, ev.RawQueryString, ev.Cookies = path, query, cookies
		ev.Body, ev.IsBase64Encoded = form.Encode(), false
		return ev
	}
	call := func(ev events.LambdaFunctionURLRequest) events.LambdaFunctionURLResponse {
		t.Helper()
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	list := call(event("GET", "/", "", nil, nil))
	if list.StatusCode != 200 || !strings.Contains(list.Body, "acc-1") || list.Headers["Content-Security-Policy"] == "" {
		t.Fatalf("list: %d, CSP %q\n%s", list.StatusCode, list.Headers["Content-Security-Policy"], list.Body)
	}
	if !strings.Contains(list.Body, reviewerARN) {
		t.Error("the page does not show who is signed in")
	}
	anon := event("GET", "/", "", nil, nil)
	anon.RequestContext.Authorizer = nil
	if resp := call(anon); resp.StatusCode != http.StatusForbidden {
		t.Errorf("no IAM identity: %d, want 403", resp.StatusCode)
	}

	item := call(event("GET", "/item", "id=acc-1", nil, nil))
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(item.Body)
	if item.StatusCode != 200 || token == nil || len(item.Cookies) != 1 {
		t.Fatalf("item: %d, token %v, cookies %q", item.StatusCode, token, item.Cookies)
	}
	cookie, _, _ := strings.Cut(item.Cookies[0], ";")
	form := url.Values{"id": {"acc-1"}, "version": {"1"}, "csrf": {token[1]}, "to": {"released"}, "note": {"verified"}}
	resp := call(event("POST", "/decide", "", []string{cookie}, form))
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/item?id=acc-1&done=released" {
		t.Fatalf("decide: %d %v\n%s", resp.StatusCode, resp.Headers, resp.Body)
	}
	got, err := st.QueueItem(t.Context(), "acc-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != queue.Released || got.DecidedBy != reviewerARN || got.Note != "verified" {
		t.Errorf("stored %s by %q note %q, want released by %s", got.Status, got.DecidedBy, got.Note, reviewerARN)
	}
	// The same form again is stale now.
	if resp := call(event("POST", "/decide", "", []string{cookie}, form)); resp.StatusCode != http.StatusConflict {
		t.Errorf("the same form again: %d, want 409", resp.StatusCode)
	}
}
