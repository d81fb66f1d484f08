// Package templatetest checks template.yaml against what the code and the
// build need: every function built by a make target from a main package,
// SQS sources that report partial batch failures onto queues with
// dead-letter queues, least-privilege policies (each queue and stream read
// by an event source mapping of its own, not a SAM event that attaches an
// account-wide managed policy; no managed policy on a function's role
// beyond basic execution and X-Ray), declared parameters, and samples in
// events/ that are JSON. And that the deployment can be watched:
// alarms on every function, its event source, every dead-letter queue and
// table, and the metrics the functions publish (by the names in
// internal/metrics), all notifying one topic; log groups with a retention;
// tables protected from deletion; a dashboard of metrics that exist. It has
// tests only.
package templatetest
