package window

import (
	"slices"
	"time"
)

// Bucket is one stored counter of a Record: the start of the interval it
// counts and its count.
type Bucket struct {
	Start time.Time
	Count int64
}

// Buckets returns r's counters at each resolution (5 minutes, an hour, a
// day), oldest first: what Counts sums, for a person to read.
func (r Record) Buckets() (fine, hourly, daily []Bucket) {
	if r.s == nil {
		return []Bucket{}, []Bucket{}, []Bucket{}
	}
	return exportBuckets(r.s.fine, FineStep), exportBuckets(r.s.hour, time.Hour), exportBuckets(r.s.day, 24*time.Hour)
}

func exportBuckets(bs []bucket, step time.Duration) []Bucket {
	out := make([]Bucket, len(bs))
	sec := int64(step / time.Second)
	for i, b := range bs {
		out[i] = Bucket{Start: time.Unix(b.idx*sec, 0).UTC(), Count: b.n}
	}
	return out
}

// Member is one recent account that shares a key, and when it was first
// counted there.
type Member struct {
	Account   string
	FirstSeen time.Time
}

// FirstSeen returns the recent accounts that share the key with the time
// each was first counted, in Members' order (oldest first).
func (r Record) FirstSeen() []Member {
	if r.s == nil {
		return []Member{}
	}
	ms := slices.Clone(r.s.members)
	slices.SortFunc(ms, older)
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{Account: m.account(), FirstSeen: time.Unix(m.first, 0).UTC()}
	}
	return out
}
