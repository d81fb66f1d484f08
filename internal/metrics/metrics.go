// Package metrics writes a batch's outcome as CloudWatch Embedded Metric
// Format (EMF): JSON lines on a function's standard output that CloudWatch
// Logs turns into metrics, with no API call and no client on the hot path.
//
// One line carries the batch counts (dimension Function); one line per
// verdict (dimensions Function, Verdict) and one per rule that fired
// (dimensions Function, Rule) carry those counts, because an EMF line holds
// one value per dimension name.
package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Metric names, as they appear in CloudWatch.
const (
	MetricEvents     = "Events"
	MetricRejected   = "Rejected"
	MetricFailed     = "Failed"
	MetricDuplicates = "Duplicates"
	MetricVerdicts   = "Verdicts"
	MetricRuleHits   = "RuleHits"
)

// Dimension names, as they appear in CloudWatch.
const (
	DimFunction = "Function"
	DimVerdict  = "Verdict"
	DimRule     = "Rule"
)

// unitCount is the EMF unit of every metric here.
const unitCount = "Count"

// maxDimensionValue is CloudWatch's limit on a dimension value's length; a
// longer rule name would make CloudWatch drop the whole line.
const maxDimensionValue = 1024

// Summary is the outcome of one batch.
type Summary struct {
	Events     int // records received
	Rejected   int // malformed records: never retried
	Failed     int // transient failures: retried by the trigger
	Duplicates int // events scored before: nothing changed
	// ByVerdict counts the verdicts of scored events (allow, review, suspend).
	ByVerdict map[string]int
	// ByRule counts, per rule, the scored events on which it fired.
	ByRule map[string]int
}

// Write writes s as EMF lines for function in namespace, timestamped t. All
// lines go out in one call to w, so that lines of concurrent invocations
// sharing an output do not interleave.
func Write(w io.Writer, namespace, function string, t time.Time, s Summary) error {
	if namespace == "" {
		return errors.New("write metrics: empty namespace")
	}
	if function == "" {
		return errors.New("write metrics: empty function name")
	}
	if len(function) > maxDimensionValue {
		return fmt.Errorf("write metrics: function name longer than %d bytes", maxDimensionValue)
	}
	ms := t.UnixMilli()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)

	lines := []any{batchLine{
		AWS:        meta(ms, namespace, []string{DimFunction}, MetricEvents, MetricRejected, MetricFailed, MetricDuplicates),
		Function:   function,
		Events:     s.Events,
		Rejected:   s.Rejected,
		Failed:     s.Failed,
		Duplicates: s.Duplicates,
	}}
	for _, v := range sortedKeys(s.ByVerdict) {
		if v == "" || len(v) > maxDimensionValue {
			return fmt.Errorf("write metrics: verdict %.64q is not a valid dimension value", v)
		}
		lines = append(lines, verdictLine{
			AWS:      meta(ms, namespace, []string{DimFunction, DimVerdict}, MetricVerdicts),
			Function: function,
			Verdict:  v,
			Verdicts: s.ByVerdict[v],
		})
	}
	for _, r := range sortedKeys(s.ByRule) {
		if r == "" || len(r) > maxDimensionValue {
			return fmt.Errorf("write metrics: rule %.64q is not a valid dimension value", r)
		}
		lines = append(lines, ruleLine{
			AWS:      meta(ms, namespace, []string{DimFunction, DimRule}, MetricRuleHits),
			Function: function,
			Rule:     r,
			RuleHits: s.ByRule[r],
		})
	}
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return fmt.Errorf("write metrics: encode: %w", err)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

// awsMeta is the "_aws" member of an EMF line.
type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// directive tells CloudWatch which root members are metrics and which are
// dimensions.
type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type batchLine struct {
	AWS        awsMeta `json:"_aws"`
	Function   string  `json:"Function"`
	Events     int     `json:"Events"`
	Rejected   int     `json:"Rejected"`
	Failed     int     `json:"Failed"`
	Duplicates int     `json:"Duplicates"`
}

type verdictLine struct {
	AWS      awsMeta `json:"_aws"`
	Function string  `json:"Function"`
	Verdict  string  `json:"Verdict"`
	Verdicts int     `json:"Verdicts"`
}

type ruleLine struct {
	AWS      awsMeta `json:"_aws"`
	Function string  `json:"Function"`
	Rule     string  `json:"Rule"`
	RuleHits int     `json:"RuleHits"`
}

func meta(ms int64, namespace string, dims []string, names ...string) awsMeta {
	defs := make([]metricDef, len(names))
	for i, n := range names {
		defs[i] = metricDef{Name: n, Unit: unitCount}
	}
	return awsMeta{
		Timestamp: ms,
		CloudWatchMetrics: []directive{{
			Namespace:  namespace,
			Dimensions: [][]string{dims},
			Metrics:    defs,
		}},
	}
}

// sortedKeys makes the output deterministic, so that it can be compared in
// tests and read by a person.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
