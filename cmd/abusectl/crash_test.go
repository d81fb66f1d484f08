package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/storetest"
	"github.com/mailtrust/abusescan/internal/window"
)

// TestReplayKilledAndRerun kills a real abusectl replay with SIGKILL at
// twenty or more points of its run, each time running it again on the same
// store, then lets it finish: the store must hold what one uninterrupted
// replay leaves. A small write buffer makes every run flush many times, so
// kills land between, and during, writes to the file.
func TestReplayKilledAndRerun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills abusectl dozens of times")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "abusectl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := t.TempDir()
	replay := func(db string) *exec.Cmd {
		// Clustering off: the store must equal a clean run's item for item,
		// and a cluster's reasons and sizes depend on how events fell into
		// batches (internal/pipeline's cluster tests hold clustering to
		// what must not).
		args := append([]string{"replay", "--db", db, "--buffer", "400", "--batch", "50", "--clusters=false"}, geoFlags()...)
		cmd := exec.Command(bin, append(args, demoFile)...)
		cmd.Env = append(os.Environ(), "HASH_KEY=crash-test-hash-key:Qm7vT2xw9Lc4Rb8Ny1Kd6Hp3Zf0Sg5Ju")
		return cmd
	}
	clean := filepath.Join(dir, "clean.db")
	began := time.Now()
	if out, err := replay(clean).CombinedOutput(); err != nil {
		t.Fatalf("clean replay: %v\n%s", err, out)
	}
	whole := time.Since(began)

	want := storeState(t, clean)
	if len(want.queue) == 0 {
		t.Fatal("the demo queues nothing: the test proves nothing")
	}
	// Kill runs at points spread over a whole run, running again on the same
	// store until a run finishes; then check the store and start a new one.
	// A rerun skips what is done, so it ends sooner: kills that come too late
	// let it finish, and the next store starts.
	killed, stores := 0, 0
	db := ""
	for i := 0; killed < 20 || db != ""; i++ {
		if i == 120 {
			t.Fatalf("only %d of %d runs were killed before they finished", killed, i)
		}
		if db == "" {
			stores++
			db = filepath.Join(dir, fmt.Sprintf("crashed-%d.db", stores))
		}
		cmd := replay(db)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if killed < 20 {
			time.Sleep(whole * time.Duration(2+(i*7)%17) / 20)
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled():
			killed++
			continue
		case err != nil:
			t.Fatalf("run %d: %v\n%s", i, err, stderr.Bytes())
		}
		checkState(t, fmt.Sprintf("store %d, after %d kills in all", stores, killed), storeState(t, db), want)
		db = ""
	}
}

// checkState says how got differs from want.
func checkState(t *testing.T, name string, got, want replayState) {
	t.Helper()
	if !reflect.DeepEqual(got.queue, want.queue) {
		for id, w := range want.queue {
			if g := got.queue[id]; !reflect.DeepEqual(g, w) {
				t.Errorf("%s: queue item %s: %+v, want %+v", name, id, g, w)
			}
		}
		t.Errorf("%s: %d queue items, want %d", name, len(got.queue), len(want.queue))
	}
	if !reflect.DeepEqual(got.accounts, want.accounts) {
		t.Errorf("%s: account records differ (%d, want %d)", name, len(got.accounts), len(want.accounts))
	}
	for k, w := range want.keys {
		if g := got.keys[k]; !maps.Equal(g, w) {
			t.Errorf("%s: key %s = %v, want %v", name, k, g, w)
		}
	}
}

// replayState is what a replay leaves: the pending queue, the account
// records and the address keys of the demo's signups, settled (see settle).
type replayState struct {
	queue    map[string]queue.Item
	accounts map[string]any
	keys     map[window.Key]window.Attrs
}

func storeState(t *testing.T, path string) replayState {
	t.Helper()
	st, err := embedded.Open(path, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	b, err := os.ReadFile(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	keySet := map[window.Key]bool{}
	for line := range bytes.Lines(b) {
		ev, err := event.Decode(bytes.TrimSpace(line))
		if err != nil || ev.Signup == nil {
			continue
		}
		ids = append(ids, ev.Signup.AccountID)
		keySet[window.NewKey(window.IP, pipeline.Host(ev.Signup.IP))] = true
		keySet[window.NewKey(window.Prefix, pipeline.Prefix(ev.Signup.IP).String())] = true
	}
	items, err := st.ListQueue(ctx, queue.Pending, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	s := replayState{queue: map[string]queue.Item{}, accounts: map[string]any{}}
	for _, it := range items {
		s.queue[it.AccountID] = it
	}
	accts, err := st.Accounts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for id, a := range accts {
		s.accounts[id] = a
	}
	s.keys, err = st.Keys(ctx, slices.Collect(maps.Keys(keySet)))
	if err != nil {
		t.Fatal(err)
	}
	for k, a := range s.keys {
		s.keys[k] = storetest.Settled(a)
	}
	return s
}
