package embedded

import (
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/mailtrust/abusescan/internal/queue"
)

// Queue items are stored in a binary encoding. A cluster sweep reads and
// rewrites the queue items of hundreds of members per batch, and decoding
// JSON was most of a replay's queue cost. Items written as JSON by
// earlier versions (they begin with '{') are still read.
//
//	itemVersion | AccountID Action Status | Score | reasons | cluster |
//	ClusterID | event ids | CreatedAt UpdatedAt | Version | RulesVersion
//	DecidedBy Note | ExpiresAt | history
//
// Strings are length-prefixed (uvarint), numbers varints, times unix
// milliseconds behind a presence byte (items are normalized to the
// millisecond, in UTC), lists a uvarint count.
const itemVersion = 1

func appendItem(dst []byte, it queue.Item) []byte {
	str := func(s string) {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	num := func(v int64) { dst = binary.AppendVarint(dst, v) }
	at := func(t time.Time) {
		if t.IsZero() {
			dst = append(dst, 0)
			return
		}
		dst = append(dst, 1)
		num(t.UnixMilli())
	}
	dst = append(dst, itemVersion)
	str(it.AccountID)
	str(string(it.Action))
	str(string(it.Status))
	num(int64(it.Score))
	dst = binary.AppendUvarint(dst, uint64(len(it.Reasons)))
	for _, r := range it.Reasons {
		str(r.Rule)
		num(int64(r.Points))
		str(r.Detail)
	}
	if it.Cluster == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		str(it.Cluster.Key)
		num(int64(it.Cluster.Size))
	}
	str(it.ClusterID)
	dst = binary.AppendUvarint(dst, uint64(len(it.EventIDs)))
	for _, id := range it.EventIDs {
		str(id)
	}
	at(it.CreatedAt)
	at(it.UpdatedAt)
	num(it.Version)
	str(it.RulesVersion)
	str(it.DecidedBy)
	str(it.Note)
	num(it.ExpiresAt)
	dst = binary.AppendUvarint(dst, uint64(len(it.History)))
	for _, c := range it.History {
		at(c.At)
		str(c.By)
		str(c.From)
		str(c.To)
		str(c.Note)
		num(c.Version)
	}
	return dst
}

// maxItemList bounds a list's count as read, before anything is made for
// it: no list of a valid item has more entries than its encoding has
// bytes.
func maxItemList(d *decoder) int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.bad = true
		return 0
	}
	return int(n)
}

func decodeItem(v []byte) (queue.Item, error) {
	if len(v) > 0 && v[0] == '{' {
		return decodeJSONItem(v)
	}
	d := decoder{b: v}
	if d.byte() != itemVersion {
		return queue.Item{}, errCorrupt
	}
	at := func() time.Time {
		if d.byte() == 0 {
			return time.Time{}
		}
		return time.UnixMilli(d.varint()).UTC()
	}
	it := queue.Item{AccountID: d.string(), Action: queue.Action(d.string()), Status: queue.Status(d.string()), Score: int(d.varint())}
	if n := maxItemList(&d); n > 0 {
		it.Reasons = make([]queue.Reason, n)
		for i := range it.Reasons {
			it.Reasons[i] = queue.Reason{Rule: d.string(), Points: int(d.varint()), Detail: d.string()}
		}
	}
	if d.byte() == 1 {
		it.Cluster = &queue.Cluster{Key: d.string(), Size: int(d.varint())}
	}
	it.ClusterID = d.string()
	if n := maxItemList(&d); n > 0 {
		it.EventIDs = make([]string, n)
		for i := range it.EventIDs {
			it.EventIDs[i] = d.string()
		}
	}
	it.CreatedAt, it.UpdatedAt = at(), at()
	it.Version = d.varint()
	it.RulesVersion, it.DecidedBy, it.Note = d.string(), d.string(), d.string()
	it.ExpiresAt = d.varint()
	if n := maxItemList(&d); n > 0 {
		it.History = make([]queue.Change, n)
		for i := range it.History {
			it.History[i] = queue.Change{At: at(), By: d.string(), From: d.string(), To: d.string(), Note: d.string(), Version: d.varint()}
		}
	}
	if d.bad || len(d.b) != 0 {
		return queue.Item{}, errCorrupt
	}
	return it, nil
}

// decodeJSONItem reads an item as versions before the binary encoding
// stored it.
func decodeJSONItem(v []byte) (queue.Item, error) {
	var it queue.Item
	if err := json.Unmarshal(v, &it); err != nil {
		return queue.Item{}, err
	}
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	for i := range it.History {
		it.History[i].At = it.History[i].At.UTC()
	}
	return it, nil
}
