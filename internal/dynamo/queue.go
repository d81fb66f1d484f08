package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/queue"
)

// Queue item attributes (spec/queue.md), plus queueKey, the partition key of
// the byStatus index.
const (
	attrQueueAccountID = "accountId"
	attrAction         = "action"
	attrStatus         = "status"
	attrQueueScore     = "score"
	attrReasons        = "reasons"
	attrCluster        = "cluster"
	attrClusterID      = "clusterId"
	attrEventIDs       = "eventIds"
	attrQueueCreatedAt = "createdAt"
	attrUpdatedAt      = "updatedAt"
	attrVersion        = "version"
	attrQueueKey       = "queueKey"
	attrRulesVersion   = "rulesVersion"
	attrDecidedBy      = "decidedBy"
	attrNote           = "note"
	attrHistory        = "history"

	attrRule   = "rule"
	attrPoints = "points"
	attrDetail = "detail"
	attrKey    = "key"
	attrSize   = "size"

	// A history entry's attributes, besides attrNote and attrVersion.
	attrAt   = "at"
	attrBy   = "by"
	attrFrom = "from"
	attrTo   = "to"
)

// QueueItems reads queue items; absent ones are absent from the map.
// EventIDs come back sorted: the contract stores them as a string set.
func (s *Store) QueueItems(ctx context.Context, ids []string) (map[string]queue.Item, error) {
	items, err := s.batchGet(ctx, s.tables.Queue, attrQueueAccountID, ids)
	if err != nil {
		return nil, fmt.Errorf("read queue items: %w", err)
	}
	out := make(map[string]queue.Item, len(items))
	for id, item := range items {
		it, err := queueItemFrom(item)
		if err != nil {
			return nil, fmt.Errorf("read queue item %s: %w", id, err)
		}
		out[id] = it
	}
	return out, nil
}

// QueueItem reads the queue item of one account; the error wraps
// queue.ErrNotFound when there is none.
func (s *Store) QueueItem(ctx context.Context, accountID string) (queue.Item, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.tables.Queue),
		Key:                    map[string]types.AttributeValue{attrQueueAccountID: avS(accountID)},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		return queue.Item{}, fmt.Errorf("read queue item %s: %w", accountID, err)
	}
	s.count(one(out.ConsumedCapacity), false, nil)
	if out.Item == nil {
		return queue.Item{}, fmt.Errorf("read queue item %s: %w", accountID, queue.ErrNotFound)
	}
	it, err := queueItemFrom(out.Item)
	if err != nil {
		return queue.Item{}, fmt.Errorf("read queue item %s: %w", accountID, err)
	}
	return it, nil
}

// PutQueueItems puts each item on condition that its stored version is
// still PrevVersion (no item at all for 0), with one PutItem each,
// concurrently.
func (s *Store) PutQueueItems(ctx context.Context, ws []queue.Write) []error {
	errs := make([]error, len(ws))
	parallel(len(ws), func(i int) {
		errs[i] = s.putQueueItem(ctx, ws[i])
	})
	return errs
}

func (s *Store) putQueueItem(ctx context.Context, w queue.Write) error {
	in := &dynamodb.PutItemInput{
		TableName:              aws.String(s.tables.Queue),
		Item:                   queueItem(w.Item),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
		// The old item tells how many index writes the put cost.
		ReturnValues: types.ReturnValueAllOld,
	}
	if w.PrevVersion == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#id)")
		in.ExpressionAttributeNames = map[string]string{"#id": attrQueueAccountID}
	} else {
		in.ConditionExpression = aws.String("#v = :prev")
		in.ExpressionAttributeNames = map[string]string{"#v": attrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": avN(w.PrevVersion)}
	}
	out, err := s.db.PutItem(ctx, in)
	if err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("put queue item %s at version %d: %w", w.Item.AccountID, w.PrevVersion, queue.ErrConflict)
		}
		return fmt.Errorf("put queue item %s: %w", w.Item.AccountID, judge(err))
	}
	s.count(one(out.ConsumedCapacity), true, func() float64 { return indexWriteUnits(out.Attributes, in.Item) })
	return nil
}

// ListQueue returns the items of one status and action ("" for both) in
// creation order, then by account id, at most limit of them (0: all). It
// queries the byStatus index, every shard, and merges; the index is
// eventually consistent, so a write may take a moment to show.
func (s *Store) ListQueue(ctx context.Context, status queue.Status, action queue.Action, limit int) ([]queue.Item, error) {
	parts, err := queue.Partitions(status, action)
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	results := make([][]indexEntry, len(parts))
	errs := make([]error, len(parts))
	parallel(len(parts), func(i int) {
		results[i], errs[i] = s.queryPartition(ctx, parts[i], limit)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	entries := slices.Concat(results...)
	slices.SortFunc(entries, func(a, b indexEntry) int {
		return cmp.Or(strings.Compare(a.createdAt, b.createdAt), strings.Compare(a.accountID, b.accountID))
	})
	if limit > 0 && len(entries) > limit {
		entries = entries[:limit]
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.accountID
	}
	// The index holds keys only (a queue write then costs one index unit
	// whatever the reasons weigh); the items come from the table, and one
	// whose status or action changed since the index was written is left out.
	items, err := s.QueueItems(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	out := make([]queue.Item, 0, len(ids))
	for _, id := range ids {
		it, ok := items[id]
		if !ok || it.Status != status || (action != "" && it.Action != action) {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// indexEntry is one row of the byStatus index: the keys it projects.
type indexEntry struct{ accountID, createdAt string }

// queryPartition reads one partition of the index in creation order: all of
// it, or, with limit > 0, the first limit entries and any that share the
// creation time of the last of them (the index does not order those by
// account id, the merge does).
func (s *Store) queryPartition(ctx context.Context, key string, limit int) ([]indexEntry, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.tables.Queue),
		IndexName:                 aws.String(statusIndex),
		KeyConditionExpression:    aws.String("#k = :k"),
		ExpressionAttributeNames:  map[string]string{"#k": attrQueueKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": avS(key)},
		ScanIndexForward:          aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityIndexes,
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, math.MaxInt32)))
	}
	var out []indexEntry
	for {
		res, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", key, err)
		}
		s.count(one(res.ConsumedCapacity), false, nil)
		for _, item := range res.Items {
			id, err1 := getS(item, attrQueueAccountID)
			created, err2 := getS(item, attrQueueCreatedAt)
			if err := errors.Join(err1, err2); err != nil || id == "" || created == "" {
				return nil, fmt.Errorf("query %s: index entry without its keys: %v", key, err)
			}
			out = append(out, indexEntry{accountID: id, createdAt: created})
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		if limit > 0 && len(out) > limit && out[len(out)-1].createdAt != out[limit-1].createdAt {
			return out, nil
		}
		in.ExclusiveStartKey = res.LastEvaluatedKey
	}
}

// queueItem lays it out as spec/queue.md says. Optional strings, an empty
// event id set, an empty history and a nil cluster are left out; so are
// the empty strings of reasons and history entries (the creation's from).
func queueItem(it queue.Item) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrQueueAccountID: avS(it.AccountID),
		attrAction:         avS(string(it.Action)),
		attrStatus:         avS(string(it.Status)),
		attrQueueScore:     avN(int64(it.Score)),
		attrQueueCreatedAt: avS(formatTime(it.CreatedAt)),
		attrUpdatedAt:      avS(formatTime(it.UpdatedAt)),
		attrVersion:        avN(it.Version),
		attrQueueKey:       avS(it.IndexKey()),
	}
	reasons := make([]types.AttributeValue, len(it.Reasons))
	for i, r := range it.Reasons {
		m := map[string]types.AttributeValue{attrPoints: avN(int64(r.Points))}
		if r.Rule != "" {
			m[attrRule] = avS(r.Rule)
		}
		if r.Detail != "" {
			m[attrDetail] = avS(r.Detail)
		}
		reasons[i] = &types.AttributeValueMemberM{Value: m}
	}
	item[attrReasons] = &types.AttributeValueMemberL{Value: reasons}
	if c := it.Cluster; c != nil {
		m := map[string]types.AttributeValue{attrSize: avN(int64(c.Size))}
		if c.Key != "" {
			m[attrKey] = avS(c.Key)
		}
		item[attrCluster] = &types.AttributeValueMemberM{Value: m}
	}
	if ids := uniqueSorted(it.EventIDs); len(ids) > 0 {
		item[attrEventIDs] = &types.AttributeValueMemberSS{Value: ids}
	}
	for name, v := range map[string]string{
		attrRulesVersion: it.RulesVersion, attrDecidedBy: it.DecidedBy, attrNote: it.Note, attrClusterID: it.ClusterID,
	} {
		if v != "" {
			item[name] = avS(v)
		}
	}
	if it.ExpiresAt > 0 {
		item[attrExpires] = avN(it.ExpiresAt)
	}
	if len(it.History) > 0 {
		item[attrHistory] = historyValue(it.History)
	}
	return item
}

// historyValue lays out an item's history: an L of M, oldest first, times
// as RFC 3339 in UTC to the millisecond like the item's own.
func historyValue(h []queue.Change) types.AttributeValue {
	l := make([]types.AttributeValue, len(h))
	for i, c := range h {
		m := map[string]types.AttributeValue{attrAt: avS(formatTime(c.At)), attrVersion: avN(c.Version)}
		for name, v := range map[string]string{attrBy: c.By, attrFrom: c.From, attrTo: c.To, attrNote: c.Note} {
			if v != "" {
				m[name] = avS(v)
			}
		}
		l[i] = &types.AttributeValueMemberM{Value: m}
	}
	return &types.AttributeValueMemberL{Value: l}
}

func uniqueSorted(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

func queueItemFrom(item map[string]types.AttributeValue) (queue.Item, error) {
	r := reader{item: item}
	it := queue.Item{
		AccountID:    r.s(attrQueueAccountID),
		Action:       queue.Action(r.s(attrAction)),
		Status:       queue.Status(r.s(attrStatus)),
		Score:        int(r.n(attrQueueScore)),
		CreatedAt:    r.time(attrQueueCreatedAt),
		UpdatedAt:    r.time(attrUpdatedAt),
		Version:      r.n(attrVersion),
		RulesVersion: r.s(attrRulesVersion),
		ClusterID:    r.s(attrClusterID),
		DecidedBy:    r.s(attrDecidedBy),
		Note:         r.s(attrNote),
		ExpiresAt:    r.n(attrExpires),
	}
	if r.err != nil {
		return queue.Item{}, r.err
	}
	switch v := item[attrReasons].(type) {
	case nil:
	case *types.AttributeValueMemberL:
		for i, e := range v.Value {
			m, ok := e.(*types.AttributeValueMemberM)
			if !ok {
				return queue.Item{}, fmt.Errorf("attribute %s[%d]: want M, got %T", attrReasons, i, e)
			}
			r := reader{item: m.Value}
			reason := queue.Reason{Rule: r.s(attrRule), Points: int(r.n(attrPoints)), Detail: r.s(attrDetail)}
			if r.err != nil {
				return queue.Item{}, fmt.Errorf("attribute %s[%d]: %w", attrReasons, i, r.err)
			}
			it.Reasons = append(it.Reasons, reason)
		}
	default:
		return queue.Item{}, fmt.Errorf("attribute %s: want L, got %T", attrReasons, v)
	}
	switch v := item[attrCluster].(type) {
	case nil:
	case *types.AttributeValueMemberM:
		r := reader{item: v.Value}
		c := &queue.Cluster{Key: r.s(attrKey), Size: int(r.n(attrSize))}
		if r.err != nil {
			return queue.Item{}, fmt.Errorf("attribute %s: %w", attrCluster, r.err)
		}
		it.Cluster = c
	default:
		return queue.Item{}, fmt.Errorf("attribute %s: want M, got %T", attrCluster, v)
	}
	switch v := item[attrEventIDs].(type) {
	case nil:
	case *types.AttributeValueMemberSS:
		it.EventIDs = uniqueSorted(v.Value)
	default:
		return queue.Item{}, fmt.Errorf("attribute %s: want SS, got %T", attrEventIDs, v)
	}
	switch v := item[attrHistory].(type) {
	case nil:
	case *types.AttributeValueMemberL:
		for i, e := range v.Value {
			m, ok := e.(*types.AttributeValueMemberM)
			if !ok {
				return queue.Item{}, fmt.Errorf("attribute %s[%d]: want M, got %T", attrHistory, i, e)
			}
			r := reader{item: m.Value}
			c := queue.Change{
				At: r.time(attrAt), By: r.s(attrBy), From: r.s(attrFrom), To: r.s(attrTo),
				Note: r.s(attrNote), Version: r.n(attrVersion),
			}
			if r.err != nil {
				return queue.Item{}, fmt.Errorf("attribute %s[%d]: %w", attrHistory, i, r.err)
			}
			it.History = append(it.History, c)
		}
	default:
		return queue.Item{}, fmt.Errorf("attribute %s: want L, got %T", attrHistory, v)
	}
	return it, nil
}

// indexWriteUnits estimates what DynamoDB bills the byStatus index for
// replacing old (nil: none) with item: nothing if neither is in the index,
// one write if the index key stays, a delete and a put if it changes. An
// index entry is the projected keys (KEYS_ONLY) plus about 100 bytes.
func indexWriteUnits(old, item map[string]types.AttributeValue) float64 {
	units := func(m map[string]types.AttributeValue) float64 {
		if m[attrQueueKey] == nil || m[attrQueueCreatedAt] == nil {
			return 0
		}
		keys := map[string]types.AttributeValue{
			attrQueueAccountID: m[attrQueueAccountID], attrQueueKey: m[attrQueueKey], attrQueueCreatedAt: m[attrQueueCreatedAt],
		}
		return math.Ceil(float64(itemSize(keys)+100) / 1024)
	}
	o, n := units(old), units(item)
	if o == 0 || n == 0 {
		return o + n
	}
	sameKey := func(name string) bool {
		a, _ := getS(old, name)
		b, _ := getS(item, name)
		return a == b
	}
	if sameKey(attrQueueKey) && sameKey(attrQueueCreatedAt) {
		return max(o, n)
	}
	return o + n
}

// itemSize is an item's size as DynamoDB counts it: names plus values.
func itemSize(m map[string]types.AttributeValue) int {
	size := 0
	for name, v := range m {
		size += len(name) + valueSize(v)
	}
	return size
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(v.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		return 3 + len(v.Value) + itemSize(v.Value)
	default:
		return 1
	}
}
