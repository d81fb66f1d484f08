package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/account"
)

// Account record attributes in the state table (pk = "acct#" + ID).
const (
	attrAccountID     = "id"
	attrSignupEventID = "signupEventId"
	attrCreatedAt     = "createdAt"
	attrCountry       = "country"
	attrASN           = "asn"
	attrPrefix        = "prefix"
	attrDeviceHash    = "deviceHash"
	attrScore         = "score"
	attrClaimed       = "claimed"
	attrAnonymous     = "anonymous"
	attrZone          = "zone"
	attrNameHash      = "nameHash"
)

// Accounts reads account records; absent ones are absent from the map.
func (s *Store) Accounts(ctx context.Context, ids []string) (map[string]account.Account, error) {
	pks := make([]string, len(ids))
	for i, id := range ids {
		pks[i] = accountPK + id
	}
	items, err := s.batchGet(ctx, s.tables.State, attrPK, pks)
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	out := make(map[string]account.Account, len(items))
	for pk, item := range items {
		a, err := accountFrom(item)
		if err != nil {
			return nil, fmt.Errorf("read account %s: %w", strings.TrimPrefix(pk, accountPK), err)
		}
		out[a.ID] = a
	}
	return out, nil
}

// CreateAccounts puts each record on condition that none exists, with one
// PutItem each, concurrently.
func (s *Store) CreateAccounts(ctx context.Context, as []account.Account) []error {
	errs := make([]error, len(as))
	parallel(len(as), func(i int) {
		errs[i] = s.createAccount(ctx, as[i])
	})
	return errs
}

func (s *Store) createAccount(ctx context.Context, a account.Account) error {
	out, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.tables.State),
		Item:                     accountItem(a),
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": attrPK},
		ReturnConsumedCapacity:   types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		if isConditionFailed(err) {
			return fmt.Errorf("create account %s: %w", a.ID, account.ErrExists)
		}
		return fmt.Errorf("create account %s: %w", a.ID, judge(err))
	}
	s.count(one(out.ConsumedCapacity), true, nil)
	return nil
}

// accountItem lays a out; empty strings and zero times are left out.
func accountItem(a account.Account) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		attrPK:        avS(accountPK + a.ID),
		attrAccountID: avS(a.ID),
		attrASN:       avN(int64(a.ASN)),
		attrScore:     avN(int64(a.Score)),
	}
	putS := func(name, v string) {
		if v != "" {
			item[name] = avS(v)
		}
	}
	putS(attrSignupEventID, a.SignupEventID)
	if !a.CreatedAt.IsZero() {
		putS(attrCreatedAt, a.CreatedAt.UTC().Format(time.RFC3339Nano))
	}
	putS(attrCountry, a.Country)
	putS(attrPrefix, a.Prefix)
	putS(attrDeviceHash, a.DeviceHash)
	putS(attrClaimed, a.Claimed)
	putS(attrZone, a.Zone)
	putS(attrNameHash, a.NameHash)
	if a.Anonymous {
		item[attrAnonymous] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if a.Expires > 0 {
		item[attrExpires] = avN(a.Expires)
	}
	return item
}

func accountFrom(item map[string]types.AttributeValue) (account.Account, error) {
	r := reader{item: item}
	a := account.Account{
		ID:            r.s(attrAccountID),
		SignupEventID: r.s(attrSignupEventID),
		CreatedAt:     r.time(attrCreatedAt),
		Country:       r.s(attrCountry),
		Prefix:        r.s(attrPrefix),
		DeviceHash:    r.s(attrDeviceHash),
		Claimed:       r.s(attrClaimed),
		Zone:          r.s(attrZone),
		NameHash:      r.s(attrNameHash),
		Score:         int(r.n(attrScore)),
		Expires:       r.n(attrExpires),
	}
	if b, ok := item[attrAnonymous].(*types.AttributeValueMemberBOOL); ok {
		a.Anonymous = b.Value
	}
	asn := r.n(attrASN)
	if r.err != nil {
		return account.Account{}, r.err
	}
	if asn < 0 || asn > 1<<32-1 {
		return account.Account{}, fmt.Errorf("attribute %s: %d out of range", attrASN, asn)
	}
	a.ASN = uint32(asn)
	return a, nil
}
