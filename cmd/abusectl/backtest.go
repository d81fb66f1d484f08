package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/objects"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/setup"
	"github.com/mailtrust/abusescan/internal/synth"
)

// Detection targets (DESIGN.md): campaigns found at 95% or more; fewer than
// 1 in 2,000 genuine accounts queued for suspension, 1 in 200 for review.
const (
	targetRecall        = 0.95
	targetGenuineSusp   = 1.0 / 2000
	targetGenuineReview = 1.0 / 200
)

// errTargets marks a backtest whose figures miss the targets (exit 1 with
// --check).
var errTargets = errors.New("detection targets missed")

func cmdBacktest(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("backtest")
	var scan scanFlags
	scan.register(fs, getenv)
	scenario := fs.String("scenario", "backtest", "generated labelled scenario to run when no FILE is given: demo or backtest")
	seed := fs.Int64("seed", 0, "with --scenario: seed of the generated traffic (0: the scenario's own)")
	labels := fs.String("labels", "", "labels of FILE: JSON Lines of {accountId, campaign, kind}; campaign \"\" = genuine")
	check := fs.Bool("check", false, "exit 1 when a detection target is missed")
	format := fs.String("format", "json", "json (the figures as one JSON line) or table (a report for people)")
	_ = fs.Bool("json", false, "the figures as JSON (the default; kept for scripts that pass it)")
	pretty := fs.Bool("pretty", false, "with --format json, indented")
	logins := fs.Bool("logins", true, "with --scenario backtest: the accounts' sign-ins too (false: signups only, as before login scoring)")
	messages := fs.Bool("messages", true, "with --scenario backtest: the accounts' outbound messages too (false: as before message scoring)")
	objectsDir := fs.String("objects", "", "with FILE: folder of its Mailbox Message Sent objects (DIR/BUCKET/KEY)")
	keep := fs.String("db", "", "keep the replay's embedded store in this new file, to read its queue and clusters (abusectl cluster show --db FILE)")
	explain := fs.Int("explain", 0, "list up to N genuine accounts queued and N campaign accounts missed, with their reasons")
	// README and usage put --labels after FILE.
	if err := parseAnywhere(fs, args); err != nil {
		return err
	}
	if *format != "json" && *format != "table" {
		return fmt.Errorf("%w: --format %q: want json or table", errUsage, *format)
	}
	var lines [][]byte
	var labs []synth.Label
	var err error
	switch {
	case fs.NArg() == 1:
		if *labels == "" {
			return fmt.Errorf("%w: FILE needs --labels", errUsage)
		}
		if lines, err = readLines(fs.Arg(0)); err != nil {
			return err
		}
		if labs, err = readLabels(*labels); err != nil {
			return err
		}
		if *objectsDir != "" {
			dir, err := objects.OpenDir(*objectsDir, 0)
			if err != nil {
				return err
			}
			defer dir.Close()
			scan.objects = dir
		}
	case fs.NArg() == 0:
		var objs *synth.Objects
		if lines, labs, objs, err = generate(*scenario, *seed, *logins, *messages); err != nil {
			return err
		}
		if objs != nil {
			scan.objects = objs
		}
	default:
		return fmt.Errorf("%w: at most one FILE", errUsage)
	}

	dir, err := os.MkdirTemp("", "abusectl-backtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sf := storeFlags{kind: "embedded", db: filepath.Join(dir, "backtest.db")}
	if *keep != "" {
		// A store of its own, kept for abusectl cluster show and queue.
		if _, err := os.Stat(*keep); err == nil {
			return fmt.Errorf("%w: --db %s: already exists; the backtest writes a new store", errUsage, *keep)
		}
		sf.db = *keep
	}
	st, closeStore, err := sf.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeStore()
	// A generated scenario may lie in the future: no receiver's clock.
	sc, err := scan.build(st, getenv, stderr, setup.Clock{History: true})
	if err != nil {
		return err
	}
	defer sc.Close()

	verdicts := map[string]verdictOf{}
	signedIn := map[string]bool{}
	var t tally
	recs := make([]pipeline.Record, 0, scan.batch)
	flush := func() {
		for _, r := range sc.Pipeline.Process(ctx, recs) {
			t.add(r)
			if r.Err != nil || r.Duplicate || r.Skipped != "" {
				continue
			}
			if r.Kind == event.KindLogin {
				signedIn[r.AccountID] = true
			}
			v := verdicts[r.AccountID]
			if rank(r.Verdict) > rank(v.verdict) || v.verdict == "" {
				v = verdictOf{verdict: r.Verdict, score: r.Score}
				for _, reason := range r.Reasons {
					v.rules = append(v.rules, reason.Rule)
					v.detail = append(v.detail, fmt.Sprintf("%s(%+d): %s", reason.Rule, reason.Points, reason.Detail))
				}
			}
			verdicts[r.AccountID] = v
		}
		recs = recs[:0]
	}
	for i, b := range lines {
		recs = append(recs, pipeline.Record{ID: fmt.Sprintf("line %d", i+1), Body: b})
		if len(recs) == cap(recs) {
			flush()
		}
	}
	flush()
	roots, err := finishClusters(ctx, sc.Pipeline, st, labs, verdicts)
	if err != nil {
		return err
	}

	rep := evaluate(labs, verdicts, signedIn)
	rep.countClusters(labs, roots)
	rep.Events = t.read
	rep.RulesVersion = sc.Rules.Version()
	explainTo := stdout
	if *format == "json" {
		explainTo = stderr // standard output stays one JSON line
		indent := ""
		if *pretty {
			indent = "  "
		}
		if err := WriteJSON(stdout, rep, indent); err != nil {
			return err
		}
	} else {
		rep.print(stdout)
	}
	if *explain > 0 {
		explainCases(explainTo, labs, verdicts, *explain)
	}
	if *check && !rep.Pass {
		return errTargets
	}
	return nil
}

type verdictOf struct {
	verdict pipeline.Verdict
	score   int
	rules   []string
	detail  []string
}

func rank(v pipeline.Verdict) int {
	switch v {
	case pipeline.Suspend:
		return 2
	case pipeline.Review:
		return 1
	}
	return 0
}

// group is the figures of one label group (a campaign, a genuine kind).
type group struct {
	Name     string  `json:"name"`
	Genuine  bool    `json:"genuine"`
	Accounts int     `json:"accounts"`
	Suspend  int     `json:"suspend"`
	Review   int     `json:"review"`
	Rate     float64 `json:"rate"` // queued (suspend or review) / accounts
	// Clustered accounts are in a campaign cluster, in Clusters clusters,
	// Largest of them in the largest.
	Clustered int `json:"clustered"`
	Clusters  int `json:"clusters"`
	Largest   int `json:"largestCluster"`
}

// report is a backtest's result.
type report struct {
	Events       int    `json:"events"`
	RulesVersion string `json:"rulesVersion"`
	Campaign     group  `json:"campaign"`
	Genuine      group  `json:"genuine"`
	// SignedIn is the genuine accounts that signed in: the ones login rules
	// could queue, so the login rules' false positives are measured on them.
	SignedIn    group    `json:"genuineSignedIn"`
	Precision   float64  `json:"precision"` // campaign accounts among the queued
	Recall      float64  `json:"recall"`    // campaign accounts queued
	SuspendRate float64  `json:"genuineSuspendRate"`
	ReviewRate  float64  `json:"genuineReviewRate"`
	ByCampaign  []group  `json:"byCampaign"`
	ByKind      []group  `json:"byKind"`
	FalseRules  []string `json:"rulesOnGenuineQueued"` // rules behind genuine accounts queued, most frequent first
	Pass        bool     `json:"pass"`
}

func evaluate(labs []synth.Label, verdicts map[string]verdictOf, signedIn map[string]bool) report {
	rep := report{Campaign: group{Name: "all campaigns"}, Genuine: group{Name: "all genuine", Genuine: true},
		SignedIn: group{Name: "genuine that sign in", Genuine: true}}
	byCampaign := map[string]*group{}
	byKind := map[string]*group{}
	ruleCount := map[string]int{}
	for _, l := range labs {
		v := verdicts[l.AccountID]
		genuine := l.Campaign == ""
		groups := []*group{&rep.Genuine, get(byKind, l.Kind, genuine)}
		if genuine && signedIn[l.AccountID] {
			groups = append(groups, &rep.SignedIn)
		}
		if !genuine {
			groups = []*group{&rep.Campaign, get(byKind, l.Kind, false), get(byCampaign, l.Campaign, false)}
		}
		for _, g := range groups {
			g.Accounts++
			switch v.verdict {
			case pipeline.Suspend:
				g.Suspend++
			case pipeline.Review:
				g.Review++
			}
		}
		if genuine && rank(v.verdict) > 0 {
			for _, r := range v.rules {
				ruleCount[r]++
			}
		}
	}
	finish := func(g *group) {
		if g.Accounts > 0 {
			g.Rate = float64(g.Suspend+g.Review) / float64(g.Accounts)
		}
	}
	finish(&rep.Campaign)
	finish(&rep.Genuine)
	finish(&rep.SignedIn)
	rep.ByCampaign = sorted(byCampaign, finish)
	rep.ByKind = sorted(byKind, finish)
	queuedCampaign := rep.Campaign.Suspend + rep.Campaign.Review
	queuedGenuine := rep.Genuine.Suspend + rep.Genuine.Review
	if queuedCampaign+queuedGenuine > 0 {
		rep.Precision = float64(queuedCampaign) / float64(queuedCampaign+queuedGenuine)
	}
	rep.Recall = rep.Campaign.Rate
	if rep.Genuine.Accounts > 0 {
		rep.SuspendRate = float64(rep.Genuine.Suspend) / float64(rep.Genuine.Accounts)
		rep.ReviewRate = float64(rep.Genuine.Review) / float64(rep.Genuine.Accounts)
	}
	for r := range ruleCount {
		rep.FalseRules = append(rep.FalseRules, r)
	}
	slices.SortFunc(rep.FalseRules, func(a, b string) int {
		return cmp.Or(cmp.Compare(ruleCount[b], ruleCount[a]), cmp.Compare(a, b))
	})
	for i, r := range rep.FalseRules {
		rep.FalseRules[i] = fmt.Sprintf("%s (%d)", r, ruleCount[r])
	}
	campaignsOK := true
	for _, g := range rep.ByCampaign {
		if g.Rate < targetRecall {
			campaignsOK = false
		}
	}
	rep.Pass = campaignsOK && rep.Recall >= targetRecall &&
		rep.SuspendRate < targetGenuineSusp && rep.ReviewRate < targetGenuineReview
	return rep
}

// sorted returns the groups of m, campaigns first, then by name.
func sorted(m map[string]*group, finish func(*group)) []group {
	out := make([]group, 0, len(m))
	for _, g := range m {
		finish(g)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b group) int {
		if a.Genuine != b.Genuine {
			if a.Genuine {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

func get(m map[string]*group, name string, genuine bool) *group {
	g := m[name]
	if g == nil {
		g = &group{Name: name, Genuine: genuine}
		m[name] = g
	}
	return g
}

func (r report) print(w io.Writer) {
	fmt.Fprintf(w, "backtest: %d events, rules %s\n\n", r.Events, r.RulesVersion)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\taccounts\tsuspend\treview\tqueued\tin clusters\tclusters\tlargest\t")
	row := func(g group) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f%%\t%d\t%d\t%d\t\n", Escape(g.Name), g.Accounts, g.Suspend, g.Review, 100*g.Rate,
			g.Clustered, g.Clusters, g.Largest)
	}
	for _, g := range r.ByCampaign {
		row(g)
	}
	row(r.Campaign)
	for _, g := range r.ByKind {
		row(g)
	}
	row(r.Genuine)
	if r.SignedIn.Accounts > 0 {
		row(r.SignedIn)
	}
	tw.Flush()
	mark := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Fprintf(w, "\nprecision %.4f  recall %.4f\n", r.Precision, r.Recall)
	fmt.Fprintf(w, "campaign accounts queued:   %.2f%% (target >= %.0f%% overall and per campaign) %s\n", 100*r.Recall, 100*targetRecall, mark(r.Pass || r.Recall >= targetRecall))
	fmt.Fprintf(w, "genuine queued for suspend: %.4f%% (target < %.2f%%) %s\n", 100*r.SuspendRate, 100*targetGenuineSusp, mark(r.SuspendRate < targetGenuineSusp))
	fmt.Fprintf(w, "genuine queued for review:  %.4f%% (target < %.2f%%) %s\n", 100*r.ReviewRate, 100*targetGenuineReview, mark(r.ReviewRate < targetGenuineReview))
	if len(r.FalseRules) > 0 {
		fmt.Fprintf(w, "rules behind genuine accounts queued: %v\n", r.FalseRules)
	}
	if r.Pass {
		fmt.Fprintln(w, "all targets met")
	} else {
		fmt.Fprintln(w, "targets MISSED")
	}
}

// generate makes a labelled scenario in memory, and the raw messages its
// message events refer to (nil without messages).
func generate(name string, seed int64, logins, messages bool) ([][]byte, []synth.Label, *synth.Objects, error) {
	var cfg synth.Config
	switch name {
	case "demo":
		cfg = synth.Demo()
	case "backtest":
		cfg = synth.Backtest()
		// synth.Backtest() is signups only, for the signup replay benchmarks.
		cfg.Logins, cfg.Messages = logins, messages
	default:
		return nil, nil, nil, fmt.Errorf("%w: --scenario %q: want demo or backtest", errUsage, name)
	}
	if seed != 0 {
		cfg.Seed = seed
	}
	evs, labs, objs, err := synth.GenerateAll(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	lines := make([][]byte, len(evs))
	for i, e := range evs {
		if lines[i], err = event.Marshal(e); err != nil {
			return nil, nil, nil, err
		}
	}
	return lines, labs, objs, nil
}

func readLines(name string) ([][]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, line)
		}
	}
	return out, nil
}

func readLabels(name string) ([]synth.Label, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []synth.Label
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var l synth.Label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.AccountID == "" {
			return nil, fmt.Errorf("%s:%d: not a label {accountId, campaign, kind}", name, line)
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// explainCases lists genuine accounts queued and campaign accounts missed,
// with the reasons behind each: where a trust team starts tuning.
func explainCases(w io.Writer, labs []synth.Label, verdicts map[string]verdictOf, n int) {
	var fp, fn int
	fmt.Fprintln(w, "\ngenuine accounts queued:")
	for _, l := range labs {
		v := verdicts[l.AccountID]
		if l.Campaign == "" && rank(v.verdict) > 0 && fp < n {
			fp++
			fmt.Fprintf(w, "  %s [%s] %s %d: %s\n", Escape(l.AccountID), Escape(l.Kind), v.verdict, v.score, escapeAll(v.detail))
		}
	}
	fmt.Fprintln(w, "campaign accounts missed:")
	for _, l := range labs {
		v := verdicts[l.AccountID]
		if l.Campaign != "" && rank(v.verdict) == 0 && fn < n {
			fn++
			fmt.Fprintf(w, "  %s [%s %s] %d: %s\n", Escape(l.AccountID), Escape(l.Campaign), Escape(l.Kind), v.score, escapeAll(v.detail))
		}
	}
}

// finishClusters ends the replay's cluster sweeps (in a deployment, the
// next batches do) and counts, for every labelled account, what its queue
// item says: a cluster's judgement queues members after their own events
// were scored, the first ones of a wave included.
// It returns the cluster (its root) of every labelled account in one.
func finishClusters(ctx context.Context, p *pipeline.Pipeline, st store, labs []synth.Label, verdicts map[string]verdictOf) (map[string]string, error) {
	for {
		left, err := p.Sweep(ctx, 5000)
		if err != nil {
			return nil, fmt.Errorf("cluster sweep: %w", err)
		}
		if left == 0 {
			break
		}
	}
	const chunk = 500
	for start := 0; start < len(labs); start += chunk {
		ids := make([]string, 0, chunk)
		for _, l := range labs[start:min(len(labs), start+chunk)] {
			ids = append(ids, l.AccountID)
		}
		items, err := st.QueueItems(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("read queue: %w", err)
		}
		for id, it := range items {
			if it.ClusterID == "" {
				continue
			}
			v := verdicts[id]
			verdict := pipeline.Verdict(it.Action)
			if rank(verdict) > rank(v.verdict) || v.verdict == "" {
				v = verdictOf{verdict: verdict, score: it.Score}
				for _, reason := range it.Reasons {
					v.rules = append(v.rules, reason.Rule)
					v.detail = append(v.detail, fmt.Sprintf("%s(%+d): %s", reason.Rule, reason.Points, reason.Detail))
				}
				verdicts[id] = v
			}
		}
	}
	roots := map[string]string{}
	tops := map[string]string{}
	for start := 0; start < len(labs); start += chunk {
		var keys []string
		for _, l := range labs[start:min(len(labs), start+chunk)] {
			keys = append(keys, cluster.MemberKey(l.AccountID))
		}
		recs, err := st.Records(ctx, keys, false)
		if err != nil {
			return nil, fmt.Errorf("read cluster members: %w", err)
		}
		for _, l := range labs[start:min(len(labs), start+chunk)] {
			r, ok := recs[cluster.MemberKey(l.AccountID)]
			if !ok {
				continue
			}
			m, err := cluster.DecodeMember(r.Data)
			if err != nil {
				return nil, fmt.Errorf("cluster member %s: %w", l.AccountID, err)
			}
			top, ok := tops[m.Cluster]
			if !ok {
				if top, _, err = resolveCluster(ctx, st, m.Cluster); err != nil {
					return nil, err
				}
				tops[m.Cluster] = top
			}
			roots[l.AccountID] = top
		}
	}
	return roots, nil
}

// countClusters adds to each group how many of its accounts are in a
// campaign cluster, in how many clusters, and how many in the largest.
func (r *report) countClusters(labs []synth.Label, roots map[string]string) {
	by := map[string]map[string]int{} // group name -> root -> accounts
	add := func(name, root string) {
		if by[name] == nil {
			by[name] = map[string]int{}
		}
		by[name][root]++
	}
	for _, l := range labs {
		root, ok := roots[l.AccountID]
		if !ok {
			continue
		}
		add(l.Kind, root)
		if l.Campaign != "" {
			add(l.Campaign, root)
			add(r.Campaign.Name, root)
		} else {
			add(r.Genuine.Name, root)
		}
	}
	fill := func(g *group) {
		for _, n := range by[g.Name] {
			g.Clustered += n
			g.Clusters++
			g.Largest = max(g.Largest, n)
		}
	}
	fill(&r.Campaign)
	fill(&r.Genuine)
	for i := range r.ByCampaign {
		fill(&r.ByCampaign[i])
	}
	for i := range r.ByKind {
		fill(&r.ByKind[i])
	}
}
