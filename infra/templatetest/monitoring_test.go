package templatetest

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/decision"
	"github.com/mailtrust/abusescan/internal/enforce"
	"github.com/mailtrust/abusescan/internal/metrics"
)

// The monitoring checks are functions of a template that return what is
// wrong with it, so that TestMonitoringChecksFail can hold each of them to
// a broken copy of template.yaml and see it complain.

// pitrNeeded are the tables that must keep point-in-time backups: the queue
// holds decisions and the releases people made, which nothing can recompute.
var pitrNeeded = []string{"QueueTable"}

// emf is what a function's code publishes as EMF: the namespace and its
// Function dimension value.
type emf struct{ namespace, function string }

// emfMetrics are the metrics internal/metrics writes, each with its
// dimension names.
var emfMetrics = map[string][]string{
	metrics.MetricEvents:     {metrics.DimFunction},
	metrics.MetricRejected:   {metrics.DimFunction},
	metrics.MetricFailed:     {metrics.DimFunction},
	metrics.MetricDuplicates: {metrics.DimFunction},
	metrics.MetricVerdicts:   {metrics.DimFunction, metrics.DimVerdict},
	metrics.MetricRuleHits:   {metrics.DimFunction, metrics.DimRule},
}

// verdicts are the values of the Verdict dimension.
var verdicts = []string{string(decision.Allow), string(decision.Review), string(decision.Suspend)}

// awsMetrics are the AWS metrics the template may watch, by namespace, with
// the one dimension each is published with and the type of resource it
// names.
var awsMetrics = map[string]struct {
	names     []string
	dimension string
	resource  string
}{
	"AWS/Lambda":   {[]string{"Errors", "Throttles", "Duration", "Invocations", "IteratorAge", "ConcurrentExecutions"}, "FunctionName", "AWS::Serverless::Function"},
	"AWS/SQS":      {[]string{"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible", "NumberOfMessagesReceived", "NumberOfMessagesSent", "NumberOfMessagesDeleted", "NumberOfEmptyReceives"}, "QueueName", "AWS::SQS::Queue"},
	"AWS/DynamoDB": {[]string{"ReadThrottleEvents", "WriteThrottleEvents", "ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"}, "TableName", "AWS::DynamoDB::Table"},
	"AWS/Kinesis":  {[]string{"IncomingRecords", "IncomingBytes", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "GetRecords.IteratorAgeMilliseconds"}, "StreamName", "AWS::Kinesis::Stream"},
}

// facts are what the checks know from outside the template: per function,
// what its code publishes.
type facts struct {
	emf map[string]emf
}

// loadFacts reads, for every function of tpl, the metricNamespace and
// metricFunction constants of the main package infra/sam.mk builds it from.
func loadFacts(t *testing.T, tpl template) facts {
	t.Helper()
	targets := makeTargets(t)
	f := facts{emf: map[string]emf{}}
	for _, fn := range append(scorers(tpl), enforcers...) {
		var dir string
		for _, l := range targets["build-"+fn] {
			if m := pkgRe.FindStringSubmatch(l); m != nil {
				dir = filepath.Join(root, m[1])
			}
		}
		if dir == "" {
			t.Fatalf("infra/sam.mk builds no ./functions/... package for %s", fn)
		}
		consts := stringConsts(t, dir)
		e := emf{namespace: consts["metricNamespace"], function: consts["metricFunction"]}
		if e.namespace == "" || e.function == "" {
			t.Fatalf("%s: no string constants metricNamespace and metricFunction, the names its metrics are published under", dir)
		}
		f.emf[fn] = e
	}
	return f
}

// stringConsts returns the string constants declared in the Go files of dir.
func stringConsts(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						out[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return out
}

// problems collects what a check finds wrong.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func report(t *testing.T, p problems) {
	t.Helper()
	for _, s := range p {
		t.Error(s)
	}
}

// metric is one metric an alarm or a widget watches. A dimension value that
// refers to a resource or parameter is "ref:<logical id>".
type metric struct {
	namespace, name string
	dims            map[string]string
}

func (m metric) String() string {
	return fmt.Sprintf("%s %s %v", m.namespace, m.name, m.dims)
}

// dimValue turns a dimension value of the template into a string: a literal
// as it is, a Ref or GetAtt as "ref:<id>".
func dimValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if id := refTo(v); id != "" {
		return "ref:" + id
	}
	return fmt.Sprint(v)
}

// alarm is one AWS::CloudWatch::Alarm, with what it watches.
type alarm struct {
	id          string
	props       map[string]any
	metrics     []metric
	expressions map[string]string // id -> expression
	ids         []string          // ids of the metric-math inputs
}

func alarms(tpl template) []alarm {
	var out []alarm
	for _, id := range ofType(tpl, "AWS::CloudWatch::Alarm") {
		props := mapOf(get(resources(tpl)[id], "Properties"))
		a := alarm{id: id, props: props, expressions: map[string]string{}}
		if _, ok := props["MetricName"].(string); ok {
			a.metrics = append(a.metrics, alarmMetric(props))
		}
		for _, q := range asList(props["Metrics"]) {
			qid, _ := get(q, "Id").(string)
			if e, ok := get(q, "Expression").(string); ok {
				a.expressions[qid] = e
				continue
			}
			if m := mapOf(get(q, "MetricStat", "Metric")); m != nil {
				a.metrics = append(a.metrics, alarmMetric(m))
				a.ids = append(a.ids, qid)
			}
		}
		out = append(out, a)
	}
	return out
}

func alarmMetric(m map[string]any) metric {
	ns, _ := m["Namespace"].(string)
	name, _ := m["MetricName"].(string)
	out := metric{namespace: ns, name: name, dims: map[string]string{}}
	for _, d := range asList(m["Dimensions"]) {
		if n, ok := get(d, "Name").(string); ok {
			out.dims[n] = dimValue(get(d, "Value"))
		}
	}
	return out
}

// watching returns the alarms with a metric of namespace and name whose
// dimensions include dims.
func watching(as []alarm, namespace, name string, dims map[string]string) []alarm {
	var out []alarm
	for _, a := range as {
		for _, m := range a.metrics {
			if m.namespace != namespace || m.name != name {
				continue
			}
			ok := true
			for k, v := range dims {
				if m.dims[k] != v {
					ok = false
				}
			}
			if ok {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

// checkMetric reports what is wrong with a metric the template refers to:
// a name nothing publishes, dimensions it is not published with, or a
// dimension value naming the wrong resource.
func checkMetric(tpl template, f facts, m metric) error {
	if aws, ok := awsMetrics[m.namespace]; ok {
		if !slices.Contains(aws.names, m.name) {
			return fmt.Errorf("%s: not a %s metric watched here (add it to awsMetrics if it is one)", m, m.namespace)
		}
		if len(m.dims) != 1 {
			return fmt.Errorf("%s: want the one dimension %s", m, aws.dimension)
		}
		v, ok := m.dims[aws.dimension]
		id, isRef := strings.CutPrefix(v, "ref:")
		if !ok || !isRef || get(resources(tpl)[id], "Type") != aws.resource {
			return fmt.Errorf("%s: dimension %s is not a reference to an %s of the template", m, aws.dimension, aws.resource)
		}
		return nil
	}
	var fn string
	for id, e := range f.emf {
		if e.namespace == m.namespace {
			fn = id
		}
	}
	if fn == "" {
		return fmt.Errorf("%s: no function publishes namespace %q", m, m.namespace)
	}
	dims, ok := emfMetrics[m.name]
	if !ok && slices.Contains(enforce.Metrics, m.name) {
		// What functions/enforce publishes, under its own Function only.
		dims, ok = []string{enforce.DimFunction}, true
		if !slices.ContainsFunc(enforcers, func(fn string) bool { return f.emf[fn].function == m.dims[enforce.DimFunction] }) {
			return fmt.Errorf("%s: %s is published by the enforcer only, with Function %q", m, m.name, enforcerFunction(f))
		}
	}
	if !ok {
		return fmt.Errorf("%s: internal/metrics writes no metric %q", m, m.name)
	}
	if got := slices.Sorted(mapKeys(m.dims)); !slices.Equal(got, slices.Sorted(slices.Values(dims))) {
		return fmt.Errorf("%s: dimensions %v, but %s is published with %v", m, got, m.name, dims)
	}
	functions := []string{}
	for id, e := range f.emf {
		if e.namespace == m.namespace && (slices.Contains(enforcers, id) == slices.Contains(enforce.Metrics, m.name)) {
			functions = append(functions, e.function)
		}
	}
	if !slices.Contains(functions, m.dims[metrics.DimFunction]) {
		return fmt.Errorf("%s: dimension %s is %q, but the functions publish %q", m, metrics.DimFunction, m.dims[metrics.DimFunction], functions)
	}
	if v, ok := m.dims[metrics.DimVerdict]; ok && !slices.Contains(verdicts, v) {
		return fmt.Errorf("%s: verdict %q is none of %q", m, v, verdicts)
	}
	return nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

var (
	exprQuoted = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	exprIdent  = regexp.MustCompile(`\b[a-z][A-Za-z0-9_]*\b`)
)

// checkExpression reports identifiers in a metric-math expression that are
// not among ids. Functions are upper case; ids start lower case.
func checkExpression(expr string, ids []string) error {
	for _, id := range exprIdent.FindAllString(exprQuoted.ReplaceAllString(expr, "''"), -1) {
		if !slices.Contains(ids, id) {
			return fmt.Errorf("expression %q uses %s, which is none of %v", expr, id, ids)
		}
	}
	return nil
}

// checkFunctionAlarms: every function alarms on its failed invocations,
// its throttles, and how long its events wait in their source: the oldest
// message of an SQS queue, the iterator age of a stream.
func checkFunctionAlarms(tpl template) problems {
	var p problems
	as := alarms(tpl)
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		self := map[string]string{"FunctionName": "ref:" + fn}
		for _, name := range []string{"Errors", "Throttles"} {
			if len(watching(as, "AWS/Lambda", name, self)) == 0 {
				p.add("%s: no alarm on AWS/Lambda %s", fn, name)
			}
		}
		for _, src := range queueSources(tpl) {
			if src.function == fn && len(watching(as, "AWS/SQS", "ApproximateAgeOfOldestMessage", map[string]string{"QueueName": "ref:" + src.queue})) == 0 {
				p.add("%s: no alarm on the ApproximateAgeOfOldestMessage of %s, the queue of its source %s", fn, src.queue, src.id)
			}
		}
		for _, src := range streamSources(tpl) {
			if src.function == fn && len(watching(as, "AWS/Lambda", "IteratorAge", self)) == 0 {
				p.add("%s: no alarm on AWS/Lambda IteratorAge, for its stream source %s", fn, src.id)
			}
		}
	}
	return p
}

// deadLetterQueues returns the queues something sends what it gave up on
// to: other queues' redrive policies, EventBridge targets, and stream
// sources' on-failure destinations.
func deadLetterQueues(tpl template) []string {
	var out []string
	for _, q := range ofType(tpl, "AWS::SQS::Queue") {
		out = append(out, refTo(get(resources(tpl)[q], "Properties", "RedrivePolicy", "deadLetterTargetArn")))
	}
	for _, r := range ofType(tpl, "AWS::Events::Rule") {
		for _, target := range asList(get(resources(tpl)[r], "Properties", "Targets")) {
			out = append(out, refTo(get(target, "DeadLetterConfig", "Arn")))
		}
	}
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		out = append(out, refTo(get(resources(tpl)[fn], "Properties", "DeadLetterQueue", "TargetArn")))
	}
	for _, src := range streamSources(tpl) {
		out = append(out, refTo(get(src.props, "DestinationConfig", "OnFailure", "Destination")))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// checkDeadLetterAlarms: a message in a dead-letter queue is an event that
// was never scored, so every one of them is heard.
func checkDeadLetterAlarms(tpl template) problems {
	var p problems
	dlqs := deadLetterQueues(tpl)
	if len(dlqs) == 0 {
		p.add("no dead-letter queue")
	}
	for _, q := range dlqs {
		as := watching(alarms(tpl), "AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": "ref:" + q})
		if len(as) == 0 {
			p.add("%s: no alarm on its depth (ApproximateNumberOfMessagesVisible)", q)
		}
		for _, a := range as {
			if th, _ := a.props["Threshold"].(int); th != 0 || a.props["ComparisonOperator"] != "GreaterThanThreshold" {
				p.add("%s: alarms at %v %v, want GreaterThanThreshold 0: one dead letter is one unscored signup", a.id, a.props["ComparisonOperator"], a.props["Threshold"])
			}
		}
	}
	return p
}

// numberParameter reports whether v is a Ref to a Number parameter.
func numberParameter(tpl template, v any) bool {
	fn, arg := intrinsic(v)
	return fn == "Ref" && get(tpl["Parameters"], fmt.Sprint(arg), "Type") == "Number"
}

// checkEMFAlarms: for every function, an alarm on the rate of rejected
// records (metric math over its Rejected and Events) and one on a spike of
// suspend verdicts, each against a parameter.
func checkEMFAlarms(tpl template, f facts) problems {
	var p problems
	as := alarms(tpl)
	for _, fn := range scorers(tpl) {
		e := f.emf[fn]
		self := map[string]string{metrics.DimFunction: e.function}
		var rate bool
		for _, a := range watching(as, e.namespace, metrics.MetricRejected, self) {
			if len(watching([]alarm{a}, e.namespace, metrics.MetricEvents, self)) == 1 && len(a.expressions) > 0 {
				rate = true
				if !numberParameter(tpl, a.props["Threshold"]) {
					p.add("%s: Threshold %v, want a Ref to a Number parameter", a.id, a.props["Threshold"])
				}
			}
		}
		if !rate {
			p.add("%s: no alarm on the rate of %s %s to %s (metric math over both, Function %q)", fn, e.namespace, metrics.MetricRejected, metrics.MetricEvents, e.function)
		}
		spikes := watching(as, e.namespace, metrics.MetricVerdicts, map[string]string{metrics.DimFunction: e.function, metrics.DimVerdict: string(decision.Suspend)})
		if len(spikes) == 0 {
			p.add("%s: no alarm on %s %s with Verdict %q", fn, e.namespace, metrics.MetricVerdicts, decision.Suspend)
		}
		for _, a := range spikes {
			if !numberParameter(tpl, a.props["Threshold"]) {
				p.add("%s: Threshold %v, want a Ref to a Number parameter", a.id, a.props["Threshold"])
			}
		}
	}
	return p
}

// checkAlarms: every alarm watches metrics that exist, computes what its
// expressions name, and notifies the one alarm topic, whatever the
// parameters.
func checkAlarms(tpl template, f facts) problems {
	var p problems
	topics := ofType(tpl, "AWS::SNS::Topic")
	if len(topics) != 1 {
		p.add("SNS topics %v, want exactly one for every alarm", topics)
		return p
	}
	as := alarms(tpl)
	if len(as) == 0 {
		p.add("no alarm")
	}
	for _, a := range as {
		if len(a.metrics) == 0 {
			p.add("%s: watches no metric", a.id)
		}
		for _, m := range a.metrics {
			if err := checkMetric(tpl, f, m); err != nil {
				p.add("%s: %v", a.id, err)
			}
		}
		for _, e := range a.expressions {
			if err := checkExpression(e, a.ids); err != nil {
				p.add("%s: %v", a.id, err)
			}
		}
		actions, ok := a.props["AlarmActions"].([]any)
		if !ok || !slices.ContainsFunc(actions, func(v any) bool { fn, arg := intrinsic(v); return fn == "Ref" && arg == topics[0] }) {
			p.add("%s: AlarmActions %v, want a list with a Ref to %s", a.id, a.props["AlarmActions"], topics[0])
		}
	}
	return p
}

// checkTables: no table goes with its stack, the queue table keeps
// point-in-time backups, and throttling on any table is heard.
func checkTables(tpl template) problems {
	var p problems
	as := alarms(tpl)
	tables := ofType(tpl, "AWS::DynamoDB::Table")
	for _, table := range tables {
		props := get(resources(tpl)[table], "Properties")
		if get(props, "DeletionProtectionEnabled") != true {
			p.add("%s: DeletionProtectionEnabled = %v, want true", table, get(props, "DeletionProtectionEnabled"))
		}
		self := map[string]string{"TableName": "ref:" + table}
		for _, name := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
			if len(watching(as, "AWS/DynamoDB", name, self)) == 0 {
				p.add("%s: no alarm on AWS/DynamoDB %s", table, name)
			}
		}
	}
	for _, table := range pitrNeeded {
		if !slices.Contains(tables, table) {
			p.add("no table %s", table)
			continue
		}
		if get(resources(tpl)[table], "Properties", "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
			p.add("%s: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not true", table)
		}
	}
	return p
}

// checkLogGroups: every function logs to a group of the template with a
// retention, either named by the function's LoggingConfig or named
// /aws/lambda/${Function}, where Lambda writes by default.
func checkLogGroups(tpl template) problems {
	var p problems
	groups := ofType(tpl, "AWS::Logs::LogGroup")
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		var group string
		if v := get(resources(tpl)[fn], "Properties", "LoggingConfig", "LogGroup"); v != nil {
			group = refTo(v)
			if !slices.Contains(groups, group) {
				p.add("%s: LoggingConfig.LogGroup %v is not a Ref to a log group of the template", fn, v)
				continue
			}
		} else {
			for _, g := range groups {
				if name, arg := intrinsic(get(resources(tpl)[g], "Properties", "LogGroupName")); name == "Fn::Sub" && arg == "/aws/lambda/${"+fn+"}" {
					group = g
				}
			}
			if group == "" {
				p.add("%s: no LoggingConfig.LogGroup and no log group named !Sub /aws/lambda/${%s}: Lambda would create one that keeps logs forever", fn, fn)
				continue
			}
		}
		r := get(resources(tpl)[group], "Properties", "RetentionInDays")
		if _, literal := r.(int); !literal && !numberParameter(tpl, r) {
			p.add("%s: RetentionInDays = %v, want a number or a Ref to a Number parameter", group, r)
		}
	}
	return p
}

// dashboardBody returns a dashboard's body with every ${...} of its
// Fn::Sub replaced: a Number parameter by its default, anything else by
// "ref:<logical id>" (inside the JSON string where it must stand).
func dashboardBody(tpl template, id string) (string, error) {
	fn, arg := intrinsic(get(resources(tpl)[id], "Properties", "DashboardBody"))
	body, ok := arg.(string)
	if fn != "Fn::Sub" || !ok {
		return "", fmt.Errorf("DashboardBody is not a !Sub of one string")
	}
	return subVar.ReplaceAllStringFunc(body, func(s string) string {
		name, _, _ := strings.Cut(s[2:len(s)-1], ".")
		if p := get(tpl["Parameters"], name); get(p, "Type") == "Number" {
			return fmt.Sprint(get(p, "Default"))
		}
		return "ref:" + name
	}), nil
}

var search = regexp.MustCompile(`SEARCH\(\s*'\{([^}]*)\}([^']*)'`)
var searchTerm = regexp.MustCompile(`(\w+)\s*=\s*"([^"]*)"`)

// checkSearch reports what is wrong with the metric search of a SEARCH
// expression: the schema and the terms must name a metric that exists.
func checkSearch(tpl template, f facts, expr string) error {
	m := search.FindStringSubmatch(expr)
	if m == nil {
		return nil
	}
	schema := strings.Split(m[1], ",")
	for i := range schema {
		schema[i] = strings.Trim(strings.TrimSpace(schema[i]), `"`)
	}
	met := metric{namespace: schema[0], dims: map[string]string{}}
	for _, d := range schema[1:] {
		met.dims[d] = ""
	}
	for _, t := range searchTerm.FindAllStringSubmatch(m[2], -1) {
		if t[1] == "MetricName" {
			met.name = t[2]
		} else if _, ok := met.dims[t[1]]; ok {
			met.dims[t[1]] = t[2]
		} else {
			return fmt.Errorf("search %q: %s is not in its schema", m[0], t[1])
		}
	}
	// A dimension the search leaves open may take any value.
	for _, d := range schema[1:] {
		if met.dims[d] == "" && d == metrics.DimVerdict {
			met.dims[d] = verdicts[0]
		}
	}
	if met.name == "" {
		return fmt.Errorf("search %q names no MetricName", m[0])
	}
	return checkMetric(tpl, f, met)
}

// checkDashboard: the dashboard body is JSON once deployed, every metric
// and search it shows exists, every expression computes from its widget's
// metrics, it lists every alarm, and it shows per function the verdicts,
// the rules, the rejected records, the latency, and per table the units
// consumed.
func checkDashboard(tpl template, f facts) problems {
	var p problems
	ds := ofType(tpl, "AWS::CloudWatch::Dashboard")
	if len(ds) != 1 {
		p.add("dashboards %v, want one", ds)
		return p
	}
	text, err := dashboardBody(tpl, ds[0])
	if err != nil {
		p.add("%s: %v", ds[0], err)
		return p
	}
	var body struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Title   string   `json:"title"`
				Region  string   `json:"region"`
				Metrics [][]any  `json:"metrics"`
				Alarms  []string `json:"alarms"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(text), &body); err != nil {
		p.add("%s: DashboardBody is not JSON once substituted: %v", ds[0], err)
		return p
	}
	var shown []metric
	var alarmsShown, searches []string
	for _, w := range body.Widgets {
		where := fmt.Sprintf("%s widget %q", ds[0], w.Properties.Title)
		switch w.Type {
		case "alarm":
			alarmsShown = append(alarmsShown, w.Properties.Alarms...)
			continue
		case "metric":
		default:
			continue
		}
		if w.Properties.Region != "ref:AWS::Region" {
			p.add("%s: region %q, want ${AWS::Region}", where, w.Properties.Region)
		}
		var ids []string
		exprs := map[string]string{}
		for _, row := range w.Properties.Metrics {
			if len(row) == 0 {
				p.add("%s: an empty metrics row", where)
				continue
			}
			opts, _ := row[len(row)-1].(map[string]any)
			id, _ := opts["id"].(string)
			if e, ok := opts["expression"].(string); ok && len(row) == 1 {
				exprs[id] = e
				continue
			}
			strs := make([]string, 0, len(row))
			for _, v := range row {
				if s, ok := v.(string); ok {
					strs = append(strs, s)
				}
			}
			if len(strs) < 2 || len(strs)%2 != 0 || (opts == nil && len(strs) != len(row)) || (opts != nil && len(strs) != len(row)-1) {
				p.add("%s: row %v is not [namespace, name, dimension, value, ..., {options}] (the \"...\" shorthand is not checked, so not used)", where, row)
				continue
			}
			m := metric{namespace: strs[0], name: strs[1], dims: map[string]string{}}
			for i := 2; i+1 < len(strs); i += 2 {
				m.dims[strs[i]] = strs[i+1]
			}
			if err := checkMetric(tpl, f, m); err != nil {
				p.add("%s: %v", where, err)
			}
			shown = append(shown, m)
			if id != "" {
				ids = append(ids, id)
			}
		}
		for id, e := range exprs {
			if m := search.FindString(e); m != "" {
				searches = append(searches, e)
				if err := checkSearch(tpl, f, e); err != nil {
					p.add("%s: %v", where, err)
				}
				continue
			}
			others := slices.Clone(ids)
			for other := range exprs {
				if other != id {
					others = append(others, other)
				}
			}
			if err := checkExpression(e, others); err != nil {
				p.add("%s: %v", where, err)
			}
		}
	}
	for _, a := range ofType(tpl, "AWS::CloudWatch::Alarm") {
		if !slices.Contains(alarmsShown, "ref:"+a) {
			p.add("%s: alarm widgets do not list %s", ds[0], a)
		}
	}
	has := func(namespace, name string, dims map[string]string) bool {
		return len(watching([]alarm{{metrics: shown}}, namespace, name, dims)) > 0
	}
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		for _, name := range []string{"Duration", "Invocations"} {
			if !has("AWS/Lambda", name, map[string]string{"FunctionName": "ref:" + fn}) {
				p.add("%s: shows no AWS/Lambda %s of %s", ds[0], name, fn)
			}
		}
	}
	for _, fn := range scorers(tpl) {
		e := f.emf[fn]
		self := map[string]string{metrics.DimFunction: e.function}
		for _, v := range verdicts {
			if !has(e.namespace, metrics.MetricVerdicts, map[string]string{metrics.DimFunction: e.function, metrics.DimVerdict: v}) {
				p.add("%s: shows no %s of %s with Verdict %q", ds[0], metrics.MetricVerdicts, fn, v)
			}
		}
		rules := slices.ContainsFunc(searches, func(s string) bool {
			return strings.Contains(s, `MetricName="`+metrics.MetricRuleHits+`"`) && strings.Contains(s, metrics.DimFunction+`="`+e.function+`"`)
		})
		if !rules && !has(e.namespace, metrics.MetricRuleHits, self) {
			p.add("%s: shows no %s of %s", ds[0], metrics.MetricRuleHits, fn)
		}
		for _, name := range []string{metrics.MetricEvents, metrics.MetricRejected} {
			if !has(e.namespace, name, self) {
				p.add("%s: shows no %s of %s", ds[0], name, fn)
			}
		}
	}
	for _, table := range ofType(tpl, "AWS::DynamoDB::Table") {
		for _, name := range []string{"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"} {
			if !has("AWS/DynamoDB", name, map[string]string{"TableName": "ref:" + table}) {
				p.add("%s: shows no %s of %s", ds[0], name, table)
			}
		}
	}
	return p
}

func TestFunctionAlarms(t *testing.T) {
	t.Parallel()
	report(t, checkFunctionAlarms(load(t)))
}

func TestDeadLetterAlarms(t *testing.T) {
	t.Parallel()
	report(t, checkDeadLetterAlarms(load(t)))
}

func TestEMFAlarms(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	report(t, checkEMFAlarms(tpl, loadFacts(t, tpl)))
}

func TestAlarms(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	report(t, checkAlarms(tpl, loadFacts(t, tpl)))
}

func TestTablesProtected(t *testing.T) {
	t.Parallel()
	report(t, checkTables(load(t)))
}

func TestLogGroups(t *testing.T) {
	t.Parallel()
	report(t, checkLogGroups(load(t)))
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	report(t, checkDashboard(tpl, loadFacts(t, tpl)))
}

// copyOf returns a deep copy of a template value.
func copyOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, c := range v {
			m[k] = copyOf(c)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, c := range v {
			l[i] = copyOf(c)
		}
		return l
	}
	return v
}

// editBody replaces old by new in the dashboard's body.
func editBody(t *testing.T, tpl template, old, new string) {
	t.Helper()
	sub := mapOf(get(resources(tpl)["Dashboard"], "Properties", "DashboardBody"))
	body, _ := sub["Fn::Sub"].(string)
	if !strings.Contains(body, old) {
		t.Fatalf("the dashboard body has no %q", old)
	}
	sub["Fn::Sub"] = strings.Replace(body, old, new, 1)
}

// TestMonitoringChecksFail breaks a copy of template.yaml in one way at a
// time and expects the checks to say so: a check that cannot fail checks
// nothing.
func TestMonitoringChecksFail(t *testing.T) {
	t.Parallel()
	good := load(t)
	f := loadFacts(t, good)
	all := func(tpl template) problems {
		var p problems
		p = append(p, checkFunctionAlarms(tpl)...)
		p = append(p, checkDeadLetterAlarms(tpl)...)
		p = append(p, checkEMFAlarms(tpl, f)...)
		p = append(p, checkAlarms(tpl, f)...)
		p = append(p, checkTables(tpl)...)
		p = append(p, checkLogGroups(tpl)...)
		p = append(p, checkDashboard(tpl, f)...)
		return p
	}
	if p := all(good); len(p) > 0 {
		t.Fatalf("template.yaml itself has problems: %q", p)
	}
	res := func(tpl template, id string) map[string]any { return mapOf(resources(tpl)[id]) }
	props := func(tpl template, id string) map[string]any { return mapOf(res(tpl, id)["Properties"]) }
	firstDim := func(tpl template, alarm string, metric int, dim int) map[string]any {
		ms := asList(props(tpl, alarm)["Metrics"])
		m := mapOf(get(ms[metric], "MetricStat", "Metric"))
		return mapOf(asList(m["Dimensions"])[dim])
	}
	cases := []struct {
		name   string
		mutate func(t *testing.T, tpl template)
		want   string // in one of the problems; "" for none
	}{
		{"no errors alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupErrorsAlarm") }, "no alarm on AWS/Lambda Errors"},
		{"no throttles alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupThrottlesAlarm") }, "no alarm on AWS/Lambda Throttles"},
		{"no queue age alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupQueueAgeAlarm") }, "ApproximateAgeOfOldestMessage of SignupQueue, the queue of its source SignupFunctionSignups"},
		{"a stream without an iterator age alarm", func(t *testing.T, tpl template) {
			resources(tpl)["SignupLoginMapping"] = map[string]any{"Type": "AWS::Lambda::EventSourceMapping", "Properties": map[string]any{
				"FunctionName": map[string]any{"Ref": "SignupFunction"}, "EventSourceArn": map[string]any{"Fn::GetAtt": []any{"LoginStream", "Arn"}}}}
		}, "SignupFunction: no alarm on AWS/Lambda IteratorAge, for its stream source SignupLoginMapping"},
		{"a queue mapping without a queue age alarm", func(t *testing.T, tpl template) {
			resources(tpl)["LoginFailureMapping"] = map[string]any{"Type": "AWS::Lambda::EventSourceMapping", "Properties": map[string]any{
				"FunctionName": map[string]any{"Ref": "LoginFunction"}, "EventSourceArn": map[string]any{"Fn::GetAtt": []any{"LoginFailureQueue", "Arn"}}}}
		}, "LoginFunction: no alarm on the ApproximateAgeOfOldestMessage of LoginFailureQueue, the queue of its source LoginFailureMapping"},
		{"no dead-letter alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupDeadLetterAlarm") }, "SignupDeadLetterQueue: no alarm on its depth"},
		{"no iterator age alarm on the login stream", func(t *testing.T, tpl template) { delete(resources(tpl), "LoginIteratorAgeAlarm") },
			"LoginFunction: no alarm on AWS/Lambda IteratorAge, for its stream source LoginStreamMapping"},
		{"no alarm on the login on-failure queue", func(t *testing.T, tpl template) { delete(resources(tpl), "LoginFailureAlarm") }, "LoginFailureQueue: no alarm on its depth"},
		{"no login rejected-rate alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "LoginRejectedRateAlarm") }, `LoginFunction: no alarm on the rate of AbuseScan Rejected to Events (metric math over both, Function "login")`},
		{"dashboard without the login verdicts", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"Function", "login", "Verdict", "review"`, `"Function", "signup", "Verdict", "review"`)
		}, `shows no Verdicts of LoginFunction with Verdict "review"`},
		{"a stream metric of a stream not in the template", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"StreamName", "${LoginStream}", {"label": "logins put on the stream"}`, `"StreamName", "logins", {"label": "logins put on the stream"}`)
		}, "not a reference to an AWS::Kinesis::Stream"},
		{"dead letters tolerated", func(t *testing.T, tpl template) { props(tpl, "SignupDeadLetterAlarm")["Threshold"] = 10 }, "one dead letter"},
		{"no rejected-rate alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupRejectedRateAlarm") }, "no alarm on the rate of AbuseScan Rejected"},
		{"rejected-rate alarm on a metric nobody writes", func(t *testing.T, tpl template) {
			ms := asList(props(tpl, "SignupRejectedRateAlarm")["Metrics"])
			mapOf(get(ms[1], "MetricStat", "Metric"))["MetricName"] = "Rejects"
		}, `internal/metrics writes no metric "Rejects"`},
		{"rejected-rate alarm on another function's name", func(t *testing.T, tpl template) {
			firstDim(tpl, "SignupRejectedRateAlarm", 1, 0)["Value"] = "SignupFunction"
		}, `dimension Function is "SignupFunction"`},
		{"expression on an unknown id", func(t *testing.T, tpl template) {
			mapOf(asList(props(tpl, "SignupRejectedRateAlarm")["Metrics"])[0])["Expression"] = "100 * rejects / events"
		}, "uses rejects"},
		{"no suspend-spike alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "SignupSuspendSpikeAlarm") }, `Verdicts with Verdict "suspend"`},
		{"suspend-spike alarm on a verdict that does not exist", func(t *testing.T, tpl template) {
			mapOf(asList(props(tpl, "SignupSuspendSpikeAlarm")["Dimensions"])[1])["Value"] = "suspended"
		}, `verdict "suspended"`},
		{"suspend-spike threshold not a parameter", func(t *testing.T, tpl template) { props(tpl, "SignupSuspendSpikeAlarm")["Threshold"] = 100 }, "want a Ref to a Number parameter"},
		{"an alarm without actions", func(t *testing.T, tpl template) { delete(props(tpl, "SignupThrottlesAlarm"), "AlarmActions") }, "SignupThrottlesAlarm: AlarmActions"},
		{"an alarm acting only if a parameter is set", func(t *testing.T, tpl template) {
			props(tpl, "SignupErrorsAlarm")["AlarmActions"] = map[string]any{"Fn::If": []any{"HasAlarmEmail", []any{map[string]any{"Ref": "AlarmTopic"}}, map[string]any{"Ref": "AWS::NoValue"}}}
		}, "SignupErrorsAlarm: AlarmActions"},
		{"two topics", func(t *testing.T, tpl template) {
			resources(tpl)["OtherTopic"] = map[string]any{"Type": "AWS::SNS::Topic"}
		}, "want exactly one"},
		{"an alarm on a queue by its literal name", func(t *testing.T, tpl template) {
			mapOf(asList(props(tpl, "SignupQueueAgeAlarm")["Dimensions"])[0])["Value"] = "signup-queue"
		}, "not a reference to an AWS::SQS::Queue"},
		{"a table without deletion protection", func(t *testing.T, tpl template) { delete(props(tpl, "StateTable"), "DeletionProtectionEnabled") }, "StateTable: DeletionProtectionEnabled"},
		{"the queue table without PITR", func(t *testing.T, tpl template) { delete(props(tpl, "QueueTable"), "PointInTimeRecoverySpecification") }, "QueueTable: PointInTimeRecoverySpecification"},
		{"no table throttle alarm", func(t *testing.T, tpl template) { delete(resources(tpl), "QueueTableThrottleAlarm") }, "QueueTable: no alarm on AWS/DynamoDB ReadThrottleEvents"},
		{"no log group", func(t *testing.T, tpl template) {
			delete(props(tpl, "SignupFunction"), "LoggingConfig")
		}, "SignupFunction: no LoggingConfig.LogGroup"},
		{"a log group kept forever", func(t *testing.T, tpl template) { delete(props(tpl, "SignupLogGroup"), "RetentionInDays") }, "SignupLogGroup: RetentionInDays"},
		{"the default log group, named by the function", func(t *testing.T, tpl template) {
			delete(props(tpl, "SignupFunction"), "LoggingConfig")
			props(tpl, "SignupLogGroup")["LogGroupName"] = map[string]any{"Fn::Sub": "/aws/lambda/${SignupFunction}"}
		}, ""},
		{"dashboard not JSON", func(t *testing.T, tpl template) { editBody(t, tpl, `"start": "-PT24H",`, `"start": "-PT24H"`) }, "not JSON"},
		{"dashboard placeholder outside a string", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"region": "${AWS::Region}"`, `"region": ${AWS::Region}`)
		}, "not JSON"},
		{"dashboard metric nobody writes", func(t *testing.T, tpl template) {
			editBody(t, tpl, `["AbuseScan", "Verdicts", "Function", "signup", "Verdict", "review"`, `["AbuseScan", "Verdict", "Function", "signup", "Verdict", "review"`)
		}, `writes no metric "Verdict"`},
		{"dashboard without a verdict", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"Verdict", "allow"`, `"Verdict", "allowed"`)
		}, `shows no Verdicts of SignupFunction with Verdict "allow"`},
		{"dashboard search with a wrong schema", func(t *testing.T, tpl template) {
			editBody(t, tpl, `{AbuseScan,Function,Rule}`, `{AbuseScan,Function,Rules}`)
		}, "dimensions [Function Rules]"},
		{"dashboard expression on an unknown id", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"100 * rejected / events"`, `"100 * rejected / delivered"`)
		}, "uses delivered"},
		{"dashboard without an alarm", func(t *testing.T, tpl template) {
			editBody(t, tpl, `"${SignupQueueAgeAlarm.Arn}", `, ``)
		}, "do not list SignupQueueAgeAlarm"},
		{"dashboard without a table's units", func(t *testing.T, tpl template) {
			editBody(t, tpl, `["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", "${QueueTable}", {"id": "qw", "label": "queue writes"}],`, ``)
			editBody(t, tpl, `["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", "${QueueTable}", {"id": "qw", "visible": false}],`, ``)
		}, "shows no ConsumedWriteCapacityUnits of QueueTable"},
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
