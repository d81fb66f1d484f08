package pipeline

import (
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/cluster"
	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/rules"
	"github.com/mailtrust/abusescan/internal/signal"
)

// A member that only a resemblance or a public service ties to a cluster
// judged suspend, and that its own events did not condemn, is queued for
// review: a person looks first. Any identity link, or its own suspension,
// lets the cluster's verdict stand.
func TestClusterRaiseWeakLinksReview(t *testing.T) {
	rs, err := rules.ParseCluster(rules.DefaultClusterSource(), signal.NewClusterCatalog())
	if err != nil {
		t.Fatal(err)
	}
	p := &Pipeline{c: Config{Policy: decision.DefaultPolicy(), ClusterRules: rs}}
	j := judged{verdict: Suspend, score: 95, size: 40}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		e     cluster.Entry
		want  queue.Action
		score int
	}{
		{"disposable domain only", cluster.Entry{Kinds: cluster.Mask(0).With(cluster.DisposableDomain)}, queue.Review, 79},
		{"photo and text only", cluster.Entry{Kinds: cluster.Mask(0).With(cluster.Photo).With(cluster.Text)}, queue.Review, 79},
		{"a shared device", cluster.Entry{Kinds: cluster.Mask(0).With(cluster.Device).With(cluster.DisposableDomain)}, queue.Suspend, 95},
		{"reviewed on its own", cluster.Entry{Kinds: cluster.Mask(0).With(cluster.Photo), Queued: true}, queue.Review, 79},
		{"suspended on its own", cluster.Entry{Kinds: cluster.Mask(0).With(cluster.Photo), Queued: true, Strong: true}, queue.Suspend, 95},
	} {
		c.e.Account = "acc-1"
		r := p.clusterRaise("c-0123456789", j, c.e, at)
		if r == nil || r.prop.Action != c.want || r.prop.Score != c.score {
			t.Errorf("%s: %+v, want %s %d", c.name, r, c.want, c.score)
			continue
		}
		if r.prop.ClusterID != "c-0123456789" || r.prop.EventID != "cluster:c-0123456789:"+string(c.want) {
			t.Errorf("%s: cluster id %q, event %q", c.name, r.prop.ClusterID, r.prop.EventID)
		}
	}
	p.c.Policy.Shadow = true
	if r := p.clusterRaise("c-0123456789", j, cluster.Entry{Account: "acc-1"}, at); r != nil {
		t.Errorf("shadow mode queued %+v", r.prop)
	}
}
