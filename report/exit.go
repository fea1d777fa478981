package report

import (
	"fmt"
	"time"
)

// Exit codes of keyir, in one place. The CLI exits with them and the reports
// explain them.
const (
	ExitDone         = 0
	ExitCouldNotRun  = 1
	ExitUsage        = 2
	ExitDegraded     = 3
	ExitNotContained = 4
	// ExitFootholdsOpen: the key is contained (or the run contains nothing),
	// but footholds of high severity or worse found by the assessment stay
	// in the account; `keyir eradicate DIR` removes them.
	ExitFootholdsOpen = 5
)

var exitMeanings = map[int]string{
	ExitDone:          "done",
	ExitCouldNotRun:   "could not run",
	ExitUsage:         "bad usage or invalid playbook",
	ExitDegraded:      "finished with failed non-critical steps",
	ExitNotContained:  "containment not confirmed (the key may still be live)",
	ExitFootholdsOpen: "contained, but footholds of high severity or worse are open (keyir eradicate DIR)",
}

// ExitMeaning says what a keyir exit code means.
func ExitMeaning(code int) string {
	if m, ok := exitMeanings[code]; ok {
		return m
	}
	return "unknown exit code"
}

// FormatDuration is a duration as a responder reads it: "350ms", "1.2s",
// "2m05s", "1h04m". time.Duration.String's "1.234567891s" is noise in a report.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// ContainmentLabel says in words what a containment status means, for
// the statuses whose name alone could be misread: one place for the
// terminal, report.md, report.html and the notifications.
func ContainmentLabel(status string) string {
	switch status {
	case ContainmentRevokedUnproven:
		return "revoked by key id; not proven: without the key's secret nothing shows it no longer authenticates"
	case ContainmentNotFound:
		return "no account holds the key id: nothing was revoked"
	case ContainmentNotConfirmed:
		return "the key may still be live"
	}
	return status
}
