package window

// The implementation of Record before it was made cheap, kept as the
// reference the differential test holds Record to.

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type refRecord struct {
	fine, hour, day map[int64]int64
	members         map[string]int64 // account -> first seen (unix seconds)
}

func refParse(a Attrs) refRecord {
	var r refRecord
	for name, v := range a {
		switch {
		case strings.HasPrefix(name, memberPrefix):
			if r.members == nil {
				r.members = make(map[string]int64, 4)
			}
			r.members[name[len(memberPrefix):]] = v
		case len(name) > 1:
			idx, err := strconv.ParseInt(name[1:], 10, 64)
			if err != nil {
				continue
			}
			switch name[:1] {
			case finePrefix:
				r.fine = refPut(r.fine, idx, v)
			case hourPrefix:
				r.hour = refPut(r.hour, idx, v)
			case dayPrefix:
				r.day = refPut(r.day, idx, v)
			}
		}
	}
	return r
}

func refPut(m map[int64]int64, k, v int64) map[int64]int64 {
	if m == nil {
		m = make(map[int64]int64, 4)
	}
	m[k] += v
	return m
}

func (r refRecord) Has(account string) bool {
	_, ok := r.members[account]
	return ok
}

func (r *refRecord) Add(t time.Time, account string) Delta {
	f, h, d := buckets(t)
	r.fine = refPut(r.fine, f, 1)
	r.hour = refPut(r.hour, h, 1)
	r.day = refPut(r.day, d, 1)
	d0 := Delta{Incr: Attrs{
		finePrefix + strconv.FormatInt(f, 10): 1,
		hourPrefix + strconv.FormatInt(h, 10): 1,
		dayPrefix + strconv.FormatInt(d, 10):  1,
	}}
	if account != "" {
		if r.members == nil {
			r.members = make(map[string]int64, 4)
		}
		if _, ok := r.members[account]; !ok {
			r.members[account] = t.Unix()
			d0.SetOnce = Attrs{memberPrefix + account: t.Unix()}
		}
	}
	return d0
}

func (r refRecord) Counts(now time.Time) Counts {
	f, h, d := buckets(now)
	var c Counts
	for idx, v := range r.fine {
		if idx > f {
			continue
		}
		if idx > f-2 {
			c.Last10m += v
		}
		if idx > f-12 {
			c.Last1h += v
		}
	}
	for idx, v := range r.hour {
		if idx <= h && idx > h-24 {
			c.Last24h += v
		}
	}
	var hist int64
	for idx, v := range r.day {
		switch {
		case idx <= d && idx > d-7:
			c.Last7d += v
		}
		if idx < d && idx >= d-BaselineDays && v > 0 {
			hist += v
			c.DaysSeen++
		}
	}
	if c.DaysSeen > 0 {
		c.Usual1h = float64(hist) / float64(c.DaysSeen*24)
	}
	c.Members = len(r.members)
	return c
}

func (r refRecord) Members() []string {
	out := make([]string, 0, len(r.members))
	for a := range r.members {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.members[a], r.members[b]), strings.Compare(a, b))
	})
	return out
}

func (r refRecord) Stale(now time.Time) []string {
	f, h, d := buckets(now)
	var out []string
	for idx := range r.fine {
		if idx <= f-fineKeep {
			out = append(out, finePrefix+strconv.FormatInt(idx, 10))
		}
	}
	for idx := range r.hour {
		if idx <= h-hourKeep {
			out = append(out, hourPrefix+strconv.FormatInt(idx, 10))
		}
	}
	for idx := range r.day {
		if idx <= d-dayKeep {
			out = append(out, dayPrefix+strconv.FormatInt(idx, 10))
		}
	}
	if extra := len(r.members) - MaxMembers; extra > 0 {
		for _, a := range r.Members()[:extra] {
			out = append(out, memberPrefix+a)
		}
	}
	slices.Sort(out)
	return out
}

func (r *refRecord) Prune(now time.Time) {
	for _, name := range r.Stale(now) {
		if strings.HasPrefix(name, memberPrefix) {
			delete(r.members, name[len(memberPrefix):])
			continue
		}
		idx, _ := strconv.ParseInt(name[1:], 10, 64)
		switch name[:1] {
		case finePrefix:
			delete(r.fine, idx)
		case hourPrefix:
			delete(r.hour, idx)
		case dayPrefix:
			delete(r.day, idx)
		}
	}
}
