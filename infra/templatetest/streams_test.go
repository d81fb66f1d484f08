package templatetest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mailtrust/abusescan/internal/functest"
)

// streamSource is one stream (Kinesis or DynamoDB) read by a function: an
// AWS::Lambda::EventSourceMapping of the template, or a Kinesis or DynamoDB
// event of a SAM function.
type streamSource struct {
	id       string // the mapping's logical id, or Function/Event
	function string // the function's logical id
	stream   string // the stream's logical id; "" if it is none of the template's
	props    map[string]any
	sam      bool // a SAM event, not a mapping of its own
}

// streamSources returns the template's stream sources, sorted by id.
func streamSources(tpl template) []streamSource {
	var out []streamSource
	for _, id := range ofType(tpl, "AWS::Lambda::EventSourceMapping") {
		props := mapOf(get(resources(tpl)[id], "Properties"))
		arn := props["EventSourceArn"]
		target := refTo(arn)
		_, attr := intrinsic(arn)
		isStream := get(resources(tpl)[target], "Type") == "AWS::Kinesis::Stream" ||
			slices.Equal(asList(attr), []any{target, "StreamArn"})
		if !isStream {
			continue // a queue
		}
		out = append(out, streamSource{id: id, function: refTo(props["FunctionName"]), stream: target, props: props})
	}
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		for name, ev := range mapOf(get(resources(tpl)[fn], "Properties", "Events")) {
			if typ := get(ev, "Type"); typ == "Kinesis" || typ == "DynamoDB" {
				props := mapOf(get(ev, "Properties"))
				out = append(out, streamSource{id: fn + "/" + name, function: fn, stream: refTo(props["Stream"]), props: props, sam: true})
			}
		}
	}
	slices.SortFunc(out, func(a, b streamSource) int { return strings.Compare(a.id, b.id) })
	return out
}

// TestStreamEventSources: a stream is read by a mapping of its own, so
// that the function's role is only what its policy says; the mapping
// reports partial batch failures, splits a failing batch, retries a
// bounded number of times, gives up on records before the stream drops
// them, keeps each shard in order, and names what it gave up on in an
// encrypted queue that keeps it 14 days, which the function's policy may
// send to.
func TestStreamEventSources(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	sources := streamSources(tpl)
	if len(sources) == 0 {
		t.Fatal("no stream event source")
	}
	for _, src := range sources {
		t.Run(src.id, func(t *testing.T) {
			t.Parallel()
			if src.sam {
				t.Errorf("a SAM %v event: SAM attaches a managed policy that reads every stream of the account; use an AWS::Lambda::EventSourceMapping", get(resources(tpl)[src.function], "Type"))
			}
			if get(resources(tpl)[src.function], "Type") != "AWS::Serverless::Function" {
				t.Errorf("FunctionName %v is not a Ref to a function of the template", src.props["FunctionName"])
			}
			stream := mapOf(resources(tpl)[src.stream])
			// What the function's policy must allow on the stream, and how
			// long the stream keeps a record.
			readActions, hours := streamReadActions, 0
			switch {
			case get(stream, "Type") == "AWS::Kinesis::Stream":
				hours, _ = get(stream, "Properties", "RetentionPeriodHours").(int)
			case streamOf(tpl, src.props["EventSourceArn"]) != "":
				// A DynamoDB stream keeps records 24 hours, no more or less.
				readActions, hours = dynamoStreamReadActions, 24
				if get(stream, "Properties", "StreamSpecification", "StreamViewType") != "NEW_AND_OLD_IMAGES" {
					t.Errorf("%s StreamViewType = %v, want NEW_AND_OLD_IMAGES", src.stream, get(stream, "Properties", "StreamSpecification", "StreamViewType"))
				}
			default:
				t.Fatalf("EventSourceArn %v is not a GetAtt of a Kinesis stream or of a table's StreamArn of the template", src.props["EventSourceArn"])
			}
			p := src.props
			if types := asList(p["FunctionResponseTypes"]); !slices.Contains(types, any("ReportBatchItemFailures")) {
				t.Errorf("FunctionResponseTypes = %v, want ReportBatchItemFailures", p["FunctionResponseTypes"])
			}
			if p["BisectBatchOnFunctionError"] != true {
				t.Errorf("BisectBatchOnFunctionError = %v, want true: a bad record is isolated, not the batch given up", p["BisectBatchOnFunctionError"])
			}
			if n, ok := p["MaximumRetryAttempts"].(int); !ok || n < 0 || n > 10 {
				t.Errorf("MaximumRetryAttempts = %v, want a literal 0..10: the default (-1) retries a bad record until it expires, holding its shard", p["MaximumRetryAttempts"])
			}
			if age, ok := p["MaximumRecordAgeInSeconds"].(int); !ok || age < 60 || age >= hours*3600 {
				t.Errorf("MaximumRecordAgeInSeconds = %v, want a literal from 60 s to below the stream's retention (%d h), so that a record given up on can still be read", p["MaximumRecordAgeInSeconds"], hours)
			}
			if p["ParallelizationFactor"] != 1 {
				t.Errorf("ParallelizationFactor = %v, want 1: one batch per shard at a time keeps each account's logins in order", p["ParallelizationFactor"])
			}
			if pos := p["StartingPosition"]; pos != "TRIM_HORIZON" && pos != "LATEST" {
				t.Errorf("StartingPosition = %v, want TRIM_HORIZON or LATEST", pos)
			}
			if n, ok := p["BatchSize"].(int); !ok || n < 1 || n > 10000 {
				t.Errorf("BatchSize = %v, want a literal 1..10000", p["BatchSize"])
			}
			q := refTo(get(p, "DestinationConfig", "OnFailure", "Destination"))
			queue := mapOf(resources(tpl)[q])
			if get(queue, "Type") != "AWS::SQS::Queue" {
				t.Fatalf("DestinationConfig.OnFailure.Destination = %v, want a GetAtt of a queue of the template", get(p, "DestinationConfig", "OnFailure", "Destination"))
			}
			if get(queue, "Properties", "MessageRetentionPeriod") != 1209600 {
				t.Errorf("%s MessageRetentionPeriod = %v, want 1209600 (14 days)", q, get(queue, "Properties", "MessageRetentionPeriod"))
			}
			var sends bool
			var reads []string
			for _, s := range statements(t, tpl, src.function) {
				for _, r := range asList(s.m["Resource"]) {
					switch {
					case refTo(r) == q:
						sends = sends || slices.Contains(strings1(s.m["Action"]), "sqs:SendMessage")
					case refTo(r) == src.stream && (get(stream, "Type") == "AWS::Kinesis::Stream" || streamOf(tpl, r) == src.stream):
						reads = append(reads, strings1(s.m["Action"])...)
					}
				}
			}
			if !sends {
				t.Errorf("%s may not sqs:SendMessage to its on-failure queue %s", src.function, q)
			}
			for _, a := range readActions {
				if !slices.Contains(reads, a) {
					t.Errorf("%s may not %s on %s, which its mapping needs", src.function, a, src.stream)
				}
			}
		})
	}
}

// TestStreams: every Kinesis stream is encrypted, kept at least a day, read
// by one mapping, and filled by an EventBridge rule that partitions by
// account (one account's events in order, on one shard) with a role that
// may put records on that stream and do nothing else.
func TestStreams(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	streams := ofType(tpl, "AWS::Kinesis::Stream")
	if len(streams) == 0 {
		t.Fatal("no Kinesis stream")
	}
	for _, id := range streams {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			props := get(resources(tpl)[id], "Properties")
			if get(props, "StreamEncryption", "EncryptionType") != "KMS" || get(props, "StreamEncryption", "KeyId") == nil {
				t.Errorf("StreamEncryption = %v, want KMS with a key", get(props, "StreamEncryption"))
			}
			if h, ok := get(props, "RetentionPeriodHours").(int); !ok || h < 24 {
				t.Errorf("RetentionPeriodHours = %v, want at least 24", get(props, "RetentionPeriodHours"))
			}
			var readers int
			for _, src := range streamSources(tpl) {
				if src.stream == id {
					readers++
				}
			}
			if readers != 1 {
				t.Errorf("read by %d event source mappings, want 1", readers)
			}
			var targets int
			for _, rule := range ofType(tpl, "AWS::Events::Rule") {
				for _, target := range asList(get(resources(tpl)[rule], "Properties", "Targets")) {
					if refTo(get(target, "Arn")) != id {
						continue
					}
					targets++
					if path := get(target, "KinesisParameters", "PartitionKeyPath"); path != "$.detail.accountId" {
						t.Errorf("%s: PartitionKeyPath = %v, want $.detail.accountId", rule, path)
					}
					if get(target, "DeadLetterConfig", "Arn") == nil {
						t.Errorf("%s: no DeadLetterConfig: an event EventBridge cannot put would be lost", rule)
					}
					checkPutRole(t, tpl, rule, refTo(get(target, "RoleArn")), id)
				}
			}
			if targets == 0 {
				t.Error("no EventBridge rule targets the stream")
			}
		})
	}
}

// checkPutRole checks that role is one EventBridge assumes, and that its
// policies allow putting records on stream and nothing else.
func checkPutRole(t *testing.T, tpl template, rule, role, stream string) {
	t.Helper()
	r := resources(tpl)[role]
	if get(r, "Type") != "AWS::IAM::Role" {
		t.Errorf("%s: RoleArn is not a GetAtt of a role of the template", rule)
		return
	}
	props := get(r, "Properties")
	for _, s := range asList(get(props, "AssumeRolePolicyDocument", "Statement")) {
		if get(s, "Principal", "Service") != "events.amazonaws.com" {
			t.Errorf("%s: %s may be assumed by %v, want events.amazonaws.com only", rule, role, get(s, "Principal"))
		}
	}
	if get(props, "ManagedPolicyArns") != nil {
		t.Errorf("%s: %s has managed policies %v: want only its inline policy", rule, role, get(props, "ManagedPolicyArns"))
	}
	var puts int
	for _, p := range asList(get(props, "Policies")) {
		for _, s := range asList(get(p, "PolicyDocument", "Statement")) {
			for _, a := range strings1(get(s, "Action")) {
				if a != "kinesis:PutRecord" && a != "kinesis:PutRecords" {
					t.Errorf("%s: %s may %s, want only kinesis:PutRecord(s)", rule, role, a)
				}
				puts++
			}
			for _, res := range asList(get(s, "Resource")) {
				if refTo(res) != stream {
					t.Errorf("%s: %s acts on %v, want only %s", rule, role, res, stream)
				}
			}
		}
	}
	if puts == 0 {
		t.Errorf("%s: %s may not put records on %s", rule, role, stream)
	}
}

// TestEventSamplesDecode: every file of events/ is named
// <function>-<trigger>[-case].json, for a function infra/sam.mk builds, and
// decodes, refusing unknown fields, into the aws-lambda-go type of its
// trigger, with records of that trigger's event source.
func TestEventSamplesDecode(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	targets := makeTargets(t)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(strings.TrimSuffix(name, ".json"), "-")
			if len(parts) < 2 {
				t.Fatalf("want <function>-<trigger>[-case].json")
			}
			var built bool
			for _, recipe := range targets {
				for _, l := range recipe {
					if m := pkgRe.FindStringSubmatch(l); m != nil && m[1] == "./functions/"+parts[0] {
						built = true
					}
				}
			}
			if !built {
				t.Errorf("infra/sam.mk builds no ./functions/%s", parts[0])
			}
			switch parts[1] {
			case "sqs":
				var ev events.SQSEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.SQSEvent: %v", err)
				}
				for i, r := range ev.Records {
					if r.EventSource != "aws:sqs" || r.MessageId == "" {
						t.Errorf("record %d: eventSource %q, messageId %q", i, r.EventSource, r.MessageId)
					}
				}
				if len(ev.Records) == 0 {
					t.Error("no records")
				}
			case "kinesis":
				var ev events.KinesisEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.KinesisEvent: %v", err)
				}
				for i, r := range ev.Records {
					if r.EventSource != "aws:kinesis" || r.Kinesis.SequenceNumber == "" || r.Kinesis.PartitionKey == "" || len(r.Kinesis.Data) == 0 {
						t.Errorf("record %d: eventSource %q, sequenceNumber %q, partitionKey %q, %d bytes of data", i, r.EventSource, r.Kinesis.SequenceNumber, r.Kinesis.PartitionKey, len(r.Kinesis.Data))
					}
				}
				if len(ev.Records) == 0 {
					t.Error("no records")
				}
			case "stream":
				var ev events.DynamoDBEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.DynamoDBEvent: %v", err)
				}
				for i, r := range ev.Records {
					c := r.Change
					if r.EventSource != "aws:dynamodb" || c.SequenceNumber == "" || len(c.Keys) == 0 || c.StreamViewType != "NEW_AND_OLD_IMAGES" || (len(c.NewImage) == 0 && len(c.OldImage) == 0) {
						t.Errorf("record %d: eventSource %q, SequenceNumber %q, %d keys, StreamViewType %q, %d+%d image attributes", i, r.EventSource, c.SequenceNumber, len(c.Keys), c.StreamViewType, len(c.OldImage), len(c.NewImage))
					}
				}
				if len(ev.Records) == 0 {
					t.Error("no records")
				}
			case "eventbridge":
				var ev events.CloudWatchEvent
				if err := functest.DecodeStrict(data, &ev); err != nil {
					t.Fatalf("not an events.CloudWatchEvent: %v", err)
				}
				if ev.DetailType == "" || ev.Source == "" || len(ev.Detail) == 0 {
					t.Errorf("detail-type %q, source %q, %d bytes of detail", ev.DetailType, ev.Source, len(ev.Detail))
				}
			default:
				t.Errorf("trigger %q is none of sqs, kinesis, eventbridge, stream (a DynamoDB stream)", parts[1])
			}
		})
	}
}
