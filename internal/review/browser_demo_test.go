package review

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mailtrust/abusescan/internal/config"
	policy "github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/setup"
)

// replayDemo scores the README's demo stream (testdata/scenarios) into st,
// as `make demo` does.
func replayDemo(t *testing.T, st pipeline.Store) {
	t.Helper()
	geo := func(name string) string { return filepath.Join("..", "..", "testdata", "geoip", name) }
	cfg := config.Config{GeoCityDB: geo("GeoIP2-City-Test.mmdb"), GeoASNDB: geo("GeoLite2-ASN-Test.mmdb"),
		GeoAnonDB: geo("GeoIP2-Anonymous-IP-Test.mmdb"), Policy: policy.DefaultPolicy()}
	sc, err := setup.Build(cfg, st, nil, nil, []byte("review-demo-test-key:Pq8wLz3nRv6Tk1Ym4Xc7Hb2Js5Fd9Ga0"), nil, setup.Clock{History: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	f, err := os.Open(filepath.Join("..", "..", "testdata", "scenarios", "demo.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc2 := bufio.NewScanner(f)
	sc2.Buffer(nil, 1<<20)
	var batch []pipeline.Record
	flush := func() {
		for _, r := range sc.Pipeline.Process(t.Context(), batch) {
			if r.Err != nil {
				t.Fatalf("demo %s: %v", r.RecordID, r.Err)
			}
		}
		batch = batch[:0]
	}
	for n := 1; sc2.Scan(); n++ {
		batch = append(batch, pipeline.Record{ID: fmt.Sprint("line ", n), Body: []byte(sc2.Text())})
		if len(batch) == 500 {
			flush()
		}
	}
	flush()
}

// TestBrowserDemoQueue: the review page over the demo's own queue, in a real
// browser: the list shows its pending suspensions, strongest first, as the
// store has them; the README's bot-wave account opens and is released with
// a note, and the store and its history say so.
func TestBrowserDemoQueue(t *testing.T) {
	tab := browser(t)
	st := openStore(t)
	replayDemo(t, st)
	pending, err := st.ListQueue(t.Context(), queue.Pending, queue.Suspend, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) < 100 {
		t.Fatalf("the demo queued %d suspensions: the test proves little", len(pending))
	}

	base := serve(t, st)

	if err := chromedp.Do(tab, chromedp.Navigate(base+"/?status=pending&action=suspend"), chromedp.WaitVisible(chromedp.ID("queue"))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#queue tbody tr td.account")].map(td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || len(rows) > 50 {
		t.Fatalf("the list shows %d rows, want a page of at most 50", len(rows))
	}
	listed := map[string]bool{}
	for _, it := range pending {
		listed[it.AccountID] = true
	}
	for _, r := range rows {
		if !listed[r] {
			t.Errorf("the list shows %q, which is no pending suspension of the demo", r)
		}
	}

	const acct = "acc-PVYJJ0AN82" // the README's example: the first of the bot wave
	const note = "demo: verified by phone"
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/item?id="+acct),
		chromedp.WaitVisible(chromedp.ID("decide")),
		chromedp.SendKeys(chromedp.ID("note"), note),
		chromedp.Click(chromedp.ID("to-released")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatal(err)
	}
	it, err := st.QueueItem(t.Context(), acct)
	if err != nil {
		t.Fatal(err)
	}
	last := it.History[len(it.History)-1]
	if it.Status != queue.Released || last.By != reviewer || last.Note != note || !strings.HasPrefix(last.From, "pending/") {
		t.Errorf("stored %s, last history entry %+v: want released by %s with the note", it.Status, last, reviewer)
	}
}
