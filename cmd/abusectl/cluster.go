package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailtrust/abusescan/internal/cluster"
)

// cmdCluster runs `abusectl cluster show ACCOUNT|CLUSTER`: a campaign
// cluster as the scanner judged it, with its members in the order they
// joined.
func cmdCluster(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: cluster show ACCOUNT|CLUSTER", errUsage)
	}
	sub, rest := args[0], args[1:]
	if isHelp(sub) {
		return helpRequest{cmd: "cluster"}
	}
	if sub != "show" {
		return fmt.Errorf("%w: unknown cluster command %q", errUsage, sub)
	}
	flags := newFlagSet("cluster show")
	var sf storeFlags
	sf.register(flags, getenv)
	sf.mustExist = true
	asJSON := flags.Bool("json", false, "print one JSON object instead of the table for people")
	pretty := flags.Bool("pretty", false, "with --json, indent the JSON")
	limit := flags.Int("limit", 200, "print at most this many members, earliest joined first (0: all)")
	if err := parseInterleaved(flags, rest, 1); err != nil {
		return err
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --limit %d: want 0 (all) or more", errUsage, *limit)
	}
	st, closeStore, err := sf.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeStore()
	v, err := showCluster(ctx, st, flags.Arg(0), *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		indent := ""
		if *pretty {
			indent = "  "
		}
		return WriteJSON(stdout, v, indent)
	}
	return writeClusterTable(stdout, v)
}

// clusterView is what `cluster show` prints of a cluster.
type clusterView struct {
	// Asked is the argument as given; AskedCluster the cluster it names
	// (the one the account joined); Path the clusters followed from it by
	// their Parent pointers, ending at ID, the root shown.
	Asked        string   `json:"asked"`
	AskedCluster string   `json:"askedCluster"`
	Path         []string `json:"path"`
	ID           string   `json:"id"`
	Created      string   `json:"created,omitempty"`
	// The tallies of the root's pages and its children, as the root last
	// recorded them.
	Size        int                `json:"size"`
	Queued      int                `json:"queued"`
	Suspended   int                `json:"suspended"`
	Released    int                `json:"released"`
	FirstJoined string             `json:"firstJoined,omitempty"`
	Children    []clusterChildView `json:"children"`
	Judged      *clusterJudgedView `json:"judged"`
	Sweep       *clusterSweepView  `json:"sweep"`
	Kinds       []clusterKindView  `json:"kinds"`
	// Listed is how many members the pages list; Members the first Limit
	// of them by join time, Omitted the rest.
	Listed  int                 `json:"listed"`
	Limit   int                 `json:"limit"`
	Omitted int                 `json:"omitted"`
	Members []clusterMemberView `json:"members"`
}

type clusterChildView struct {
	ID   string `json:"id"`
	Size int    `json:"size"`
}

type clusterJudgedView struct {
	Verdict string `json:"verdict"`
	Score   int    `json:"score"`
	At      string `json:"at"`
}

type clusterSweepView struct {
	Level  string `json:"level"`
	Page   int    `json:"page"`
	Offset int    `json:"offset"`
	Done   bool   `json:"done"`
}

type clusterKindView struct {
	Kind   string  `json:"kind"`
	Weight float64 `json:"weight"`
	Doc    string  `json:"doc"`
}

type clusterMemberView struct {
	AccountID string `json:"accountId"`
	// Cluster is the cluster whose page lists the account: the root, or a
	// child merged into it.
	Cluster   string            `json:"cluster"`
	Joined    string            `json:"joined"`
	Kinds     []string          `json:"kinds"`
	Queued    bool              `json:"queued"`
	Suspended bool              `json:"suspended"`
	Released  bool              `json:"released"`
	Links     []clusterLinkView `json:"links"`
}

type clusterLinkView struct {
	Kind   string  `json:"kind"`
	Peer   string  `json:"peer"`
	Weight float64 `json:"weight"`
}

func unixTime(s int64) string {
	if s == 0 {
		return ""
	}
	return time.Unix(s, 0).UTC().Format(time.RFC3339)
}

// resolveCluster follows a cluster's Parent pointers to its root, at most
// cluster.MaxDepth, and returns the root's id and the ids on the way.
func resolveCluster(ctx context.Context, st store, id string) (string, []string, error) {
	path := []string{id}
	for hop := 0; ; hop++ {
		r, err := readRoot(ctx, st, id)
		if err != nil {
			return "", nil, err
		}
		if r.Parent == "" {
			return id, path, nil
		}
		if hop == cluster.MaxDepth {
			return "", nil, fmt.Errorf("cluster %s: more than %d merges above it (%s): a corrupt record", Escape(path[0]), cluster.MaxDepth, Escape(strings.Join(path, " -> ")))
		}
		id = r.Parent
		path = append(path, id)
	}
}

// showCluster reads the cluster that arg names (an account, or a cluster
// id "c-..."), follows it to its root and lists its members.
func showCluster(ctx context.Context, st store, arg string, limit int) (clusterView, error) {
	keys := []string{cluster.MemberKey(arg)}
	byID := strings.HasPrefix(arg, "c-")
	if byID {
		keys = append(keys, cluster.RootKey(arg))
	}
	recs, err := st.Records(ctx, keys, true)
	if err != nil {
		return clusterView{}, fmt.Errorf("read cluster records: %w", err)
	}
	var id string
	if _, ok := recs[cluster.RootKey(arg)]; byID && ok {
		id = arg
	} else if r, ok := recs[cluster.MemberKey(arg)]; ok {
		m, err := cluster.DecodeMember(r.Data)
		if err != nil {
			return clusterView{}, fmt.Errorf("member record of %s: %w", Escape(arg), err)
		}
		id = m.Cluster
	} else {
		return clusterView{}, fmt.Errorf("no cluster for %s: not an account in a cluster nor a cluster id", Escape(arg))
	}

	v := clusterView{Asked: arg, AskedCluster: id, Limit: limit,
		Children: []clusterChildView{}, Kinds: []clusterKindView{}, Members: []clusterMemberView{}}
	id, path, err := resolveCluster(ctx, st, id)
	if err != nil {
		return clusterView{}, err
	}
	v.Path = path
	root, err := readRoot(ctx, st, id)
	if err != nil {
		return clusterView{}, err
	}
	v.ID = id
	v.Created = unixTime(root.Created)
	t := root.Total()
	v.Size, v.Queued, v.Suspended, v.Released = t.N, t.Queued, t.Strong, t.Released
	v.FirstJoined = unixTime(t.First)
	for _, c := range root.Children {
		v.Children = append(v.Children, clusterChildView{ID: c.ID, Size: c.Tally.N})
	}
	if root.Judged.Verdict != "" || root.Judged.At != 0 {
		v.Judged = &clusterJudgedView{Verdict: root.Judged.Verdict, Score: root.Judged.Score, At: unixTime(root.Judged.At)}
	}
	if root.Sweep != (cluster.Sweep{}) {
		v.Sweep = &clusterSweepView{Level: root.Sweep.Level, Page: root.Sweep.Page, Offset: root.Sweep.Offset, Done: root.Sweep.Done}
	}

	// Pages, stats and the kinds' weights in one read.
	ids := []string{id}
	for _, c := range root.Children {
		ids = append(ids, c.ID)
	}
	keys = keys[:0]
	for _, c := range ids {
		for p := range cluster.Pages {
			keys = append(keys, cluster.PageKey(c, p))
		}
	}
	kinds := cluster.Kinds()
	for _, k := range kinds {
		keys = append(keys, cluster.StatsKey(k))
	}
	if recs, err = st.Records(ctx, keys, true); err != nil {
		return clusterView{}, fmt.Errorf("read cluster %s: %w", Escape(id), err)
	}
	weights := map[cluster.Kind]float64{}
	for _, k := range kinds {
		var s cluster.Stats
		if r, ok := recs[cluster.StatsKey(k)]; ok {
			if s, err = cluster.DecodeStats(r.Data); err != nil {
				return clusterView{}, fmt.Errorf("link statistics of %s: %w", k, err)
			}
		}
		weights[k] = s.Weight()
	}
	weight := func(k cluster.Kind) float64 {
		if w, ok := weights[k]; ok {
			return w
		}
		return (&cluster.Stats{}).Weight()
	}
	for _, k := range t.Kinds.Kinds() {
		v.Kinds = append(v.Kinds, clusterKindView{Kind: k.String(), Weight: weight(k), Doc: k.Doc()})
	}

	type listed struct {
		e     cluster.Entry
		owner string
	}
	var members []listed
	seen := map[string]int{}
	for _, c := range ids {
		for p := range cluster.Pages {
			r, ok := recs[cluster.PageKey(c, p)]
			if !ok {
				continue
			}
			page, err := cluster.DecodePage(r.Data)
			if err != nil {
				return clusterView{}, fmt.Errorf("cluster %s page %d: %w", Escape(c), p, err)
			}
			for _, e := range page.Entries {
				if i, dup := seen[e.Account]; dup {
					// Listed twice (once before a merge): the earlier
					// join stands.
					if e.Joined != 0 && e.Joined < members[i].e.Joined {
						members[i] = listed{e, c}
					}
					continue
				}
				seen[e.Account] = len(members)
				members = append(members, listed{e, c})
			}
		}
	}
	slices.SortFunc(members, func(a, b listed) int {
		return cmp.Or(cmp.Compare(a.e.Joined, b.e.Joined), strings.Compare(a.e.Account, b.e.Account))
	})
	v.Listed = len(members)
	if limit > 0 && len(members) > limit {
		v.Omitted = len(members) - limit
		members = members[:limit]
	}

	// The printed members' own records, for their links.
	keys = keys[:0]
	for _, m := range members {
		keys = append(keys, cluster.MemberKey(m.e.Account))
	}
	if len(keys) > 0 {
		if recs, err = st.Records(ctx, keys, true); err != nil {
			return clusterView{}, fmt.Errorf("read the members of cluster %s: %w", Escape(id), err)
		}
	}
	for _, m := range members {
		mv := clusterMemberView{AccountID: m.e.Account, Cluster: m.owner, Joined: unixTime(m.e.Joined),
			Kinds: []string{}, Queued: m.e.Queued, Suspended: m.e.Strong, Released: m.e.Released,
			Links: []clusterLinkView{}}
		for _, k := range m.e.Kinds.Kinds() {
			mv.Kinds = append(mv.Kinds, k.String())
		}
		if r, ok := recs[cluster.MemberKey(m.e.Account)]; ok {
			rec, err := cluster.DecodeMember(r.Data)
			if err != nil {
				return clusterView{}, fmt.Errorf("member record of %s: %w", Escape(m.e.Account), err)
			}
			for _, l := range rec.Links {
				mv.Links = append(mv.Links, clusterLinkView{Kind: l.Kind.String(), Peer: l.Peer, Weight: weight(l.Kind)})
			}
		}
		v.Members = append(v.Members, mv)
	}
	return v, nil
}

// readRoot reads and decodes the root record of cluster id.
func readRoot(ctx context.Context, st store, id string) (cluster.Root, error) {
	key := cluster.RootKey(id)
	recs, err := st.Records(ctx, []string{key}, true)
	if err != nil {
		return cluster.Root{}, fmt.Errorf("read cluster %s: %w", Escape(id), err)
	}
	r, ok := recs[key]
	if !ok {
		return cluster.Root{}, fmt.Errorf("no cluster %s: its record is missing", Escape(id))
	}
	root, err := cluster.DecodeRoot(r.Data)
	if err != nil {
		return cluster.Root{}, fmt.Errorf("cluster %s: %w", Escape(id), err)
	}
	return root, nil
}

// sweepPlace says which page a sweep is on: one of the root's own, or one
// of a child's.
func sweepPlace(page int, children []clusterChildView) string {
	if page < cluster.Pages {
		return fmt.Sprintf("own page %d", page)
	}
	i, p := page/cluster.Pages-1, page%cluster.Pages
	if i < len(children) {
		return fmt.Sprintf("page %d of child %s", p, Escape(children[i].ID))
	}
	return fmt.Sprintf("page %d of child #%d", p, i+1)
}

// writeClusterTable prints v for people; every string from the store is
// escaped.
func writeClusterTable(w io.Writer, v clusterView) error {
	esc := func(ss []string) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = Escape(s)
		}
		return strings.Join(out, " -> ")
	}
	fmt.Fprintf(w, "cluster   %s\n", Escape(v.ID))
	if len(v.Path) > 1 {
		fmt.Fprintf(w, "asked     %s: in cluster %s, merged into %s (%s)\n", Escape(v.Asked), Escape(v.AskedCluster), Escape(v.ID), esc(v.Path))
	} else {
		fmt.Fprintf(w, "asked     %s: in cluster %s, a root\n", Escape(v.Asked), Escape(v.AskedCluster))
	}
	if v.Created != "" {
		fmt.Fprintf(w, "created   %s\n", v.Created)
	}
	fmt.Fprintf(w, "size      %d (queued %d, suspended %d, released %d)", v.Size, v.Queued, v.Suspended, v.Released)
	if v.FirstJoined != "" {
		fmt.Fprintf(w, ", first joined %s", v.FirstJoined)
	}
	fmt.Fprintln(w)
	if len(v.Children) > 0 {
		parts := make([]string, len(v.Children))
		for i, c := range v.Children {
			parts[i] = fmt.Sprintf("%s (%d)", Escape(c.ID), c.Size)
		}
		fmt.Fprintf(w, "merged    %s\n", strings.Join(parts, ", "))
	}
	if j := v.Judged; j != nil {
		verdict := Escape(j.Verdict)
		if verdict == "" {
			verdict = "none"
		}
		fmt.Fprintf(w, "judged    %s, score %d, at %s\n", verdict, j.Score, j.At)
	} else {
		fmt.Fprintln(w, "judged    never")
	}
	if s := v.Sweep; s != nil {
		state := "under way"
		if s.Done {
			state = "done"
		}
		fmt.Fprintf(w, "sweep     %s %s: %s, offset %d\n", Escape(s.Level), state, sweepPlace(s.Page, v.Children), s.Offset)
	}
	if len(v.Kinds) > 0 {
		parts := make([]string, len(v.Kinds))
		for i, k := range v.Kinds {
			parts[i] = fmt.Sprintf("%s %.2f", k.Kind, k.Weight)
		}
		fmt.Fprintf(w, "kinds     %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "\nmembers   %d listed, by join time\n", v.Listed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOINED\tACCOUNT\tKINDS\tFLAGS\tLINKS")
	for _, m := range v.Members {
		var flags []string
		if m.Queued {
			flags = append(flags, "queued")
		}
		if m.Suspended {
			flags = append(flags, "suspended")
		}
		if m.Released {
			flags = append(flags, "released")
		}
		links := make([]string, len(m.Links))
		for i, l := range m.Links {
			links[i] = fmt.Sprintf("%s:%s (%.2f)", l.Kind, Escape(l.Peer), l.Weight)
		}
		account := Escape(m.AccountID)
		if m.Cluster != v.ID {
			account += " [" + Escape(m.Cluster) + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", or(m.Joined, "-"), account, or(strings.Join(m.Kinds, ","), "-"),
			or(strings.Join(flags, ","), "-"), or(strings.Join(links, " "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if v.Omitted > 0 {
		_, err := fmt.Fprintf(w, "... %d more not shown (--limit %d; --limit 0 shows all)\n", v.Omitted, v.Limit)
		return err
	}
	return nil
}
