package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailtrust/abusescan/internal/event"
	"github.com/mailtrust/abusescan/internal/pipeline"
	"github.com/mailtrust/abusescan/internal/queue"
)

// emfLine is an EMF line as CloudWatch reads it.
type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	Root map[string]any `json:"-"`
}

func parseLines(t *testing.T, out []byte) []emfLine {
	t.Helper()
	var lines []emfLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l emfLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		if err := json.Unmarshal(sc.Bytes(), &l.Root); err != nil {
			t.Fatalf("line %q is not a JSON object: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// checkEMF checks what CloudWatch requires of a line: one directive whose
// every dimension and metric is a member of the root, dimensions as strings
// and metrics as numbers.
func checkEMF(t *testing.T, l emfLine, namespace string, ms int64) {
	t.Helper()
	if l.AWS.Timestamp != ms {
		t.Errorf("Timestamp = %d, want %d", l.AWS.Timestamp, ms)
	}
	if len(l.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("%d directives, want 1", len(l.AWS.CloudWatchMetrics))
	}
	d := l.AWS.CloudWatchMetrics[0]
	if d.Namespace != namespace {
		t.Errorf("Namespace = %q, want %q", d.Namespace, namespace)
	}
	for _, set := range d.Dimensions {
		for _, dim := range set {
			if _, ok := l.Root[dim].(string); !ok {
				t.Errorf("dimension %s = %v, want a string member of the root", dim, l.Root[dim])
			}
		}
	}
	if len(d.Metrics) == 0 {
		t.Error("no metrics in the directive")
	}
	for _, m := range d.Metrics {
		if m.Unit != "Count" {
			t.Errorf("metric %s has unit %q, want Count", m.Name, m.Unit)
		}
		if _, ok := l.Root[m.Name].(float64); !ok {
			t.Errorf("metric %s = %v, want a number member of the root", m.Name, l.Root[m.Name])
		}
	}
}

func metricNames(l emfLine) []string {
	var names []string
	for _, m := range l.AWS.CloudWatchMetrics[0].Metrics {
		names = append(names, m.Name)
	}
	return names
}

func TestWrite(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 0, 3, 250e6, time.UTC)
	tests := []struct {
		name string
		s    Summary
		// want is, per line: the dimension set, then "name=value" members.
		want [][]string
	}{
		{
			name: "batch counts only",
			s:    Summary{Events: 3, Rejected: 1, Failed: 0, Duplicates: 1},
			want: [][]string{
				{"Function", "Function=signup", "Events=3", "Rejected=1", "Failed=0", "Duplicates=1"},
			},
		},
		{
			name: "verdicts and rules in sorted order",
			s: Summary{
				Events:    5,
				ByVerdict: map[string]int{"suspend": 1, "allow": 3, "review": 1},
				ByRule:    map[string]int{"signup.hosting_ip": 2, "signup.disposable_recovery": 1},
			},
			want: [][]string{
				{"Function", "Function=signup", "Events=5", "Rejected=0", "Failed=0", "Duplicates=0"},
				{"Function,Verdict", "Function=signup", "Verdict=allow", "Verdicts=3"},
				{"Function,Verdict", "Function=signup", "Verdict=review", "Verdicts=1"},
				{"Function,Verdict", "Function=signup", "Verdict=suspend", "Verdicts=1"},
				{"Function,Rule", "Function=signup", "Rule=signup.disposable_recovery", "RuleHits=1"},
				{"Function,Rule", "Function=signup", "Rule=signup.hosting_ip", "RuleHits=2"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := Write(&buf, "AbuseScan", "signup", at, tc.s); err != nil {
				t.Fatalf("Write: %v", err)
			}
			lines := parseLines(t, buf.Bytes())
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), buf.String())
			}
			for i, l := range lines {
				checkEMF(t, l, "AbuseScan", at.UnixMilli())
				dims := strings.Join(l.AWS.CloudWatchMetrics[0].Dimensions[0], ",")
				if dims != tc.want[i][0] {
					t.Errorf("line %d: dimensions %s, want %s", i, dims, tc.want[i][0])
				}
				for _, kv := range tc.want[i][1:] {
					k, v, _ := strings.Cut(kv, "=")
					if got := fmt.Sprint(l.Root[k]); got != v {
						t.Errorf("line %d: %s = %s, want %s", i, k, got, v)
					}
				}
			}
			if got, want := metricNames(lines[0]), []string{"Events", "Rejected", "Failed", "Duplicates"}; !reflect.DeepEqual(got, want) {
				t.Errorf("batch line metrics %v, want %v", got, want)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("stdout closed") }

type countWriter struct{ calls int }

func (w *countWriter) Write(p []byte) (int, error) { w.calls++; return len(p), nil }

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	at := time.Unix(0, 0)
	tests := []struct {
		name      string
		namespace string
		function  string
		s         Summary
		wantErr   string
	}{
		{"empty namespace", "", "signup", Summary{}, "empty namespace"},
		{"empty function", "AbuseScan", "", Summary{}, "empty function"},
		{"empty rule name", "AbuseScan", "signup", Summary{ByRule: map[string]int{"": 1}}, "not a valid dimension value"},
		{"rule name too long", "AbuseScan", "signup", Summary{ByRule: map[string]int{strings.Repeat("r", 1025): 1}}, "not a valid dimension value"},
		{"empty verdict", "AbuseScan", "signup", Summary{ByVerdict: map[string]int{"": 1}}, "not a valid dimension value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := &countWriter{}
			err := Write(w, tc.namespace, tc.function, at, tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Write = %v, want an error containing %q", err, tc.wantErr)
			}
			if w.calls != 0 {
				t.Errorf("Write wrote %d times on a bad summary, want nothing written", w.calls)
			}
		})
	}
	t.Run("writer fails", func(t *testing.T) {
		t.Parallel()
		err := Write(failWriter{}, "AbuseScan", "signup", at, Summary{Events: 1})
		if err == nil || !strings.Contains(err.Error(), "stdout closed") {
			t.Fatalf("Write = %v, want the writer's error", err)
		}
	})
	t.Run("one write call for all lines", func(t *testing.T) {
		t.Parallel()
		w := &countWriter{}
		s := Summary{Events: 2, ByVerdict: map[string]int{"allow": 2}, ByRule: map[string]int{"a": 1, "b": 1}}
		if err := Write(w, "AbuseScan", "signup", at, s); err != nil {
			t.Fatal(err)
		}
		if w.calls != 1 {
			t.Errorf("%d writes, want 1", w.calls)
		}
	})
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	malformed := fmt.Errorf("record m1: %w", &event.FieldError{Field: "detail.ip", Reason: "missing"})
	transient := fmt.Errorf("read state: %w", pipeline.ErrTransient)
	tests := []struct {
		name string
		rs   []pipeline.Result
		want Summary
	}{
		{
			name: "empty batch",
			want: Summary{ByVerdict: map[string]int{}, ByRule: map[string]int{}},
		},
		{
			name: "every kind of outcome",
			rs: []pipeline.Result{
				{RecordID: "1", Verdict: pipeline.Allow},
				{RecordID: "2", Verdict: pipeline.Suspend, Reasons: []queue.Reason{{Rule: "hosting"}, {Rule: "template"}, {Rule: "hosting"}}},
				{RecordID: "3", Verdict: pipeline.Review, Shadow: true, Reasons: []queue.Reason{{Rule: "hosting"}}},
				{RecordID: "4", Err: malformed},
				{RecordID: "5", Err: transient},
				{RecordID: "6", Duplicate: true, Verdict: pipeline.Suspend, Reasons: []queue.Reason{{Rule: "hosting"}}},
				{RecordID: "7", Skipped: "not a signup"},
			},
			want: Summary{
				Events: 7, Rejected: 1, Failed: 1, Duplicates: 1,
				ByVerdict: map[string]int{"allow": 1, "suspend": 1, "review": 1},
				ByRule:    map[string]int{"hosting": 2, "template": 1},
			},
		},
		{
			name: "an error that is not a field error is transient",
			rs:   []pipeline.Result{{Err: errors.New("context deadline exceeded")}},
			want: Summary{Events: 1, Failed: 1, ByVerdict: map[string]int{}, ByRule: map[string]int{}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Summarize(tc.rs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Summarize = %+v, want %+v", got, tc.want)
			}
		})
	}
}
