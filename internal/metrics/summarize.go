package metrics

import (
	"slices"

	"github.com/mailtrust/abusescan/internal/pipeline"
)

// Summarize counts the results of one batch. A failed record is Rejected
// when its error wraps event.ErrMalformed (it will never succeed) and Failed
// otherwise (a retry may cure it). Duplicates changed nothing, so their
// verdicts and rules are not counted again; a verdict in shadow mode is
// counted, since watching those counts is what shadow mode is for.
func Summarize(rs []pipeline.Result) Summary {
	s := Summary{Events: len(rs), ByVerdict: map[string]int{}, ByRule: map[string]int{}}
	for _, r := range rs {
		switch r.Outcome() {
		case pipeline.Rejected:
			s.Rejected++
		case pipeline.Failed:
			s.Failed++
		case pipeline.Duplicate:
			s.Duplicates++
		default:
			if r.Verdict != "" {
				s.ByVerdict[string(r.Verdict)]++
			}
			for _, rule := range firedRules(r) {
				s.ByRule[rule]++
			}
		}
	}
	return s
}

// firedRules returns the distinct rules among r's reasons, in order, so that
// a rule listed twice for one event counts once.
func firedRules(r pipeline.Result) []string {
	var rules []string
	for _, reason := range r.Reasons {
		if reason.Rule == "" {
			continue
		}
		if !slices.Contains(rules, reason.Rule) {
			rules = append(rules, reason.Rule)
		}
	}
	return rules
}
