package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/embedded"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// hostileAccount is an account id that would colour a terminal and break
// a line if printed raw.
const hostileAccount = "evil\x1b[31m\nred"

// clusterDB writes a small cluster straight into a fresh embedded store:
// root R (two pages of members, judged, sweeping) with child C merged into
// it (its own page), member records with links, and the statistics of two
// link kinds. It returns the store's path and the ids of R and C.
func clusterDB(t *testing.T) (db, rootID, childID string) {
	t.Helper()
	db = newDB(t)
	rootID, childID = cluster.ID("founder-root"), cluster.ID("founder-child")
	const day = int64(1_800_000_000)
	// Joined times are out of account order, across pages, so that the
	// timeline is not the pages' order.
	rootMembers := []cluster.Entry{
		{Account: "acct-d", Joined: day + 40, Kinds: cluster.Mask(0).With(cluster.Device), Queued: true, Strong: true},
		{Account: "acct-a", Joined: day + 10, Kinds: cluster.Mask(0).With(cluster.Device).With(cluster.RecoveryEmail)},
		{Account: hostileAccount, Joined: day + 30, Kinds: cluster.Mask(0).With(cluster.RecoveryEmail), Queued: true, Released: true},
	}
	childMembers := []cluster.Entry{
		{Account: "acct-c", Joined: day + 20, Kinds: cluster.Mask(0).With(cluster.Device)},
		{Account: "acct-b", Joined: day + 50, Kinds: cluster.Mask(0).With(cluster.Device), Queued: true},
	}
	var ws []versioned.Write
	put := func(key string, data []byte) {
		ws = append(ws, versioned.Write{Key: key, Record: versioned.Record{Version: 1, Data: data}})
	}
	// Two pages of the root: the first two members on one, the third on
	// another; the child's on one page of its own.
	var p0, p1, pc cluster.Page
	p0.Add(rootMembers[0])
	p0.Add(rootMembers[1])
	p1.Add(rootMembers[2])
	for _, e := range childMembers {
		pc.Add(e)
	}
	put(cluster.PageKey(rootID, 3), p0.Encode(nil))
	put(cluster.PageKey(rootID, 17), p1.Encode(nil))
	put(cluster.PageKey(childID, 5), pc.Encode(nil))

	child := cluster.Root{Parent: rootID, Created: day}
	child.SetPage(5, pc.Tally(1))
	root := cluster.Root{Created: day,
		Judged: cluster.Judgement{Verdict: "suspend", Score: 91, At: day + 3600},
		Sweep:  cluster.Sweep{Level: "suspend", Page: 2, Offset: 1}}
	root.SetPage(3, p0.Tally(1))
	root.SetPage(17, p1.Tally(1))
	root.Adopt(childID, child)
	put(cluster.RootKey(rootID), root.Encode(nil))
	put(cluster.RootKey(childID), child.Encode(nil))

	links := map[string][]cluster.Link{
		"acct-a":       {{Kind: cluster.Device, Peer: "acct-d"}, {Kind: cluster.RecoveryEmail, Peer: hostileAccount}},
		"acct-d":       {{Kind: cluster.Device, Peer: "acct-a"}},
		hostileAccount: {{Kind: cluster.RecoveryEmail, Peer: "acct-a"}},
		"acct-c":       {{Kind: cluster.Device, Peer: "acct-b"}},
		"acct-b":       {{Kind: cluster.Device, Peer: "acct-c"}},
	}
	for _, e := range slices.Concat(rootMembers, childMembers) {
		owner := rootID
		if slices.Contains(childMembers, e) {
			owner = childID
		}
		put(cluster.MemberKey(e.Account), cluster.Member{Cluster: owner, Joined: e.Joined, Links: links[e.Account]}.Encode(nil))
	}

	// Device: linked ten accounts, all condemned; recovery email: linked
	// ten, none condemned and two released.
	var dev, rem cluster.Stats
	for i := range 10 {
		a := fmt.Sprintf("stat-%d", i)
		dev.Links.Add(a)
		dev.Strong.Add(a)
		rem.Links.Add(a)
		if i < 2 {
			rem.Released.Add(a)
		}
	}
	put(cluster.StatsKey(cluster.Device), dev.Encode(nil))
	put(cluster.StatsKey(cluster.RecoveryEmail), rem.Encode(nil))

	st, err := embedded.Open(db, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range st.PutRecords(t.Context(), ws) {
		if err != nil {
			t.Fatalf("write %s: %v", ws[i].Key, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return db, rootID, childID
}

// showClusterJSON runs cluster show --json and decodes its output,
// refusing fields clusterView does not know.
func showClusterJSON(t *testing.T, args ...string) clusterView {
	t.Helper()
	o := mustRun(t, append([]string{"cluster", "show", "--json"}, args...)...)
	if strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("cluster show %v: want one JSON line, got:\n%s", args, o.stdout)
	}
	dec := json.NewDecoder(strings.NewReader(o.stdout))
	dec.DisallowUnknownFields()
	var v clusterView
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("cluster show %v: %v\n%s", args, err, o.stdout)
	}
	return v
}

func TestClusterShowResolvesToRoot(t *testing.T) {
	t.Parallel()
	db, rootID, childID := clusterDB(t)
	cases := []struct {
		arg, asked string
		path       []string
	}{
		{"acct-a", rootID, []string{rootID}},
		{rootID, rootID, []string{rootID}},
		{childID, childID, []string{childID, rootID}},
		{"acct-b", childID, []string{childID, rootID}}, // a child's member
	}
	for _, tc := range cases {
		v := showClusterJSON(t, "--db", db, tc.arg)
		if v.ID != rootID || v.Asked != tc.arg || v.AskedCluster != tc.asked || !slices.Equal(v.Path, tc.path) {
			t.Errorf("show %s: id %s, asked %s in %s, path %v; want root %s, asked in %s, path %v",
				tc.arg, v.ID, v.Asked, v.AskedCluster, v.Path, rootID, tc.asked, tc.path)
		}
	}
}

func TestClusterShowJSON(t *testing.T) {
	t.Parallel()
	db, rootID, childID := clusterDB(t)
	v := showClusterJSON(t, "--db", db, childID)
	if v.Size != 5 || v.Queued != 3 || v.Suspended != 1 || v.Released != 1 {
		t.Errorf("size %d queued %d suspended %d released %d, want 5 3 1 1", v.Size, v.Queued, v.Suspended, v.Released)
	}
	if len(v.Children) != 1 || v.Children[0].ID != childID || v.Children[0].Size != 2 {
		t.Errorf("children %+v, want %s of 2", v.Children, childID)
	}
	if v.Judged == nil || v.Judged.Verdict != "suspend" || v.Judged.Score != 91 || v.Judged.At != "2027-01-15T09:00:00Z" {
		t.Errorf("judged %+v", v.Judged)
	}
	if v.Sweep == nil || v.Sweep.Level != "suspend" || v.Sweep.Page != 2 || v.Sweep.Offset != 1 || v.Sweep.Done {
		t.Errorf("sweep %+v", v.Sweep)
	}
	// Weights: device condemned all it linked, recovery email none.
	weights := map[string]float64{}
	for _, k := range v.Kinds {
		weights[k.Kind] = k.Weight
	}
	if len(v.Kinds) != 2 || weights["device"] < 0.7 || weights["recovery-email"] != 0.05 {
		t.Errorf("kinds %+v: want device weighing more than 0.7, recovery-email 0.05", v.Kinds)
	}
	if v.Listed != 5 || len(v.Members) != 5 || v.Omitted != 0 {
		t.Fatalf("listed %d, members %d, omitted %d; want 5 5 0", v.Listed, len(v.Members), v.Omitted)
	}
	var order []string
	for _, m := range v.Members {
		order = append(order, m.AccountID)
	}
	if want := []string{"acct-a", "acct-c", hostileAccount, "acct-d", "acct-b"}; !slices.Equal(order, want) {
		t.Errorf("members in order %q, want by join time %q", order, want)
	}
	byAccount := map[string]clusterMemberView{}
	for _, m := range v.Members {
		byAccount[m.AccountID] = m
	}
	a, d, h, b := byAccount["acct-a"], byAccount["acct-d"], byAccount[hostileAccount], byAccount["acct-b"]
	if !slices.Equal(a.Kinds, []string{"device", "recovery-email"}) || a.Queued || a.Suspended || a.Released || a.Cluster != rootID {
		t.Errorf("acct-a: %+v", a)
	}
	if !d.Queued || !d.Suspended || d.Released || !h.Queued || h.Suspended || !h.Released {
		t.Errorf("flags: acct-d %+v, hostile %+v", d, h)
	}
	if b.Cluster != childID || !b.Queued || b.Joined != "2027-01-15T08:00:50Z" {
		t.Errorf("acct-b: %+v", b)
	}
	if len(a.Links) != 2 || a.Links[0] != (clusterLinkView{"device", "acct-d", weights["device"]}) ||
		a.Links[1] != (clusterLinkView{"recovery-email", hostileAccount, 0.05}) {
		t.Errorf("acct-a links: %+v", a.Links)
	}
}

func TestClusterShowLimit(t *testing.T) {
	t.Parallel()
	db, _, _ := clusterDB(t)
	v := showClusterJSON(t, "--db", db, "--limit", "2", "acct-d")
	if v.Listed != 5 || len(v.Members) != 2 || v.Omitted != 3 || v.Members[0].AccountID != "acct-a" || v.Members[1].AccountID != "acct-c" {
		t.Errorf("--limit 2: listed %d, members %+v, omitted %d", v.Listed, v.Members, v.Omitted)
	}
	o := mustRun(t, "cluster", "show", "acct-d", "--db", db, "--limit", "2")
	if !strings.Contains(o.stdout, "3 more not shown") || strings.Contains(o.stdout, "acct-b [") {
		t.Errorf("table with --limit 2 does not say 3 more were left out, or lists acct-b:\n%s", o.stdout)
	}
	if v := showClusterJSON(t, "--db", db, "--limit", "0", "acct-d"); len(v.Members) != 5 {
		t.Errorf("--limit 0: %d members, want all 5", len(v.Members))
	}
}

func TestClusterShowNotFound(t *testing.T) {
	t.Parallel()
	db, _, _ := clusterDB(t)
	for _, arg := range []string{"nobody-here", "c-0000000000"} {
		o := cli(t, nil, "", "cluster", "show", "--db", db, arg)
		if o.code != 1 || o.stdout != "" || !strings.Contains(o.stderr, arg) || strings.Count(o.stderr, "\n") != 1 {
			t.Errorf("show %s: exit %d, stdout %q, stderr %q; want exit 1 and one line naming it", arg, o.code, o.stdout, o.stderr)
		}
	}
	o := cli(t, nil, "", "cluster", "show", "--db", db, "x\x1b[31m\ny")
	if o.code != 1 || strings.ContainsAny(o.stderr[:len(o.stderr)-1], "\x1b\n") || !strings.Contains(o.stderr, `x\u001b[31m\u000ay`) {
		t.Errorf("unknown hostile account: exit %d, stderr %q; want it escaped", o.code, o.stderr)
	}
	if o := cli(t, nil, "", "cluster", "show", "--db", db); o.code != 2 {
		t.Errorf("no argument: exit %d, want 2", o.code)
	}
}

func TestClusterShowEscapesHostileText(t *testing.T) {
	t.Parallel()
	db, rootID, _ := clusterDB(t)
	for _, args := range [][]string{{rootID}, {hostileAccount}, {"--json", rootID}, {"--json", "--pretty", hostileAccount}} {
		o := mustRun(t, append([]string{"cluster", "show", "--db", db}, args...)...)
		if strings.Contains(o.stdout, "\x1b") || strings.Contains(o.stdout, "evil\n") || strings.Contains(o.stdout, "\nred") {
			t.Errorf("show %q prints the hostile account raw:\n%s", args, o.stdout)
		}
		if !strings.Contains(o.stdout, `evil\u001b[31m\u000ared`) && !strings.Contains(o.stdout, `evil\u001b[31m\nred`) {
			t.Errorf("show %q does not print the hostile account escaped:\n%s", args, o.stdout)
		}
	}
	// The table: the hostile account on its own row and as acct-a's peer.
	o := mustRun(t, "cluster", "show", "--db", db, "acct-a")
	if n := strings.Count(o.stdout, `evil\u001b[31m\u000ared`); n != 2 {
		t.Errorf("table names the hostile account %d times, want 2 (its row, acct-a's link):\n%s", n, o.stdout)
	}
	if !strings.Contains(o.stdout, "cluster   "+rootID) || !strings.Contains(o.stdout, "suspend, score 91") {
		t.Errorf("table:\n%s", o.stdout)
	}
}
