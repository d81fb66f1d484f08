package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// A function URL hands the function one JSON event per HTTP request and
// takes one JSON response; these translate them to and from net/http, so
// that the page is the same http.Handler as abusectl serve's.

// callerKey is the request context key of the caller's IAM identity.
type callerKey struct{}

// caller returns the IAM identity the function URL authenticated, "" for
// none (the page then refuses the request).
func caller(r *http.Request) string {
	s, _ := r.Context().Value(callerKey{}).(string)
	return s
}

// identity is who signed the request: the IAM user or role session ARN,
// else the principal id. Nothing without IAM authentication.
func identity(ev events.LambdaFunctionURLRequest) string {
	a := ev.RequestContext.Authorizer
	if a == nil || a.IAM == nil {
		return ""
	}
	if a.IAM.UserARN != "" {
		return a.IAM.UserARN
	}
	return a.IAM.UserID
}

// newHandler returns the function's handler: h serves each request, and
// one log line says who asked for what and the status.
func newHandler(h http.Handler, log *slog.Logger) func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		r, err := toRequest(ctx, ev)
		if err != nil {
			log.Warn("request", slog.String("requestId", ev.RequestContext.RequestID), slog.String("error", err.Error()))
			return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Headers: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: "bad request\n"}, nil
		}
		w := newRecorder()
		h.ServeHTTP(w, r)
		resp := w.response()
		log.Info("request", slog.String("requestId", ev.RequestContext.RequestID), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", resp.StatusCode), slog.String("caller", caller(r)))
		return resp, nil
	}
}

// toRequest turns a function URL event into the request it stands for,
// with the caller's identity in its context.
func toRequest(ctx context.Context, ev events.LambdaFunctionURLRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
		body = b
	}
	host := ev.RequestContext.DomainName
	if h := ev.Headers["host"]; h != "" {
		host = h
	}
	path := ev.RawPath
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q", path)
	}
	target := "https://" + host + path
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	r, err := http.NewRequestWithContext(context.WithValue(ctx, callerKey{}, identity(ev)), ev.RequestContext.HTTP.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	// A function URL takes the cookies out of the headers.
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	r.Host = host
	r.RemoteAddr = ev.RequestContext.HTTP.SourceIP
	r.RequestURI = path
	if ev.RawQueryString != "" {
		r.RequestURI += "?" + ev.RawQueryString
	}
	return r, nil
}

// recorder is the http.ResponseWriter a response is built in.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// response is the function URL response of what was written: Set-Cookie
// headers as cookies (a function URL takes them there), other repeated
// headers joined, and a body that is not UTF-8 text in base64.
func (w *recorder) response() events.LambdaFunctionURLResponse {
	resp := events.LambdaFunctionURLResponse{StatusCode: w.code, Headers: map[string]string{}}
	if resp.StatusCode == 0 {
		resp.StatusCode = http.StatusOK
	}
	for k, vs := range w.header {
		if k == "Set-Cookie" {
			resp.Cookies = append(resp.Cookies, vs...)
			continue
		}
		resp.Headers[k] = strings.Join(vs, ", ")
	}
	if b := w.body.Bytes(); utf8.Valid(b) {
		resp.Body = string(b)
	} else {
		resp.Body, resp.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	return resp
}
