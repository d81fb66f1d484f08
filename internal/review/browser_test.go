package review

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mailtrust/abusescan/internal/queue"
)

// updateScreenshots rewrites the README's screenshots from the browser test.
var updateScreenshots = flag.Bool("update-screenshots", false, "write the browser test's screenshots to docs/ for the README")

// chromium is Debian's chromium package ("make test" installs it).
const chromium = "/usr/bin/chromium"

// browser starts a headless Chromium for one test, with a fresh profile and
// nothing that reaches past this machine, and returns a tab's context.
// Without Chromium the test is skipped, except in CI, where it fails: a
// review page never looked at in a browser is not tested.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (CI must run the browser test: make test installs Debian's chromium)", chromium, err)
		}
		t.Skipf("%s absent: install Debian's chromium (make test does) to run the browser test", chromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// This machine's network is closed: Chromium's own connections
		// (updates, sync, field trials, QUIC probes) would be refused.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelTab)
	return tab
}

// screenshot saves the whole page as name in the test's artifact folder
// (kept with go test -artifacts), and, for the README's, in docs/ with
// -update-screenshots.
func screenshot(t *testing.T, tab context.Context, name string, readme bool) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if readme && *updateScreenshots {
		docs := filepath.Join("..", "..", "docs", name)
		if err := os.WriteFile(docs, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", docs)
	}
}

// demoQueue fills st with a small queue, as a replay of a bot wave among
// genuine signups leaves it, plus one account whose id and reasons are
// hostile; it returns the hostile id.
func demoQueue(t *testing.T, st Store) string {
	t.Helper()
	at := func(min int) time.Time { return time.Date(2027, 1, 14, 9, min, 0, 0, time.UTC) }
	wave := []struct {
		id     string
		action queue.Action
		score  int
	}{
		{"acc-7f3a91c2", queue.Suspend, 96}, {"acc-7f3a9d14", queue.Suspend, 93}, {"acc-7f3aa2e8", queue.Suspend, 91},
		{"acc-7f3ab655", queue.Suspend, 88}, {"acc-2c81e0b7", queue.Review, 74}, {"acc-5d09f4aa", queue.Review, 61},
		{"acc-91be2203", queue.Review, 55},
	}
	for i, w := range wave {
		p := queue.Proposal{
			AccountID: w.id, Action: w.action, Score: w.score,
			Reasons: []queue.Reason{
				{Rule: "subnet_burst", Points: 45, Detail: "31 signups from 203.0.113.0/24 in 10 min (baseline 0.4)"},
				{Rule: "generated_username", Points: w.score - 60, Detail: "username x9k2q7v1m looks generated (p=0.97)"},
				{Rule: "shared_recovery", Points: 15, Detail: "recovery address shared with 12 accounts"},
			},
			Cluster: &queue.Cluster{Key: "subnet:203.0.113.0/24", Size: 31},
			EventID: fmt.Sprintf("01JH%06d", 4100+i), At: at(i), RulesVersion: "rules-2027-01-10",
		}
		if w.action == queue.Review {
			p.Reasons = p.Reasons[1:]
			p.Cluster = nil
		}
		raise(t, st, p)
	}
	hostileID := "acc-" + hostile
	raise(t, st, queue.Proposal{
		AccountID: hostileID, Action: queue.Review, Score: 58,
		Reasons: []queue.Reason{{Rule: "display_name_markup", Points: 58, Detail: "display name " + hostile}},
		EventID: "01JH009999", At: at(30),
	})
	return hostileID
}

// serve starts the review page over st on loopback, as reviewer at
// testNow, and returns its base URL; it stops when t ends.
func serve(t *testing.T, st Store) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	h, err := New(st, Options{
		Caller: func(*http.Request) string { return reviewer },
		Key:    NewKey(),
		Hosts:  LoopbackHosts(srv.Listener.Addr().String()),
		Now:    func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowser drives the review page in a real browser: list the queue,
// open an item, release it with a note through the form, and find the
// decision in the store; and a hostile account id and reason show as text.
func TestBrowser(t *testing.T) {
	tab := browser(t)
	st := openStore(t)
	hostileID := demoQueue(t, st)

	base := serve(t, st)

	// The list: suspensions first, by score.
	if err := chromedp.Do(tab, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("queue"))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#queue tbody tr td.account")].map(td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"acc-7f3a91c2", "acc-7f3a9d14", "acc-7f3aa2e8", "acc-7f3ab655", "acc-2c81e0b7", "acc-5d09f4aa", visible(hostileID), "acc-91be2203"}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("the list shows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	screenshot(t, tab, "review-list.png", true)

	// An item, opened from the list, released through its form.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`#queue a[href="/item?id=acc-7f3a9d14"]`)),
		chromedp.WaitVisible(chromedp.ID("decide")),
	); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("account"))); err != nil || got != "acc-7f3a9d14" {
		t.Fatalf("item page for %q (%v), want acc-7f3a9d14", got, err)
	}
	if text, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("reasons"))); err != nil || !strings.Contains(text, "31 signups from 203.0.113.0/24") {
		t.Errorf("reasons %q (%v)", text, err)
	}
	const note = "Owner verified by phone: a school signing up a class"
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("note"), note)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, tab, "review-item.png", true)
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.ID("to-released")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("status"))); err != nil || got != "released" {
		t.Errorf("status after the release %q (%v), want released", got, err)
	}
	screenshot(t, tab, "review-released.png", false)
	it, err := st.QueueItem(t.Context(), "acc-7f3a9d14")
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != queue.Released || it.DecidedBy != reviewer || it.Note != note || it.Version != 2 {
		t.Errorf("stored %s by %q note %q version %d, want released by %q note %q version 2", it.Status, it.DecidedBy, it.Note, it.Version, reviewer, note)
	}
	if hist := it.History; len(hist) != 2 || hist[1].By != reviewer || hist[1].Note != note || hist[1].To != "released/suspend" {
		t.Errorf("history %+v, want the creation and the release", hist)
	}

	// The hostile item: its id and reason are text, and nothing of them
	// became an element.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/item?id="+url.QueryEscape(hostileID)),
		chromedp.WaitVisible(chromedp.ID("reasons")),
	); err != nil {
		t.Fatal(err)
	}
	account, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("account")))
	if err != nil {
		t.Fatal(err)
	}
	if want := `acc-<script>alert(1)</script>\u202egnp.exe\u2066<b>x</b>\u200d\u2028`; account != want {
		t.Errorf("account id shows as %q, want %q", account, want)
	}
	reasons, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("reasons")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reasons, `display name <script>alert(1)</script>\u202egnp.exe`) {
		t.Errorf("reason shows as %q", reasons)
	}
	injected, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("script, b, main [onclick], main [onerror]").length`))
	if err != nil || injected != 0 {
		t.Errorf("%d injected elements (%v), want 0", injected, err)
	}
	bidi, err := chromedp.Run(tab, chromedp.Evaluate[bool](`/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(document.body.innerText)`))
	if err != nil || bidi {
		t.Errorf("the page's text holds a bidi control (%v)", err)
	}
	screenshot(t, tab, "review-hostile.png", false)

	// A form from this page, posted after the item changed elsewhere, is
	// refused with the conflict page.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/item?id=acc-7f3a91c2"),
		chromedp.WaitVisible(chromedp.ID("decide")),
		chromedp.SendKeys(chromedp.ID("note"), "looks fine"),
	); err != nil {
		t.Fatal(err)
	}
	cur, err := st.QueueItem(t.Context(), "acc-7f3a91c2")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := queue.Decide(cur, queue.Applied, "enforcer", "suspended", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if errs := st.PutQueueItems(t.Context(), []queue.Write{{Item: applied, PrevVersion: cur.Version}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("to-dismissed")), chromedp.WaitVisible(chromedp.ID("conflict"))); err != nil {
		t.Fatal(err)
	}
	if got, err := st.QueueItem(t.Context(), "acc-7f3a91c2"); err != nil || got.Status != queue.Applied || got.Version != applied.Version {
		t.Errorf("after the stale form: %s version %d (%v), want applied version %d", got.Status, got.Version, err, applied.Version)
	}
}
