// Package htmlreport draws report.html, the self-contained page of a run
// with its charts (gonum/plot, inlined as checked SVG), and lends the chart
// helpers to the audit page. It is the only package that links the chart
// library, so the dry-run guard, the actions and the notifiers do not.
package htmlreport
