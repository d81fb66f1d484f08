// Package rules holds the rule set as data: each rule names a condition over
// the signals (a CEL expression), the points it adds to the score, and the
// reason a person reads when it fires. Rules are compiled and type-checked
// when loaded, so a bad rules file fails at start, naming every bad rule,
// never in the middle of a batch.
package rules

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"gopkg.in/yaml.v3"

	"github.com/mailtrust/abusescan/internal/queue"
	"github.com/mailtrust/abusescan/internal/signal"
)

//go:embed default.yaml
var defaultRules []byte

//go:embed login.yaml
var defaultLoginRules []byte

// DefaultSource returns the embedded default rules file.
func DefaultSource() []byte { return bytes.Clone(defaultRules) }

//go:embed message.yaml
var defaultMessageRules []byte

// DefaultLoginSource returns the embedded default login rules file, written
// over signal.NewLoginCatalog.
func DefaultLoginSource() []byte { return bytes.Clone(defaultLoginRules) }

//go:embed cluster.yaml
var defaultClusterRules []byte

// DefaultClusterSource returns the embedded default cluster rules file.
func DefaultClusterSource() []byte { return bytes.Clone(defaultClusterRules) }

// DefaultMessageSource returns the embedded default message rules file,
// written over signal.NewMessageCatalog.
func DefaultMessageSource() []byte { return bytes.Clone(defaultMessageRules) }

// ErrInvalid is wrapped by every error about the content of a rules file.
var ErrInvalid = errors.New("invalid rules")

// maxRulesBytes bounds a rules file; maxRules the rules in it.
const (
	maxRulesBytes = 256 << 10
	maxRules      = 500
	// costLimit bounds one rule's worst-case evaluation cost, estimated when
	// the rule is loaded, so that no rule can stall a batch and no evaluation
	// pays for run-time cost tracking.
	costLimit = 10_000
	// maxSignalText bounds the size of a string signal for the estimate: no
	// event field is longer (internal/event's limits).
	maxSignalText = 1024
	// maxReasonSource bounds a reason template as written, and
	// maxReasonEstimate the most it may render by the estimate made at load
	// (estimateList), so that rendering a reason costs little whatever the
	// rules file says; what it renders is cut to queue.MaxDetailBytes.
	maxReasonSource   = 500
	maxReasonEstimate = 4 << 10
	// maxQuotedRunes bounds one value quoted into a reason.
	maxQuotedRunes = 64
)

// file is the YAML form of a rules file.
type file struct {
	Version int    `yaml:"version"`
	Rules   []Rule `yaml:"rules"`
	// LoginRules are the rules of logins, over the login signals; a file
	// without them scores logins by the embedded default login rules.
	LoginRules []Rule `yaml:"login_rules,omitempty"`
	// MessageRules are the rules of outbound messages, over the message
	// signals; a file without them gets the embedded default message rules.
	MessageRules []Rule `yaml:"message_rules,omitempty"`
	// ClusterRules judge campaign clusters, over the cluster signals; a
	// file without them gets the embedded default cluster rules.
	ClusterRules []Rule `yaml:"cluster_rules,omitempty"`
}

// Rule is one rule as written in a rules file.
type Rule struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	When        string `yaml:"when"`
	Points      int    `yaml:"points"`
	Reason      string `yaml:"reason"`
	Disabled    bool   `yaml:"disabled,omitempty"`
}

type compiled struct {
	Rule
	prg    cel.Program
	reason *template.Template
}

// Set is a compiled rule set. It is safe for concurrent use.
type Set struct {
	cat     *signal.Catalog
	rules   []compiled
	version string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Parse compiles a rules file's rules against the signal catalog. The
// error lists every bad rule, by name.
func Parse(src []byte, cat *signal.Catalog) (*Set, error) {
	f, err := decodeFile(src)
	if err != nil {
		return nil, err
	}
	return compileRules(f.Rules, src, cat)
}

// ParseLogin compiles a rules file's login_rules against the login
// catalog (signal.NewLoginCatalog); a file without them (the signup rules
// alone) gets the embedded default login rules. The set's version is the
// whole file's, so a queue item says which file decided it.
func ParseLogin(src []byte, cat *signal.Catalog) (*Set, error) {
	return parseSection(src, cat, "login_rules", defaultLoginRules, func(f file) []Rule { return f.LoginRules })
}

// ParseMessage compiles a rules file's message_rules against the message
// catalog (signal.NewMessageCatalog), as ParseLogin does login_rules.
func ParseMessage(src []byte, cat *signal.Catalog) (*Set, error) {
	return parseSection(src, cat, "message_rules", defaultMessageRules, func(f file) []Rule { return f.MessageRules })
}

// ParseCluster compiles a rules file's cluster_rules against the cluster
// catalog (signal.NewClusterCatalog), as ParseLogin does login_rules.
func ParseCluster(src []byte, cat *signal.Catalog) (*Set, error) {
	return parseSection(src, cat, "cluster_rules", defaultClusterRules, func(f file) []Rule { return f.ClusterRules })
}

// parseSection compiles one kind's section of a rules file; a file without
// it gets the section's default file, whose rules are its rules:.
func parseSection(src []byte, cat *signal.Catalog, name string, def []byte, section func(file) []Rule) (*Set, error) {
	f, err := decodeFile(src)
	if err != nil {
		return nil, err
	}
	rs := section(f)
	if len(rs) == 0 {
		d, err := decodeFile(def)
		if err != nil {
			return nil, fmt.Errorf("default %s: %w", name, err)
		}
		rs = d.Rules
		if len(f.Rules) == 0 { // the default file itself
			src = def
		}
	}
	s, err := compileRules(rs, src, cat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

func decodeFile(src []byte) (file, error) {
	var f file
	if len(src) > maxRulesBytes {
		return f, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(src), maxRulesBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if f.Version != 1 {
		return f, fmt.Errorf("%w: version %d, want 1", ErrInvalid, f.Version)
	}
	return f, nil
}

func compileRules(rs []Rule, src []byte, cat *signal.Catalog) (*Set, error) {
	if len(rs) == 0 || len(rs) > maxRules {
		return nil, fmt.Errorf("%w: %d rules, want 1 to %d", ErrInvalid, len(rs), maxRules)
	}
	env, err := newEnv(cat)
	if err != nil {
		return nil, fmt.Errorf("rules environment: %w", err)
	}
	zero := zeroSet(cat)
	s := &Set{cat: cat}
	var errs []error
	seen := map[string]bool{}
	for i, r := range rs {
		label := fmt.Sprintf("rule %d (%s)", i+1, r.Name)
		switch {
		case !nameRE.MatchString(r.Name):
			errs = append(errs, fmt.Errorf("%s: name must be lowercase letters, digits and _", label))
			continue
		case seen[r.Name]:
			errs = append(errs, fmt.Errorf("%s: name used twice", label))
			continue
		case r.Points < -100 || r.Points > 100:
			errs = append(errs, fmt.Errorf("%s: points %d outside -100..100", label, r.Points))
			continue
		case strings.TrimSpace(r.Reason) == "":
			errs = append(errs, fmt.Errorf("%s: reason is empty", label))
			continue
		case len(r.Reason) > maxReasonSource:
			errs = append(errs, fmt.Errorf("%s: reason is %d bytes, more than %d", label, len(r.Reason), maxReasonSource))
			continue
		}
		seen[r.Name] = true
		c, err := compile(env, cat, r, zero)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", label, err))
			continue
		}
		if !r.Disabled {
			s.rules = append(s.rules, c)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w:\n%w", ErrInvalid, errors.Join(errs...))
	}
	sum := sha256.Sum256(src)
	s.version = hex.EncodeToString(sum[:6])
	return s, nil
}

func newEnv(cat *signal.Catalog) (*cel.Env, error) {
	opts := []cel.EnvOption{ext.Strings(), ext.Math()}
	for _, d := range cat.Defs() {
		opts = append(opts, cel.Variable(d.Name, celType(d.Type)))
	}
	return cel.NewEnv(opts...)
}

func celType(t signal.Type) *cel.Type {
	switch t {
	case signal.Bool:
		return cel.BoolType
	case signal.Int:
		return cel.IntType
	case signal.Double:
		return cel.DoubleType
	default:
		return cel.StringType
	}
}

func compile(env *cel.Env, cat *signal.Catalog, r Rule, zero signal.Set) (compiled, error) {
	ast, iss := env.Compile(r.When)
	if iss.Err() != nil {
		return compiled{}, fmt.Errorf("when: %w", iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		return compiled{}, fmt.Errorf("when: is %s, must be bool", ast.OutputType())
	}
	est, err := env.EstimateCost(ast, boundedSignals{})
	if err != nil {
		return compiled{}, fmt.Errorf("when: cost: %w", err)
	}
	if est.Max > costLimit {
		return compiled{}, fmt.Errorf("when: worst-case cost %d exceeds %d", est.Max, costLimit)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return compiled{}, fmt.Errorf("when: %w", err)
	}
	tpl, err := template.New(r.Name).Option("missingkey=error").Funcs(funcs).Parse(r.Reason)
	if err != nil {
		return compiled{}, fmt.Errorf("reason: %w", err)
	}
	// The estimate comes before any execution: a template that renders
	// without bound must not be run even once.
	if len(tpl.Templates()) > 1 {
		return compiled{}, errors.New("reason: defines templates, which a reason may not")
	}
	size, err := estimateList(cat, tpl.Root)
	if err != nil {
		return compiled{}, fmt.Errorf("reason: %w", err)
	}
	if size > maxReasonEstimate {
		return compiled{}, fmt.Errorf("reason: may render %d bytes, more than %d", size, maxReasonEstimate)
	}
	// Executing against zero values catches references to unknown signals
	// now rather than when the rule first fires in production.
	if err := tpl.Execute(&strings.Builder{}, templateData(zero)); err != nil {
		return compiled{}, fmt.Errorf("reason: %w", err)
	}
	if _, _, err := prg.Eval(activation{zero}); err != nil {
		return compiled{}, fmt.Errorf("when: on zero signals: %w", err)
	}
	return compiled{Rule: r, prg: prg, reason: tpl}, nil
}

var funcs = template.FuncMap{
	// x formats a ratio for people: 9.4 -> "9", 1.26 -> "1.3".
	"x": ratio,
	// pct formats 0..1 as a percentage.
	"pct": func(f float64) string {
		if math.Abs(f) < 1e4 {
			return fmt.Sprintf("%.0f%%", f*100)
		}
		return ratio(f*100) + "%"
	},
}

// ratio formats f for people, in at most maxFuncOutput bytes: "%.0f" of
// 1e300 would be 301 digits.
func ratio(f float64) string {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= 1e6:
		return strconv.FormatFloat(f, 'g', 3, 64)
	case f >= 10 || f == math.Trunc(f):
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

// quoted is a string signal as a reason template sees it: printed, it is
// quoted, escaped and cut to maxQuotedRunes, because most string signals
// are text from the event (a username, a language tag, a time zone) or from
// data the attacker can influence (the name of the AS it registered). A
// reason then shows clearly where such a value starts and ends, and can
// neither forge the rest of the sentence nor carry markup or controls
// unquoted to a review page. Comparisons (eq .channel "web") see the value
// itself.
type quoted string

// String returns the value quoted as a Go string literal would be:
// non-printable characters escaped, other scripts kept.
func (q quoted) String() string {
	s := string(q)
	if utf8.RuneCountInString(s) > maxQuotedRunes {
		n := 0
		for i := range s {
			if n == maxQuotedRunes {
				s = s[:i] + "…"
				break
			}
			n++
		}
	}
	return strconv.Quote(s)
}

// formatted are the string signals the scanner writes itself from parsed
// values, which cannot carry hostile text: they are shown as they are.
var formatted = map[string]bool{"ip": true, "net": true}

// templateData returns the signals as reason templates see them.
func templateData(sig signal.Set) map[string]any {
	m := sig.Map()
	for k, v := range m {
		if s, ok := v.(string); ok && !formatted[k] {
			m[k] = quoted(s)
		}
	}
	return m
}

// Output bounds for the size estimate of a reason template.
const (
	maxFuncOutput   = 24 // x, pct, a number, a bool
	maxQuotedOutput = len(`""…`) + maxQuotedRunes*len(`\U0010ffff`)
	maxPlainOutput  = 64 // an address or prefix the scanner formatted
)

// estimateList returns the most bytes a template list can render, or an
// error for a construct whose output cannot be bounded: loops (range over an
// int repeats its body that many times), calls of other templates, printf
// and friends (a width of %999999d), and printing the whole signal set.
func estimateList(cat *signal.Catalog, l *parse.ListNode) (int, error) {
	if l == nil {
		return 0, nil
	}
	total := 0
	for _, n := range l.Nodes {
		var size int
		var err error
		switch n := n.(type) {
		case *parse.TextNode:
			size = len(n.Text)
		case *parse.CommentNode:
		case *parse.ActionNode:
			size, err = estimatePipe(cat, n.Pipe)
		case *parse.IfNode:
			if _, err = estimatePipe(cat, n.Pipe); err != nil {
				break
			}
			var a, b int
			if a, err = estimateList(cat, n.List); err != nil {
				break
			}
			b, err = estimateList(cat, n.ElseList)
			size = max(a, b)
		default:
			err = fmt.Errorf("%s is not allowed in a reason (only text, signals, if/else and the functions %s)", n, strings.Join(allowedFuncs(), ", "))
		}
		if err != nil {
			return 0, err
		}
		total += size
		if total > maxReasonEstimate {
			return total, nil
		}
	}
	return total, nil
}

// funcOutput bounds the output of the functions a reason may call; and, or
// return one of their arguments (-1).
var funcOutput = map[string]int{
	"x": maxFuncOutput, "pct": maxFuncOutput, "len": maxFuncOutput, "not": maxFuncOutput,
	"eq": maxFuncOutput, "ne": maxFuncOutput, "lt": maxFuncOutput, "le": maxFuncOutput,
	"gt": maxFuncOutput, "ge": maxFuncOutput, "and": -1, "or": -1,
}

func allowedFuncs() []string {
	names := make([]string, 0, len(funcOutput))
	for name := range funcOutput {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func estimatePipe(cat *signal.Catalog, p *parse.PipeNode) (int, error) {
	if len(p.Decl) > 0 {
		return 0, fmt.Errorf("%s: variables are not allowed in a reason", p)
	}
	out := 0
	for _, c := range p.Cmds {
		size, err := estimateCmd(cat, c, out)
		if err != nil {
			return 0, err
		}
		out = size
	}
	return out, nil
}

// estimateCmd bounds one command of a pipeline; piped is the bound of the
// previous command's output, passed to this one as its last argument.
func estimateCmd(cat *signal.Catalog, c *parse.CommandNode, piped int) (int, error) {
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		bound, ok := funcOutput[id.Ident]
		if !ok {
			return 0, fmt.Errorf("%s: function %s is not allowed in a reason", c, id.Ident)
		}
		largest := piped
		for _, a := range c.Args[1:] {
			size, err := estimateArg(cat, a)
			if err != nil {
				return 0, err
			}
			largest = max(largest, size)
		}
		if bound < 0 {
			return largest, nil
		}
		return bound, nil
	}
	if len(c.Args) != 1 {
		return 0, fmt.Errorf("%s: not a signal or a function call", c)
	}
	return estimateArg(cat, c.Args[0])
}

func estimateArg(cat *signal.Catalog, n parse.Node) (int, error) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if len(n.Ident) != 1 {
			return 0, fmt.Errorf("%s: not a signal", n)
		}
		i, ok := cat.Index(n.Ident[0])
		if !ok {
			return 0, fmt.Errorf("%s: no such signal", n)
		}
		def := cat.Defs()[i]
		switch {
		case def.Type != signal.String:
			return maxFuncOutput, nil
		case formatted[def.Name]:
			return maxPlainOutput, nil
		}
		return maxQuotedOutput, nil
	case *parse.StringNode:
		return len(n.Quoted), nil
	case *parse.NumberNode:
		return len(n.Text), nil
	case *parse.BoolNode:
		return len("false"), nil
	case *parse.PipeNode:
		return estimatePipe(cat, n)
	}
	return 0, fmt.Errorf("%s is not allowed in a reason", n)
}

func zeroSet(cat *signal.Catalog) signal.Set {
	vals := make(map[string]any, cat.Len())
	for _, d := range cat.Defs() {
		switch d.Type {
		case signal.Bool:
			vals[d.Name] = false
		case signal.Int:
			vals[d.Name] = int64(0)
		case signal.Double:
			vals[d.Name] = 0.0
		default:
			vals[d.Name] = ""
		}
	}
	return signal.FromMap(cat, vals)
}

// boundedSignals tells CEL's cost estimator how large a signal can be.
type boundedSignals struct{}

func (boundedSignals) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (boundedSignals) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	if len(n.Path()) > 0 {
		return &cost.SizeEstimate{Min: 0, Max: maxSignalText}
	}
	return nil
}

// activation resolves CEL variables from a signal set without building a map.
type activation struct{ s signal.Set }

func (a activation) ResolveName(name string) (any, bool) { return a.s.Get(name) }
func (a activation) Parent() interpreter.Activation      { return nil }

// Version identifies the rule set: a hash of its source.
func (s *Set) Version() string { return s.version }

// Rules returns the enabled rules in file order.
func (s *Set) Rules() []Rule {
	out := make([]Rule, len(s.rules))
	for i, c := range s.rules {
		out[i] = c.Rule
	}
	return out
}

// Score evaluates every rule on sig and returns the reasons of those that
// fired, strongest first, and the score (their points, clamped to 0..100).
// A rule that errors at run time (it cannot at load) is reported in err and
// counts as not fired; the other rules still count.
func (s *Set) Score(sig signal.Set) (reasons []queue.Reason, score int, err error) {
	// Converted to the interface once: the struct would be boxed anew
	// for every rule's Eval.
	var act interpreter.Activation = activation{sig}
	var data map[string]any
	var errs []error
	total := 0
	for _, r := range s.rules {
		out, _, evalErr := r.prg.Eval(act)
		if evalErr != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", r.Name, evalErr))
			continue
		}
		if fired, ok := out.Value().(bool); !ok || !fired {
			continue
		}
		if data == nil {
			data = templateData(sig)
		}
		// The estimate bounds what a reason renders; the writer's cap holds
		// even were the estimate wrong.
		w := capWriter{max: maxReasonEstimate}
		if err := r.reason.Execute(&w, data); err != nil {
			errs = append(errs, fmt.Errorf("rule %s reason: %w", r.Name, err))
		}
		reasons = append(reasons, queue.Reason{Rule: r.Name, Points: r.Points, Detail: queue.Detail(w.b.String())})
		total += r.Points
	}
	slices.SortStableFunc(reasons, func(a, b queue.Reason) int {
		return cmp.Or(cmp.Compare(b.Points, a.Points), cmp.Compare(a.Rule, b.Rule))
	})
	return reasons, min(max(total, 0), 100), errors.Join(errs...)
}

// capWriter keeps the first max bytes written to it and drops the rest.
type capWriter struct {
	b   strings.Builder
	max int
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.b.Len(); room > 0 {
		w.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
