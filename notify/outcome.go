package notify

import "github.com/keyir/keyir/report"

// Outcome is the closing line every channel shows for a run that contained
// the key but leaves footholds open (exit 5): "contained; 3 footholds open",
// and the next step: the command that removes them, or the plan to follow
// by hand. Both are "" for any other outcome.
func (e Event) Outcome() (outcome, next string) {
	if e.ExitCode != report.ExitFootholdsOpen {
		return "", ""
	}
	return report.FootholdsOutcome(report.OpenFootholds(e.Findings)), report.FootholdsNext(e.Findings, e.RunDir)
}
