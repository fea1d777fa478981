// Package render draws a report as text: report.md, report.json and the
// terminal summary, with the banner that marks a dry run or a drill. Text
// that came from an API is made inert here (no Markdown links, no terminal
// escapes). It links no chart library; report.html is htmlreport's.
package render
