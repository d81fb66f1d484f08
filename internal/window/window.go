// Package window keeps sliding-window counts and shared-attribute sets for
// one attribute value (an IP, a /24, an ASN, a device, a recovery contact, a
// username template): how many signups it had in the last 10 minutes, hour,
// day and week, its usual rate over the previous four weeks (the baseline a
// carrier NAT or a campus is judged against), and the recent accounts that
// share it.
//
// A Record is stored as a flat set of named integer attributes so that every
// storage adapter can apply a Delta with commutative, single-item operations
// (DynamoDB UpdateItem ADD / SET if_not_exists / REMOVE), with no read-modify-
// write race between concurrent writers. The names are this package's
// business: adapters store and return them verbatim.
package window

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of attribute a key counts.
type Kind string

// The counted attribute kinds. Values of Device, RecoveryEmail and
// RecoveryPhone are keyed hashes, never the raw value.
const (
	IP            Kind = "ip"
	Prefix        Kind = "net" // IPv4 /24, IPv6 /48
	ASN           Kind = "asn"
	Device        Kind = "dev"
	RecoveryEmail Kind = "rem"
	RecoveryPhone Kind = "rph"
	Template      Kind = "tpl"
)

// Kinds lists every kind, in the order signals are named.
var Kinds = []Kind{IP, Prefix, ASN, Device, RecoveryEmail, RecoveryPhone, Template}

// Key names one counted value: "net#198.51.100.0/24".
type Key string

// NewKey returns the key of value v of kind k.
func NewKey(k Kind, v string) Key { return Key(string(k) + "#" + v) }

// Kind returns the kind part of the key.
func (k Key) Kind() Kind {
	kind, _, _ := strings.Cut(string(k), "#")
	return Kind(kind)
}

// Value returns the value part of the key.
func (k Key) Value() string {
	_, v, _ := strings.Cut(string(k), "#")
	return v
}

// Resolutions and retention. Fine buckets answer "in the last 10 minutes /
// hour", hourly ones "in the last day", daily ones "in the last week" and the
// four-week baseline.
const (
	FineStep     = 5 * time.Minute
	fineKeep     = 24 // 2 h
	hourKeep     = 48 // 2 days
	dayKeep      = 29 // today and 28 days of history
	BaselineDays = 28

	// MaxMembers bounds the shared-account set kept per key: the most recent
	// accounts. It is enough to link a campaign and to recognise a retried
	// event, and keeps an item of a busy key under a few KiB.
	MaxMembers = 32

	// Retention is how long a key is kept after its last event: the baseline
	// needs four weeks, personal data should not outlive that.
	Retention = 30 * 24 * time.Hour
)

// Attribute name prefixes.
const (
	finePrefix   = "f"
	hourPrefix   = "h"
	dayPrefix    = "d"
	memberPrefix = "m_"
)

// Attrs is the stored form of a Record: attribute name -> integer.
type Attrs map[string]int64

// Record is one key's counts and members, as read from a store.
type Record struct {
	fine, hour, day map[int64]int64
	members         map[string]int64 // account -> first seen (unix seconds)
}

// Parse reads a Record from its stored attributes. Unknown names are ignored.
func Parse(a Attrs) Record {
	var r Record
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
				r.fine = put(r.fine, idx, v)
			case hourPrefix:
				r.hour = put(r.hour, idx, v)
			case dayPrefix:
				r.day = put(r.day, idx, v)
			}
		}
	}
	return r
}

func put(m map[int64]int64, k, v int64) map[int64]int64 {
	if m == nil {
		m = make(map[int64]int64, 4)
	}
	m[k] += v
	return m
}

// Has reports whether account is among the key's recent members, that is,
// whether its event has already been counted here.
func (r Record) Has(account string) bool {
	_, ok := r.members[account]
	return ok
}

// Add counts one event of account at t into r (the in-memory view, so later
// events of a batch see earlier ones) and returns the change to store.
func (r *Record) Add(t time.Time, account string) Delta {
	f, h, d := buckets(t)
	r.fine = put(r.fine, f, 1)
	r.hour = put(r.hour, h, 1)
	r.day = put(r.day, d, 1)
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

func buckets(t time.Time) (fine, hour, day int64) {
	u := t.Unix()
	return floorDiv(u, int64(FineStep/time.Second)), floorDiv(u, 3600), floorDiv(u, 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Counts is what signals see of a key at a moment.
type Counts struct {
	Last10m, Last1h, Last24h, Last7d int64
	// Usual1h is the key's mean hourly count over the days before today on
	// which it had any event (at most BaselineDays): 0 for a key never seen
	// before today. Averaging over active days rather than the whole window
	// keeps a young deployment, or a key that is busy on some days only (a
	// campus lab), from looking like a spike on its next busy day.
	Usual1h float64
	// DaysSeen is how many of those days had any event.
	DaysSeen int
	// Members is the number of recent accounts that share the key (at most
	// MaxMembers).
	Members int
}

// Counts returns the windowed counts at now. Windows are bucket-aligned: "10
// minutes" is the current and previous 5-minute bucket, "1 hour" the last 12
// of them, "24 hours" the last 24 hourly buckets, "7 days" the last 7 days.
func (r Record) Counts(now time.Time) Counts {
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

// Members returns the recent accounts that share the key, oldest first.
func (r Record) Members() []string {
	out := make([]string, 0, len(r.members))
	for a := range r.members {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.members[a], r.members[b]), strings.Compare(a, b))
	})
	return out
}

// Stale returns the stored attributes of r that are past retention at now:
// old buckets, and the oldest members beyond MaxMembers. Removing them in the
// same write keeps a busy key's item small.
func (r Record) Stale(now time.Time) []string {
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

// Prune drops from r what Stale reports, so the in-memory view matches the
// store after the write.
func (r *Record) Prune(now time.Time) {
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

// Delta is one write to one key: counters to add to, attributes to set only
// if absent, attributes to remove, and the new expiry. Applying the same
// Delta's SetOnce twice has the effect of once; Incr does not, which is why
// the pipeline checks membership before counting.
type Delta struct {
	Key     Key
	Incr    Attrs
	SetOnce Attrs
	Remove  []string
	// Expires is the unix time after which the whole item may be deleted
	// (the store's TTL).
	Expires int64
}

// Merge folds d2 into d: one write per key per batch.
func (d *Delta) Merge(d2 Delta) {
	for k, v := range d2.Incr {
		if d.Incr == nil {
			d.Incr = Attrs{}
		}
		d.Incr[k] += v
	}
	for k, v := range d2.SetOnce {
		if d.SetOnce == nil {
			d.SetOnce = Attrs{}
		}
		if _, ok := d.SetOnce[k]; !ok {
			d.SetOnce[k] = v
		}
	}
	for _, name := range d2.Remove {
		if !slices.Contains(d.Remove, name) {
			d.Remove = append(d.Remove, name)
		}
	}
	d.Expires = max(d.Expires, d2.Expires)
}

// Apply applies d to stored attributes a, as a store must: the reference
// semantics the storage contract tests hold every adapter to.
func Apply(a Attrs, d Delta) Attrs {
	if a == nil {
		a = Attrs{}
	}
	for _, name := range d.Remove {
		if _, inc := d.Incr[name]; inc {
			continue
		}
		delete(a, name)
	}
	for k, v := range d.Incr {
		a[k] += v
	}
	for k, v := range d.SetOnce {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}
