package report

import "testing"
import "time"

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func testRun(mode Mode) Run {
	return Run{
		ID:          "r-20250304-abc123",
		Incident:    "INC-42",
		Playbook:    "sendgrid-key-compromise",
		PlaybookSHA: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Mode:        mode,
		Operator:    "alice",
		Host:        "oncall-laptop",
		Version:     "v0.1.0-test",
		Inputs:      map[string]string{"key": "[REDACTED:1a2b3c4d]", "incident": "INC-42", "window": "72h"},
		SecretInput: []string{"key"},
		Started:     t0,
	}
}

func plannedSteps() []Step {
	return []Step{
		{Index: 1, ID: "identify", Action: "sendgrid.key_lookup", Critical: true},
		{Index: 2, ID: "revoke", Action: "sendgrid.revoke_key", Mutates: true, Critical: true},
		{Index: 3, ID: "verify", Action: "sendgrid.verify_dead", Critical: true},
		{Index: 4, ID: "activity", Action: "sendgrid.activity"},
		{Index: 5, ID: "notify", Action: "slack.post", Mutates: true},
	}
}

func TestReplay(t *testing.T) {
	run := testRun(ModeLive)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	events := []Event{
		{Type: EventRunStarted, Time: at(0), Steps: plannedSteps()},
		{Type: EventStepStarted, Time: at(1), Step: "identify", Index: 1, Attempt: 1},
		{Type: EventStepFinished, Time: at(2), Step: "identify", Index: 1, Status: StepOK, Outputs: map[string]any{"key_id": "abc"}, Evidence: "evidence/001-identify.jsonl"},
		{Type: EventStepStarted, Time: at(3), Step: "revoke", Index: 2, Attempt: 1},
		{Type: EventStepAttemptFailed, Time: at(4), Step: "revoke", Index: 2, Attempt: 1, Error: "503"},
		{Type: EventStepStarted, Time: at(5), Step: "revoke", Index: 2, Attempt: 2},
		{Type: EventStepFinished, Time: at(7), Step: "revoke", Index: 2, Attempt: 2, Status: StepOK},
		{Type: EventContainment, Time: at(9), Step: "verify", Containment: &Containment{Status: ContainmentConfirmed}},
		{Type: EventFinding, Time: at(9), Step: "verify", Finding: &Finding{Severity: High, Title: "t"}},
		{Type: EventPlannedChange, Time: at(9), Step: "verify", Planned: &PlannedChange{Method: "DELETE", URL: "u"}},
		{Type: EventNote, Time: at(9), Step: "verify", Note: &Note{Text: "n"}},
		{Type: EventStepStarted, Time: at(10), Step: "activity", Index: 4, Attempt: 1},
		{Type: EventRunInterrupted, Time: at(11)},
	}
	rep := Replay(run, events)
	want := []StepStatus{StepOK, StepOK, StepPending, StepInterrupted, StepPending}
	for i, st := range rep.Steps {
		if st.Status != want[i] {
			t.Errorf("step %s: status %s, want %s", st.ID, st.Status, want[i])
		}
	}
	if s := rep.Steps[1]; s.Attempts != 2 || s.Duration != 4*time.Second || s.Error != "" {
		t.Errorf("retried step: attempts %d duration %v error %q; want 2, 4s (from first start), none", s.Attempts, s.Duration, s.Error)
	}
	if rep.Steps[0].Outputs["key_id"] != "abc" || rep.Steps[0].Evidence != "evidence/001-identify.jsonl" {
		t.Errorf("outputs/evidence lost: %+v", rep.Steps[0])
	}
	c := rep.Run.Containment
	if c.Status != ContainmentConfirmed || c.TimeToContainment != 9*time.Second || !c.At.Equal(at(9)) {
		t.Errorf("containment %+v, want confirmed after 9s", c)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Step != "verify" {
		t.Errorf("findings %+v", rep.Findings)
	}
	if len(rep.Planned) != 1 || rep.Planned[0].Step != "verify" || len(rep.Notes) != 1 || !rep.Notes[0].Time.Equal(at(9)) {
		t.Errorf("planned %+v notes %+v", rep.Planned, rep.Notes)
	}
	if rep.Run.Status != RunInterrupted {
		t.Errorf("run status %s, want interrupted", rep.Run.Status)
	}
	if events[0].Steps[0].Status != "" {
		t.Errorf("Replay modified its input events")
	}
}

func TestReplayDerivesRunStatus(t *testing.T) {
	steps := plannedSteps()
	base := []Event{
		{Type: EventRunStarted, Steps: steps},
	}
	for _, c := range []struct {
		idx  int
		want RunStatus
	}{{1, RunFailed}, {5, RunDegraded}} {
		ev := append(append([]Event{}, base...),
			Event{Type: EventStepFinished, Step: steps[c.idx-1].ID, Index: c.idx, Error: "boom"},
			Event{Type: EventRunFinished, Time: t0.Add(time.Minute)})
		rep := Replay(testRun(ModeLive), ev)
		if rep.Run.Status != c.want {
			t.Errorf("failed step %d: run status %s, want %s", c.idx, rep.Run.Status, c.want)
		}
	}
}
