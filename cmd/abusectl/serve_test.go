package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/review"
)

// lineWriter passes the first line written to it on a channel, and keeps
// everything.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan string
	sent  bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if line, _, ok := strings.Cut(w.buf.String(), "\n"); ok && !w.sent {
		w.sent = true
		w.first <- line
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestServe runs abusectl serve over a replayed demo on a free loopback
// port: the page lists the queue, shows an item, and a decision through its
// form lands in the store as the --by person's; stopping it exits 0.
func TestServe(t *testing.T) {
	t.Parallel()
	db, items := replayedDemo(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := &lineWriter{first: make(chan string, 1)}
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		env := testEnv()
		exit <- run(ctx, []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--by", "carol"}, strings.NewReader(""), stdout, &stderr,
			func(k string) string { return env[k] }, func() time.Time { return testNow })
	}()
	var base string
	select {
	case line := <-stdout.first:
		m := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(line)
		if m == "" || !strings.Contains(line, "deciding as carol") {
			t.Fatalf("serve printed %q, want its address and who decides", line)
		}
		base = strings.TrimSuffix(m, "/")
	case code := <-exit:
		t.Fatalf("serve exited %d before serving:\n%s", code, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve printed no address in 30 s")
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	fetch := func(req *http.Request) (*http.Response, string) {
		t.Helper()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(b)
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return fetch(req)
	}

	resp, list := get("/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatalf("GET /: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	// The demo queues more than a page: the first shows the strongest.
	if want := fmt.Sprintf("Items 1–%d of %d", min(len(items), review.PageSize), len(items)); !strings.Contains(list, want) {
		t.Errorf("the list does not say %q", want)
	}
	strongest := slices.MaxFunc(items, func(a, b queue.Item) int {
		return cmp.Or(cmp.Compare(a.Action.Priority(), b.Action.Priority()), cmp.Compare(a.Score, b.Score))
	})
	if !strings.Contains(list, strongest.AccountID) {
		t.Errorf("the first page lacks the strongest item, %s", strongest.AccountID)
	}
	id := items[0].AccountID
	resp, page := get("/item?id=" + url.QueryEscape(id))
	if resp.StatusCode != 200 {
		t.Fatalf("item page: %d", resp.StatusCode)
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil {
		t.Fatal("no form token on the item page")
	}
	form := url.Values{"id": {id}, "version": {strconv.FormatInt(items[0].Version, 10)}, "csrf": {token[1]}, "to": {"dismissed"}, "note": {"a reviewed false alarm"}}
	req, err := http.NewRequest(http.MethodPost, base+"/decide", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	if resp, body := fetch(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: %d\n%s", resp.StatusCode, body)
	}

	// A request naming another host (a rebound DNS name) is refused.
	req, err = http.NewRequest(http.MethodGet, base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "attacker.example"
	if resp, _ := fetch(req); resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host attacker.example: %d, want 421", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("serve exited %d after stopping, want 0:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	// The store is free again, and holds the decision.
	it := showItem(t, db, id)
	if it.Status != "dismissed" || it.DecidedBy != "carol" || it.Note != "a reviewed false alarm" {
		t.Errorf("stored %s by %q note %q, want dismissed by carol", it.Status, it.DecidedBy, it.Note)
	}
}

func TestServeRefuses(t *testing.T) {
	t.Parallel()
	db, _ := replayedDemo(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"missing store", []string{"serve", "--db", newDB(t)}, 1, "no store"},
		{"open address", []string{"serve", "--db", db, "--addr", "0.0.0.0:8080"}, 2, "loopback address only"},
		{"a name", []string{"serve", "--db", db, "--addr", "example.com:8080"}, 2, "loopback address only"},
		{"no port", []string{"serve", "--db", db, "--addr", "127.0.0.1"}, 2, "want HOST:PORT"},
		{"an argument", []string{"serve", "--db", db, "extra"}, 2, "want 0 argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := cli(t, nil, "", tc.args...)
			if o.code != tc.wantCode || !strings.Contains(o.stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", o.code, o.stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestServeHelp(t *testing.T) {
	t.Parallel()
	o := cli(t, nil, "", "serve", "-h")
	for _, s := range []string{"abusectl serve", "-addr", "-by", "-db", "-store"} {
		if o.code != 0 || !strings.Contains(o.stdout, s) {
			t.Errorf("serve -h: exit %d, stdout lacks %q:\n%s", o.code, s, o.stdout)
		}
	}
	if len((helpRequest{cmd: "serve"}).lines()) == 0 {
		t.Error("the usage does not list serve")
	}
}
