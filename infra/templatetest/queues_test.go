package templatetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The checks of this file, like the monitoring checks, are functions of a
// template that return what is wrong with it, so that TestRoleChecksFail
// can hold each of them to a broken copy of template.yaml.

// queueConsumeActions are what a Lambda event source mapping needs of the
// SQS queue it reads, and all a function's policy may allow on one.
var queueConsumeActions = []string{
	"sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage",
}

// samPullEvents are the SAM event types that become an event source
// mapping, with the AWS managed policy SAM then attaches to the function's
// role ("" where SAM writes inline statements instead, which these checks
// cannot see either). The managed ones allow reading every queue, stream
// or cluster of the account.
var samPullEvents = map[string]string{
	"SQS":              "AWSLambdaSQSQueueExecutionRole",
	"Kinesis":          "AWSLambdaKinesisExecutionRole",
	"DynamoDB":         "AWSLambdaDynamoDBExecutionRole",
	"MSK":              "AWSLambdaMSKExecutionRole",
	"MQ":               "",
	"SelfManagedKafka": "",
	"DocumentDB":       "",
}

// sourceKinds name what each managed pull policy may read.
var sourceKinds = map[string]string{"SQS": "queue", "Kinesis": "stream", "DynamoDB": "table stream", "MSK": "cluster"}

// basicManagedPolicies are the managed policies SAM attaches to a
// function's role whatever its events: basic execution (logs), and the
// X-Ray write policy when Tracing is on (AWSXrayWriteOnlyAccess in the aws
// partition, AWSXRayDaemonWriteAccess in the others). Nothing else may be
// attached.
var basicManagedPolicies = []string{"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSXRayDaemonWriteAccess"}

// queueSource is one SQS queue read by a function: an
// AWS::Lambda::EventSourceMapping of the template, or an SQS event of a
// SAM function.
type queueSource struct {
	id       string // the mapping's logical id, or Function/Event
	function string // the function's logical id
	queue    string // the queue's logical id; "" if it is none of the template's
	arn      any    // EventSourceArn (or the SAM event's Queue) as written
	props    map[string]any
	sam      bool // a SAM event, not a mapping of its own
}

// queueSources returns the template's SQS sources, sorted by id.
func queueSources(tpl template) []queueSource {
	var out []queueSource
	for _, id := range ofType(tpl, "AWS::Lambda::EventSourceMapping") {
		props := mapOf(get(resources(tpl)[id], "Properties"))
		arn := props["EventSourceArn"]
		q := refTo(arn)
		if get(resources(tpl)[q], "Type") != "AWS::SQS::Queue" {
			continue // a stream (see streamSources)
		}
		out = append(out, queueSource{id: id, function: refTo(props["FunctionName"]), queue: q, arn: arn, props: props})
	}
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		for name, ev := range mapOf(get(resources(tpl)[fn], "Properties", "Events")) {
			if get(ev, "Type") == "SQS" {
				props := mapOf(get(ev, "Properties"))
				out = append(out, queueSource{id: fn + "/" + name, function: fn, queue: refTo(props["Queue"]), arn: props["Queue"], props: props, sam: true})
			}
		}
	}
	slices.SortFunc(out, func(a, b queueSource) int { return strings.Compare(a.id, b.id) })
	return out
}

// policyStatements is statements without a *testing.T: a function's inline
// statements, both branches of an Fn::If included, and a problem for every
// policy that is not an inline document.
func policyStatements(tpl template, fn string) ([]statement, problems) {
	var p problems
	var out []statement
	for i, pol := range asList(get(resources(tpl)[fn], "Properties", "Policies")) {
		if pol == nil {
			continue
		}
		stmts, ok := get(pol, "Statement").([]any)
		if !ok {
			p.add("%s Policies[%d] = %v: want an inline document with a Statement list, so that it can be checked here", fn, i, pol)
			continue
		}
		for _, s := range stmts {
			if name, arg := intrinsic(s); name == "Fn::If" {
				args, _ := arg.([]any)
				if len(args) != 3 {
					p.add("%s: malformed Fn::If %v", fn, arg)
					continue
				}
				cond, _ := args[0].(string)
				for _, branch := range args[1:] {
					if n, a := intrinsic(branch); n == "Ref" && a == "AWS::NoValue" {
						continue
					}
					out = append(out, statement{mapOf(branch), cond})
				}
				continue
			}
			out = append(out, statement{mapOf(s), ""})
		}
	}
	return out, p
}

// isArnOf reports whether v is {"Fn::GetAtt": [id, "Arn"]}.
func isArnOf(v any, id string) bool {
	fn, arg := intrinsic(v)
	return fn == "Fn::GetAtt" && slices.Equal(asList(arg), []any{id, "Arn"})
}

// checkFunctionRoles: the role SAM makes for each function gets no managed
// policy beyond basic execution and X-Ray, so that all it may do is what
// its inline policy says (which TestPoliciesLeastPrivilege checks). What
// the template shows is SAM's input, not the role it makes, so this checks
// what makes SAM attach more: an event of a pull type, a VPC, managed
// policies or policy templates in Policies; and what would bypass the
// inline policy: a role of the function's own, or a policy of the template
// attached to the role SAM makes (named <Function>Role).
func checkFunctionRoles(tpl template) problems {
	var p problems
	fns := ofType(tpl, "AWS::Serverless::Function")
	for _, fn := range fns {
		props := mapOf(get(resources(tpl)[fn], "Properties"))
		if props["Role"] != nil {
			p.add("%s: Role %v: want the role SAM makes from Policies, which these tests check", fn, props["Role"])
		}
		for _, name := range slices.Sorted(mapKeysAny(mapOf(props["Events"]))) {
			typ := fmt.Sprint(get(props["Events"], name, "Type"))
			managed, pull := samPullEvents[typ]
			switch {
			case !pull:
			case managed != "":
				p.add("%s: SAM %s event %s: SAM attaches %s to the function's role, which may read every %s of the account; use an AWS::Lambda::EventSourceMapping and an inline statement on the one source", fn, typ, name, managed, sourceKinds[typ])
			default:
				p.add("%s: SAM %s event %s: SAM adds statements to the function's role that these tests cannot see; use an AWS::Lambda::EventSourceMapping and an inline statement", fn, typ, name)
			}
		}
		if prop(tpl, fn, "VpcConfig") != nil {
			p.add("%s: VpcConfig: SAM attaches AWSLambdaVPCAccessExecutionRole to the function's role", fn)
		}
		for i, pol := range asList(props["Policies"]) {
			switch pol := pol.(type) {
			case nil:
			case string:
				p.add("%s Policies[%d] = %q: a managed policy; want only %v and inline statements", fn, i, pol, basicManagedPolicies)
			case map[string]any:
				if name, _ := intrinsic(pol); name != "" {
					p.add("%s Policies[%d] = %v: a managed policy by reference; want only inline statements", fn, i, pol)
				} else if pol["Statement"] == nil {
					p.add("%s Policies[%d] = %v: a SAM policy template (or not a policy document); want only inline statements, which these tests check", fn, i, pol)
				}
			default:
				p.add("%s Policies[%d] = %v: want an inline policy document", fn, i, pol)
			}
		}
	}
	// Policies of the template attached to a function's role, and roles of
	// the template with managed policies.
	roles := map[string]string{}
	for _, fn := range fns {
		roles[fn+"Role"] = fn
	}
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"} {
		for _, id := range ofType(tpl, typ) {
			props := mapOf(get(resources(tpl)[id], "Properties"))
			for _, r := range append(asList(props["Roles"]), props["RoleName"]) {
				name := refTo(r)
				if s, ok := r.(string); ok {
					name = s
				}
				if fn, ok := roles[name]; ok {
					p.add("%s (%s) is attached to %s, the role of %s: want the function's statements in its Policies", id, typ, name, fn)
				}
			}
		}
	}
	for _, id := range ofType(tpl, "AWS::IAM::Role") {
		if arns := get(resources(tpl)[id], "Properties", "ManagedPolicyArns"); arns != nil {
			p.add("%s: ManagedPolicyArns %v: want only inline policies", id, arns)
		}
	}
	return p
}

func mapKeysAny(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkQueueSources: every SQS source reports partial batch failures, from
// a queue of the template whose visibility timeout outlasts Lambda's
// retries and whose encryption needs no key permission, and the function's
// policy allows it each of queueConsumeActions on that queue.
func checkQueueSources(tpl template) problems {
	var p problems
	sources := queueSources(tpl)
	if len(sources) == 0 {
		p.add("no SQS event source")
	}
	for _, src := range sources {
		props := src.props
		if get(resources(tpl)[src.function], "Type") != "AWS::Serverless::Function" {
			p.add("%s: FunctionName %v is not a Ref to a function of the template", src.id, props["FunctionName"])
			continue
		}
		if types := asList(props["FunctionResponseTypes"]); !slices.Contains(types, any("ReportBatchItemFailures")) {
			p.add("%s: FunctionResponseTypes = %v, want ReportBatchItemFailures", src.id, props["FunctionResponseTypes"])
		}
		if props["Enabled"] == false {
			p.add("%s: Enabled is false: nothing reads %s", src.id, src.queue)
		}
		queue := mapOf(resources(tpl)[src.queue])
		if get(queue, "Type") != "AWS::SQS::Queue" || !isArnOf(src.arn, src.queue) {
			p.add("%s: the queue %v is not a GetAtt Arn of a queue of the template", src.id, src.arn)
			continue
		}
		timeout, _ := prop(tpl, src.function, "Timeout").(int)
		window, ok := maxSeconds(tpl, props["MaximumBatchingWindowInSeconds"])
		if !ok {
			window = 0
		}
		vis, _ := get(queue, "Properties", "VisibilityTimeout").(int)
		if want := 6*timeout + window; vis < want {
			p.add("%s: %s VisibilityTimeout = %d, want at least 6 x %d s + %d s = %d", src.id, src.queue, vis, timeout, window, want)
		}
		if batch, ok := maxSeconds(tpl, props["BatchSize"]); ok && batch > 10 && window == 0 {
			p.add("%s: BatchSize can reach %d but no batching window is allowed: Lambda refuses batches above 10 without one", src.id, batch)
		}
		if key := get(queue, "Properties", "KmsMasterKeyId"); key != nil || get(queue, "Properties", "SqsManagedSseEnabled") != true {
			p.add("%s: %s is not encrypted with SQS-managed keys (KmsMasterKeyId %v): want SqsManagedSseEnabled, which needs no key permission; a KMS key would need kms:Decrypt on it in %s's policy", src.id, src.queue, key, src.function)
		}
		stmts, sp := policyStatements(tpl, src.function)
		p = append(p, sp...)
		var allowed []string
		for _, s := range stmts {
			if s.m["Effect"] != "Allow" || s.cond != "" {
				continue
			}
			for _, r := range asList(s.m["Resource"]) {
				if isArnOf(r, src.queue) {
					allowed = append(allowed, strings1(s.m["Action"])...)
				}
			}
		}
		for _, a := range queueConsumeActions {
			if !slices.Contains(allowed, a) {
				p.add("%s: %s may not %s on %s, which its mapping needs", src.id, src.function, a, src.queue)
			}
		}
	}
	return p
}

// checkSignupSource: SignupQueue is read by one mapping of its own, with
// the batch size and batching window of the parameters and partial batch
// failures reported; SignupFunction's SQS statements allow exactly
// queueConsumeActions, on SignupQueue alone.
func checkSignupSource(tpl template) problems {
	var p problems
	var mappings []queueSource
	for _, src := range queueSources(tpl) {
		if src.queue == "SignupQueue" || src.function == "SignupFunction" {
			mappings = append(mappings, src)
		}
	}
	if len(mappings) != 1 {
		var ids []string
		for _, m := range mappings {
			ids = append(ids, m.id)
		}
		p.add("SignupQueue and SignupFunction: sources %v, want one AWS::Lambda::EventSourceMapping from SignupQueue to SignupFunction", ids)
	}
	for _, m := range mappings {
		if m.sam {
			p.add("%s: a SAM SQS event, want an AWS::Lambda::EventSourceMapping", m.id)
		}
		if m.queue != "SignupQueue" || m.function != "SignupFunction" {
			p.add("%s: reads %v into %v, want SignupQueue into SignupFunction", m.id, m.arn, m.props["FunctionName"])
		}
		if fn, arg := intrinsic(m.props["BatchSize"]); fn != "Ref" || arg != "SignupBatchSize" {
			p.add("%s: BatchSize = %v, want !Ref SignupBatchSize", m.id, m.props["BatchSize"])
		}
		if fn, arg := intrinsic(m.props["MaximumBatchingWindowInSeconds"]); fn != "Ref" || arg != "SignupMaxBatchingWindow" {
			p.add("%s: MaximumBatchingWindowInSeconds = %v, want !Ref SignupMaxBatchingWindow", m.id, m.props["MaximumBatchingWindowInSeconds"])
		}
		if !slices.Equal(asList(m.props["FunctionResponseTypes"]), []any{"ReportBatchItemFailures"}) {
			p.add("%s: FunctionResponseTypes = %v, want [ReportBatchItemFailures]", m.id, m.props["FunctionResponseTypes"])
		}
	}
	stmts, sp := policyStatements(tpl, "SignupFunction")
	p = append(p, sp...)
	var actions []string
	for _, s := range stmts {
		var sqs []string
		for _, a := range strings1(s.m["Action"]) {
			if strings.HasPrefix(strings.ToLower(a), "sqs:") {
				sqs = append(sqs, a)
			}
		}
		if len(sqs) == 0 {
			continue
		}
		if s.m["Effect"] != "Allow" {
			continue
		}
		actions = append(actions, sqs...)
		if res := asList(s.m["Resource"]); len(res) != 1 || !isArnOf(res[0], "SignupQueue") {
			p.add("SignupFunction statement %v allows %v on %v, want on SignupQueue's ARN alone", s.m["Sid"], sqs, s.m["Resource"])
		}
	}
	slices.Sort(actions)
	if !slices.Equal(actions, queueConsumeActions) {
		p.add("SignupFunction may %v of SQS, want exactly %v", actions, queueConsumeActions)
	}
	return p
}

func TestFunctionRoles(t *testing.T) {
	t.Parallel()
	report(t, checkFunctionRoles(load(t)))
}

func TestSQSEventSources(t *testing.T) {
	t.Parallel()
	report(t, checkQueueSources(load(t)))
}

func TestSignupSource(t *testing.T) {
	t.Parallel()
	report(t, checkSignupSource(load(t)))
}

// TestRoleChecksFail breaks a copy of template.yaml in one way at a time and
// expects the checks of this file to say so.
func TestRoleChecksFail(t *testing.T) {
	t.Parallel()
	good := load(t)
	all := func(tpl template) problems {
		var p problems
		p = append(p, checkFunctionRoles(tpl)...)
		p = append(p, checkQueueSources(tpl)...)
		p = append(p, checkSignupSource(tpl)...)
		return p
	}
	if p := all(good); len(p) > 0 {
		t.Fatalf("template.yaml itself has problems: %q", p)
	}
	res := func(tpl template, id string) map[string]any { return mapOf(resources(tpl)[id]) }
	props := func(tpl template, id string) map[string]any { return mapOf(res(tpl, id)["Properties"]) }
	mapping := func(tpl template) map[string]any {
		for _, src := range queueSources(tpl) {
			if src.queue == "SignupQueue" {
				return src.props
			}
		}
		t.Fatal("no mapping of SignupQueue")
		return nil
	}
	// queueStatement returns SignupFunction's statement on SignupQueue.
	queueStatement := func(tpl template) map[string]any {
		for _, pol := range asList(props(tpl, "SignupFunction")["Policies"]) {
			for _, s := range asList(get(pol, "Statement")) {
				for _, r := range asList(get(s, "Resource")) {
					if isArnOf(r, "SignupQueue") {
						return mapOf(s)
					}
				}
			}
		}
		t.Fatal("no statement of SignupFunction on SignupQueue")
		return nil
	}
	addEvent := func(tpl template, fn, name string, ev map[string]any) {
		p := props(tpl, fn)
		if p["Events"] == nil {
			p["Events"] = map[string]any{}
		}
		mapOf(p["Events"])[name] = ev
	}
	addPolicy := func(tpl template, fn string, pol any) {
		p := props(tpl, fn)
		p["Policies"] = append(asList(p["Policies"]), pol)
	}
	queueArn := map[string]any{"Fn::GetAtt": []any{"SignupQueue", "Arn"}}
	cases := []struct {
		name   string
		mutate func(t *testing.T, tpl template)
		want   string // in one of the problems; "" for none
	}{
		{"the SAM SQS event back", func(t *testing.T, tpl template) {
			m := mapping(tpl)
			delete(resources(tpl), "SignupFunctionSignups")
			addEvent(tpl, "SignupFunction", "Signups", map[string]any{"Type": "SQS", "Properties": map[string]any{
				"Queue": queueArn, "BatchSize": m["BatchSize"], "MaximumBatchingWindowInSeconds": m["MaximumBatchingWindowInSeconds"],
				"FunctionResponseTypes": m["FunctionResponseTypes"]}})
		}, "SignupFunction: SAM SQS event Signups: SAM attaches AWSLambdaSQSQueueExecutionRole"},
		{"the SAM SQS event back, reported by the signup check too", func(t *testing.T, tpl template) {
			delete(resources(tpl), "SignupFunctionSignups")
			addEvent(tpl, "SignupFunction", "Signups", map[string]any{"Type": "SQS", "Properties": map[string]any{"Queue": queueArn}})
		}, "SignupFunction/Signups: a SAM SQS event"},
		{"a SAM Kinesis event", func(t *testing.T, tpl template) {
			addEvent(tpl, "LoginFunction", "Logins", map[string]any{"Type": "Kinesis", "Properties": map[string]any{"Stream": map[string]any{"Fn::GetAtt": []any{"LoginStream", "Arn"}}}})
		}, "SAM attaches AWSLambdaKinesisExecutionRole"},
		{"a SAM DynamoDB event", func(t *testing.T, tpl template) {
			addEvent(tpl, "LoginFunction", "Queue", map[string]any{"Type": "DynamoDB", "Properties": map[string]any{"Stream": map[string]any{"Fn::GetAtt": []any{"QueueTable", "StreamArn"}}}})
		}, "SAM attaches AWSLambdaDynamoDBExecutionRole"},
		{"a SAM MQ event", func(t *testing.T, tpl template) {
			addEvent(tpl, "LoginFunction", "Broker", map[string]any{"Type": "MQ"})
		}, "LoginFunction: SAM MQ event Broker: SAM adds statements"},
		{"a managed policy by name", func(t *testing.T, tpl template) {
			addPolicy(tpl, "SignupFunction", "AWSLambdaSQSQueueExecutionRole")
		}, `Policies[1] = "AWSLambdaSQSQueueExecutionRole": a managed policy`},
		{"a managed policy by ARN", func(t *testing.T, tpl template) {
			addPolicy(tpl, "LoginFunction", map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSQSFullAccess"})
		}, "a managed policy by reference"},
		{"a SAM policy template", func(t *testing.T, tpl template) {
			addPolicy(tpl, "SignupFunction", map[string]any{"SQSPollerPolicy": map[string]any{"QueueName": map[string]any{"Fn::GetAtt": []any{"SignupQueue", "QueueName"}}}})
		}, "a SAM policy template"},
		{"a role of the function's own", func(t *testing.T, tpl template) {
			props(tpl, "LoginFunction")["Role"] = "arn:aws:iam::123456789012:role/anything"
		}, "LoginFunction: Role"},
		{"a VPC", func(t *testing.T, tpl template) {
			props(tpl, "SignupFunction")["VpcConfig"] = map[string]any{"SubnetIds": []any{"subnet-1"}, "SecurityGroupIds": []any{"sg-1"}}
		}, "AWSLambdaVPCAccessExecutionRole"},
		{"a managed policy attached to the function's role", func(t *testing.T, tpl template) {
			resources(tpl)["Extra"] = map[string]any{"Type": "AWS::IAM::ManagedPolicy", "Properties": map[string]any{
				"Roles": []any{map[string]any{"Ref": "SignupFunctionRole"}}, "PolicyDocument": map[string]any{}}}
		}, "attached to SignupFunctionRole, the role of SignupFunction"},
		{"a policy attached to the function's role by name", func(t *testing.T, tpl template) {
			resources(tpl)["Extra"] = map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{
				"Roles": []any{"LoginFunctionRole"}, "PolicyDocument": map[string]any{}}}
		}, "attached to LoginFunctionRole, the role of LoginFunction"},
		{"a role of the template with a managed policy", func(t *testing.T, tpl template) {
			props(tpl, "LoginRuleRole")["ManagedPolicyArns"] = []any{"arn:aws:iam::aws:policy/AmazonKinesisFullAccess"}
		}, "LoginRuleRole: ManagedPolicyArns"},
		{"tracing off", func(t *testing.T, tpl template) { props(tpl, "SignupFunction")["Tracing"] = "PassThrough" }, ""},
		{"no signup mapping", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupFunctionSignups") }, "want one AWS::Lambda::EventSourceMapping from SignupQueue to SignupFunction"},
		{"two signup mappings", func(t *testing.T, tpl template) {
			resources(tpl)["SignupQueueMapping"] = copyOf(res(tpl, "SignupFunctionSignups"))
		}, "sources [SignupFunctionSignups SignupQueueMapping]"},
		{"the mapping reads the dead-letter queue", func(t *testing.T, tpl template) {
			mapping(tpl)["EventSourceArn"] = map[string]any{"Fn::GetAtt": []any{"SignupDeadLetterQueue", "Arn"}}
		}, "want SignupQueue into SignupFunction"},
		{"the mapping feeds another function", func(t *testing.T, tpl template) {
			mapping(tpl)["FunctionName"] = map[string]any{"Ref": "LoginFunction"}
		}, "want SignupQueue into SignupFunction"},
		{"a literal batch size", func(t *testing.T, tpl template) { mapping(tpl)["BatchSize"] = 10 }, "BatchSize = 10, want !Ref SignupBatchSize"},
		{"no batching window", func(t *testing.T, tpl template) { delete(mapping(tpl), "MaximumBatchingWindowInSeconds") }, "want !Ref SignupMaxBatchingWindow"},
		{"batches above 10 without a window", func(t *testing.T, tpl template) { mapping(tpl)["MaximumBatchingWindowInSeconds"] = 0 }, "Lambda refuses batches above 10"},
		{"no partial batch failures", func(t *testing.T, tpl template) { delete(mapping(tpl), "FunctionResponseTypes") }, "want ReportBatchItemFailures"},
		{"a disabled mapping", func(t *testing.T, tpl template) { mapping(tpl)["Enabled"] = false }, "nothing reads SignupQueue"},
		{"a short visibility timeout", func(t *testing.T, tpl template) { props(tpl, "SignupQueue")["VisibilityTimeout"] = 30 }, "SignupQueue VisibilityTimeout = 30"},
		{"a queue under a KMS key", func(t *testing.T, tpl template) {
			delete(props(tpl, "SignupQueue"), "SqsManagedSseEnabled")
			props(tpl, "SignupQueue")["KmsMasterKeyId"] = "alias/aws/sqs"
		}, "not encrypted with SQS-managed keys"},
		{"the queue statement on every queue", func(t *testing.T, tpl template) { queueStatement(tpl)["Resource"] = "*" }, "want on SignupQueue's ARN alone"},
		{"the queue statement on the dead-letter queue too", func(t *testing.T, tpl template) {
			queueStatement(tpl)["Resource"] = []any{queueArn, map[string]any{"Fn::GetAtt": []any{"SignupDeadLetterQueue", "Arn"}}}
		}, "want on SignupQueue's ARN alone"},
		{"the queue statement on a pattern", func(t *testing.T, tpl template) {
			queueStatement(tpl)["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:*"}
		}, "want on SignupQueue's ARN alone"},
		{"an SQS action more", func(t *testing.T, tpl template) {
			s := queueStatement(tpl)
			s["Action"] = append(asList(s["Action"]), "sqs:PurgeQueue")
		}, "want exactly [sqs:ChangeMessageVisibility sqs:DeleteMessage sqs:GetQueueAttributes sqs:ReceiveMessage]"},
		{"an SQS wildcard", func(t *testing.T, tpl template) { queueStatement(tpl)["Action"] = "sqs:*" }, "SignupFunction may [sqs:*] of SQS"},
		{"an SQS action less", func(t *testing.T, tpl template) {
			s := queueStatement(tpl)
			s["Action"] = slices.DeleteFunc(slices.Clone(asList(s["Action"])), func(a any) bool { return a == "sqs:ChangeMessageVisibility" })
		}, "SignupFunctionSignups: SignupFunction may not sqs:ChangeMessageVisibility on SignupQueue"},
		{"no queue statement", func(t *testing.T, tpl template) {
			s := queueStatement(tpl)
			s["Action"] = "dynamodb:DescribeTable"
			s["Resource"] = map[string]any{"Fn::GetAtt": []any{"StateTable", "Arn"}}
		}, "SignupFunctionSignups: SignupFunction may not sqs:ReceiveMessage on SignupQueue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tpl := copyOf(map[string]any(good)).(map[string]any)
			c.mutate(t, tpl)
			got := all(tpl)
			if c.want == "" {
				if len(got) > 0 {
					t.Errorf("problems %q, want none", got)
				}
				return
			}
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q, want one with %q", got, c.want)
			}
		})
	}
}
