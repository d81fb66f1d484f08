// Package dynamo is the DynamoDB storage adapter: window keys, account
// records, claims and versioned records in the state table, the suspension
// queue (spec/queue.md) in the queue table. It is the only importer of the
// DynamoDB SDK. Tables are created from template.yaml (schema.go), never
// from a second copy of it.
//
// Every write is a single-item conditional or commutative operation (no
// transactions: dynalite has none, and none is needed). Reads are strongly
// consistent, so a redelivered event sees what its first delivery wrote;
// only a caller of Records may ask for less, at half the cost.
// Every call asks for its consumed capacity and Usage adds it up.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/mailtrust/abusescan/internal/storage"
)

// Tables names the physical tables.
type Tables struct{ State, Queue string }

// Attribute names shared by both tables.
const (
	attrPK      = "pk"
	attrExpires = "expiresAt"
	accountPK   = "acct#"
)

// statusIndex is the queue table's reading index (template.yaml).
const statusIndex = "byStatus"

// workers bounds the concurrent single-item requests of one call: enough to
// hide the round trip of a batch of 100 records, few enough not to trip
// throttling on a new on-demand table.
const workers = 16

// maxBatchGet is BatchGetItem's limit of keys per request.
const maxBatchGet = 100

// Store implements the pipeline's storage over DynamoDB. It is safe for
// concurrent use.
type Store struct {
	db     *dynamodb.Client
	tables Tables

	mu    sync.Mutex
	usage Usage
}

// New returns a Store over the tables t.
func New(client *dynamodb.Client, t Tables) *Store {
	return &Store{db: client, tables: t}
}

// NewClient returns a DynamoDB client. With endpoint "" it uses the usual AWS
// configuration (environment, shared files, role). Otherwise it talks to
// endpoint (dynalite, DynamoDB Local), with static dummy credentials unless
// the environment names some, and region us-east-1 unless one is set.
func NewClient(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("dynamodb endpoint %q: want http(s)://host:port", endpoint)
		}
		env, err := config.NewEnvConfig()
		if err != nil {
			return nil, fmt.Errorf("read aws environment: %w", err)
		}
		if !env.Credentials.HasKeys() && env.SharedConfigProfile == "" && env.WebIdentityTokenFilePath == "" &&
			env.ContainerCredentialsEndpoint == "" && env.ContainerCredentialsRelativePath == "" {
			opts = append(opts, config.WithCredentialsProvider(
				credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	if endpoint != "" && cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		Retries(o)
	}), nil
}

// Retries sets how a client retries throttling and transient faults: with
// jittered backoff of at most half a second, as often as the caller's
// deadline allows (every attempt and backoff respects it; the pipeline sets
// it from the invocation's), and no client-side retry quota. The SDK's
// default, three attempts drawing on a quota, failed nearly a whole batch
// within seconds under sustained throttling; a fixed count fails some
// writes by chance when two requests in three are throttled.
func Retries(o *dynamodb.Options) {
	o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 50
		so.MaxBackoff = 500 * time.Millisecond
		so.RateLimiter = ratelimit.None
	})
}

// Usage is the cumulative cost of a Store's calls, as DynamoDB reports it
// (ReturnConsumedCapacity INDEXES).
type Usage struct {
	// Requests counts API calls, retries of unprocessed keys included.
	Requests int64
	// ReadUnits and WriteUnits are capacity units, secondary indexes
	// included.
	ReadUnits, WriteUnits float64
	// IndexWriteUnits is the part of WriteUnits spent on global secondary
	// indexes. Where the service reports no index capacity for a write to
	// the queue table (dynalite never does), it is estimated from the item
	// sizes as DynamoDB bills it: one index write per changed item, two when
	// the index key changes.
	IndexWriteUnits float64
}

// Usage returns the capacity used since New.
func (s *Store) Usage() Usage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usage
}

// count adds one call's consumed capacity. indexUnits, if not nil, estimates
// the index writes of a write the service reported none for.
func (s *Store) count(ccs []types.ConsumedCapacity, write bool, indexUnits func() float64) {
	var units, index float64
	for _, cc := range ccs {
		units += aws.ToFloat64(cc.CapacityUnits)
		for _, c := range cc.GlobalSecondaryIndexes {
			index += aws.ToFloat64(c.CapacityUnits)
		}
		for _, c := range cc.LocalSecondaryIndexes {
			index += aws.ToFloat64(c.CapacityUnits)
		}
	}
	reported := index > 0
	if write && !reported && indexUnits != nil {
		index = indexUnits()
		units += index
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage.Requests++
	if write {
		s.usage.WriteUnits += units
		s.usage.IndexWriteUnits += index
	} else {
		s.usage.ReadUnits += units
	}
}

func one(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

// parallel runs fn(i) for i in [0, n) on at most workers goroutines.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// batchGet reads the items whose key attribute keyAttr is one of keys,
// strongly consistent, 100 keys a request, retrying unprocessed keys with
// backoff. The result is keyed by the key's value.
func (s *Store) batchGet(ctx context.Context, table, keyAttr string, keys []string) (map[string]map[string]types.AttributeValue, error) {
	return s.batchRead(ctx, table, keyAttr, keys, true)
}

// batchRead is batchGet, strongly consistent only if consistent: an
// eventually consistent read costs half as much.
func (s *Store) batchRead(ctx context.Context, table, keyAttr string, keys []string, consistent bool) (map[string]map[string]types.AttributeValue, error) {
	seen := make(map[string]bool, len(keys))
	uniq := make([]map[string]types.AttributeValue, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			uniq = append(uniq, map[string]types.AttributeValue{keyAttr: &types.AttributeValueMemberS{Value: k}})
		}
	}
	chunks := (len(uniq) + maxBatchGet - 1) / maxBatchGet
	results := make([][]map[string]types.AttributeValue, chunks)
	errs := make([]error, chunks)
	parallel(chunks, func(c int) {
		results[c], errs[c] = s.batchGetChunk(ctx, table, uniq[c*maxBatchGet:min((c+1)*maxBatchGet, len(uniq))], consistent)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]map[string]types.AttributeValue, len(uniq))
	for _, items := range results {
		for _, item := range items {
			k, ok := item[keyAttr].(*types.AttributeValueMemberS)
			if !ok {
				return nil, fmt.Errorf("read %s: item without string %s", table, keyAttr)
			}
			out[k.Value] = item
		}
	}
	return out, nil
}

// maxUnprocessedRetries bounds the retries of unprocessed keys; the SDK
// already retries throttled requests themselves.
const maxUnprocessedRetries = 8

func (s *Store) batchGetChunk(ctx context.Context, table string, keys []map[string]types.AttributeValue, consistent bool) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{
				table: {Keys: keys, ConsistentRead: aws.Bool(consistent)},
			},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
		})
		if err != nil {
			return nil, fmt.Errorf("batch get from %s: %w", table, err)
		}
		s.count(res.ConsumedCapacity, false, nil)
		out = append(out, res.Responses[table]...)
		keys = res.UnprocessedKeys[table].Keys
		if len(keys) == 0 {
			return out, nil
		}
		if attempt == maxUnprocessedRetries {
			return nil, fmt.Errorf("batch get from %s: %d keys still unprocessed after %d retries", table, len(keys), attempt)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("batch get from %s: %w", table, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

// judge marks err as permanent (storage.ErrPermanent) when DynamoDB refused
// the request itself: a ValidationException (an item over 400 KB, an
// invalid expression) or an item collection over its size limit. A retry of
// the same request would be refused again.
func judge(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "ValidationException", "ItemCollectionSizeLimitExceededException":
			return fmt.Errorf("%w: %w", storage.ErrPermanent, err)
		}
	}
	return err
}

// isConditionFailed reports whether err is a failed ConditionExpression.
func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}

func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func avN(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// getS returns the string attribute name of item, "" when absent.
func getS(item map[string]types.AttributeValue, name string) (string, error) {
	switch v := item[name].(type) {
	case nil:
		return "", nil
	case *types.AttributeValueMemberS:
		return v.Value, nil
	default:
		return "", fmt.Errorf("attribute %s: want S, got %T", name, v)
	}
}

// getN returns the integer attribute name of item, 0 when absent.
func getN(item map[string]types.AttributeValue, name string) (int64, error) {
	switch v := item[name].(type) {
	case nil:
		return 0, nil
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("attribute %s: %w", name, err)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("attribute %s: want N, got %T", name, v)
	}
}

// timeLayout is how queue times are stored: RFC 3339, UTC, fixed width, so
// that the index sorts them as strings in time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// getTime parses an RFC 3339 attribute written by this package or another
// tool; the zero time when absent.
func getTime(item map[string]types.AttributeValue, name string) (time.Time, error) {
	s, err := getS(item, name)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("attribute %s: %w", name, err)
	}
	// An offset can carry a year-0 time out of the range RFC 3339 writes
	// back ("0000-01-01T00:00:00+00:01" is year -1 in UTC): such a time
	// would be stored as nothing this reader accepts.
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("attribute %s: %q is outside years 0 to 9999 in UTC", name, s)
	}
	return t.UTC(), nil
}

// reader reads attributes of an item, keeping the first error.
type reader struct {
	item map[string]types.AttributeValue
	err  error
}

func (r *reader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) s(name string) string {
	v, err := getS(r.item, name)
	r.keep(err)
	return v
}

func (r *reader) n(name string) int64 {
	v, err := getN(r.item, name)
	r.keep(err)
	return v
}

func (r *reader) time(name string) time.Time {
	v, err := getTime(r.item, name)
	r.keep(err)
	return v
}
