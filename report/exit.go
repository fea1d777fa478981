package report

import "fmt"
import "time"

// Exit codes of keyir, in one place. The CLI exits with them, the reports
// and the notifications explain them, and Outcome decides a run's.
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

// ExitCode is one exit code of keyir: what it means (one phrase, for a
// report's summary line) and when it happens (for `keyir help exit-codes`).
type ExitCode struct {
	Code    int
	Meaning string
	When    string
}

// exitCodes is the one table of exit codes, in order.
var exitCodes = []ExitCode{
	{ExitDone, "done", "every step ended ok, skipped or planned; a contained key is proven dead"},
	{ExitCouldNotRun, "could not run", "an error stopped it, or it was interrupted; a run it started can be continued with keyir resume DIR"},
	{ExitUsage, "bad usage or invalid playbook", "a mistake on the command line or in a playbook; nothing was run"},
	{ExitDegraded, "finished with failed non-critical steps", "the run finished but a non-critical step failed (or a drill missed a finding or failed to deliver a notification); read the report"},
	{ExitNotContained, "containment not confirmed (the key may still be live)", "treat the key as live; keyir resume DIR retries the containment"},
	{ExitFootholdsOpen, "contained, but footholds of high severity or worse are open (keyir eradicate DIR)", "the key is dead but the attacker's footholds (new keys, invites, webhooks, forwards) are not: keyir eradicate DIR removes them"},
}

// ExitCodes lists every exit code of keyir, in order.
func ExitCodes() []ExitCode { return append([]ExitCode(nil), exitCodes...) }

// ExitMeaning says what a keyir exit code means.
func ExitMeaning(code int) string {
	for _, e := range exitCodes {
		if e.Code == code {
			return e.Meaning
		}
	}
	return "unknown exit code"
}

// FormatDuration is a duration as a responder reads it: "350ms", "1.2s",
// "2m05s", "1h04m". time.Duration.String's "1.234567891s" is noise in a report.
// It is the one rounding rule: to the nearest unit shown (100.6ms is
// "101ms", 999.6ms is "1.0s"), so the terminal, the reports, the drill's
// scorecard and the notifications never show one duration two ways.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d.Round(time.Microsecond) < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Round(time.Microsecond).Microseconds())
	case d.Round(time.Millisecond) < time.Second:
		return fmt.Sprintf("%dms", DurationMS(d))
	case d.Round(100*time.Millisecond) < time.Minute:
		// %.1f rounds too (an exact half to even, as the reports always
		// have); the case above only picks the unit.
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d.Round(time.Second) < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// DurationMS is d in whole milliseconds, rounded as FormatDuration rounds:
// for the JSON fields that carry a duration as a number.
func DurationMS(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }

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
