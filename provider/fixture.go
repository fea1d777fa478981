package provider

import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/simhttp"

// What every provider's drill code does alike with its simulator's
// fixtures, written once here (each provider's simulator has its own fixture
// types, so the parts that differ are passed in; the expected findings are
// simhttp.Expected in every one).

// TruthFrom is the ground truth a simulator's fixture declares: the
// containment and exit code a correct run reports, and each expected
// finding.
func TruthFrom(containment string, exitCode int, expected []simhttp.Expected) Truth {
	t := Truth{Containment: containment, ExitCode: exitCode}
	for _, e := range expected {
		t.Findings = append(t.Findings, Finding{Kind: e.Kind, Subject: e.Subject})
	}
	return t
}

// ReplayFinished calls redo for each step of an interrupted run's journal
// that match picks and that finished, with the instant it finished (now,
// when the journal has no start time): a World's Replay uses it to redo in
// the rebuilt simulator what the run did, e.g. a revoke. A step that
// started but did not finish is left undone: the resume runs it again.
func ReplayFinished(steps []report.Step, match func(report.Step) bool, redo func(at time.Time)) {
	for _, s := range steps {
		if match(s) && s.Status == report.StepOK {
			at := s.Started.Add(s.Duration)
			if s.Started.IsZero() {
				at = time.Now()
			}
			redo(at)
		}
	}
}

// Attack is what a World's Attack does with its simulator's fixture: the
// key holder's deeds (attack, when the scenario has any) on the simulator's
// state, then each of the scenario's faults injected.
func Attack[S, F any](state S, attack func(S), faults []F, inject func(F)) {
	if attack != nil {
		attack(state)
	}
	for _, f := range faults {
		inject(f)
	}
}
