package report

import "testing"

// The runner's rules, as they were in playbook before they moved here.
func TestOutcome(t *testing.T) {
	ok := []Step{{ID: "a", Status: StepOK}, {ID: "b", Status: StepSkipped}}
	failed := []Step{{ID: "a", Status: StepOK}, {ID: "b", Status: StepFailed}}
	for _, c := range []struct {
		name     string
		mode     Mode
		cont     string
		steps    []Step
		contains bool
		end      Ending
		wantCont string
		status   RunStatus
		code     int
	}{
		{"confirmed", ModeLive, ContainmentConfirmed, ok, true, EndedNormally, ContainmentConfirmed, RunSucceeded, ExitDone},
		{"confirmed, a step failed", ModeLive, ContainmentConfirmed, failed, true, EndedNormally, ContainmentConfirmed, RunDegraded, ExitDegraded},
		{"no proof", ModeLive, "", ok, true, EndedNormally, ContainmentNotConfirmed, RunDegraded, ExitNotContained},
		{"id only", ModeLive, ContainmentRevokedUnproven, ok, true, EndedNormally, ContainmentRevokedUnproven, RunSucceeded, ExitDone},
		{"not found", ModeLive, ContainmentNotFound, ok, true, EndedNormally, ContainmentNotFound, RunDegraded, ExitNotContained},
		{"dry run", ModeDryRun, "", ok, true, EndedNormally, ContainmentPlanned, RunSucceeded, ExitDone},
		{"nothing to contain", ModeLive, "", failed, false, EndedNormally, "", RunDegraded, ExitDegraded},
		{"stopped before proof", ModeLive, "", failed, true, EndedStopped, ContainmentNotConfirmed, RunFailed, ExitNotContained},
		{"stopped after proof", ModeLive, ContainmentConfirmed, failed, true, EndedStopped, ContainmentConfirmed, RunFailed, ExitCouldNotRun},
		{"interrupted after proof", ModeLive, ContainmentConfirmed, ok, true, EndedInterrupted, ContainmentConfirmed, RunInterrupted, ExitCouldNotRun},
		{"interrupted, nothing to contain", ModeLive, "", ok, false, EndedInterrupted, "", RunInterrupted, ExitCouldNotRun},
	} {
		rep := &Report{Run: Run{Mode: c.mode, Containment: Containment{Status: c.cont}}, Steps: c.steps}
		v := Outcome(rep, c.contains, c.end)
		if v.Containment.Status != c.wantCont || v.Status != c.status || v.ExitCode != c.code {
			t.Errorf("%s: %q / %s / exit %d, want %q / %s / exit %d", c.name, v.Containment.Status, v.Status, v.ExitCode, c.wantCont, c.status, c.code)
		}
		if c.wantCont != c.cont && v.Containment.Detail == "" {
			t.Errorf("%s: containment %q without a detail saying why", c.name, v.Containment.Status)
		}
	}
}
