package report

import "slices"

// How a run ends is decided here and nowhere else: the runner journals it,
// the closing notification announces it, serve and drill read it back. Each
// of them used to decide for itself, and they disagreed.

// Ending is what the process knows about how a run stopped that its journal
// does not say yet.
type Ending int

const (
	// EndedNormally: every step that was to run has run (or, for a closing
	// notification, the run is still going as planned).
	EndedNormally Ending = iota
	// EndedStopped: a critical step failed and the run stopped there.
	EndedStopped
	// EndedInterrupted: a signal stopped the run; it can be resumed.
	EndedInterrupted
)

// Verdict is a run's outcome: whether it contained the key, how it ended,
// and the exit code that says so.
type Verdict struct {
	Containment Containment
	Status      RunStatus
	ExitCode    int
}

// Outcome decides a run's verdict from its replayed report. contains says
// whether the playbook has a step whose action contains the key (a revoke):
// only then is a missing proof a failure. Only a containment event from a
// step counts as proof, and Replay has already folded every such event of
// the journal (this process's and any earlier one's) into
// rep.Run.Containment.
//
// A key that may still be live outranks everything else: not confirmed, or
// not found in any account (nothing was revoked) exits ExitNotContained. An
// id-only revoke ("revoked_unproven") is a finished containment without
// proof: the report says so, the exit code does not fail it.
func Outcome(rep *Report, contains bool, end Ending) Verdict {
	v := Verdict{Containment: decide(rep.Run.Containment, rep.Run.Mode, contains)}
	if len(rep.Keys) > 0 {
		// Several keys: each settled alike, the run's the worst (keys.go).
		cp := *rep
		cp.Keys = slices.Clone(rep.Keys)
		v.Containment = decideKeys(&cp, contains)
	}
	c := &v.Containment
	v.ExitCode = exitCode(rep, *c, end)
	switch {
	case end == EndedInterrupted:
		v.Status = RunInterrupted
	case end == EndedStopped:
		v.Status = RunFailed
	case v.ExitCode == ExitDegraded || v.ExitCode == ExitNotContained:
		v.Status = RunDegraded
	default:
		v.Status = RunSucceeded
	}
	return v
}

// decide settles one key's containment at the end of a run. contains says
// whether the playbook has a step whose action contains the key.
func decide(c Containment, mode Mode, contains bool) Containment {
	if !contains {
		return c
	}
	switch {
	case mode == ModeDryRun:
		c.Status = ContainmentPlanned
		if c.Detail == "" {
			c.Detail = "dry run: the revoke was planned, not made"
		}
	case c.Status == ContainmentConfirmed, c.Status == ContainmentRevokedUnproven,
		c.Status == ContainmentNotFound:
		// A step's own verdict: the key proven dead; an id-only revoke
		// that nothing can prove; an id no account holds.
	default:
		c.Status = ContainmentNotConfirmed
		if c.Detail == "" {
			c.Detail = "the run ended before the leaked key was proven dead"
		}
	}
	return c
}

func exitCode(rep *Report, c Containment, end Ending) int {
	if c.Status == ContainmentNotConfirmed || c.Status == ContainmentNotFound {
		return ExitNotContained
	}
	if end != EndedNormally {
		return ExitCouldNotRun
	}
	// Contained (or nothing to contain), but the assessment found footholds
	// that keep the attacker in: the incident is not over (it outranks a
	// failed non-critical step). A dry run proved nothing, so it does not
	// claim this.
	if c.Status != ContainmentPlanned && OpenFootholds(rep.Findings) > 0 {
		return ExitFootholdsOpen
	}
	for _, s := range rep.Steps {
		if s.Status == StepFailed {
			return ExitDegraded
		}
	}
	return ExitDone
}
