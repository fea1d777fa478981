package runstore

import "os"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// tickClock returns a clock that advances by step on every call, so every
// timestamp a test produces is known in advance.
func tickClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

func testRun(mode report.Mode) report.Run {
	return report.Run{
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

func plannedSteps() []report.Step {
	return []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.key_lookup", Critical: true},
		{Index: 2, ID: "revoke", Action: "sendgrid.revoke_key", Mutates: true, Critical: true},
		{Index: 3, ID: "verify", Action: "sendgrid.verify_dead", Critical: true},
		{Index: 4, ID: "activity", Action: "sendgrid.activity"},
		{Index: 5, ID: "notify", Action: "slack.post", Mutates: true},
	}
}

// newStore creates a run directory under a temp root with a ticking clock.
func newStore(t *testing.T, run report.Run) *Store {
	t.Helper()
	s, err := Create(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = tickClock(t0, 250*time.Millisecond)
	t.Cleanup(func() { s.Close() })
	return s
}

func mustAppend(t *testing.T, s *Store, events ...report.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Append(e); err != nil {
			t.Fatalf("append %s: %v", e.Type, err)
		}
	}
}

func intp(i int) *int { return &i }

// scriptLive journals a complete live run: five steps, a retried one, a
// failed non-critical one, findings with evidence, containment.
func scriptLive(t *testing.T, s *Store) {
	t.Helper()
	run := s.Run()
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()})
	mustAppend(t, s, report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1})
	ev, err := s.EvidenceFile(1, "identify")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ev.Write("http", map[string]any{"method": "GET", "url": "https://api.sendgrid.com/v3/api_keys/abc", "status": 200})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s,
		report.Event{Type: report.EventFinding, Step: "identify", Finding: &report.Finding{
			Kind: "scope.full_access", Subject: "key abc", Severity: report.Critical,
			Title: "Key has full access", Detail: "The key holds all 212 scopes, including api_keys.create.", Evidence: []string{ref},
		}},
		report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK, Outputs: map[string]any{"key_id": "abc"}},
		report.Event{Type: report.EventStepStarted, Step: "revoke", Index: 2, Attempt: 1},
		report.Event{Type: report.EventStepAttemptFailed, Step: "revoke", Index: 2, Attempt: 1, Error: "HTTP 503 from api.sendgrid.com"},
		report.Event{Type: report.EventStepStarted, Step: "revoke", Index: 2, Attempt: 2},
		report.Event{Type: report.EventStepFinished, Step: "revoke", Index: 2, Attempt: 2, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "verify", Index: 3, Attempt: 1},
		report.Event{Type: report.EventContainment, Step: "verify", Containment: &report.Containment{Status: report.ContainmentConfirmed, Detail: "key answered 401 after 3 polls"}},
		report.Event{Type: report.EventStepFinished, Step: "verify", Index: 3, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "activity", Index: 4, Attempt: 1},
		report.Event{Type: report.EventFinding, Step: "activity", Finding: &report.Finding{
			Kind: "persistence.new_api_key", Subject: "backup-2", Severity: report.High,
			Title: "API key backup-2 exists that is not in the baseline inventory",
		}},
		report.Event{Type: report.EventFinding, Step: "activity", Finding: &report.Finding{
			Kind: "activity.mail_sent", Severity: report.Medium,
			Title: "4,210 messages sent by this key in the window to 3,900 distinct recipients",
		}},
		report.Event{Type: report.EventNote, Step: "activity", Note: &report.Note{Text: "message activity API returned 3 pages"}},
		report.Event{Type: report.EventStepFinished, Step: "activity", Index: 4, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "notify", Index: 5, Attempt: 1},
		report.Event{Type: report.EventStepFinished, Step: "notify", Index: 5, Status: report.StepFailed, Error: "slack: channel_not_found"},
		report.Event{Type: report.EventRunFinished, ExitCode: intp(report.ExitDegraded), RunStatus: report.RunDegraded},
	)
}

// scriptDrill journals a drill run with no incident id.
func scriptDrill(t *testing.T, s *Store) {
	t.Helper()
	run := s.Run()
	mustAppend(t, s,
		report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()[:3]},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "revoke", Index: 2, Attempt: 1},
		report.Event{Type: report.EventStepFinished, Step: "revoke", Index: 2, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "verify", Index: 3, Attempt: 1},
		report.Event{Type: report.EventContainment, Step: "verify", Containment: &report.Containment{Status: report.ContainmentNotConfirmed, Detail: "key still answered 200 after 10 polls"}},
		report.Event{Type: report.EventStepFinished, Step: "verify", Index: 3, Status: report.StepFailed, Error: "key still live"},
		report.Event{Type: report.EventRunFinished, ExitCode: intp(report.ExitNotContained), RunStatus: report.RunFailed},
	)
}

// finishedDir builds a complete, finished live run directory.
func finishedDir(t *testing.T) (*Store, string) {
	t.Helper()
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	return s, s.Dir()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
