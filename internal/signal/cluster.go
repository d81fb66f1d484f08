package signal

// Positions of the cluster signals.
const (
	cID = iota
	cSize
	cQueued
	cQueuedFraction
	cStrong
	cStrongFraction
	cReleased
	cReleasedFraction
	cNew2d
	cNew7d
	cAgeDays
	cKinds
	cLinkWeight
	cWeightSum
	cLinkKinds
	cMerged
	nCluster
)

var clusterDefs = [nCluster]Def{
	cID:               {"cluster_id", String, "the cluster's stable id"},
	cSize:             {"cluster_size", Int, "accounts in the cluster, merged clusters' included"},
	cQueued:           {"cluster_queued", Int, "members that their own events queued (review or suspend), not the cluster's judgement"},
	cQueuedFraction:   {"cluster_queued_fraction", Double, "cluster_queued / cluster_size"},
	cStrong:           {"cluster_suspended", Int, "members that their own events asked to suspend"},
	cStrongFraction:   {"cluster_suspended_fraction", Double, "cluster_suspended / cluster_size"},
	cReleased:         {"cluster_released", Int, "members a person released from the queue"},
	cReleasedFraction: {"cluster_released_fraction", Double, "cluster_released / cluster_size"},
	cNew2d:            {"cluster_new_2d", Int, "members that joined on the day of the event or the day before"},
	cNew7d:            {"cluster_new_7d", Int, "members that joined in the 7 days up to the event"},
	cAgeDays:          {"cluster_age_days", Int, "days since the cluster's first member joined"},
	cKinds:            {"cluster_kinds", Int, "kinds of link in the cluster whose learned weight is at least 0.3"},
	cLinkWeight:       {"cluster_link_weight", Double, "the highest learned weight (0..1) of the cluster's kinds of link"},
	cWeightSum:        {"cluster_weight_sum", Double, "the learned weights of the cluster's kinds of link, summed"},
	cLinkKinds:        {"cluster_link_kinds", String, "the cluster's kinds of link with their weights, strongest first (\"device 0.82, recovery-phone 0.61\")"},
	cMerged:           {"cluster_merged", Int, "clusters merged into this one"},
}

// NewClusterCatalog builds the catalog of cluster signals: what cluster
// rules are written in.
func NewClusterCatalog() *Catalog {
	c := &Catalog{index: map[string]int{}}
	c.defs = append(c.defs, clusterDefs[:]...)
	for i, d := range c.defs {
		c.index[d.Name] = i
	}
	return c
}

// ClusterInput is what is known of a cluster when it is judged.
type ClusterInput struct {
	ID                    string
	Size, Queued, Strong  int
	Released              int
	New2d, New7d, AgeDays int
	Kinds                 int
	LinkWeight, WeightSum float64
	LinkKinds             string
	Merged                int
}

// Cluster computes the signals of a cluster over cat, a NewClusterCatalog.
func Cluster(cat *Catalog, in ClusterInput) Set {
	s := Set{cat: cat, vals: make([]any, nCluster)}
	v := s.vals
	frac := func(n int) float64 {
		if in.Size == 0 {
			return 0
		}
		return float64(n) / float64(in.Size)
	}
	v[cID] = in.ID
	v[cSize] = int64(in.Size)
	v[cQueued] = int64(in.Queued)
	v[cQueuedFraction] = frac(in.Queued)
	v[cStrong] = int64(in.Strong)
	v[cStrongFraction] = frac(in.Strong)
	v[cReleased] = int64(in.Released)
	v[cReleasedFraction] = frac(in.Released)
	v[cNew2d] = int64(in.New2d)
	v[cNew7d] = int64(in.New7d)
	v[cAgeDays] = int64(in.AgeDays)
	v[cKinds] = int64(in.Kinds)
	v[cLinkWeight] = in.LinkWeight
	v[cWeightSum] = in.WeightSum
	v[cLinkKinds] = in.LinkKinds
	v[cMerged] = int64(in.Merged)
	return s
}
