package dynamo_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mailtrust/abusescan/internal/account"
	"github.com/mailtrust/abusescan/internal/dynamo"
	"github.com/mailtrust/abusescan/internal/dynamo/dynamotest"
)

func TestTablesFromTemplate(t *testing.T) {
	t.Parallel()
	tables, err := dynamo.TablesFromTemplate(dynamotest.Template(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 {
		t.Errorf("got %d tables, want StateTable and QueueTable", len(tables))
	}
	state, queue := tables[dynamo.StateTableID], tables[dynamo.QueueTableID]
	if state.Create == nil || queue.Create == nil {
		t.Fatalf("tables = %v", tables)
	}
	tests := []struct {
		name      string
		got, want string
	}{
		{"state key", keys(state.Create.KeySchema), "pk HASH"},
		{"state attributes", attrs(state.Create.AttributeDefinitions), "pk S"},
		{"state billing", string(state.Create.BillingMode), "PAY_PER_REQUEST"},
		{"state TTL", state.TTLAttribute, "expiresAt"},
		{"state stream", string(state.StreamViewType), ""},
		{"queue key", keys(queue.Create.KeySchema), "accountId HASH"},
		{"queue attributes", attrs(queue.Create.AttributeDefinitions), "accountId S, queueKey S, createdAt S"},
		{"queue billing", string(queue.Create.BillingMode), "PAY_PER_REQUEST"},
		{"queue TTL", queue.TTLAttribute, "expiresAt"},
		{"queue stream", string(queue.StreamViewType), "NEW_AND_OLD_IMAGES"},
		{"queue indexes", indexes(queue.Create), "byStatus(queueKey HASH, createdAt RANGE) KEYS_ONLY"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if !state.PointInTimeRecovery || !state.SSE || !queue.PointInTimeRecovery || !queue.SSE {
		t.Errorf("PITR/SSE not read: state %+v, queue %+v", state, queue)
	}
	if state.Create.TableName != nil || state.Create.ProvisionedThroughput != nil {
		t.Errorf("state CreateTableInput has a name or throughput: %+v", state.Create)
	}
}

// TestTablesFromTemplateIntrinsics: short-form tags elsewhere in the file
// parse; in the table settings read they are an error.
func TestTablesFromTemplateIntrinsics(t *testing.T) {
	t.Parallel()
	const fn = `
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Role.Arn
      Environment:
        Variables:
          TABLE: !Ref T
          NAME: !Sub '${AWS::StackName}-x'
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref T}
`
	const table = `
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Sub '${AWS::StackName}-t'
      BillingMode: %s
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 7}
      Tags: [{Key: stack, Value: !Ref AWS::StackName}]
`
	tests := []struct {
		name, billing string
		wantErr       string
	}{
		{"plain", "PROVISIONED", ""},
		{"short form in a read setting", "!Ref Billing", "BillingMode uses !Ref"},
		{"long form in a read setting", "{'Fn::If': [c, PROVISIONED, PAY_PER_REQUEST]}", "BillingMode uses Fn::If"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := "Parameters:\n  Billing: {Type: String}\nResources:" + fn + strings.Replace(table, "%s", tc.billing, 1)
			tables, err := dynamo.TablesFromTemplate([]byte(tmpl))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "resource T") {
					t.Fatalf("error = %v, want one naming resource T and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tab, ok := tables["T"]
			if !ok || len(tables) != 1 {
				t.Fatalf("tables = %v", tables)
			}
			if pt := tab.Create.ProvisionedThroughput; pt == nil || aws.ToInt64(pt.ReadCapacityUnits) != 5 || aws.ToInt64(pt.WriteCapacityUnits) != 7 {
				t.Errorf("ProvisionedThroughput = %+v", pt)
			}
		})
	}
}

func TestTablesFromTemplateErrors(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{"", "- a\n- b\n", "Resources: 3\n", "Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n", "x: [\n"} {
		if _, err := dynamo.TablesFromTemplate([]byte(tmpl)); err == nil {
			t.Errorf("TablesFromTemplate(%q) succeeded", tmpl)
		}
	}
}

// TestCreateTables creates the template's tables and checks what dynalite
// describes.
func TestCreateTables(t *testing.T) {
	t.Parallel()
	c, tabs := dynamotest.Client(t), dynamotest.Tables(t)
	out, err := c.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(tabs.Queue)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Table.TableStatus != types.TableStatusActive || len(out.Table.GlobalSecondaryIndexes) != 1 ||
		out.Table.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive {
		t.Errorf("queue table = %+v", out.Table)
	}
	// Existing tables are left as they are, data and all.
	st := dynamo.New(c, tabs)
	if errs := st.CreateAccounts(t.Context(), []account.Account{{ID: "kept", SignupEventID: "e1"}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if err := dynamo.CreateTables(t.Context(), c, dynamotest.Template(t), tabs); err != nil {
		t.Errorf("creating existing tables: %v", err)
	}
	if got, err := st.Accounts(t.Context(), []string{"kept"}); err != nil || got["kept"].SignupEventID != "e1" {
		t.Errorf("after creating existing tables, account record = %+v, %v", got, err)
	}
	if err := dynamo.CreateTables(t.Context(), c, []byte("Resources: {}\n"), dynamo.Tables{State: "s-x", Queue: "q-x"}); err == nil ||
		!strings.Contains(err.Error(), "StateTable") {
		t.Errorf("CreateTables without StateTable: %v", err)
	}
}

func keys(ks []types.KeySchemaElement) string {
	var out []string
	for _, k := range ks {
		out = append(out, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	return strings.Join(out, ", ")
}

func attrs(as []types.AttributeDefinition) string {
	var out []string
	for _, a := range as {
		out = append(out, aws.ToString(a.AttributeName)+" "+string(a.AttributeType))
	}
	return strings.Join(out, ", ")
}

func indexes(in *dynamodb.CreateTableInput) string {
	var out []string
	for _, ix := range in.GlobalSecondaryIndexes {
		out = append(out, aws.ToString(ix.IndexName)+"("+keys(ix.KeySchema)+") "+string(ix.Projection.ProjectionType))
	}
	return strings.Join(out, "; ")
}

// FuzzTablesFromTemplate holds the parser to errors, never panics, on any
// file.
func FuzzTablesFromTemplate(f *testing.F) {
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"))
	f.Add([]byte("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: !Ref X\n"))
	f.Add([]byte("Resources: [1, 2]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tables, err := dynamo.TablesFromTemplate(b)
		if err != nil {
			return
		}
		for id, tab := range tables {
			if tab.Create == nil || len(tab.Create.KeySchema) == 0 {
				t.Errorf("table %s without key schema", id)
			}
		}
	})
}
