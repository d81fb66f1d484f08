package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// showItem runs queue show and decodes the item it prints.
func showItem(t *testing.T, db, id string) queue.Item {
	t.Helper()
	o := mustRun(t, "queue", "show", "--db", db, id)
	var it queue.Item
	dec := json.NewDecoder(strings.NewReader(o.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		t.Fatalf("queue show %s printed no item: %v\n%s", id, err, o.stdout)
	}
	if dec.More() {
		t.Errorf("queue show %s printed more than one item:\n%s", id, o.stdout)
	}
	return it
}

// replayedDemo replays the demo into a fresh store and returns the store and
// the queue it printed.
func replayedDemo(t *testing.T) (string, []queue.Item) {
	t.Helper()
	db := newDB(t)
	items := parseItems(t, mustRun(t, replayArgs(db, demoFile)...).stdout)
	if len(items) < 3 {
		t.Fatalf("the demo queued %d accounts, want at least 3", len(items))
	}
	return db, items
}

func TestQueue(t *testing.T) {
	t.Parallel()
	db, replayed := replayedDemo(t)
	var suspend, review []queue.Item
	for _, it := range replayed {
		if it.Action == queue.Suspend {
			suspend = append(suspend, it)
		} else {
			review = append(review, it)
		}
	}
	if len(suspend) < 3 {
		t.Fatalf("%d suspend items, want at least 3", len(suspend))
	}
	a, b, c := suspend[0], suspend[1], suspend[2]

	// Each step runs in order on the same store.
	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // in stderr
		check    func(t *testing.T, o outcome)
	}{
		{
			name: "list suspend",
			args: []string{"queue", "list", "--action", "suspend"},
			check: func(t *testing.T, o outcome) {
				got := parseItems(t, o.stdout)
				for _, it := range got {
					checkItem(t, it, queue.Pending)
					if it.Action != queue.Suspend {
						t.Errorf("%s: action %s in a list of suspend items", it.AccountID, it.Action)
					}
				}
				checkCreationOrder(t, got)
				if g, w := accountIDs(got), accountIDs(suspend); !sameElements(g, w) {
					t.Errorf("listed %d suspend items, want the %d of the replay", len(g), len(w))
				}
			},
		},
		{
			name: "list review",
			args: []string{"queue", "list", "--action", "review"},
			check: func(t *testing.T, o outcome) {
				got := parseItems(t, o.stdout)
				checkCreationOrder(t, got)
				if g, w := accountIDs(got), accountIDs(review); !sameElements(g, w) {
					t.Errorf("listed review items %v, want %v", g, w)
				}
			},
		},
		{
			name: "list with a limit",
			args: []string{"queue", "list", "--action", "suspend", "--limit", "2"},
			check: func(t *testing.T, o outcome) {
				got := parseItems(t, o.stdout)
				sorted := slices.Clone(suspend)
				slices.SortStableFunc(sorted, func(x, y queue.Item) int { return x.CreatedAt.Compare(y.CreatedAt) })
				if g, w := accountIDs(got), accountIDs(sorted[:2]); !slices.Equal(g, w) {
					t.Errorf("--limit 2 listed %v, want the two oldest %v", g, w)
				}
			},
		},
		{
			name:  "nothing released yet",
			args:  []string{"queue", "list", "--status", "released"},
			check: wantNoItems,
		},
		{
			name: "show",
			args: []string{"queue", "show", a.AccountID},
			check: func(t *testing.T, o outcome) {
				if it := showItem(t, db, a.AccountID); !reflect.DeepEqual(it, a) {
					t.Errorf("queue show = %+v, want the replayed item %+v", it, a)
				}
			},
		},
		{
			name:     "show unknown",
			args:     []string{"queue", "show", "acc-NOSUCHACCT"},
			wantCode: 1,
			wantErr:  "not found",
		},
		{
			name:     "release without --by",
			args:     []string{"queue", "release", a.AccountID, "--note", "verified"},
			wantCode: 2,
			wantErr:  "--by",
		},
		{
			name:     "release without --note",
			args:     []string{"queue", "release", a.AccountID, "--by", "alice"},
			wantCode: 2,
			wantErr:  "--note",
		},
		{
			name:     "release with a blank name",
			args:     []string{"queue", "release", a.AccountID, "--by", "  ", "--note", "verified"},
			wantCode: 2,
		},
		{
			name:     "release without an id",
			args:     []string{"queue", "release", "--by", "alice", "--note", "verified"},
			wantCode: 2,
		},
		{
			name:  "usage mistakes changed nothing",
			args:  []string{"queue", "list", "--status", "released"},
			check: wantNoItems,
		},
		{
			name: "release",
			args: []string{"queue", "release", a.AccountID, "--by", "alice", "--note", "verified"},
			check: func(t *testing.T, o outcome) {
				out := parseItems(t, o.stdout)
				got := showItem(t, db, a.AccountID)
				if len(out) != 1 || !reflect.DeepEqual(out[0], got) {
					t.Errorf("release printed %+v, want the stored item %+v", out, got)
				}
				checkDecided(t, got, a, queue.Released, "alice", "verified")
			},
		},
		{
			name: "released item is no longer pending",
			args: []string{"queue", "list"},
			check: func(t *testing.T, o outcome) {
				got := accountIDs(parseItems(t, o.stdout))
				if slices.Contains(got, a.AccountID) {
					t.Errorf("released %s still listed as pending", a.AccountID)
				}
				if len(got) != len(replayed)-1 {
					t.Errorf("%d pending items, want %d", len(got), len(replayed)-1)
				}
			},
		},
		{
			name: "released item is listed as released",
			args: []string{"queue", "list", "--status", "released"},
			check: func(t *testing.T, o outcome) {
				if got := accountIDs(parseItems(t, o.stdout)); !slices.Equal(got, []string{a.AccountID}) {
					t.Errorf("released items %v, want [%s]", got, a.AccountID)
				}
			},
		},
		{
			name:     "release again",
			args:     []string{"queue", "release", a.AccountID, "--by", "alice", "--note", "verified"},
			wantCode: 1,
			wantErr:  "not allowed",
		},
		{
			name:     "apply a released item",
			args:     []string{"queue", "apply", a.AccountID, "--by", "consumer", "--note", "suspended"},
			wantCode: 1,
			wantErr:  "not allowed",
		},
		{
			name: "refusals changed nothing",
			args: []string{"queue", "show", a.AccountID},
			check: func(t *testing.T, o outcome) {
				checkDecided(t, showItem(t, db, a.AccountID), a, queue.Released, "alice", "verified")
			},
		},
		{
			name:     "release unknown",
			args:     []string{"queue", "release", "acc-NOSUCHACCT", "--by", "alice", "--note", "verified"},
			wantCode: 1,
			wantErr:  "not found",
		},
		{
			name: "dismiss, flags first",
			args: []string{"queue", "dismiss", "--by", "bob", "--note", "reviewed", b.AccountID},
			check: func(t *testing.T, o outcome) {
				checkDecided(t, showItem(t, db, b.AccountID), b, queue.Dismissed, "bob", "reviewed")
			},
		},
		{
			name: "apply a dismissed item",
			args: []string{"queue", "apply", b.AccountID, "--by", "consumer", "--note", "suspended"},
			check: func(t *testing.T, o outcome) {
				got := showItem(t, db, b.AccountID)
				if got.Status != queue.Applied || got.Version != b.Version+2 {
					t.Errorf("status %s version %d, want applied, %d", got.Status, got.Version, b.Version+2)
				}
			},
		},
		{
			name: "apply",
			args: []string{"queue", "apply", c.AccountID, "--by", "consumer", "--note", "suspended"},
			check: func(t *testing.T, o outcome) {
				checkDecided(t, showItem(t, db, c.AccountID), c, queue.Applied, "consumer", "suspended")
			},
		},
		{
			name: "list applied",
			args: []string{"queue", "list", "--status", "applied"},
			check: func(t *testing.T, o outcome) {
				got := parseItems(t, o.stdout)
				checkCreationOrder(t, got)
				if g := accountIDs(got); !sameElements(g, []string{b.AccountID, c.AccountID}) {
					t.Errorf("applied items %v, want %s and %s", g, b.AccountID, c.AccountID)
				}
			},
		},
	}
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			args := append(slices.Clone(st.args), "--db", db)
			o := cli(t, nil, "", args...)
			if o.code != st.wantCode {
				t.Fatalf("abusectl %s: exit %d, want %d\nstderr:\n%s", strings.Join(args, " "), o.code, st.wantCode, o.stderr)
			}
			if st.wantErr != "" && !strings.Contains(o.stderr, st.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", st.wantErr, o.stderr)
			}
			if st.wantCode != 0 && o.stdout != "" {
				t.Errorf("a refused command printed %q", o.stdout)
			}
			if st.check != nil {
				st.check(t, o)
			}
		})
		if !ok {
			break // later steps depend on this one
		}
	}
}

func wantNoItems(t *testing.T, o outcome) {
	t.Helper()
	if got := parseItems(t, o.stdout); len(got) != 0 {
		t.Errorf("listed %v, want nothing", accountIDs(got))
	}
}

// checkDecided checks that got is before with a person's decision applied.
func checkDecided(t *testing.T, got, before queue.Item, status queue.Status, by, note string) {
	t.Helper()
	if got.Status != status || got.DecidedBy != by || got.Note != note {
		t.Errorf("status %s by %q (%q), want %s by %q (%q)", got.Status, got.DecidedBy, got.Note, status, by, note)
	}
	if got.Version != before.Version+1 {
		t.Errorf("version %d, want %d", got.Version, before.Version+1)
	}
	// testNow is after every item of the demo: the decision is dated by it,
	// to the millisecond the stores keep.
	if want := testNow.Truncate(time.Millisecond); !got.UpdatedAt.Equal(want) {
		t.Errorf("updatedAt %v, want the clock's %v", got.UpdatedAt, want)
	}
	// A closed item expires after the retention period.
	if wantExp := got.UpdatedAt.Add(queue.ClosedRetention).Unix(); got.ExpiresAt != wantExp {
		t.Errorf("expiresAt %d, want %d (updatedAt + retention)", got.ExpiresAt, wantExp)
	}
	// Nothing but the decision changes, and the history records it.
	want := before
	want.Status, want.DecidedBy, want.Note, want.Version, want.UpdatedAt, want.ExpiresAt = got.Status, got.DecidedBy, got.Note, got.Version, got.UpdatedAt, got.ExpiresAt
	want.History = append(slices.Clone(before.History), queue.Change{
		At: got.UpdatedAt, By: by, From: before.State(), To: got.State(), Note: note, Version: got.Version,
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decision changed more than the status:\n got %+v\nwant %+v", got, want)
	}
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestReleasedStaysReleased: a person released an account; later events of
// the same account that bring nothing new must not put it back to pending.
func TestReleasedStaysReleased(t *testing.T) {
	t.Parallel()
	lines := demoLines(t)
	tests := []struct {
		name string
		// event builds the new event from the account's signup line.
		event func(t *testing.T, signup []byte) string
	}{
		{"the same signup redelivered", func(t *testing.T, signup []byte) string { return string(signup) }},
		{"a second signup of the account under a new event id", func(t *testing.T, signup []byte) string {
			return withField(t, signup, "id", "5b0f3c7e-2a41-4d8e-9c6b-7e1a0d4f8b23")
		}},
		{"a second signup, an hour later", func(t *testing.T, signup []byte) string {
			var env struct {
				Detail struct {
					CreatedAt time.Time `json:"createdAt"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(signup, &env); err != nil {
				t.Fatal(err)
			}
			later := env.Detail.CreatedAt.Add(time.Hour).Format(time.RFC3339Nano)
			line := withField(t, signup, "id", "c2e9a8d1-4f6b-47a3-8e05-b91d3c6f2a70")
			line = withField(t, []byte(line), "time", later)
			return withField(t, []byte(line), "detail.createdAt", later)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, items := replayedDemo(t)
			i := slices.IndexFunc(items, func(it queue.Item) bool { return it.Action == queue.Suspend })
			if i < 0 {
				t.Fatal("the demo suspended no account")
			}
			id := items[i].AccountID
			mustRun(t, "queue", "release", "--db", db, id, "--by", "alice", "--note", "verified")
			released := showItem(t, db, id)

			signup, ok := lines[items[i].EventIDs[0]]
			if !ok {
				t.Fatalf("event %s of %s is not in the demo", items[i].EventIDs[0], id)
			}
			o := mustRun(t, replayArgs(db, writeFile(t, "again.jsonl", tc.event(t, signup)))...)
			if slices.Contains(accountIDs(parseItems(t, o.stdout)), id) {
				t.Errorf("released %s is pending again", id)
			}
			if s := parseSummary(t, o.stderr); s["read"] != 1 || s["duplicates"] != 1 {
				t.Errorf("summary %v, want 1 read, 1 duplicate (already signed up)\n%s", s, o.stderr)
			}
			if got := showItem(t, db, id); !reflect.DeepEqual(got, released) {
				t.Errorf("released item changed:\n got %+v\nwant %+v", got, released)
			}
		})
	}
}

// TestQueueDecisionTime: a decision is dated by the command's clock, to the
// millisecond the stores keep, and never before the item's last change (a
// person's clock may lag the scanner's); what release prints is what it
// stored.
func TestQueueDecisionTime(t *testing.T) {
	t.Parallel()
	db, items := replayedDemo(t)
	latest := items[0].UpdatedAt
	for _, it := range items {
		if it.UpdatedAt.After(latest) {
			latest = it.UpdatedAt
		}
	}
	tests := []struct {
		name string
		now  time.Time
		want func(before queue.Item) time.Time
	}{
		{"clock after the item, finer than milliseconds", latest.Add(36*time.Hour + 987654321),
			func(queue.Item) time.Time { return latest.Add(36*time.Hour + 987*time.Millisecond) }},
		{"clock in another zone", latest.Add(time.Hour).In(time.FixedZone("UTC+5", 5*3600)),
			func(queue.Item) time.Time { return latest.Add(time.Hour) }},
		{"clock behind the item", latest.Add(-30 * 24 * time.Hour),
			func(before queue.Item) time.Time { return before.UpdatedAt }},
	}
	if len(items) < len(tests) {
		t.Fatalf("the demo queued %d accounts, want at least %d", len(items), len(tests))
	}
	// Sequential: the cases share one store, each deciding its own item.
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := items[i]
			o := cliAt(t, tc.now, nil, "", "queue", "release", "--db", db, before.AccountID, "--by", "alice", "--note", "verified")
			if o.code != 0 {
				t.Fatalf("release: exit %d\n%s", o.code, o.stderr)
			}
			printed := parseItems(t, o.stdout)
			stored := showItem(t, db, before.AccountID)
			if len(printed) != 1 || !reflect.DeepEqual(printed[0], stored) {
				t.Errorf("release printed %+v, want the stored item %+v", printed, stored)
			}
			if want := tc.want(before); !stored.UpdatedAt.Equal(want) || stored.UpdatedAt.Location() != time.UTC {
				t.Errorf("updatedAt %v, want %v in UTC", stored.UpdatedAt, want)
			}
		})
	}
}

// TestQueueNeedsStore: the queue commands open a store, never create one:
// a missing or misspelt --db is an error naming the path and how to make
// a store, not an empty queue, and leaves no file behind.
func TestQueueNeedsStore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "demo.bd")
	for _, args := range [][]string{
		{"queue", "list", "--db", missing},
		{"queue", "show", "--db", missing, "acc-PVYJJ0AN82"},
		{"queue", "release", "--db", missing, "acc-PVYJJ0AN82", "--by", "alice", "--note", "verified"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			o := cli(t, nil, "", args...)
			if o.code != 1 || o.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", o.code, o.stdout)
			}
			for _, s := range []string{"no store", missing, "abusectl replay", "--db"} {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, o.stderr)
				}
			}
			if _, err := os.Stat(missing); !os.IsNotExist(err) {
				t.Fatalf("%s was created (stat: %v)", missing, err)
			}
		})
	}
	// Without --db, the default file in the working folder.
	if _, err := os.Stat("abusectl.db"); os.IsNotExist(err) {
		o := cli(t, nil, "", "queue", "list")
		if o.code != 1 || !strings.Contains(o.stderr, "abusectl.db") {
			t.Errorf("queue list without a store: exit %d\n%s", o.code, o.stderr)
		}
		if _, err := os.Stat("abusectl.db"); !os.IsNotExist(err) {
			os.Remove("abusectl.db")
			t.Errorf("queue list created abusectl.db")
		}
	}
}

// TestQueueOutput: JSON Lines by default, --pretty indented, and a table
// for people.
func TestQueueOutput(t *testing.T) {
	t.Parallel()
	db, items := replayedDemo(t)
	id := items[0].AccountID

	show := mustRun(t, "queue", "show", "--db", db, id)
	if strings.Count(show.stdout, "\n") != 1 {
		t.Errorf("queue show printed %d lines, want one JSON line:\n%.500s", strings.Count(show.stdout, "\n"), show.stdout)
	}
	pretty := mustRun(t, "queue", "show", "--db", db, id, "--pretty")
	if strings.Count(pretty.stdout, "\n") < 10 || !strings.Contains(pretty.stdout, "\n  \"accountId\"") {
		t.Errorf("queue show --pretty is not indented:\n%.500s", pretty.stdout)
	}
	var a, b queue.Item
	if err := json.Unmarshal([]byte(show.stdout), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(pretty.stdout), &b); err != nil {
		t.Fatal(err)
	}
	if a.AccountID != id || a.Version != b.Version || a.Score != b.Score || len(a.Reasons) != len(b.Reasons) {
		t.Errorf("--pretty printed another item: %+v, want %+v", b, a)
	}
	prettyList := mustRun(t, "queue", "list", "--db", db, "--limit", "2", "--pretty")
	dec := json.NewDecoder(strings.NewReader(prettyList.stdout))
	for n := 0; ; n++ {
		var it queue.Item
		if err := dec.Decode(&it); err != nil {
			if n != 2 {
				t.Errorf("queue list --pretty --limit 2: %d items, then %v", n, err)
			}
			break
		}
	}

	table := mustRun(t, "queue", "list", "--db", db, "--format", "table")
	lines := strings.Split(strings.TrimSuffix(table.stdout, "\n"), "\n")
	if len(lines) != len(items)+1 || !strings.HasPrefix(lines[0], "ACCOUNT") {
		t.Fatalf("table of %d lines, want a header and %d rows:\n%.1000s", len(lines), len(items), table.stdout)
	}
	if !strings.HasPrefix(lines[1], items[0].AccountID+" ") || !strings.Contains(lines[1], items[0].Reasons[0].Detail) {
		t.Errorf("first row %q, want %s and its strongest reason %q", lines[1], items[0].AccountID, items[0].Reasons[0].Detail)
	}

	bad := cli(t, nil, "", "queue", "list", "--db", db, "--format", "yaml")
	if bad.code != 2 || !strings.Contains(bad.stderr, `"yaml"`) || bad.stdout != "" {
		t.Errorf("--format yaml: exit %d, stdout %q\n%s", bad.code, bad.stdout, bad.stderr)
	}
}
