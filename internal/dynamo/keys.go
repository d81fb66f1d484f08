package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/storage"
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
		a, err := attrsOf(item)
		if err != nil {
			return nil, fmt.Errorf("read key %s: %w", window.Key(pk).Redacted(), err)
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
	setExpires := d.Expires > 0
	// A write is refused by its condition when its tokens are on the key
	// already, or when another writer moved the expiry past this one's; in
	// the second case it is sent again without touching the expiry. Each
	// round trip finds the expiry higher, so this ends.
	for attempt := 0; ; attempt++ {
		in := updateInput(s.tables.State, d, setExpires)
		if err := checkExpressions(in); err != nil {
			return fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
		}
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			s.count(one(out.ConsumedCapacity), true, nil)
			return nil
		}
		if !isConditionFailed(err) || attempt == 3 {
			return fmt.Errorf("update key %s: %w", d.Key.Redacted(), judge(err))
		}
		a, expires, rerr := s.readKey(ctx, d.Key)
		if rerr != nil {
			return fmt.Errorf("update key %s: %w", d.Key.Redacted(), rerr)
		}
		switch err := window.Check(a, d); {
		case errors.Is(err, window.ErrApplied):
			return nil // this write, retried by the SDK, or an earlier attempt's
		case err != nil:
			return fmt.Errorf("update key %s: %w", d.Key.Redacted(), err)
		}
		if expires >= d.Expires {
			setExpires = false
		}
	}
}

// readKey reads one key's attributes and expiry, strongly consistent.
func (s *Store) readKey(ctx context.Context, k window.Key) (window.Attrs, int64, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              aws.String(s.tables.State),
		Key:                    map[string]types.AttributeValue{attrPK: avS(string(k))},
		ConsistentRead:         aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		return nil, 0, err
	}
	s.count(one(out.ConsumedCapacity), false, nil)
	a, err := attrsOf(out.Item)
	if err != nil {
		return nil, 0, err
	}
	expires, err := getN(out.Item, attrExpires)
	return a, expires, err
}

// attrsOf returns every number attribute of item but expiresAt.
func attrsOf(item map[string]types.AttributeValue) (window.Attrs, error) {
	a := make(window.Attrs, len(item))
	for name, v := range item {
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok || name == attrExpires {
			continue
		}
		var err error
		if a[name], err = strconv.ParseInt(n.Value, 10, 64); err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
	}
	return a, nil
}

// updateInput translates d into one UpdateItem with window.Apply's effect:
//
//	ADD n :v                      for each Incr
//	SET n = if_not_exists(n, :v)  for each SetOnce not also incremented
//	SET n = :v                    for each SetOnce also removed (Apply removes, then sets)
//	REMOVE n                      for each Remove neither incremented nor set
//	SET expiresAt = :e            if setExpires
//
// on condition that none of d.Tokens is on the item and, if it sets the
// expiry, that the stored one is not later. DynamoDB rejects two clauses on
// one path, hence the exclusions. Every name is a placeholder: window names
// such as "m_acc-1" are not valid paths.
func updateInput(table string, d window.Delta, setExpires bool) *dynamodb.UpdateItemInput {
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
	tokens := make(map[string]bool, len(d.Tokens))
	for _, t := range d.Tokens {
		tokens[t] = true
	}
	for name, v := range d.SetOnce {
		if _, inc := d.Incr[name]; inc {
			continue // present after ADD, so if_not_exists would keep it
		}
		p, val := placeholder(name)
		values[val] = avN(v)
		// A token is absent by the write's condition: a plain SET, the
		// shortest clause, since an expression is at most 4 KB.
		if removed[name] || tokens[name] {
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
	var cond []string
	if setExpires {
		p, val := placeholder(attrExpires)
		values[val] = avN(d.Expires)
		set = append(set, p+" = "+val)
		cond = append(cond, "(attribute_not_exists("+p+") OR "+p+" <= "+val+")")
	}
	for _, t := range d.Tokens {
		p, ok := placeholderOf(names, t)
		if !ok {
			p, _ = placeholder(t)
		}
		cond = append(cond, "attribute_not_exists("+p+")")
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
	if len(cond) > 0 {
		in.ConditionExpression = aws.String(strings.Join(cond, " AND "))
		in.ExpressionAttributeNames = names
	}
	return in
}

// placeholderOf returns the placeholder already given to name.
func placeholderOf(names map[string]string, name string) (string, bool) {
	for p, n := range names {
		if n == name {
			return p, true
		}
	}
	return "", false
}

// KeyExpiry returns a key's expiry (unix seconds; 0 if it has none or is
// absent), for audits and the storage contract.
func (s *Store) KeyExpiry(ctx context.Context, k window.Key) (int64, error) {
	_, exp, err := s.readKey(ctx, k)
	if err != nil {
		return 0, fmt.Errorf("read key %s: %w", k.Redacted(), err)
	}
	return exp, nil
}

// maxExpression is DynamoDB's limit on one expression string. dynalite does
// not enforce it, so the adapter does: a test against dynalite fails where
// DynamoDB would.
const maxExpression = 4096

// checkExpressions refuses an update whose expressions DynamoDB would
// refuse.
func checkExpressions(in *dynamodb.UpdateItemInput) error {
	for name, e := range map[string]*string{"update": in.UpdateExpression, "condition": in.ConditionExpression} {
		if e != nil && len(*e) > maxExpression {
			return fmt.Errorf("%w: %s expression of %d bytes, over DynamoDB's %d", storage.ErrPermanent, name, len(*e), maxExpression)
		}
	}
	return nil
}
