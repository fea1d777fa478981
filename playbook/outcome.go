package playbook

import "github.com/keyir/keyir/report"

// The outcome of a run: whether it contained the key, and the exit code.
// Both are decided here and nowhere else in the runner.

// containmentOutcome decides whether the run contained what it set out to:
// only a containment event from a step counts as proof, and Replay has
// already folded every such event of the journal (this process's and any
// earlier one's) into rep.Run.Containment.
func (e *execution) containmentOutcome(rep *report.Report) report.Containment {
	cont := rep.Run.Containment
	contains := false
	for _, s := range e.pb.Steps {
		if s.Info.Contains {
			contains = true
		}
	}
	if !contains {
		return cont
	}
	switch {
	case e.st.Run().Mode == report.ModeDryRun:
		cont.Status = report.ContainmentPlanned
		if cont.Detail == "" {
			cont.Detail = "dry run: the revoke was planned, not made"
		}
	case cont.Status == report.ContainmentConfirmed, cont.Status == report.ContainmentRevokedUnproven,
		cont.Status == report.ContainmentNotFound:
		// A step's own verdict: the key proven dead; an id-only revoke that
		// nothing can prove; an id no account holds.
	default:
		cont.Status = report.ContainmentNotConfirmed
		if cont.Detail == "" {
			cont.Detail = "the run ended before the leaked key was proven dead"
		}
	}
	return cont
}

// exitCode maps a run's outcome to the documented exit codes. A key that may
// still be live outranks everything else: not confirmed, or not found in
// any account (nothing was revoked). An id-only revoke ("revoked_unproven")
// is a finished containment without proof: the report says so, the exit
// code does not fail it.
func exitCode(rep *report.Report, cont report.Containment, interrupted, stopped bool) int {
	if cont.Status == report.ContainmentNotConfirmed || cont.Status == report.ContainmentNotFound {
		return ExitNotContained
	}
	if interrupted || stopped {
		return ExitCouldNotRun
	}
	// Contained (or nothing to contain), but the assessment found footholds
	// that keep the attacker in: the incident is not over. A dry run proved
	// nothing, so it does not claim this.
	if cont.Status != report.ContainmentPlanned && report.OpenFootholds(rep.Findings) > 0 {
		return report.ExitFootholdsOpen
	}
	for _, s := range rep.Steps {
		if s.Status == report.StepFailed {
			return ExitDegraded
		}
	}
	return ExitOK
}
