package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/window"
)

// Keys reads the stored attributes of keys: every number attribute of the
// item but expiresAt. Absent keys are absent from the map.
func (s *Store) Keys(ctx context.Context, keys []window.Key) (map[window.Key]window.Attrs, error) {
	pks := make([]string, len(keys))
	for i, k := range keys {
		pks[i] = string(k)
	}
	items, err := s.batchGet(ctx, s.tables.State, attrPK, pks)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	out := make(map[window.Key]window.Attrs, len(items))
	for pk, item := range items {
		a := make(window.Attrs, len(item))
		for name, v := range item {
			n, ok := v.(*types.AttributeValueMemberN)
			if !ok || name == attrExpires {
				continue
			}
			a[name], err = strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("read key %s: attribute %s: %w", pk, name, err)
			}
		}
		out[window.Key(pk)] = a
	}
	return out, nil
}

// UpdateKeys applies each delta with one UpdateItem, concurrently. Deltas of
// the same key in one call have no defined order; the pipeline merges them
// into one.
func (s *Store) UpdateKeys(ctx context.Context, deltas []window.Delta) []error {
	errs := make([]error, len(deltas))
	parallel(len(deltas), func(i int) {
		errs[i] = s.updateKey(ctx, deltas[i])
	})
	return errs
}

func (s *Store) updateKey(ctx context.Context, d window.Delta) error {
	in := updateInput(s.tables.State, d)
	out, err := s.db.UpdateItem(ctx, in)
	if err != nil {
		return fmt.Errorf("update key %s: %w", d.Key, err)
	}
	s.count(one(out.ConsumedCapacity), true, nil)
	return nil
}

// updateInput translates d into one UpdateItem with window.Apply's effect:
//
//	ADD n :v                      for each Incr
//	SET n = if_not_exists(n, :v)  for each SetOnce not also incremented
//	SET n = :v                    for each SetOnce also removed (Apply removes, then sets)
//	REMOVE n                      for each Remove neither incremented nor set
//	SET expiresAt = :e            if Expires > 0
//
// DynamoDB rejects two clauses on one path, hence the exclusions. Every name
// is a placeholder: window names such as "m_acc-1" are not valid paths.
func updateInput(table string, d window.Delta) *dynamodb.UpdateItemInput {
	n := len(d.Incr) + len(d.SetOnce) + len(d.Remove) + 1
	names := make(map[string]string, n)
	values := make(map[string]types.AttributeValue, n)
	var add, set, remove []string
	placeholder := func(name string) (string, string) {
		i := strconv.Itoa(len(names))
		names["#"+i] = name
		return "#" + i, ":" + i
	}
	for name, v := range d.Incr {
		p, val := placeholder(name)
		values[val] = avN(v)
		add = append(add, p+" "+val)
	}
	removed := make(map[string]bool, len(d.Remove))
	for _, name := range d.Remove {
		removed[name] = true
	}
	for name, v := range d.SetOnce {
		if _, inc := d.Incr[name]; inc {
			continue // present after ADD, so if_not_exists would keep it
		}
		p, val := placeholder(name)
		values[val] = avN(v)
		if removed[name] {
			set = append(set, p+" = "+val)
		} else {
			set = append(set, p+" = if_not_exists("+p+", "+val+")")
		}
	}
	for name := range removed {
		if _, inc := d.Incr[name]; inc {
			continue
		}
		if _, so := d.SetOnce[name]; so {
			continue
		}
		p, _ := placeholder(name)
		remove = append(remove, p)
	}
	if d.Expires > 0 {
		p, val := placeholder(attrExpires)
		values[val] = avN(d.Expires)
		set = append(set, p+" = "+val)
	}
	in := &dynamodb.UpdateItemInput{
		TableName:              aws.String(table),
		Key:                    map[string]types.AttributeValue{attrPK: avS(string(d.Key))},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	}
	var expr []string
	if len(add) > 0 {
		expr = append(expr, "ADD "+strings.Join(add, ", "))
	}
	if len(set) > 0 {
		expr = append(expr, "SET "+strings.Join(set, ", "))
	}
	if len(remove) > 0 {
		expr = append(expr, "REMOVE "+strings.Join(remove, ", "))
	}
	if len(expr) > 0 {
		in.UpdateExpression = aws.String(strings.Join(expr, " "))
		in.ExpressionAttributeNames = names
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	return in
}
