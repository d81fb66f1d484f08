package templatetest

import (
	"slices"
	"strings"
	"testing"
)

// pages are the functions that serve people rather than score events: they
// publish no scoring metrics (so no verdict or rejected-rate alarms and
// dashboard rows), and read neither the hash key nor the rules. Each still
// has its Errors and Throttles alarms, log group and least-privilege policy.
var pages = []string{"ReviewFunction"}

// scorers returns the template's functions that score events.
func scorers(tpl template) []string {
	return slices.DeleteFunc(ofType(tpl, "AWS::Serverless::Function"), func(fn string) bool { return slices.Contains(pages, fn) || slices.Contains(enforcers, fn) })
}

// TestReviewFunction: the review page is reached only through a function
// URL with IAM authentication (its caller is who decides), nothing opens
// it to anyone else, and it touches nothing beyond the queue.
func TestReviewFunction(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	const fn = "ReviewFunction"
	if get(resources(tpl)[fn], "Type") != "AWS::Serverless::Function" {
		t.Fatalf("no %s", fn)
	}
	var urls []string
	for _, id := range ofType(tpl, "AWS::Lambda::Url") {
		props := get(resources(tpl)[id], "Properties")
		if refTo(get(props, "TargetFunctionArn")) != fn {
			continue
		}
		urls = append(urls, id)
		if get(props, "AuthType") != "AWS_IAM" {
			t.Errorf("%s: AuthType %v, want AWS_IAM", id, get(props, "AuthType"))
		}
		if q := get(props, "Qualifier"); q != nil {
			t.Errorf("%s: Qualifier %v: want the function itself", id, q)
		}
	}
	if len(urls) != 1 {
		t.Errorf("function URLs of %s: %v, want one", fn, urls)
	}
	if c := prop(tpl, fn, "FunctionUrlConfig"); c != nil {
		t.Errorf("%s FunctionUrlConfig %v: the URL is ReviewFunctionUrl, checked here", fn, c)
	}
	if ev := prop(tpl, fn, "Events"); ev != nil {
		t.Errorf("%s has events %v: it is reached through its URL only", fn, ev)
	}
	for _, id := range ofType(tpl, "AWS::Lambda::Permission") {
		props := get(resources(tpl)[id], "Properties")
		if refTo(get(props, "FunctionName")) == fn || get(props, "FunctionName") == fn {
			t.Errorf("%s grants %v on %s to %v: IAM policies of the account's principals decide who reaches the page", id, get(props, "Action"), fn, get(props, "Principal"))
		}
	}
	for _, s := range statements(t, tpl, fn) {
		for _, a := range strings1(s.m["Action"]) {
			if !strings.HasPrefix(a, "dynamodb:") {
				t.Errorf("statement %v allows %s: the page needs the queue table only", s.m["Sid"], a)
			}
		}
	}
	var out bool
	for _, o := range mapOf(tpl["Outputs"]) {
		if refTo(get(o, "Value")) == "ReviewFunctionUrl" {
			out = true
		}
	}
	if !out {
		t.Error("no output gives the review page's URL")
	}
}

// TestIndexResource: the least-privilege check reads an index ARN as the
// index of a table of the template, and nothing else as one.
func TestIndexResource(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	sub := func(s string) any { return map[string]any{"Fn::Sub": s} }
	tests := []struct {
		v    any
		want string
	}{
		{sub("${QueueTable.Arn}/index/byStatus"), "QueueTable/index/byStatus"},
		{sub("${QueueTable.Arn}/index/*"), ""},
		{sub("${QueueTable.Arn}/index/nope"), ""},
		{sub("${StateTable.Arn}/index/byStatus"), ""},
		{sub("${QueueTable.Arn}/stream/*"), ""},
		{map[string]any{"Fn::GetAtt": []any{"QueueTable", "Arn"}}, ""},
	}
	for _, tc := range tests {
		if got := indexResource(tpl, tc.v); got != tc.want {
			t.Errorf("indexResource(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// indexResource returns "Table/index/Name" for a !Sub '${Table.Arn}/index/Name'
// that names a global secondary index of a table of the template, else "".
func indexResource(tpl template, v any) string {
	fn, arg := intrinsic(v)
	s, ok := arg.(string)
	if fn != "Fn::Sub" || !ok {
		return ""
	}
	table, rest, ok := strings.Cut(strings.TrimPrefix(s, "${"), ".Arn}/index/")
	if !ok || !strings.HasPrefix(s, "${") || get(resources(tpl)[table], "Type") != "AWS::DynamoDB::Table" {
		return ""
	}
	for _, gsi := range asList(get(resources(tpl)[table], "Properties", "GlobalSecondaryIndexes")) {
		if get(gsi, "IndexName") == rest {
			return table + "/index/" + rest
		}
	}
	return ""
}

// TestReviewMonitoringChecksFail: the review page is held to the checks
// every function is (alarms, dashboard rows), and a scorer is not let off
// the scoring ones.
func TestReviewMonitoringChecksFail(t *testing.T) {
	t.Parallel()
	good := load(t)
	f := loadFacts(t, good)
	cases := []struct {
		name   string
		mutate func(t *testing.T, tpl template)
		check  func(tpl template) problems
		want   string
	}{
		{"no errors alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "ReviewErrorsAlarm") },
			checkFunctionAlarms, "ReviewFunction: no alarm on AWS/Lambda Errors"},
		{"no throttles alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "ReviewThrottlesAlarm") },
			checkFunctionAlarms, "ReviewFunction: no alarm on AWS/Lambda Throttles"},
		{"dashboard without its invocations", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"Invocations", "FunctionName", "${ReviewFunction}"`, `"Invocations", "FunctionName", "${LoginFunction}"`)
		}, func(tpl template) problems { return checkDashboard(tpl, f) }, "shows no AWS/Lambda Invocations of ReviewFunction"},
		{"no log group", func(t *testing.T, tpl template) {
			delete(mapOf(get(resources(tpl)["ReviewFunction"], "Properties")), "LoggingConfig")
		},
			checkLogGroups, "ReviewFunction: no LoggingConfig.LogGroup"},
		{"a scorer without a rejected-rate alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "LoginRejectedRateAlarm") },
			func(tpl template) problems { return checkEMFAlarms(tpl, f) }, "LoginFunction: no alarm on the rate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tpl := template(copyOf(map[string]any(good)).(map[string]any))
			tc.mutate(t, tpl)
			p := tc.check(tpl)
			if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Errorf("problems %q, want one saying %q", p, tc.want)
			}
		})
	}
}
