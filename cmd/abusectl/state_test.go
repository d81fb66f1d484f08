package main

import (
	"encoding/json"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
	"github.com/mailtrust/abusescan/internal/window"
)

// demoSignup is what the state tests read of a demo signup, straight from
// the file, to count independently of the pipeline.
type demoSignup struct {
	AccountID     string    `json:"accountId"`
	IP            string    `json:"ip"`
	RecoveryEmail string    `json:"recoveryEmail"`
	CreatedAt     time.Time `json:"createdAt"`
}

func demoSignups(t *testing.T) []demoSignup {
	t.Helper()
	var out []demoSignup
	for _, line := range demoHead(t, -1) {
		var env struct {
			DetailType string     `json:"detail-type"`
			Detail     demoSignup `json:"detail"`
		}
		if err := json.Unmarshal(line, &env); err != nil {
			t.Fatal(err)
		}
		if env.DetailType == "Mailbox Signup" {
			out = append(out, env.Detail)
		}
	}
	return out
}

// selectSignups returns the demo signups that match.
func selectSignups(sus []demoSignup, match func(demoSignup) bool) []demoSignup {
	var out []demoSignup
	for _, su := range sus {
		if match(su) {
			out = append(out, su)
		}
	}
	return out
}

// within matches signups whose IP is in the network p.
func within(p string) func(demoSignup) bool {
	net := netip.MustParsePrefix(p)
	return func(su demoSignup) bool { return net.Contains(netip.MustParseAddr(su.IP)) }
}

// showState runs state show and decodes its output, refusing fields
// stateView does not know.
func showState(t *testing.T, args ...string) stateView {
	t.Helper()
	o := mustRun(t, append([]string{"state", "show"}, args...)...)
	if strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("state show %v: want one JSON line, got:\n%s", args, o.stdout)
	}
	dec := json.NewDecoder(strings.NewReader(o.stdout))
	dec.DisallowUnknownFields()
	var v stateView
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("state show %v: %v\n%s", args, err, o.stdout)
	}
	return v
}

// checkKeyState holds what state show printed of a key to the demo signups
// counted under it: counts at the newest count (the demo spans three
// days, so the week holds all of them), buckets, and members with the
// times they signed up.
func checkKeyState(t *testing.T, v stateView, wantKey window.Key, sus []demoSignup) {
	t.Helper()
	if v.Key != wantKey || v.Kind != wantKey.Kind() {
		t.Errorf("key %q, kind %q, want %q", v.Key, v.Kind, wantKey)
	}
	n := int64(len(sus))
	if n == 0 {
		t.Fatal("test picks a value no demo signup has")
	}
	if v.Total != n || v.Counts.Last7d != n {
		t.Errorf("%s: total %d, last7d %d, want %d demo signups", wantKey, v.Total, v.Counts.Last7d, n)
	}
	for name, bs := range map[string][]bucketView{"fiveMinute": v.Buckets.FiveMinute, "hourly": v.Buckets.Hourly, "daily": v.Buckets.Daily} {
		var sum int64
		for i, b := range bs {
			sum += b.Count
			if i > 0 && !b.Start.After(bs[i-1].Start) {
				t.Errorf("%s: %s buckets not oldest first: %v", wantKey, name, bs)
			}
		}
		// Fine and hourly buckets are kept for hours, daily ones for weeks.
		if sum > n || (name == "daily" && sum != n) {
			t.Errorf("%s: %s buckets sum to %d, want %s %d", wantKey, name, sum, map[bool]string{true: "", false: "at most"}[name == "daily"], n)
		}
	}
	// The newest count: the 5-minute bucket of the latest signup.
	latest := slices.MaxFunc(sus, func(a, b demoSignup) int { return a.CreatedAt.Compare(b.CreatedAt) }).CreatedAt
	wantAt := latest.Truncate(window.FineStep)
	if v.At == nil || !v.At.Equal(wantAt) || v.Newest == nil || !v.Newest.Equal(wantAt) {
		t.Errorf("%s: at %v, newest %v, want both %v", wantKey, v.At, v.Newest, wantAt)
	}
	// Members: the newest MaxMembers signups, oldest first, each first seen
	// when it signed up (to the second, as stored).
	slices.SortStableFunc(sus, func(a, b demoSignup) int {
		if c := a.CreatedAt.Truncate(time.Second).Compare(b.CreatedAt.Truncate(time.Second)); c != 0 {
			return c
		}
		return strings.Compare(a.AccountID, b.AccountID)
	})
	want := sus[max(0, len(sus)-window.MaxMembers):]
	if len(v.Members) != len(want) || v.Counts.Members != len(want) {
		t.Fatalf("%s: %d members (counts say %d), want %d", wantKey, len(v.Members), v.Counts.Members, len(want))
	}
	for i, m := range v.Members {
		if m.AccountID != want[i].AccountID || !m.FirstSeen.Equal(want[i].CreatedAt.Truncate(time.Second)) {
			t.Errorf("%s: member %d = %s at %v, want %s at %v", wantKey, i, m.AccountID, m.FirstSeen, want[i].AccountID, want[i].CreatedAt)
		}
	}
}

func TestStateShow(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	mustRun(t, replayArgs(db, demoFile)...)
	sus := demoSignups(t)
	// The store is one file, opened by one command at a time: the cases
	// run in turn.

	t.Run("ip", func(t *testing.T) {
		v := showState(t, "ip", "175.176.219.32", "--db", db)
		checkKeyState(t, v, "ip#175.176.219.32", selectSignups(sus, within("175.176.219.32/32")))
	})
	t.Run("busy ip keeps the newest members", func(t *testing.T) {
		want := selectSignups(sus, within("18.192.100.248/32"))
		if len(want) <= window.MaxMembers {
			t.Fatalf("demo has %d signups from the IP, want more than %d", len(want), window.MaxMembers)
		}
		checkKeyState(t, showState(t, "ip", "--db", db, "18.192.100.248"), "ip#18.192.100.248", want)
	})
	t.Run("ipv6 counted by its /64", func(t *testing.T) {
		want := selectSignups(sus, within("2601:240:669d:cbe1::/64"))
		if len(want) < 2 {
			t.Fatalf("demo has %d signups from the /64, want several", len(want))
		}
		// Any address of the /64 names it.
		v := showState(t, "host", "2601:240:669d:cbe1:1:2:3:4", "--db", db)
		checkKeyState(t, v, "ip#2601:240:669d:cbe1::/64", want)
	})
	t.Run("net as address and as network", func(t *testing.T) {
		want := selectSignups(sus, within("156.146.37.0/24"))
		v := showState(t, "net", "156.146.37.254", "--db", db)
		checkKeyState(t, v, "net#156.146.37.0/24", want)
		ips := map[string]bool{}
		for _, su := range want {
			ips[su.IP] = true
		}
		if len(ips) < 2 {
			t.Errorf("the /24 has signups from %d IP(s), want several to show it sums them", len(ips))
		}
		for _, alias := range [][]string{{"prefix", "156.146.37.0/24"}, {"NET", "156.146.37.9/24"}} {
			if got := showState(t, alias[0], alias[1], "--db", db); got.Key != v.Key || got.Total != v.Total {
				t.Errorf("state show %v = %s (%d), want %s (%d)", alias, got.Key, got.Total, v.Key, v.Total)
			}
		}
	})
	t.Run("recovery email hashed and normalised", func(t *testing.T) {
		want := selectSignups(sus, func(su demoSignup) bool { return strings.EqualFold(su.RecoveryEmail, "sneha.shetty90@gmail.com") })
		// Every demo variant of the mailbox is spelt the one way, so the
		// count above is independent of the pipeline's normalisation.
		for _, su := range sus {
			if strings.Contains(strings.ReplaceAll(strings.ToLower(su.RecoveryEmail), ".", ""), "snehashetty90") && su.RecoveryEmail != "sneha.shetty90@gmail.com" {
				t.Fatalf("demo spells the address %q too: the count would need normalising", su.RecoveryEmail)
			}
		}
		var keys []window.Key
		for _, spelling := range []string{"sneha.shetty90@gmail.com", "SnehaShetty90+again@googlemail.com"} {
			v := showState(t, "recovery-email", spelling, "--db", db)
			if strings.Contains(string(v.Key), "sneha") || !strings.HasPrefix(string(v.Key), "rem#") {
				t.Errorf("key %q is not a hash of the address", v.Key)
			}
			checkKeyState(t, v, v.Key, want)
			keys = append(keys, v.Key)
		}
		if keys[0] != keys[1] {
			t.Errorf("two spellings of one mailbox: keys %q, %q", keys[0], keys[1])
		}
	})
	t.Run("at a later time, the baseline", func(t *testing.T) {
		want := selectSignups(sus, within("156.146.37.0/24"))
		days := map[string]bool{}
		for _, su := range want {
			days[su.CreatedAt.UTC().Format(time.DateOnly)] = true
		}
		at := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) // past the week, within the four
		v := showState(t, "net", "156.146.37.0/24", "--db", db, "--at", at.Format(time.RFC3339))
		if v.At == nil || !v.At.Equal(at) {
			t.Errorf("at %v, want %v", v.At, at)
		}
		wantUsual := float64(len(want)) / float64(len(days)*24)
		if v.Counts.Last7d != 0 || v.Counts.Last24h != 0 || v.Counts.DaysSeen != len(days) || v.Counts.Usual1h != wantUsual {
			t.Errorf("counts %+v, want none in the week, %d days seen, usual %v an hour", v.Counts, len(days), wantUsual)
		}
	})
	t.Run("absent", func(t *testing.T) {
		for _, tc := range []struct {
			args    []string
			want    []string
			private string // must not be printed to a file
		}{
			{[]string{"ip", "192.0.2.1"}, []string{"IP 192.0.2.1", "no state"}, ""},
			{[]string{"rem", "Nobody.Here@mail.example"}, []string{"recovery email", "key rem#", "no state"}, "nobody"},
			{[]string{"tpl", "x\u202eevil"}, []string{"username template", `x\u202eevil`}, "\u202e"},
		} {
			o := cli(t, nil, "", append([]string{"state", "show", "--db", db}, tc.args...)...)
			if o.code != 1 || o.stdout != "" {
				t.Errorf("state show %q: exit %d, stdout %q, want 1 and nothing", tc.args, o.code, o.stdout)
			}
			for _, s := range tc.want {
				if !strings.Contains(o.stderr, s) {
					t.Errorf("state show %q: stderr does not say %q:\n%s", tc.args, s, o.stderr)
				}
			}
			if tc.private != "" && strings.Contains(strings.ToLower(o.stderr), tc.private) {
				t.Errorf("state show %q: stderr shows %q:\n%s", tc.args, tc.private, o.stderr)
			}
		}
	})
	t.Run("no clock", func(t *testing.T) {
		// The default time is the key's, not the machine's.
		args := []string{"state", "show", "--pretty", "ip", "175.176.219.32", "--db", db}
		a := cliAt(t, testNow, nil, "", args...)
		b := cliAt(t, testNow.Add(400*24*time.Hour), nil, "", args...)
		if a.code != 0 || a.stdout != b.stdout {
			t.Errorf("output depends on the clock:\n%s\n%s", a.stdout, b.stdout)
		}
		if !strings.Contains(a.stdout, "\n  \"key\": ") {
			t.Errorf("--pretty does not indent:\n%s", a.stdout)
		}
	})
}

// TestStateShowDevKey: without HASH_KEY a local store is hashed, and looked
// up, with the development key, and both say so.
func TestStateShowDevKey(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	var line []byte
	for _, l := range demoHead(t, 20) {
		if strings.Contains(string(l), `"recoveryEmail":"et881@mail.example"`) {
			line = l
		}
	}
	if line == nil {
		t.Fatal("no demo line with the recovery address")
	}
	file := writeFile(t, "one.jsonl", string(line))
	env := map[string]string{}
	if o := cli(t, env, "", replayArgs(db, file)...); o.code != 0 {
		t.Fatalf("replay: exit %d\n%s", o.code, o.stderr)
	}
	o := cli(t, env, "", "state", "show", "rem", "ET881@mail.example", "--db", db)
	if o.code != 0 || !strings.Contains(o.stderr, "development key") {
		t.Fatalf("state show with the development key: exit %d\n%s", o.code, o.stderr)
	}
	var v stateView
	if err := json.Unmarshal([]byte(o.stdout), &v); err != nil || v.Total != 1 || len(v.Members) != 1 {
		t.Errorf("state show = %+v, %v, want one count and one member", v, err)
	}
	// With another key the same address is another key: absent.
	if o := cli(t, nil, "", "state", "show", "rem", "et881@mail.example", "--db", db); o.code != 1 {
		t.Errorf("state show with another hash key: exit %d, want 1", o.code)
	}
	// Kinds that are not hashed need no key and say nothing of one.
	if o := cli(t, env, "", "state", "show", "ip", "77.136.197.98", "--db", db); o.code != 0 || o.stderr != "" {
		t.Errorf("state show ip: exit %d, stderr %q", o.code, o.stderr)
	}
}

func TestStateShowUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := newDB(t)
	mustRun(t, replayArgs(db, writeFile(t, "head.jsonl", string(demoHead(t, 1)[0])))...)
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"no subcommand", []string{"state"}, 2, "state show"},
		{"unknown subcommand", []string{"state", "list"}, 2, `"list"`},
		{"no value", []string{"state", "show", "--db", db, "ip"}, 2, "want 2"},
		{"three arguments", []string{"state", "show", "--db", db, "ip", "a", "b"}, 2, "want 2"},
		{"unknown kind", []string{"state", "show", "--db", db, "email", "a@b.example"}, 2, `unknown kind "email"`},
		{"bad ip", []string{"state", "show", "--db", db, "ip", "300.1.1.1"}, 2, `"300.1.1.1"`},
		{"network too wide", []string{"state", "show", "--db", db, "net", "10.0.0.0/8"}, 2, "/24"},
		{"bad asn", []string{"state", "show", "--db", db, "asn", "ASX"}, 2, "AS number"},
		{"bad time", []string{"state", "show", "--db", db, "--at", "yesterday", "ip", "192.0.2.1"}, 2, "RFC 3339"},
		{"no store", []string{"state", "show", "--db", dir + "/missing.db", "ip", "192.0.2.1"}, 1, "missing.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := cli(t, nil, "", tc.args...)
			if o.code != tc.wantCode || !strings.Contains(o.stderr, tc.want) {
				t.Errorf("exit %d, want %d, and stderr to say %q:\n%s", o.code, tc.wantCode, tc.want, o.stderr)
			}
		})
	}
	if _, err := os.Stat(dir + "/missing.db"); err == nil {
		t.Error("state show created the missing store")
	}
}

// TestStateShowDynamoDB: state show reads DynamoDB (dynalite on loopback)
// as it reads the embedded store, and prints the same.
func TestStateShowDynamoDB(t *testing.T) {
	t.Parallel()
	endpoint := dynamotest.Endpoint(t) // skips when there is no DynamoDB API
	tables := dynamotest.Tables(t)
	dynamoFlags := []string{"--store", "dynamodb", "--endpoint", endpoint, "--state-table", tables.State, "--queue-table", tables.Queue}
	// The signups of one /24 and of one recovery address.
	var lines []string
	for _, l := range demoHead(t, -1) {
		if s := string(l); strings.Contains(s, `"ip":"156.146.37.`) || strings.Contains(s, `"recoveryEmail":"sneha.shetty90@gmail.com"`) {
			lines = append(lines, s)
		}
	}
	file := writeFile(t, "some.jsonl", lines...)
	db := newDB(t)
	mustRun(t, replayArgs(db, file)...)
	mustRun(t, append(append([]string{"replay"}, dynamoFlags...), append(geoFlags(), file)...)...)
	for _, q := range [][]string{{"net", "156.146.37.0/24"}, {"rem", "sneha.shetty90@gmail.com"}, {"ip", "156.146.37.229"}} {
		want := mustRun(t, append([]string{"state", "show", "--db", db}, q...)...).stdout
		got := mustRun(t, append(append([]string{"state", "show"}, dynamoFlags...), q...)...).stdout
		if got != want {
			t.Errorf("state show %v:\nDynamoDB %s\nembedded %s", q, got, want)
		}
	}
	if o := cli(t, nil, "", append(append([]string{"state", "show"}, dynamoFlags...), "ip", "192.0.2.1")...); o.code != 1 {
		t.Errorf("absent key in DynamoDB: exit %d, want 1\n%s", o.code, o.stderr)
	}
	// Without HASH_KEY a shared store is not hashed with the development
	// key: a hashed kind is refused, an unhashed one needs no key.
	env := map[string]string{}
	if o := cli(t, env, "", append(append([]string{"state", "show"}, dynamoFlags...), "rem", "sneha.shetty90@gmail.com")...); o.code != 1 || !strings.Contains(o.stderr, "HASH_KEY not set") {
		t.Errorf("rem in DynamoDB without HASH_KEY: exit %d, want 1 and HASH_KEY named\n%s", o.code, o.stderr)
	}
	if o := cli(t, env, "", append(append([]string{"state", "show"}, dynamoFlags...), "net", "156.146.37.0/24")...); o.code != 0 {
		t.Errorf("net in DynamoDB without HASH_KEY: exit %d, want 0\n%s", o.code, o.stderr)
	}
}
