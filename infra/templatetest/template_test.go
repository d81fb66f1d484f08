package templatetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// root is the module root, relative to this package.
const root = "../.."

// needs says, per function, which tables it may touch and with which
// actions. A new function must be added here: its policy is then checked
// against exactly this.
var needs = map[string]map[string][]string{
	"SignupFunction": {
		"StateTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
		"QueueTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"},
	},
	"LoginFunction": {
		"StateTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
		"QueueTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"},
	},
	// As the login function; its S3 access is TestMessageFunction's.
	"MessageFunction": {
		"StateTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"},
		"QueueTable": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"},
	},
	// The review page: lists through the index, reads and writes items.
	"ReviewFunction": {
		"QueueTable":                {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem"},
		"QueueTable/index/byStatus": {"dynamodb:Query"},
	},
	// The auto-suspension: reads the queue's stream, reads and replaces
	// items; in the state table, the caps' item and its grants (its own
	// keys only: TestEnforceFunction).
	"EnforceFunction": {
		"QueueTable/stream": dynamoStreamReadActions,
		"QueueTable":        {"dynamodb:GetItem", "dynamodb:PutItem"},
		"StateTable":        {"dynamodb:GetItem", "dynamodb:PutItem"},
	},
}

// streamReadActions are what a Lambda event source mapping needs of a
// Kinesis stream it reads with standard iterators, and all a function's
// policy may allow on one.
var streamReadActions = []string{
	"kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
	"kinesis:GetShardIterator", "kinesis:ListShards",
}

// envNeeded are the variables every function's configuration reads.
var envNeeded = []string{
	"STATE_TABLE", "QUEUE_TABLE", "REVIEW_THRESHOLD", "SUSPEND_THRESHOLD", "SHADOW_MODE",
	"RULES_SOURCE", "HASH_KEY_PARAM", "GEOIP_CITY_DB", "GEOIP_ASN_DB", "GEOIP_ANON_DB", "LOG_LEVEL",
}

// template is template.yaml with CloudFormation's short tags turned into the
// long forms ({"Ref": x}, {"Fn::GetAtt": [r, a]}, ...), as plain Go values.
type template map[string]any

func load(t *testing.T) template {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	v, err := value(&doc)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	return m
}

// value converts a YAML node, expanding short-form intrinsic tags.
func value(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("line %d: %d documents, want 1", n.Line, len(n.Content))
		}
		return value(n.Content[0])
	case yaml.AliasNode:
		return value(n.Alias)
	case yaml.ScalarNode:
		if isShortTag(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	case yaml.SequenceNode:
		list := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, err := value(c)
			if err != nil {
				return nil, err
			}
			list = append(list, cv)
		}
		v = list
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %s", n.Content[i].Line, k)
			}
			cv, err := value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = cv
		}
		v = m
	default:
		return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
	}
	if !isShortTag(n.Tag) {
		return v, nil
	}
	name := n.Tag[1:]
	switch name {
	case "Ref", "Condition":
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %q is not Resource.Attribute", n.Line, s)
			}
			v = []any{res, attr}
		}
		name = "Fn::GetAtt"
	default:
		name = "Fn::" + name
	}
	return map[string]any{name: v}, nil
}

func isShortTag(tag string) bool { return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") }

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func mapOf(v any) map[string]any { m, _ := v.(map[string]any); return m }

// intrinsic returns the function name and argument of a one-key intrinsic
// mapping ("Ref", "Fn::If", ...), or "" for anything else.
func intrinsic(v any) (string, any) {
	m := mapOf(v)
	if len(m) != 1 {
		return "", nil
	}
	for k, arg := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, arg
		}
	}
	return "", nil
}

func resources(tpl template) map[string]any { return mapOf(tpl["Resources"]) }

// ofType returns the logical ids of the resources of type typ, sorted.
func ofType(tpl template, typ string) []string {
	var ids []string
	for id, r := range resources(tpl) {
		if get(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// prop returns a function's property, falling back on Globals.Function.
func prop(tpl template, fn, name string) any {
	if v := get(resources(tpl)[fn], "Properties", name); v != nil {
		return v
	}
	return get(tpl["Globals"], "Function", name)
}

func TestTransform(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	if got := tpl["Transform"]; got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform = %v, want AWS::Serverless-2016-10-31", got)
	}
	if len(ofType(tpl, "AWS::Serverless::Function")) == 0 {
		t.Error("no AWS::Serverless::Function")
	}
}

func TestFunctionsRuntime(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			want := map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"Tracing":       "Active",
				"CodeUri":       ".",
			}
			for name, w := range want {
				if got := prop(tpl, fn, name); fmt.Sprint(got) != fmt.Sprint(w) {
					t.Errorf("%s = %v, want %v", name, got, w)
				}
			}
			if got := get(resources(tpl)[fn], "Metadata", "BuildMethod"); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile", got)
			}
			timeout, ok := prop(tpl, fn, "Timeout").(int)
			if !ok || timeout < 1 || timeout > 900 {
				t.Errorf("Timeout = %v, want a literal number of seconds", prop(tpl, fn, "Timeout"))
			}
			if _, ok := prop(tpl, fn, "MemorySize").(int); !ok {
				t.Errorf("MemorySize = %v, want a literal number", prop(tpl, fn, "MemorySize"))
			}
		})
	}
}

// makeTargets reads infra/sam.mk: target name -> recipe lines.
func makeTargets(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "infra", "sam.mk"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	targets := map[string][]string{}
	var cur string
	sc := bufio.NewScanner(f)
	target := regexp.MustCompile(`^([A-Za-z0-9_.-]+):`)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "\t") && cur != "":
			targets[cur] = append(targets[cur], strings.TrimSpace(line))
		case target.MatchString(line):
			cur = target.FindStringSubmatch(line)[1]
			targets[cur] = nil
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		default:
			cur = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return targets
}

// pkgRe finds the package a build recipe of infra/sam.mk builds.
var pkgRe = regexp.MustCompile(`(?:^|\s)(\./functions/[A-Za-z0-9_/-]+)(?:\s|$)`)

func TestFunctionsBuild(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	targets := makeTargets(t)
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			recipe, ok := targets["build-"+fn]
			if !ok {
				t.Fatalf("infra/sam.mk has no target build-%s", fn)
			}
			var build string
			for _, l := range recipe {
				if strings.Contains(l, " build ") {
					build = l
				}
			}
			for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "-o $(ARTIFACTS_DIR)/bootstrap"} {
				if !strings.Contains(build, want) {
					t.Errorf("build-%s builds with %q, which lacks %q", fn, build, want)
				}
			}
			if !strings.Contains(build, "lambda.norpc") && !strings.Contains(build, "$(LAMBDA_GOFLAGS)") {
				t.Errorf("build-%s does not build with -tags lambda.norpc", fn)
			}
			m := pkgRe.FindStringSubmatch(build)
			if m == nil {
				t.Fatalf("build-%s builds no ./functions/... package: %q", fn, build)
			}
			checkMainPackage(t, filepath.Join(root, m[1]))
		})
	}
}

// checkMainPackage checks that dir holds package main with a func main that
// hands a handler to aws-lambda-go's lambda.Start.
func checkMainPackage(t *testing.T, dir string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var hasMain, hasStart bool
	var sources int
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		sources++
		if f.Name.Name != "main" {
			t.Errorf("%s is package %s, want main", path, f.Name.Name)
		}
		lambdaName := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/aws/aws-lambda-go/lambda" {
				lambdaName = "lambda"
				if imp.Name != nil {
					lambdaName = imp.Name.Name
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Name.Name == "main" && n.Recv == nil {
					hasMain = true
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && lambdaName != "" {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == lambdaName && (sel.Sel.Name == "Start" || sel.Sel.Name == "StartWithOptions") {
						hasStart = true
					}
				}
			}
			return true
		})
	}
	switch {
	case sources == 0:
		t.Errorf("%s has no Go sources", dir)
	case !hasMain:
		t.Errorf("%s has no func main", dir)
	case !hasStart:
		t.Errorf("%s never calls lambda.Start", dir)
	}
}

// maxSeconds resolves a number that is a literal or a Ref to a parameter, to
// the largest value it can take.
func maxSeconds(tpl template, v any) (int, bool) {
	if n, ok := v.(int); ok {
		return n, true
	}
	if fn, arg := intrinsic(v); fn == "Ref" {
		p := get(tpl["Parameters"], fmt.Sprint(arg))
		for _, k := range []string{"MaxValue", "Default"} {
			if n, ok := get(p, k).(int); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// refTo returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, attr]}
// points at.
func refTo(v any) string {
	switch fn, arg := intrinsic(v); fn {
	case "Ref":
		s, _ := arg.(string)
		return s
	case "Fn::GetAtt":
		if l, ok := arg.([]any); ok && len(l) == 2 {
			s, _ := l[0].(string)
			return s
		}
	}
	return ""
}

func TestQueuesHaveDeadLetterQueues(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	queues := ofType(tpl, "AWS::SQS::Queue")
	// Queues something sends what it gave up on to: other queues' redrive
	// policies, EventBridge targets, event source mappings' on-failure
	// destinations.
	dlqs := map[string]bool{}
	for _, q := range deadLetterQueues(tpl) {
		dlqs[q] = true
	}
	for _, q := range queues {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			props := get(resources(tpl)[q], "Properties")
			if get(props, "SqsManagedSseEnabled") != true && get(props, "KmsMasterKeyId") == nil {
				t.Error("not encrypted: want SqsManagedSseEnabled or KmsMasterKeyId")
			}
			if dlqs[q] {
				return // it is a dead-letter queue
			}
			rp := get(props, "RedrivePolicy")
			if rp == nil {
				t.Fatal("no RedrivePolicy and no queue uses it as a dead-letter queue")
			}
			dlq := refTo(get(rp, "deadLetterTargetArn"))
			if get(resources(tpl)[dlq], "Type") != "AWS::SQS::Queue" {
				t.Errorf("deadLetterTargetArn = %v, want a GetAtt of a queue in the template", get(rp, "deadLetterTargetArn"))
			}
			if n, ok := get(rp, "maxReceiveCount").(int); !ok || n < 1 {
				t.Errorf("maxReceiveCount = %v, want a positive number", get(rp, "maxReceiveCount"))
			}
		})
	}
}

// statement is one IAM statement of a function's policy; cond is the
// template condition it depends on, "" if none.
type statement struct {
	m    map[string]any
	cond string
}

// statements returns a function's inline policy statements, both branches
// of an Fn::If included.
func statements(t *testing.T, tpl template, fn string) []statement {
	t.Helper()
	var out []statement
	policies, _ := get(resources(tpl)[fn], "Properties", "Policies").([]any)
	for i, p := range policies {
		stmts, ok := get(p, "Statement").([]any)
		if !ok {
			t.Errorf("%s Policies[%d] = %v: want an inline document with a Statement list, so that it can be checked here", fn, i, p)
			continue
		}
		for _, s := range stmts {
			if name, arg := intrinsic(s); name == "Fn::If" {
				args, _ := arg.([]any)
				if len(args) != 3 {
					t.Errorf("%s: malformed Fn::If %v", fn, arg)
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
	return out
}

func strings1(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func TestPoliciesLeastPrivilege(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			want, ok := needs[fn]
			if !ok {
				t.Fatalf("add %s to needs: the tables and actions it may use", fn)
			}
			// What the function's stream and queue sources read and report
			// to: all its policy may name for kinesis: and sqs: actions.
			streams, onFailure, queues := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, src := range streamSources(tpl) {
				if src.function == fn {
					streams[src.stream] = true
					onFailure[refTo(get(src.props, "DestinationConfig", "OnFailure", "Destination"))] = true
				}
			}
			for _, src := range queueSources(tpl) {
				if src.function == fn {
					queues[src.queue] = true
				}
			}
			got := map[string][]string{}
			for _, s := range statements(t, tpl, fn) {
				actions := strings1(s.m["Action"])
				if s.m["Effect"] != "Allow" {
					continue
				}
				for _, a := range actions {
					service, _, _ := strings.Cut(a, ":")
					var allowed []string
					var on map[string]bool
					switch service {
					case "kinesis":
						allowed, on = streamReadActions, streams
					case "sqs":
						// Sending to on-failure queues; consuming the
						// queues its mappings read.
						allowed, on = append([]string{"sqs:SendMessage"}, queueConsumeActions...), onFailure
						if slices.Contains(queueConsumeActions, a) {
							on = queues
						}
					case "dynamodb", "ssm", "kms", "s3":
						continue // checked here and by TestSecretAndRulesAccess
					default:
						t.Errorf("statement %v allows %s, of a service no function needs", s.m["Sid"], a)
						continue
					}
					if !slices.Contains(allowed, a) {
						t.Errorf("statement %v allows %s; of %s the function needs only %v", s.m["Sid"], a, service, allowed)
					}
					for _, r := range asList(s.m["Resource"]) {
						if id := refTo(r); !on[id] || id == "" {
							t.Errorf("statement %v allows %s on %v, which is not what its event source mappings read or report to", s.m["Sid"], a, r)
						}
					}
				}
				if s.m["NotAction"] != nil || s.m["NotResource"] != nil {
					t.Errorf("statement %v uses NotAction or NotResource", s.m["Sid"])
				}
				for _, a := range actions {
					if a == "*" || strings.HasSuffix(a, ":*") || strings.Contains(a, "*") {
						t.Errorf("statement %v allows the wildcard action %s", s.m["Sid"], a)
					}
				}
				for _, r := range asList(s.m["Resource"]) {
					if r == "*" {
						t.Errorf("statement %v allows %v on every resource", s.m["Sid"], actions)
					}
				}
				var dynamo []string
				for _, a := range actions {
					if strings.HasPrefix(a, "dynamodb:") {
						dynamo = append(dynamo, a)
					}
				}
				if len(dynamo) == 0 {
					continue
				}
				for _, r := range asList(s.m["Resource"]) {
					if index := indexResource(tpl, r); index != "" {
						got[index] = append(got[index], dynamo...)
						continue
					}
					if table := streamOf(tpl, r); table != "" {
						if !streams[table] {
							t.Errorf("statement %v allows %v on the stream of %s, which none of the function's event source mappings reads", s.m["Sid"], dynamo, table)
						}
						got[table+"/stream"] = append(got[table+"/stream"], dynamo...)
						continue
					}
					table := refTo(r)
					if get(resources(tpl)[table], "Type") != "AWS::DynamoDB::Table" {
						t.Errorf("statement %v: DynamoDB resource %v is not a GetAtt of a table in the template (an index or a pattern would widen it)", s.m["Sid"], r)
						continue
					}
					got[table] = append(got[table], dynamo...)
				}
			}
			for table, actions := range got {
				slices.Sort(actions)
				got[table] = slices.Compact(actions)
			}
			for table, actions := range want {
				w := slices.Sorted(slices.Values(actions))
				if !slices.Equal(got[table], w) {
					t.Errorf("%s may %v on %s, want exactly %v", fn, got[table], table, w)
				}
			}
			for table := range got {
				if _, ok := want[table]; !ok {
					t.Errorf("%s may %v on %s, which it does not need", fn, got[table], table)
				}
			}
			for _, actions := range got {
				for _, banned := range []string{"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:DeleteTable"} {
					if slices.Contains(actions, banned) {
						t.Errorf("%s may %s", fn, banned)
					}
				}
			}
		})
	}
}

func TestSecretAndRulesAccess(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for _, fn := range scorers(tpl) {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			var hashKey, decrypt bool
			conds := map[string]string{} // action -> condition
			for _, s := range statements(t, tpl, fn) {
				actions := strings1(s.m["Action"])
				res := fmt.Sprint(s.m["Resource"])
				switch {
				case slices.Contains(actions, "ssm:GetParameter") && s.cond == "":
					hashKey = strings.Contains(res, "${HashKeyParameter}")
					if !hashKey {
						t.Errorf("unconditional ssm:GetParameter on %s, want only the HashKeyParameter", res)
					}
				case slices.Contains(actions, "kms:Decrypt"):
					decrypt = true
					if get(s.m, "Condition", "StringEquals", "kms:ViaService") == nil {
						t.Errorf("kms:Decrypt without a kms:ViaService condition")
					}
				}
				if s.cond != "" {
					for _, a := range actions {
						conds[a] = s.cond
					}
				}
			}
			if !hashKey || !decrypt {
				t.Errorf("reads the hash key: %v, may decrypt it: %v; want both", hashKey, decrypt)
			}
			if conds["s3:GetObject"] == "" || conds["ssm:GetParameter"] == "" {
				t.Errorf("RulesSource access: s3:GetObject under %q, ssm:GetParameter under %q; want both conditional", conds["s3:GetObject"], conds["ssm:GetParameter"])
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		t.Run(fn, func(t *testing.T) {
			t.Parallel()
			env := map[string]any{}
			for _, src := range []any{get(tpl["Globals"], "Function", "Environment", "Variables"), get(resources(tpl)[fn], "Properties", "Environment", "Variables")} {
				for k, v := range mapOf(src) {
					env[k] = v
				}
			}
			for _, name := range envNeeded {
				if _, ok := env[name]; !ok {
					t.Errorf("no %s in the environment", name)
				}
			}
			for _, local := range []string{"DYNAMODB_ENDPOINT", "HASH_KEY", "OBJECTS_DIR"} {
				if _, ok := env[local]; ok {
					t.Errorf("%s is for local runs only and must not be deployed", local)
				}
			}
		})
	}
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// walk calls fn on every value of the tree.
func walk(v any, fn func(any)) {
	fn(v)
	switch v := v.(type) {
	case map[string]any:
		for _, c := range v {
			walk(c, fn)
		}
	case []any:
		for _, c := range v {
			walk(c, fn)
		}
	}
}

func TestReferencesDeclared(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	params := mapOf(tpl["Parameters"])
	conditions := mapOf(tpl["Conditions"])
	declared := func(id string) bool {
		_, p := params[id]
		_, r := resources(tpl)[id]
		return p || r || strings.HasPrefix(id, "AWS::")
	}
	used := map[string]bool{}
	check := func(where string, v any) {
		walk(v, func(x any) {
			switch fn, arg := intrinsic(x); fn {
			case "Ref":
				id := fmt.Sprint(arg)
				used[id] = true
				if !declared(id) {
					t.Errorf("%s: Ref %s is neither a parameter nor a resource", where, id)
				}
			case "Fn::GetAtt":
				if id := refTo(x); resources(tpl)[id] == nil {
					t.Errorf("%s: GetAtt of %s, which is not a resource", where, id)
				}
			case "Fn::Sub":
				text, vars := arg, map[string]any(nil)
				if l, ok := arg.([]any); ok && len(l) == 2 {
					text, vars = l[0], mapOf(l[1])
				}
				s, _ := text.(string)
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					id, _, _ := strings.Cut(m[1], ".")
					used[id] = true
					if _, bound := vars[id]; !bound && !declared(id) {
						t.Errorf("%s: ${%s} in Fn::Sub is neither a parameter, a resource nor a Sub variable", where, m[1])
					}
				}
			case "Condition":
				if _, ok := conditions[fmt.Sprint(arg)]; !ok {
					t.Errorf("%s: condition %v is not declared", where, arg)
				}
			case "Fn::If":
				if l, ok := arg.([]any); !ok || len(l) != 3 {
					t.Errorf("%s: Fn::If %v does not have three arguments", where, arg)
				} else if _, ok := conditions[fmt.Sprint(l[0])]; !ok {
					t.Errorf("%s: Fn::If on undeclared condition %v", where, l[0])
				}
			}
		})
	}
	for _, section := range []string{"Conditions", "Globals", "Resources", "Outputs"} {
		check(section, tpl[section])
	}
	for id, r := range resources(tpl) {
		if c, ok := get(r, "Condition").(string); ok {
			if _, ok := conditions[c]; !ok {
				t.Errorf("resource %s: condition %s is not declared", id, c)
			}
		}
	}
	for name := range params {
		if !used[name] {
			t.Errorf("parameter %s is declared but never used", name)
		}
	}
}

func TestParameters(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for name, p := range mapOf(tpl["Parameters"]) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if d, _ := get(p, "Description").(string); d == "" {
				t.Error("no Description")
			}
			switch get(p, "Type") {
			case "String":
				if get(p, "AllowedPattern") == nil && get(p, "AllowedValues") == nil {
					t.Error("a String parameter without AllowedPattern or AllowedValues")
				}
			case "Number":
				if (get(p, "MinValue") == nil || get(p, "MaxValue") == nil) && get(p, "AllowedValues") == nil {
					t.Error("a Number parameter without MinValue and MaxValue or AllowedValues")
				}
			default:
				t.Errorf("Type = %v, want String or Number", get(p, "Type"))
			}
			if allowed, ok := get(p, "AllowedValues").([]any); ok && get(p, "Default") != nil && !slices.Contains(allowed, get(p, "Default")) {
				t.Errorf("Default %v is not one of AllowedValues %v", get(p, "Default"), allowed)
			}
			if def, ok := get(p, "Default").(string); ok && get(p, "AllowedPattern") != nil {
				pattern, _ := get(p, "AllowedPattern").(string)
				if ok, err := regexp.MatchString(pattern, def); err != nil || !ok {
					t.Errorf("Default %q does not match AllowedPattern %q (%v)", def, pattern, err)
				}
			}
		})
	}
	if got := get(tpl["Parameters"], "ShadowMode", "Default"); got != "true" {
		t.Errorf("ShadowMode Default = %v, want \"true\": a new deployment starts in shadow mode", got)
	}
	if get(tpl["Parameters"], "HashKeyParameter", "Default") != nil {
		t.Error("HashKeyParameter has a Default; it must be given at deployment")
	}
}

func TestOutputs(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	for _, name := range []string{"StateTableName", "QueueTableName", "QueueTableStreamArn", "SignupQueueUrl", "SignupDeadLetterQueueUrl", "SignupFunctionArn",
		"LoginStreamName", "LoginStreamArn", "LoginFailureQueueUrl", "LoginDeadLetterQueueUrl", "LoginFunctionArn",
		"OutboundBucketName", "MessageQueueUrl", "MessageDeadLetterQueueUrl", "MessageFunctionArn"} {
		if get(tpl["Outputs"], name, "Value") == nil {
			t.Errorf("no output %s", name)
		}
	}
}

func TestEventSamplesAreJSON(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no events/*.json")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Errorf("not a JSON object: %v", err)
			}
		})
	}
}

// eventRules returns the event pattern of every EventBridge rule of the
// template, by name: AWS::Events::Rule resources and the EventBridgeRule
// (or CloudWatchEvent) events of SAM functions.
func eventRules(tpl template) map[string]any {
	rules := map[string]any{}
	for _, id := range ofType(tpl, "AWS::Events::Rule") {
		rules[id] = get(resources(tpl)[id], "Properties", "EventPattern")
	}
	for _, fn := range ofType(tpl, "AWS::Serverless::Function") {
		for name, ev := range mapOf(get(resources(tpl)[fn], "Properties", "Events")) {
			if typ := get(ev, "Type"); typ == "EventBridgeRule" || typ == "CloudWatchEvent" {
				rules[fn+"/"+name] = get(ev, "Properties", "Pattern")
			}
		}
	}
	return rules
}

// TestEventRulesFilterSource: anyone who may put events on the bus can give
// an event any detail-type, so every rule matches the producer's source too,
// set by a parameter (each deployment names its platform), and its detail
// types by name; and the samples in events/ are what the rules match with
// the parameters' defaults.
func TestEventRulesFilterSource(t *testing.T) {
	t.Parallel()
	tpl := load(t)
	rules := eventRules(tpl)
	if len(rules) == 0 {
		t.Fatal("no EventBridge rule")
	}
	samples := eventSamples(t)
	for name, pattern := range rules {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if pattern == nil {
				t.Fatal("no event pattern")
			}
			sources, ok := get(pattern, "source").([]any)
			if !ok || len(sources) == 0 {
				t.Fatalf("source = %v, want a list of parameter Refs", get(pattern, "source"))
			}
			var defaults []string
			for _, s := range sources {
				fn, arg := intrinsic(s)
				p := mapOf(get(tpl["Parameters"], fmt.Sprint(arg)))
				if fn != "Ref" || p == nil {
					t.Errorf("source %v is not a Ref of a parameter", s)
					continue
				}
				pattern, _ := get(p, "AllowedPattern").(string)
				for _, bad := range []string{"", "*", "mail platform"} {
					if ok, _ := regexp.MatchString(pattern, bad); ok || pattern == "" {
						t.Errorf("parameter %v allows the source %q (AllowedPattern %q)", arg, bad, pattern)
					}
				}
				def, _ := get(p, "Default").(string)
				defaults = append(defaults, def)
			}
			types := strings1(get(pattern, "detail-type"))
			if len(types) == 0 || len(types) != len(asList(get(pattern, "detail-type"))) {
				t.Fatalf("detail-type = %v, want a list of names", get(pattern, "detail-type"))
			}
			matched := 0
			for file, s := range samples {
				if !slices.Contains(types, s.DetailType) {
					continue
				}
				matched++
				if !slices.Contains(defaults, s.Source) {
					t.Errorf("%s: source %q, which the rule does not match by default (%q)", file, s.Source, defaults)
				}
			}
			if matched == 0 {
				t.Errorf("no sample in events/ of the detail types %q", types)
			}
		})
	}
}

// sample is the envelope of an event in events/, or of each record of an
// SQS sample.
type sample struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// eventSamples returns the envelopes in events/, by file (and record).
func eventSamples(t *testing.T) map[string]sample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]sample{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			sample
			Records []struct {
				Body    string `json:"body"`
				Kinesis struct {
					Data []byte `json:"data"`
				} `json:"kinesis"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ev.DetailType != "" {
			out[filepath.Base(f)] = ev.sample
		}
		for i, r := range ev.Records {
			body := []byte(r.Body)
			if len(r.Kinesis.Data) > 0 {
				body = r.Kinesis.Data
			}
			var s sample
			// A malformed sample body may not be JSON: it is not an event.
			if json.Unmarshal(body, &s) == nil && s.DetailType != "" {
				out[fmt.Sprintf("%s record %d", filepath.Base(f), i)] = s
			}
		}
	}
	return out
}
