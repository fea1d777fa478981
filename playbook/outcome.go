package playbook

import "github.com/keyir/keyir/report"

// The outcome of a run (containment, run status, exit code) is decided by
// report.Outcome, the one rule the closing notification also applies; the
// runner only says what report.Outcome cannot read from the journal.

// containsKey says whether the playbook has a step whose action contains the
// key (a revoke): only then is a missing proof of containment a failure.
func (e *execution) containsKey() bool {
	for _, s := range e.pb.Steps {
		if s.Info.Contains {
			return true
		}
	}
	return false
}

// ending is how this process stopped the run.
func ending(interrupted, stopped bool) report.Ending {
	switch {
	case interrupted:
		return report.EndedInterrupted
	case stopped:
		return report.EndedStopped
	}
	return report.EndedNormally
}
