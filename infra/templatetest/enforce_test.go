package templatetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/enforce"
)

// enforcers are the functions that act on the queue (functions/enforce):
// no scoring metrics, no hash key, no rules; checked by the tests here.
var enforcers = []string{"EnforceFunction"}

// dynamoStreamReadActions are what a Lambda event source mapping needs of
// a DynamoDB stream, and all a function's policy may allow on one.
var dynamoStreamReadActions = []string{
	"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams",
}

// streamOf returns the table whose stream v is ({"Fn::GetAtt": [table,
// "StreamArn"]} of a table of the template), or "".
func streamOf(tpl template, v any) string {
	fn, arg := intrinsic(v)
	l, _ := arg.([]any)
	if fn != "Fn::GetAtt" || len(l) != 2 || l[1] != "StreamArn" {
		return ""
	}
	table, _ := l[0].(string)
	if get(resources(tpl)[table], "Type") != "AWS::DynamoDB::Table" {
		return ""
	}
	return table
}

func enforcerFunction(f facts) string {
	for _, fn := range enforcers {
		return f.emf[fn].function
	}
	return ""
}

// enforceEnv is what functions/enforce reads beyond the shared variables,
// and the parameter or resource each must come from.
var enforceEnv = map[string]string{
	"ENFORCE_WEBHOOK_URL":  "EnforceWebhookUrl",
	"ENFORCE_SECRET_PARAM": "EnforceSecretParameter",
	"ENFORCE_SWITCH_PARAM": "EnforceSwitch",
	"ENFORCE_CAP_10MIN":    "EnforceCapPer10Min",
	"ENFORCE_CAP_DAY":      "EnforceCapPerDay",
}

// checkEnforce: the enforcer reads the queue's stream through one mapping
// of its own whose filter lets through exactly the changes that make an
// item pending/suspend (held to the samples in events/ and variants of
// them); its configuration comes from the parameters; it may read the
// webhook secret and the kill switch and nothing else of SSM, decrypt
// only through SSM for the secret, and touch only its own keys of the
// state table; the kill switch is created off.
func checkEnforce(t *testing.T, tpl template) problems {
	var p problems
	const fn = "EnforceFunction"
	if get(resources(tpl)[fn], "Type") != "AWS::Serverless::Function" {
		p.add("no %s", fn)
		return p
	}
	env := mapOf(get(resources(tpl)[fn], "Properties", "Environment", "Variables"))
	for name, from := range enforceEnv {
		if refTo(env[name]) != from {
			p.add("%s: %s = %v, want !Ref %s", fn, name, env[name], from)
		}
	}
	sw := mapOf(resources(tpl)["EnforceSwitch"])
	if get(sw, "Type") != "AWS::SSM::Parameter" || get(sw, "Properties", "Value") != "off" || refTo(get(sw, "Properties", "Name")) != "EnforceSwitchParameterName" {
		p.add("EnforceSwitch: %v, want an AWS::SSM::Parameter named by EnforceSwitchParameterName, created with the value off", sw)
	}
	for _, param := range []string{"EnforceCapPer10Min", "EnforceCapPerDay"} {
		if min, _ := get(tpl["Parameters"], param, "MinValue").(int); min < 1 || get(tpl["Parameters"], param, "Type") != "Number" {
			p.add("parameter %s: want a Number of at least 1", param)
		}
	}

	stmts, sp := policyStatements(tpl, fn)
	p = append(p, sp...)
	var ssmOn []string
	var decrypt bool
	for _, s := range stmts {
		actions := strings1(s.m["Action"])
		res := fmt.Sprint(s.m["Resource"])
		for _, a := range actions {
			switch {
			case a == "ssm:GetParameter":
				ssmOn = append(ssmOn, res)
			case strings.HasPrefix(a, "ssm:") || strings.HasPrefix(a, "s3:"):
				p.add("%s statement %v allows %s", fn, s.m["Sid"], a)
			case a == "kms:Decrypt":
				decrypt = true
				ctx := fmt.Sprint(get(s.m, "Condition", "StringEquals", "kms:EncryptionContext:PARAMETER_ARN"))
				if get(s.m, "Condition", "StringEquals", "kms:ViaService") == nil || !strings.Contains(ctx, "${EnforceSecretParameter}") {
					p.add("%s statement %v: kms:Decrypt not only through SSM for the webhook secret: %v", fn, s.m["Sid"], s.m["Condition"])
				}
			}
		}
		for _, r := range asList(s.m["Resource"]) {
			if refTo(r) == "StateTable" {
				keys := strings1(get(s.m, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys"))
				if !slices.Equal(keys, []string{"enforce#*"}) {
					p.add("%s statement %v on StateTable: dynamodb:LeadingKeys %v, want only enforce#*: the scanner's state is none of its business", fn, s.m["Sid"], keys)
				}
			}
		}
	}
	slices.Sort(ssmOn)
	if want := []string{"map[Fn::Sub:arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${EnforceSecretParameter}]", "map[Fn::Sub:arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${EnforceSwitch}]"}; !slices.Equal(ssmOn, want) {
		p.add("%s may ssm:GetParameter on %v, want exactly the webhook secret and the kill switch", fn, ssmOn)
	}
	if !decrypt {
		p.add("%s may not kms:Decrypt the webhook secret (a SecureString)", fn)
	}

	var mappings []streamSource
	for _, src := range streamSources(tpl) {
		if src.function == fn {
			mappings = append(mappings, src)
		}
	}
	if len(mappings) != 1 || mappings[0].stream != "QueueTable" || streamOf(tpl, mappings[0].props["EventSourceArn"]) != "QueueTable" {
		p.add("%s: stream sources %v, want one mapping of QueueTable's StreamArn", fn, mappings)
		return p
	}
	m := mappings[0].props
	if n, _ := m["BatchSize"].(int); n < 1 || n > 10 {
		p.add("%s: BatchSize %v, want 1..10: each record may be a webhook call with retries", mappings[0].id, m["BatchSize"])
	}
	var filters []map[string]any
	for _, f := range asList(get(m, "FilterCriteria", "Filters")) {
		var pat map[string]any
		text, _ := get(f, "Pattern").(string)
		if err := json.Unmarshal([]byte(text), &pat); err != nil {
			p.add("%s: filter %q is not JSON: %v", mappings[0].id, text, err)
			continue
		}
		filters = append(filters, pat)
	}
	if len(filters) == 0 {
		p.add("%s: no FilterCriteria: every change of the queue would invoke the function", mappings[0].id)
	}
	for name, c := range filterCases(t) {
		if got := slices.ContainsFunc(filters, func(f map[string]any) bool { return matches(f, c.record) }); got != c.want {
			p.add("%s: the filter lets %s through: %v, want %v", mappings[0].id, name, got, c.want)
		}
	}
	return p
}

type filterCase struct {
	record map[string]any
	want   bool
}

// filterCases are the records of events/enforce-*.json and variants: a
// change that makes an item pending/suspend must get through, any other
// must not.
func filterCases(t *testing.T) map[string]filterCase {
	t.Helper()
	read := func(name string) []map[string]any {
		data, err := os.ReadFile(filepath.Join(root, "events", name))
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ Records []map[string]any }
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.Records
	}
	clone := func(r map[string]any) map[string]any { return copyOf(r).(map[string]any) }
	set := func(r map[string]any, image, attr, v string) map[string]any {
		mapOf(get(r, "dynamodb", image, attr))["S"] = v
		return r
	}
	stream := read("enforce-stream.json")
	insert, raised := stream[0], stream[1]
	released := read("enforce-stream-released.json")[0]
	cases := map[string]filterCase{
		"enforce-stream.json INSERT":          {insert, true},
		"enforce-stream.json MODIFY":          {raised, true},
		"enforce-stream-released.json MODIFY": {released, false},
		"an INSERT of a review":               {set(clone(insert), "NewImage", "action", "review"), false},
		"a suspension raised again":           {set(clone(raised), "OldImage", "action", "suspend"), false},
		"a release reopened as suspend":       {set(set(clone(raised), "OldImage", "status", "released"), "OldImage", "action", "suspend"), true},
		"applied":                             {set(set(clone(raised), "OldImage", "action", "suspend"), "NewImage", "status", "applied"), false},
	}
	rm := clone(released)
	rm["eventName"] = "REMOVE"
	delete(mapOf(rm["dynamodb"]), "NewImage")
	cases["a REMOVE (TTL)"] = filterCase{rm, false}
	return cases
}

// matches applies a Lambda event filter pattern to a record: every field
// of the pattern must be in the record, a list matching if the record's
// value is one of its strings or is none of an {"anything-but": [...]}'s.
func matches(pattern, record map[string]any) bool {
	for k, want := range pattern {
		got, ok := record[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matches(w, sub) {
				return false
			}
		case []any:
			s, ok := got.(string)
			if !ok || !slices.ContainsFunc(w, func(alt any) bool {
				if lit, ok := alt.(string); ok {
					return lit == s
				}
				but := strings1(get(alt, "anything-but"))
				return but != nil && !slices.Contains(but, s)
			}) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// checkEnforceMonitoring: a held suspension (a cap reached) and a refused
// one are heard at once, and the dashboard shows what the enforcer did.
func checkEnforceMonitoring(tpl template, f facts) problems {
	var p problems
	as := alarms(tpl)
	for _, fn := range enforcers {
		self := map[string]string{enforce.DimFunction: f.emf[fn].function}
		for _, name := range []string{enforce.MetricHeld, enforce.MetricRefused} {
			found := watching(as, f.emf[fn].namespace, name, self)
			if len(found) == 0 {
				p.add("%s: no alarm on %s %s", fn, f.emf[fn].namespace, name)
			}
			for _, a := range found {
				if th, _ := a.props["Threshold"].(int); th != 0 || a.props["ComparisonOperator"] != "GreaterThanThreshold" {
					p.add("%s: alarms at %v %v, want GreaterThanThreshold 0: one is one too many to miss", a.id, a.props["ComparisonOperator"], a.props["Threshold"])
				}
			}
		}
	}
	text, err := dashboardBody(tpl, "Dashboard")
	if err != nil {
		p.add("Dashboard: %v", err)
		return p
	}
	for _, fn := range enforcers {
		for _, name := range []string{enforce.MetricSuspended, enforce.MetricHeld} {
			if !strings.Contains(text, fmt.Sprintf(`["%s", "%s", "%s", "%s"`, f.emf[fn].namespace, name, enforce.DimFunction, f.emf[fn].function)) {
				p.add("Dashboard: shows no %s of %s", name, fn)
			}
		}
	}
	return p
}

func TestEnforceFunction(t *testing.T) {
	t.Parallel()
	report(t, checkEnforce(t, load(t)))
}

func TestEnforceMonitoring(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	report(t, checkEnforceMonitoring(tpl, loadFacts(t, tpl)))
}

// TestEnforceChecksFail breaks a copy of template.yaml one way at a time;
// the checks must say so.
func TestEnforceChecksFail(t *testing.T) {
	t.Parallel()
	good := load(t)
	f := loadFacts(t, good)
	all := func(t *testing.T, tpl template) problems {
		p := checkEnforce(t, tpl)
		p = append(p, checkEnforceMonitoring(tpl, f)...)
		p = append(p, checkAlarms(tpl, f)...)
		p = append(p, checkFunctionAlarms(tpl)...)
		p = append(p, checkDeadLetterAlarms(tpl)...)
		return p
	}
	if p := all(t, good); len(p) > 0 {
		t.Fatalf("template.yaml itself has problems: %q", p)
	}
	props := func(tpl template, id string) map[string]any { return mapOf(get(resources(tpl)[id], "Properties")) }
	statement := func(tpl template, sid string) map[string]any {
		for _, pol := range asList(props(tpl, "EnforceFunction")["Policies"]) {
			for _, s := range asList(get(pol, "Statement")) {
				if get(s, "Sid") == sid {
					return mapOf(s)
				}
			}
		}
		t.Fatalf("no statement %s", sid)
		return nil
	}
	filters := func(tpl template) []any {
		return asList(get(props(tpl, "EnforceStreamMapping"), "FilterCriteria", "Filters"))
	}
	cases := []struct {
		name   string
		mutate func(tpl template)
		want   string
	}{
		{"no held alarm", func(tpl template) { delete(resources(tpl), "EnforceHeldAlarm") }, "EnforceFunction: no alarm on AbuseScan Held"},
		{"held alarm on a metric of the scanners", func(tpl template) {
			mapOf(asList(props(tpl, "EnforceHeldAlarm")["Dimensions"])[0])["Value"] = "signup"
		}, "published by the enforcer only"},
		{"refusals tolerated", func(tpl template) { props(tpl, "EnforceRefusedAlarm")["Threshold"] = 5 }, "one is one too many"},
		{"no failure queue alarm", func(tpl template) { delete(resources(tpl), "EnforceFailureAlarm") }, "EnforceFailureQueue: no alarm on its depth"},
		{"no iterator age alarm", func(tpl template) { delete(resources(tpl), "EnforceIteratorAgeAlarm") }, "EnforceFunction: no alarm on AWS/Lambda IteratorAge"},
		{"dashboard without held", func(tpl template) {
			editBody(t, tpl, `["AbuseScan", "Held", "Function", "enforce"`, `["AbuseScan", "Refused", "Function", "enforce"`)
		}, "shows no Held of EnforceFunction"},
		{"no filter", func(tpl template) { delete(mapOf(props(tpl, "EnforceStreamMapping")), "FilterCriteria") }, "no FilterCriteria"},
		{"a filter on the new image alone", func(tpl template) {
			mapOf(get(props(tpl, "EnforceStreamMapping"), "FilterCriteria"))["Filters"] = []any{map[string]any{"Pattern": `{"dynamodb": {"NewImage": {"status": {"S": ["pending"]}, "action": {"S": ["suspend"]}}}}`}}
		}, "lets a suspension raised again through: true, want false"},
		{"a filter that misses reviews raised to suspend", func(tpl template) {
			mapOf(get(props(tpl, "EnforceStreamMapping"), "FilterCriteria"))["Filters"] = filters(tpl)[:2]
		}, "lets enforce-stream.json MODIFY through: false, want true"},
		{"a filter forgetting the action", func(tpl template) {
			fs := filters(tpl)
			mapOf(fs[0])["Pattern"] = `{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["pending"]}}}}`
		}, "lets an INSERT of a review through: true, want false"},
		{"a big batch", func(tpl template) { props(tpl, "EnforceStreamMapping")["BatchSize"] = 100 }, "want 1..10"},
		{"the whole state table", func(tpl template) { delete(statement(tpl, "Caps"), "Condition") }, "want only enforce#*"},
		{"the hash key", func(tpl template) {
			s := statement(tpl, "KillSwitch")
			s["Resource"] = map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${HashKeyParameter}"}
		}, "want exactly the webhook secret and the kill switch"},
		{"decrypt anything", func(tpl template) {
			delete(mapOf(get(statement(tpl, "WebhookSecretDecrypt"), "Condition", "StringEquals")), "kms:EncryptionContext:PARAMETER_ARN")
		}, "kms:Decrypt not only through SSM"},
		{"the switch created on", func(tpl template) { props(tpl, "EnforceSwitch")["Value"] = "on" }, "created with the value off"},
		{"a cap from nowhere", func(tpl template) {
			mapOf(get(props(tpl, "EnforceFunction"), "Environment", "Variables"))["ENFORCE_CAP_DAY"] = "100000"
		}, "ENFORCE_CAP_DAY = 100000, want !Ref EnforceCapPerDay"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tpl := copyOf(map[string]any(good)).(map[string]any)
			c.mutate(tpl)
			got := all(t, tpl)
			if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
				t.Errorf("problems %q, want one with %q", got, c.want)
			}
		})
	}
}
