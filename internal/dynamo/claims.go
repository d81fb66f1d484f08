package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/claim"
)

// Claim items live in the state table under pk = "evt#" + claim id.
const (
	claimPK        = "evt#"
	attrEventID    = "eventId"
	attrHash       = "hash"
	attrOwner      = "owner"
	attrLeaseUntil = "leaseUntil"
	attrState      = "state"
	attrResult     = "result"
	stateOpen      = "open"
	stateDone      = "done"
)

// Claims reads claims, strongly consistent; absent ones are absent from the
// map.
func (s *Store) Claims(ctx context.Context, ids []string) (map[string]claim.Claim, error) {
	pks := make([]string, len(ids))
	for i, id := range ids {
		pks[i] = claimPK + id
	}
	items, err := s.batchGet(ctx, s.tables.State, attrPK, pks)
	if err != nil {
		return nil, fmt.Errorf("read claims: %w", err)
	}
	out := make(map[string]claim.Claim, len(items))
	for pk, item := range items {
		c, err := claimFrom(item)
		if err != nil {
			return nil, fmt.Errorf("read claim %s: %w", strings.TrimPrefix(pk, claimPK), err)
		}
		out[c.ID] = c
	}
	return out, nil
}

// PutClaims writes each claim with one conditional PutItem, concurrently.
func (s *Store) PutClaims(ctx context.Context, ws []claim.Write) []error {
	errs := make([]error, len(ws))
	parallel(len(ws), func(i int) {
		errs[i] = s.putClaim(ctx, ws[i])
	})
	return errs
}

func (s *Store) putClaim(ctx context.Context, w claim.Write) error {
	in := &dynamodb.PutItemInput{
		TableName:              aws.String(s.tables.State),
		Item:                   claimItem(w.Claim),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	}
	if w.Prev == nil {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": attrPK}
	} else {
		in.ConditionExpression = aws.String("#o = :o AND #l = :l AND #s = :open")
		in.ExpressionAttributeNames = map[string]string{"#o": attrOwner, "#l": attrLeaseUntil, "#s": attrState}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":o": avS(w.Prev.Owner), ":l": avN(w.Prev.LeaseUntil), ":open": avS(stateOpen),
		}
	}
	out, err := s.db.PutItem(ctx, in)
	if err == nil {
		s.count(one(out.ConsumedCapacity), true, nil)
		return nil
	}
	if !isConditionFailed(err) {
		return fmt.Errorf("put claim %s: %w", w.Claim.ID, judge(err))
	}
	// The SDK may have retried a put whose first answer was lost: then the
	// stored claim is this very write, and it succeeded.
	got, rerr := s.Claims(ctx, []string{w.Claim.ID})
	if rerr != nil {
		return fmt.Errorf("put claim %s: %w", w.Claim.ID, errors.Join(claim.ErrConflict, rerr))
	}
	if c, ok := got[w.Claim.ID]; ok && claim.Same(c, w.Claim) {
		return nil
	}
	return fmt.Errorf("put claim %s: %w", w.Claim.ID, claim.ErrConflict)
}

func claimItem(c claim.Claim) map[string]types.AttributeValue {
	state := stateOpen
	if c.Done {
		state = stateDone
	}
	item := map[string]types.AttributeValue{
		attrPK:         avS(claimPK + c.ID),
		attrEventID:    avS(c.EventID),
		attrHash:       avS(c.Hash),
		attrOwner:      avS(c.Owner),
		attrLeaseUntil: avN(c.LeaseUntil),
		attrState:      avS(state),
	}
	if len(c.Result) > 0 {
		item[attrResult] = &types.AttributeValueMemberB{Value: c.Result}
	}
	if c.Expires > 0 {
		item[attrExpires] = avN(c.Expires)
	}
	return item
}

func claimFrom(item map[string]types.AttributeValue) (claim.Claim, error) {
	r := reader{item: item}
	pk := r.s(attrPK)
	c := claim.Claim{
		ID:         strings.TrimPrefix(pk, claimPK),
		EventID:    r.s(attrEventID),
		Hash:       r.s(attrHash),
		Owner:      r.s(attrOwner),
		LeaseUntil: r.n(attrLeaseUntil),
		Done:       r.s(attrState) == stateDone,
		Expires:    r.n(attrExpires),
	}
	switch v := item[attrResult].(type) {
	case nil:
	case *types.AttributeValueMemberB:
		c.Result = v.Value
	default:
		r.keep(fmt.Errorf("attribute %s: want B, got %T", attrResult, v))
	}
	return c, r.err
}
