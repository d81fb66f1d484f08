package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// Logical ids of the tables in template.yaml.
const (
	StateTableID = "StateTable"
	QueueTableID = "QueueTable"
)

// Table is one AWS::DynamoDB::Table resource of the SAM template.
type Table struct {
	// Create is what CreateTable takes: attributes, keys, secondary indexes
	// and billing. TableName is left empty for the caller.
	Create *dynamodb.CreateTableInput

	// Settings of the resource that Create leaves out because dynalite does
	// not have them. Against real DynamoDB they are applied by their own
	// calls (UpdateTimeToLive, UpdateTable, UpdateContinuousBackups).

	// TTLAttribute is the attribute holding the expiry time, "" without TTL.
	TTLAttribute string
	// StreamViewType is the table's stream, "" without a stream.
	StreamViewType types.StreamViewType
	// PointInTimeRecovery reports whether continuous backups are on.
	PointInTimeRecovery bool
	// SSE reports whether server-side encryption with a KMS key is asked for
	// (tables are always encrypted at rest).
	SSE bool
}

// cfnTable is the part of AWS::DynamoDB::Table's Properties read here.
type cfnTable struct {
	BillingMode            string         `yaml:"BillingMode"`
	AttributeDefinitions   []cfnAttribute `yaml:"AttributeDefinitions"`
	KeySchema              []cfnKey       `yaml:"KeySchema"`
	GlobalSecondaryIndexes []cfnIndex     `yaml:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  []cfnIndex     `yaml:"LocalSecondaryIndexes"`
	ProvisionedThroughput  *cfnThroughput `yaml:"ProvisionedThroughput"`
	StreamSpecification    *cfnStream     `yaml:"StreamSpecification"`
	TimeToLive             *cfnTTL        `yaml:"TimeToLiveSpecification"`
	PointInTimeRecovery    *cfnPITR       `yaml:"PointInTimeRecoverySpecification"`
	SSESpecification       *cfnSSE        `yaml:"SSESpecification"`
}

// cfnFields are the Properties keys cfnTable reads; only these are checked
// for intrinsic functions.
var cfnFields = []string{
	"BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
	"LocalSecondaryIndexes", "ProvisionedThroughput", "StreamSpecification",
	"TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification",
}

type cfnAttribute struct {
	AttributeName string `yaml:"AttributeName"`
	AttributeType string `yaml:"AttributeType"`
}

type cfnKey struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

type cfnIndex struct {
	IndexName             string         `yaml:"IndexName"`
	KeySchema             []cfnKey       `yaml:"KeySchema"`
	Projection            cfnProjection  `yaml:"Projection"`
	ProvisionedThroughput *cfnThroughput `yaml:"ProvisionedThroughput"`
}

type cfnProjection struct {
	ProjectionType   string   `yaml:"ProjectionType"`
	NonKeyAttributes []string `yaml:"NonKeyAttributes"`
}

type cfnThroughput struct {
	ReadCapacityUnits  int64 `yaml:"ReadCapacityUnits"`
	WriteCapacityUnits int64 `yaml:"WriteCapacityUnits"`
}

type cfnStream struct {
	StreamViewType string `yaml:"StreamViewType"`
}

type cfnTTL struct {
	AttributeName string `yaml:"AttributeName"`
	Enabled       bool   `yaml:"Enabled"`
}

type cfnPITR struct {
	PointInTimeRecoveryEnabled bool `yaml:"PointInTimeRecoveryEnabled"`
}

type cfnSSE struct {
	SSEEnabled bool `yaml:"SSEEnabled"`
}

// TablesFromTemplate reads every AWS::DynamoDB::Table resource of a SAM or
// CloudFormation template, keyed by logical id. CloudFormation short-form
// tags (!Ref, !GetAtt, !Sub, ...) may appear anywhere else in the template;
// in the table properties read here they are an error, since their value is
// only known at deploy time.
func TablesFromTemplate(templateYAML []byte) (map[string]Table, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(templateYAML, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("parse template: not a mapping")
	}
	resources := mapValue(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("parse template: no Resources mapping")
	}
	tables := map[string]Table{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id, res := resources.Content[i].Value, resources.Content[i+1]
		typ := mapValue(res, "Type")
		if typ == nil || typ.Value != "AWS::DynamoDB::Table" {
			continue
		}
		t, err := table(mapValue(res, "Properties"))
		if err != nil {
			return nil, fmt.Errorf("template resource %s: %w", id, err)
		}
		tables[id] = t
	}
	return tables, nil
}

func table(props *yaml.Node) (Table, error) {
	if props == nil || props.Kind != yaml.MappingNode {
		return Table{}, errors.New("no Properties mapping")
	}
	for _, f := range cfnFields {
		if n := intrinsic(mapValue(props, f)); n != "" {
			return Table{}, fmt.Errorf("%s uses %s, which has no value before deployment", f, n)
		}
	}
	var p cfnTable
	if err := props.Decode(&p); err != nil {
		return Table{}, fmt.Errorf("decode Properties: %w", err)
	}
	if len(p.KeySchema) == 0 || len(p.AttributeDefinitions) == 0 {
		return Table{}, errors.New("KeySchema and AttributeDefinitions are required")
	}
	in := &dynamodb.CreateTableInput{
		AttributeDefinitions: make([]types.AttributeDefinition, 0, len(p.AttributeDefinitions)),
		KeySchema:            keySchema(p.KeySchema),
		BillingMode:          types.BillingMode(p.BillingMode),
	}
	if in.BillingMode == "" {
		in.BillingMode = types.BillingModeProvisioned
	}
	for _, a := range p.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	in.ProvisionedThroughput = throughput(p.ProvisionedThroughput)
	for _, ix := range p.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:             aws.String(ix.IndexName),
			KeySchema:             keySchema(ix.KeySchema),
			Projection:            projection(ix.Projection),
			ProvisionedThroughput: throughput(ix.ProvisionedThroughput),
		})
	}
	for _, ix := range p.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  keySchema(ix.KeySchema),
			Projection: projection(ix.Projection),
		})
	}
	t := Table{Create: in}
	if p.TimeToLive != nil && p.TimeToLive.Enabled {
		t.TTLAttribute = p.TimeToLive.AttributeName
	}
	if p.StreamSpecification != nil {
		t.StreamViewType = types.StreamViewType(p.StreamSpecification.StreamViewType)
	}
	t.PointInTimeRecovery = p.PointInTimeRecovery != nil && p.PointInTimeRecovery.PointInTimeRecoveryEnabled
	t.SSE = p.SSESpecification != nil && p.SSESpecification.SSEEnabled
	return t, nil
}

func keySchema(ks []cfnKey) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       types.KeyType(k.KeyType),
		})
	}
	return out
}

func projection(p cfnProjection) *types.Projection {
	out := &types.Projection{ProjectionType: types.ProjectionType(p.ProjectionType)}
	if len(p.NonKeyAttributes) > 0 {
		out.NonKeyAttributes = p.NonKeyAttributes
	}
	return out
}

func throughput(p *cfnThroughput) *types.ProvisionedThroughput {
	if p == nil {
		return nil
	}
	return &types.ProvisionedThroughput{
		ReadCapacityUnits:  aws.Int64(p.ReadCapacityUnits),
		WriteCapacityUnits: aws.Int64(p.WriteCapacityUnits),
	}
}

// mapValue returns the value of key in mapping m, nil if absent.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// intrinsic returns the first CloudFormation intrinsic function found in n,
// short form (a "!Ref" tag) or long form (a "Ref" or "Fn::..." key), or "".
func intrinsic(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return n.Tag
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i].Value; k == "Ref" || strings.HasPrefix(k, "Fn::") {
				return k
			}
		}
	}
	for _, c := range n.Content {
		if f := intrinsic(c); f != "" {
			return f
		}
	}
	return ""
}

// CreateTables creates the state and queue tables of the template under the
// physical names of t, and waits until they and their indexes are ACTIVE. A
// table that already exists is left as it is.
// It creates what CreateTable takes (see Table), which is what dynalite
// knows; TTL, streams and backups of a real deployment come from
// CloudFormation.
func CreateTables(ctx context.Context, client *dynamodb.Client, templateYAML []byte, t Tables) error {
	tables, err := TablesFromTemplate(templateYAML)
	if err != nil {
		return err
	}
	for _, want := range []struct{ id, name string }{{StateTableID, t.State}, {QueueTableID, t.Queue}} {
		tab, ok := tables[want.id]
		if !ok {
			return fmt.Errorf("create table %s: template has no resource %s", want.name, want.id)
		}
		in := *tab.Create
		in.TableName = aws.String(want.name)
		if _, err := client.CreateTable(ctx, &in); err != nil {
			var inUse *types.ResourceInUseException
			if !errors.As(err, &inUse) {
				return fmt.Errorf("create table %s: %w", want.name, err)
			}
		}
	}
	for _, name := range []string{t.State, t.Queue} {
		if err := waitActive(ctx, client, name); err != nil {
			return err
		}
	}
	return nil
}

// waitActive polls DescribeTable until the table and its global secondary
// indexes are ACTIVE. The SDK's waiter checks the table only, and starts
// polling after 20 seconds.
func waitActive(ctx context.Context, client *dynamodb.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("wait for table %s: %w", name, err)
		}
		active := out.Table.TableStatus == types.TableStatusActive
		for _, ix := range out.Table.GlobalSecondaryIndexes {
			active = active && ix.IndexStatus == types.IndexStatusActive
		}
		if active {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for table %s: %w", name, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}
