package templatetest

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The message function's S3 side (spec/events.md, Mailbox Message Sent):
// the bucket the platform writes raw outbound messages to, its
// notifications to the queue, and what the function may read of it.
const (
	messageFunction = "MessageFunction"
	messageQueue    = "MessageQueue"
	outboundBucket  = "OutboundBucket"
	outboundPrefix  = "outbound/"
)

// checkMessage: MessageFunction may read objects under outbound/ of the
// outbound bucket and nothing else of S3 (beyond the conditional rules
// object that TestSecretAndRulesAccess checks): s3:GetObject alone, no
// listing. The bucket is private, encrypted, expires what is under
// outbound/ after at most the state retention, and announces every new
// .eml under outbound/ to MessageQueue once S3 may send there (the queue
// policy, for this bucket of this account only), which the function reads
// through a mapping with a concurrency cap.
func checkMessage(tpl template) problems {
	var p problems
	bucket := mapOf(resources(tpl)[outboundBucket])
	if get(bucket, "Type") != "AWS::S3::Bucket" {
		p.add("no AWS::S3::Bucket %s", outboundBucket)
		return p
	}
	props := mapOf(bucket["Properties"])
	name := props["BucketName"]
	if name == nil {
		p.add("%s: no BucketName; the function's policy and the queue's must name the bucket without a reference to it", outboundBucket)
	}
	// arnSub reports whether v is !Sub [pattern, {Bucket: <the bucket's name>}].
	arnSub := func(v any, pattern string) bool {
		fn, arg := intrinsic(v)
		l := asList(arg)
		return fn == "Fn::Sub" && len(l) == 2 && l[0] == pattern && len(mapOf(l[1])) == 1 && reflect.DeepEqual(get(l[1], "Bucket"), name)
	}

	stmts, sp := policyStatements(tpl, messageFunction)
	p = append(p, sp...)
	var reads int
	for _, s := range stmts {
		var s3 []string
		for _, a := range strings1(s.m["Action"]) {
			if strings.HasPrefix(strings.ToLower(a), "s3:") {
				s3 = append(s3, a)
			}
			if strings.EqualFold(a, "s3:ListBucket") {
				p.add("%s statement %v allows s3:ListBucket: the function reads the keys its notifications name", messageFunction, s.m["Sid"])
			}
		}
		if len(s3) == 0 || s.cond != "" || s.m["Effect"] != "Allow" {
			continue
		}
		reads++
		if !slices.Equal(s3, []string{"s3:GetObject"}) {
			p.add("%s statement %v allows %v of S3, want s3:GetObject alone", messageFunction, s.m["Sid"], s3)
		}
		res := asList(s.m["Resource"])
		if len(res) != 1 || !arnSub(res[0], "arn:${AWS::Partition}:s3:::${Bucket}/"+outboundPrefix+"*") {
			p.add("%s statement %v allows %v on %v, want on arn:${AWS::Partition}:s3:::${Bucket}/%s* alone, Bucket the BucketName of %s", messageFunction, s.m["Sid"], s3, s.m["Resource"], outboundPrefix, outboundBucket)
		}
	}
	if reads != 1 {
		p.add("%s: %d unconditional statements on S3, want one (s3:GetObject on %s*)", messageFunction, reads, outboundPrefix)
	}

	if !slices.Contains(strings1(bucket["DependsOn"]), "MessageQueuePolicy") {
		p.add("%s: DependsOn %v, want MessageQueuePolicy: S3 checks that it may send to the queue when the notification is set", outboundBucket, bucket["DependsOn"])
	}
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if get(props, "PublicAccessBlockConfiguration", k) != true {
			p.add("%s: PublicAccessBlockConfiguration.%s is not true", outboundBucket, k)
		}
	}
	if len(asList(get(props, "BucketEncryption", "ServerSideEncryptionConfiguration"))) == 0 {
		p.add("%s: no BucketEncryption", outboundBucket)
	}
	var expires bool
	for _, r := range asList(get(props, "LifecycleConfiguration", "Rules")) {
		prefix := get(r, "Prefix")
		if prefix == nil {
			prefix = get(r, "Filter", "Prefix")
		}
		days := get(r, "ExpirationInDays")
		if get(r, "Status") != "Enabled" || (prefix != outboundPrefix && prefix != "") || days == nil {
			continue
		}
		if n, ok := maxSeconds(tpl, days); !ok || n > 30 {
			p.add("%s: objects expire after %v days, want at most 30 (state retention), as a number or a Number parameter with a MaxValue", outboundBucket, days)
		}
		expires = true
	}
	if !expires {
		p.add("%s: no enabled lifecycle rule expiring %s: the messages are personal data", outboundBucket, outboundPrefix)
	}
	n := mapOf(props["NotificationConfiguration"])
	if n["LambdaConfigurations"] != nil || n["TopicConfigurations"] != nil || n["EventBridgeConfiguration"] != nil {
		p.add("%s: notifications other than to %s: %v", outboundBucket, messageQueue, n)
	}
	qcs := asList(n["QueueConfigurations"])
	if len(qcs) != 1 {
		p.add("%s: %d queue notifications, want one to %s", outboundBucket, len(qcs), messageQueue)
	}
	for _, qc := range qcs {
		if get(qc, "Event") != "s3:ObjectCreated:*" || !isArnOf(get(qc, "Queue"), messageQueue) {
			p.add("%s: notifies %v of %v, want %s of s3:ObjectCreated:*", outboundBucket, get(qc, "Queue"), get(qc, "Event"), messageQueue)
		}
		rules := map[string]any{}
		for _, r := range asList(get(qc, "Filter", "S3Key", "Rules")) {
			rules[strings.ToLower(asString(get(r, "Name")))] = get(r, "Value")
		}
		if rules["prefix"] != outboundPrefix || rules["suffix"] != ".eml" || len(rules) != 2 {
			p.add("%s: notification filter %v, want prefix %s and suffix .eml", outboundBucket, rules, outboundPrefix)
		}
	}

	var sends bool
	for _, id := range ofType(tpl, "AWS::SQS::QueuePolicy") {
		qp := get(resources(tpl)[id], "Properties")
		if !slices.ContainsFunc(asList(get(qp, "Queues")), func(q any) bool { return refTo(q) == messageQueue }) {
			continue
		}
		for _, s := range asList(get(qp, "PolicyDocument", "Statement")) {
			if get(s, "Effect") != "Allow" || get(s, "Principal", "Service") != "s3.amazonaws.com" {
				continue
			}
			sends = true
			if !slices.Equal(strings1(get(s, "Action")), []string{"sqs:SendMessage"}) || !isArnOf(get(s, "Resource"), messageQueue) {
				p.add("%s: S3 may %v on %v, want sqs:SendMessage on %s", id, get(s, "Action"), get(s, "Resource"), messageQueue)
			}
			if !arnSub(get(s, "Condition", "ArnEquals", "aws:SourceArn"), "arn:${AWS::Partition}:s3:::${Bucket}") {
				p.add("%s: aws:SourceArn %v, want the ARN of %s built from its BucketName", id, get(s, "Condition", "ArnEquals", "aws:SourceArn"), outboundBucket)
			}
			if fn, arg := intrinsic(get(s, "Condition", "StringEquals", "aws:SourceAccount")); fn != "Ref" || arg != "AWS::AccountId" {
				p.add("%s: aws:SourceAccount %v, want !Ref AWS::AccountId", id, get(s, "Condition", "StringEquals", "aws:SourceAccount"))
			}
		}
	}
	if !sends {
		p.add("%s: no queue policy lets s3.amazonaws.com send to it", messageQueue)
	}

	var mappings int
	for _, src := range queueSources(tpl) {
		if src.queue != messageQueue && src.function != messageFunction {
			continue
		}
		mappings++
		if src.sam || src.queue != messageQueue || src.function != messageFunction {
			p.add("%s: reads %v into %v, want an AWS::Lambda::EventSourceMapping of %s into %s", src.id, src.arn, src.props["FunctionName"], messageQueue, messageFunction)
		}
		if c, ok := get(src.props, "ScalingConfig", "MaximumConcurrency").(int); !ok || c < 2 {
			p.add("%s: ScalingConfig.MaximumConcurrency = %v, want a cap (2 or more)", src.id, get(src.props, "ScalingConfig", "MaximumConcurrency"))
		}
	}
	if mappings != 1 {
		p.add("%s and %s: %d sources, want one mapping", messageQueue, messageFunction, mappings)
	}
	return p
}

func asString(v any) string { s, _ := v.(string); return s }

func TestMessageFunction(t *testing.T) {
	t.Parallel()
	report(t, checkMessage(load(t)))
}

// TestMessageChecksFail breaks a copy of template.yaml in one way at a time
// and expects checkMessage to say so.
func TestMessageChecksFail(t *testing.T) {
	t.Parallel()
	good := load(t)
	if p := checkMessage(good); len(p) > 0 {
		t.Fatalf("template.yaml itself has problems: %q", p)
	}
	props := func(tpl template, id string) map[string]any { return mapOf(get(resources(tpl)[id], "Properties")) }
	// statement returns MessageFunction's statement of Sid sid.
	statement := func(t *testing.T, tpl template, sid string) map[string]any {
		for _, pol := range asList(props(tpl, messageFunction)["Policies"]) {
			for _, s := range asList(get(pol, "Statement")) {
				if get(s, "Sid") == sid {
					return mapOf(s)
				}
			}
		}
		t.Fatalf("no statement %s", sid)
		return nil
	}
	queueConfig := func(tpl template) map[string]any {
		return mapOf(asList(get(props(tpl, outboundBucket), "NotificationConfiguration", "QueueConfigurations"))[0])
	}
	cases := []struct {
		name   string
		mutate func(t *testing.T, tpl template)
		want   string
	}{
		{"listing allowed", func(t *testing.T, tpl template) {
			statement(t, tpl, "OutboundMessages")["Action"] = []any{"s3:GetObject", "s3:ListBucket"}
		}, "s3:ListBucket"},
		{"the whole bucket readable", func(t *testing.T, tpl template) {
			s := statement(t, tpl, "OutboundMessages")
			l := asList(mapOf(s["Resource"])["Fn::Sub"])
			s["Resource"] = map[string]any{"Fn::Sub": []any{"arn:${AWS::Partition}:s3:::${Bucket}/*", l[1]}}
		}, "want on arn:${AWS::Partition}:s3:::${Bucket}/outbound/* alone"},
		{"another bucket readable", func(t *testing.T, tpl template) {
			statement(t, tpl, "OutboundMessages")["Resource"] = map[string]any{"Fn::Sub": []any{"arn:${AWS::Partition}:s3:::${Bucket}/outbound/*", map[string]any{"Bucket": "mail-outbound-copies"}}}
		}, "Bucket the BucketName of OutboundBucket"},
		{"writing allowed", func(t *testing.T, tpl template) {
			statement(t, tpl, "OutboundMessages")["Action"] = []any{"s3:GetObject", "s3:PutObject"}
		}, "want s3:GetObject alone"},
		{"notified of every key", func(t *testing.T, tpl template) {
			delete(queueConfig(tpl), "Filter")
		}, "want prefix outbound/ and suffix .eml"},
		{"notified of removals", func(t *testing.T, tpl template) { queueConfig(tpl)["Event"] = "s3:ObjectRemoved:*" }, "of s3:ObjectCreated:*"},
		{"notification before the queue policy", func(t *testing.T, tpl template) {
			delete(mapOf(resources(tpl)[outboundBucket]), "DependsOn")
		}, "want MessageQueuePolicy"},
		{"kept forever", func(t *testing.T, tpl template) { delete(props(tpl, outboundBucket), "LifecycleConfiguration") }, "no enabled lifecycle rule"},
		{"public", func(t *testing.T, tpl template) {
			mapOf(props(tpl, outboundBucket)["PublicAccessBlockConfiguration"])["BlockPublicPolicy"] = false
		}, "BlockPublicPolicy is not true"},
		{"any account's bucket may send", func(t *testing.T, tpl template) {
			for _, s := range asList(get(props(tpl, "MessageQueuePolicy"), "PolicyDocument", "Statement")) {
				delete(mapOf(get(s, "Condition")), "StringEquals")
			}
		}, "aws:SourceAccount"},
		{"no concurrency cap", func(t *testing.T, tpl template) { delete(props(tpl, "MessageQueueMapping"), "ScalingConfig") }, "MaximumConcurrency"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tpl := copyOf(map[string]any(good)).(map[string]any)
			c.mutate(t, tpl)
			got := checkMessage(tpl)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q, want one with %q", got, c.want)
			}
		})
	}
}
