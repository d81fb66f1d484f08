// Package templatetest checks template.yaml against what the code and the
// build need: every function built by a make target from a main package,
// SQS sources that report partial batch failures onto queues with
// dead-letter queues, least-privilege policies, declared parameters, and
// samples in events/ that are JSON. It has tests only.
package templatetest
