package dynamo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/enforce/caps"
)

// The enforcer's blast-radius guard in the state table: one item holds the
// caps' state (caps.State) for every invocation, and one item per grant
// remembers that a webhook id was counted, so that a retried call is not
// counted twice.
const (
	capsKey        = "enforce#caps"
	grantPrefix    = "enforce#grant#"
	attrCapsRecent = "recent"
	attrCapsDay    = "day"
	attrCapsCount  = "dayCount"
	attrCapsSeq    = "seq"
	attrGrantAt    = "at"
	// capsRetention keeps the caps item and the grants well past the
	// longest a stream record is retried (the mapping's maximum record
	// age), then lets TTL take them.
	capsRetention = 48 * time.Hour
	// capsAttempts bounds the conditional writes one take makes when
	// concurrent takes keep moving seq: each lost race is another's grant.
	capsAttempts = 50
)

// TakeCap takes one suspension for grant (a webhook id) from the caps l,
// shared by every invocation: granted, granted again (the id was counted
// before), or refused with the cap that was reached. A refusal writes
// nothing. Each grant is one conditional write of the caps item on its
// seq, then a put of the grant; a crash between the two counts the grant
// once more on its retry, on the safe side.
func (s *Store) TakeCap(ctx context.Context, grant string, now time.Time, l caps.Limits) (caps.Outcome, error) {
	gk := grantPrefix + grant
	got, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.State), ConsistentRead: aws.Bool(true),
		Key:                    map[string]types.AttributeValue{attrPK: avS(gk)},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return caps.Outcome{}, fmt.Errorf("read grant %s: %w", grant, err)
	}
	s.count(one(got.ConsumedCapacity), false, nil)
	if got.Item != nil {
		return caps.Outcome{Granted: true, Again: true}, nil
	}
	for attempt := 0; ; attempt++ {
		st, err := s.capsState(ctx)
		if err != nil {
			return caps.Outcome{}, err
		}
		next, refused := caps.Take(st, now, l)
		if refused != "" {
			return caps.Outcome{Refused: refused}, nil
		}
		err = s.putCaps(ctx, st.Seq, next, now)
		if err == nil {
			break
		}
		if !isConditionFailed(err) {
			return caps.Outcome{}, err
		}
		if attempt+1 >= capsAttempts {
			return caps.Outcome{}, fmt.Errorf("take cap for %s: %d concurrent takes won in a row", grant, capsAttempts)
		}
		select {
		case <-ctx.Done():
			return caps.Outcome{}, fmt.Errorf("take cap for %s: %w", grant, ctx.Err())
		case <-time.After(time.Duration(rand.N(20)+1) * time.Millisecond):
		}
	}
	put, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.tables.State),
		Item: map[string]types.AttributeValue{
			attrPK: avS(gk), attrGrantAt: avS(formatTime(now)),
			attrExpires: avN(now.Add(capsRetention).Unix()),
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return caps.Outcome{}, fmt.Errorf("put grant %s: %w", grant, err)
	}
	s.count(one(put.ConsumedCapacity), true, nil)
	return caps.Outcome{Granted: true}, nil
}

func (s *Store) capsState(ctx context.Context) (caps.State, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.tables.State), ConsistentRead: aws.Bool(true),
		Key:                    map[string]types.AttributeValue{attrPK: avS(capsKey)},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return caps.State{}, fmt.Errorf("read caps: %w", err)
	}
	s.count(one(out.ConsumedCapacity), false, nil)
	if out.Item == nil {
		return caps.State{}, nil
	}
	r := reader{item: out.Item}
	st := caps.State{Day: r.s(attrCapsDay), DayCount: int(r.n(attrCapsCount)), Seq: r.n(attrCapsSeq)}
	if r.err != nil {
		return caps.State{}, fmt.Errorf("read caps: %w", r.err)
	}
	switch v := out.Item[attrCapsRecent].(type) {
	case nil:
	case *types.AttributeValueMemberL:
		for i, e := range v.Value {
			n, ok := e.(*types.AttributeValueMemberN)
			if !ok {
				return caps.State{}, fmt.Errorf("read caps: %s[%d]: want N, got %T", attrCapsRecent, i, e)
			}
			ms, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil {
				return caps.State{}, fmt.Errorf("read caps: %s[%d]: %w", attrCapsRecent, i, err)
			}
			st.Recent = append(st.Recent, time.UnixMilli(ms).UTC())
		}
	default:
		return caps.State{}, fmt.Errorf("read caps: %s: want L, got %T", attrCapsRecent, v)
	}
	return st, nil
}

// putCaps writes next on condition that the stored seq is still prev (no
// item for 0).
func (s *Store) putCaps(ctx context.Context, prev int64, next caps.State, now time.Time) error {
	recent := make([]types.AttributeValue, len(next.Recent))
	for i, t := range next.Recent {
		recent[i] = avN(t.UnixMilli())
	}
	in := &dynamodb.PutItemInput{
		TableName: aws.String(s.tables.State),
		Item: map[string]types.AttributeValue{
			attrPK: avS(capsKey), attrCapsRecent: &types.AttributeValueMemberL{Value: recent},
			attrCapsDay: avS(next.Day), attrCapsCount: avN(int64(next.DayCount)), attrCapsSeq: avN(next.Seq),
			attrExpires: avN(now.Add(capsRetention).Unix()),
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		in.ConditionExpression = aws.String("#seq = :prev")
		in.ExpressionAttributeNames = map[string]string{"#seq": attrCapsSeq}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": avN(prev)}
	}
	out, err := s.db.PutItem(ctx, in)
	if err != nil {
		if isConditionFailed(err) {
			return err
		}
		return fmt.Errorf("write caps: %w", judge(err))
	}
	s.count(one(out.ConsumedCapacity), true, nil)
	return nil
}
