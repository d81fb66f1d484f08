package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/storage"
	"github.com/mailtrust/abusescan/internal/versioned"
)

// Versioned record attributes in the state table (pk = the record's key as
// the caller gives it; the expiry is the table's TTL attribute, absent
// when the record never expires).
const (
	attrRecordVersion = "v"
	attrRecordData    = "b" // absent when the data is empty
)

// Records reads versioned records; absent ones are absent from the map.
// consistent asks for a strongly consistent read, at twice the cost.
func (s *Store) Records(ctx context.Context, keys []string, consistent bool) (map[string]versioned.Record, error) {
	items, err := s.batchRead(ctx, s.tables.State, attrPK, keys, consistent)
	if err != nil {
		return nil, fmt.Errorf("read records: %w", judge(err))
	}
	out := make(map[string]versioned.Record, len(items))
	for k, item := range items {
		r, err := recordFrom(item)
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", k, err)
		}
		out[k] = r
	}
	return out, nil
}

// PutRecords writes each record with one conditional PutItem: writes of
// different keys concurrently, writes of one key in the order given.
func (s *Store) PutRecords(ctx context.Context, ws []versioned.Write) []error {
	errs := make([]error, len(ws))
	var groups [][]int // indexes into ws, one group per key
	byKey := make(map[string]int, len(ws))
	for i, w := range ws {
		g, ok := byKey[w.Key]
		if !ok {
			g = len(groups)
			byKey[w.Key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	parallel(len(groups), func(g int) {
		for _, i := range groups[g] {
			errs[i] = s.putRecord(ctx, ws[i])
		}
	})
	return errs
}

func (s *Store) putRecord(ctx context.Context, w versioned.Write) error {
	if err := w.Check(); err != nil {
		return fmt.Errorf("put record %s: %w: %w", w.Key, storage.ErrPermanent, err)
	}
	in := &dynamodb.PutItemInput{
		TableName:              aws.String(s.tables.State),
		Item:                   recordItem(w.Key, w.Record),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	}
	if w.Prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		in.ConditionExpression = aws.String("#v = :prev")
		in.ExpressionAttributeNames = map[string]string{"#v": attrRecordVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": avN(w.Prev)}
	}
	out, err := s.db.PutItem(ctx, in)
	if err == nil {
		s.count(one(out.ConsumedCapacity), true, nil)
		return nil
	}
	if !isConditionFailed(err) {
		return fmt.Errorf("put record %s: %w", w.Key, judge(err))
	}
	// The SDK may have retried a put whose first answer was lost: then the
	// stored record is this very write, and it succeeded.
	stored, ok, rerr := s.getRecord(ctx, w.Key)
	if rerr != nil {
		return fmt.Errorf("put record %s: %w", w.Key, errors.Join(versioned.ErrConflict, rerr))
	}
	if ok && versioned.Same(w, stored) {
		return nil
	}
	return fmt.Errorf("put record %s: stored version %d, not %d: %w", w.Key, stored.Version, w.Prev, versioned.ErrConflict)
}

// getRecord reads one record, strongly consistent.
func (s *Store) getRecord(ctx context.Context, key string) (versioned.Record, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.tables.State),
		Key:                    map[string]types.AttributeValue{attrPK: avS(key)},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		return versioned.Record{}, false, fmt.Errorf("read record: %w", judge(err))
	}
	s.count(one(out.ConsumedCapacity), false, nil)
	if out.Item == nil {
		return versioned.Record{}, false, nil
	}
	r, err := recordFrom(out.Item)
	if err != nil {
		return versioned.Record{}, false, fmt.Errorf("read record: %w", err)
	}
	return r, true, nil
}

func recordItem(key string, r versioned.Record) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrPK:            avS(key),
		attrRecordVersion: avN(r.Version),
	}
	if len(r.Data) > 0 {
		item[attrRecordData] = &types.AttributeValueMemberB{Value: r.Data}
	}
	if r.Expires > 0 {
		item[attrExpires] = avN(r.Expires)
	}
	return item
}

// recordFrom reads a stored record. An item without a version is no
// record: another kind of item under the same key, which a caller's key
// must never collide with.
func recordFrom(item map[string]types.AttributeValue) (versioned.Record, error) {
	r := reader{item: item}
	rec := versioned.Record{Version: r.n(attrRecordVersion), Expires: r.n(attrExpires)}
	switch v := item[attrRecordData].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		rec.Data = v.Value
	default:
		r.keep(fmt.Errorf("attribute %s: want B, got %T", attrRecordData, v))
	}
	if r.err == nil && rec.Version < 1 {
		r.keep(fmt.Errorf("attribute %s: version %d, want at least 1", attrRecordVersion, rec.Version))
	}
	return rec, r.err
}
