package enforce

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Metric names the enforcer publishes (CloudWatch Embedded Metric Format,
// dimension Function), one line per invocation.
const (
	MetricChanges   = "Changes"
	MetricSuspended = "Suspended"
	MetricHeld      = "Held"
	MetricRefused   = "Refused"
	MetricUndone    = "Undone"
	MetricFailed    = "EnforceFailed"
	MetricOff       = "SwitchedOff"
	MetricShadow    = "Shadow"
	MetricCalls     = "WebhookCalls"
	// DimFunction is the one dimension.
	DimFunction = "Function"
)

// Metrics lists every metric name above.
var Metrics = []string{MetricChanges, MetricSuspended, MetricHeld, MetricRefused, MetricUndone, MetricFailed, MetricOff, MetricShadow, MetricCalls}

// Count adds up a batch's results by metric.
func Count(rs []Result) map[string]int {
	m := map[string]int{}
	for _, name := range Metrics {
		m[name] = 0
	}
	for _, r := range rs {
		m[MetricChanges]++
		m[MetricCalls] += r.Calls
		switch r.Outcome {
		case Suspended:
			m[MetricSuspended]++
		case Held:
			m[MetricHeld]++
		case Refused:
			m[MetricRefused]++
		case Undone:
			m[MetricUndone]++
		case Failed:
			m[MetricFailed]++
		case Off:
			m[MetricOff]++
		case Shadow:
			m[MetricShadow]++
		}
	}
	return m
}

// WriteMetrics writes counts as one EMF line for function in namespace.
func WriteMetrics(w io.Writer, namespace, function string, t time.Time, counts map[string]int) error {
	if namespace == "" || function == "" {
		return fmt.Errorf("write metrics: empty namespace or function")
	}
	type def struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	defs := make([]def, len(Metrics))
	line := map[string]any{DimFunction: function}
	for i, name := range Metrics {
		defs[i] = def{Name: name, Unit: "Count"}
		line[name] = counts[name]
	}
	line["_aws"] = map[string]any{
		"Timestamp": t.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace": namespace, "Dimensions": [][]string{{DimFunction}}, "Metrics": defs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
