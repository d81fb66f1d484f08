package embedded

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/mailtrust/abusescan/internal/queue"
)

// timeLayout is how the index orders creation times: fixed width, UTC, to
// the millisecond, as the DynamoDB adapter stores them.
const timeLayout = "2006-01-02T15:04:05.000Z"

// QueueItems reads queue items; absent ones are absent from the map.
func (s *Store) QueueItems(ctx context.Context, ids []string) (map[string]queue.Item, error) {
	out := make(map[string]queue.Item, len(ids))
	err := s.view(ctx, func(tx *bolt.Tx) error {
		c := bucket(tx, bucketQueue).Cursor()
		for _, id := range ids {
			v := seek(c, id)
			if v == nil {
				continue
			}
			it, err := decodeItem(v)
			if err != nil {
				return fmt.Errorf("queue item %s: %w", id, err)
			}
			out[id] = it
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read queue items: %w", err)
	}
	return out, nil
}

// QueueItem reads the queue item of one account; the error wraps
// queue.ErrNotFound when there is none.
func (s *Store) QueueItem(ctx context.Context, accountID string) (queue.Item, error) {
	items, err := s.QueueItems(ctx, []string{accountID})
	if err != nil {
		return queue.Item{}, err
	}
	it, ok := items[accountID]
	if !ok {
		return queue.Item{}, fmt.Errorf("read queue item %s: %w", accountID, queue.ErrNotFound)
	}
	return it, nil
}

// PutQueueItems writes each item if its stored version is still
// PrevVersion (0: no item may exist), in one transaction, and keeps the
// reading index in step.
func (s *Store) PutQueueItems(ctx context.Context, ws []queue.Write) []error {
	errs := make([]error, len(ws))
	return s.update(ctx, errs, func(tx *bolt.Tx) error {
		items, index := bucket(tx, bucketQueue), bucket(tx, bucketQueueIndex)
		for i, w := range ws {
			errs[i] = putItem(items, index, w)
		}
		return nil
	})
}

func putItem(items, index *bolt.Bucket, w queue.Write) error {
	id := w.Item.AccountID
	k := []byte(id)
	if v := items.Get(k); v == nil {
		if w.PrevVersion != 0 {
			return fmt.Errorf("put queue item %s at version %d: %w", id, w.PrevVersion, queue.ErrConflict)
		}
	} else {
		old, err := decodeItem(v)
		if err != nil {
			return fmt.Errorf("put queue item %s: stored item: %w", id, err)
		}
		if w.PrevVersion == 0 || old.Version != w.PrevVersion {
			return fmt.Errorf("put queue item %s at version %d: %w", id, w.PrevVersion, queue.ErrConflict)
		}
		if err := index.Delete(indexKey(old)); err != nil {
			return fmt.Errorf("put queue item %s: %w", id, err)
		}
	}
	it := normalize(w.Item)
	if err := items.Put(k, appendItem(nil, it)); err != nil {
		return fmt.Errorf("put queue item %s: %w", id, err)
	}
	if err := index.Put(indexKey(it), k); err != nil {
		return fmt.Errorf("put queue item %s: %w", id, err)
	}
	return nil
}

// normalize gives an item the form both stores keep: times in UTC to the
// millisecond (the history's too), event ids as a sorted set, nil for
// empty lists.
func normalize(it queue.Item) queue.Item {
	it.CreatedAt = it.CreatedAt.UTC().Truncate(time.Millisecond)
	it.UpdatedAt = it.UpdatedAt.UTC().Truncate(time.Millisecond)
	if len(it.History) == 0 {
		it.History = nil
	} else {
		// A copy: the caller's item keeps its own.
		it.History = slices.Clone(it.History)
		for i := range it.History {
			it.History[i].At = it.History[i].At.UTC().Truncate(time.Millisecond)
		}
	}
	if len(it.Reasons) == 0 {
		it.Reasons = nil
	}
	if len(it.EventIDs) == 0 {
		it.EventIDs = nil
	} else {
		it.EventIDs = slices.Compact(slices.Sorted(slices.Values(it.EventIDs)))
	}
	return it
}

// indexKey is the item's key in the reading index: the partition, then
// creation time and account id, so that a partition reads in list order.
func indexKey(it queue.Item) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%s", it.IndexKey(), it.CreatedAt.UTC().Format(timeLayout), it.AccountID)
}

// ListQueue returns the items of one status and action ("" for both) in
// creation order, then by account id, at most limit of them (0: all). It
// reads the index partitions of every shard and merges them.
func (s *Store) ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error) {
	parts, err := queue.Partitions(status, action)
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	type entry struct{ order, id []byte } // order: creation time \0 account id
	var out []queue.Item
	err = s.view(ctx, func(tx *bolt.Tx) error {
		var entries []entry
		c := bucket(tx, bucketQueueIndex).Cursor()
		for _, part := range parts {
			prefix := append([]byte(part), 0)
			n := 0
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if limit > 0 && n == limit {
					break
				}
				entries = append(entries, entry{order: k[len(prefix):], id: v})
				n++
			}
		}
		slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.order, b.order) })
		if limit > 0 && len(entries) > limit {
			entries = entries[:limit]
		}
		items := bucket(tx, bucketQueue)
		out = make([]queue.Item, 0, len(entries))
		for _, e := range entries {
			v := items.Get(e.id)
			if v == nil {
				return fmt.Errorf("index entry %q has no item", e.id)
			}
			it, err := decodeItem(v)
			if err != nil {
				return fmt.Errorf("queue item %s: %w", e.id, err)
			}
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return out, nil
}
