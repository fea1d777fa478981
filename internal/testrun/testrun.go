// Package testrun is for tests only: the one journaled run the renderer
// tests (render, htmlreport) write and read back, so their goldens describe
// the same run and a change to it is made once. runstore's own tests keep
// their copy: they are inside runstore, which this package imports.
package testrun

import "flag"
import "os"
import "path/filepath"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// update is the -update flag of every test binary that links this package.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// T0 is the instant the run starts.
var T0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// TickClock returns a clock that advances by step on every call, so every
// timestamp a test produces is known in advance.
func TickClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

// Run is the run the scripts journal, in mode.
func Run(mode report.Mode) report.Run {
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
		Started:     T0,
	}
}

// PlannedSteps are the five steps of the run the scripts journal.
func PlannedSteps() []report.Step {
	return []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.key_lookup", Critical: true},
		{Index: 2, ID: "revoke", Action: "sendgrid.revoke_key", Mutates: true, Critical: true},
		{Index: 3, ID: "verify", Action: "sendgrid.verify_dead", Critical: true},
		{Index: 4, ID: "activity", Action: "sendgrid.activity"},
		{Index: 5, ID: "notify", Action: "slack.post", Mutates: true},
	}
}

// NewStore creates a run directory under a temp root with a ticking clock.
func NewStore(t *testing.T, run report.Run) *runstore.Store {
	t.Helper()
	s, err := runstore.Create(t.TempDir(), run)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = TickClock(T0, 250*time.Millisecond)
	t.Cleanup(func() { s.Close() })
	return s
}

// MustAppend journals events, failing the test on the first error.
func MustAppend(t *testing.T, s *runstore.Store, events ...report.Event) {
	t.Helper()
	for _, e := range events {
		if err := s.Append(e); err != nil {
			t.Fatalf("append %s: %v", e.Type, err)
		}
	}
}

// IntP points at i (an event's exit code).
func IntP(i int) *int { return &i }

// ScriptLive journals a complete live run: five steps, a retried one, a
// failed non-critical one, findings with evidence, containment.
func ScriptLive(t *testing.T, s *runstore.Store) {
	t.Helper()
	run := s.Run()
	MustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: PlannedSteps()})
	MustAppend(t, s, report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1})
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
	MustAppend(t, s,
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
		report.Event{Type: report.EventRunFinished, ExitCode: IntP(report.ExitDegraded), RunStatus: report.RunDegraded},
	)
}

// opening is how the three-step runs (the dry run, the drill) begin:
// identify done, revoke started.
func opening(s *runstore.Store) []report.Event {
	run := s.Run()
	return []report.Event{
		{Type: report.EventRunStarted, Run: &run, Steps: PlannedSteps()[:3]},
		{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK},
		{Type: report.EventStepStarted, Step: "revoke", Index: 2, Attempt: 1},
	}
}

// ScriptDryRun journals a dry run whose writes were refused.
func ScriptDryRun(t *testing.T, s *runstore.Store) {
	t.Helper()
	MustAppend(t, s, append(opening(s),
		report.Event{Type: report.EventPlannedChange, Step: "revoke", Planned: &report.PlannedChange{Method: "DELETE", URL: "https://api.sendgrid.com/v3/api_keys/abc"}},
		report.Event{Type: report.EventPlannedChange, Step: "revoke", Planned: &report.PlannedChange{Method: "POST", URL: "https://api.sendgrid.com/v3/audit", Body: `{"note":"revoked by keyir"}`}},
		report.Event{Type: report.EventStepFinished, Step: "revoke", Index: 2, Status: report.StepPlanned},
		report.Event{Type: report.EventStepStarted, Step: "verify", Index: 3, Attempt: 1},
		report.Event{Type: report.EventContainment, Step: "verify", Containment: &report.Containment{Status: report.ContainmentPlanned, Detail: "dry run: the key was not revoked"}},
		report.Event{Type: report.EventStepFinished, Step: "verify", Index: 3, Status: report.StepSkipped},
		report.Event{Type: report.EventRunFinished, ExitCode: IntP(report.ExitDone), RunStatus: report.RunSucceeded},
	)...)
}

// ScriptDrill journals a drill run with no incident id.
func ScriptDrill(t *testing.T, s *runstore.Store) {
	t.Helper()
	MustAppend(t, s, append(opening(s),
		report.Event{Type: report.EventStepFinished, Step: "revoke", Index: 2, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "verify", Index: 3, Attempt: 1},
		report.Event{Type: report.EventContainment, Step: "verify", Containment: &report.Containment{Status: report.ContainmentNotConfirmed, Detail: "key still answered 200 after 10 polls"}},
		report.Event{Type: report.EventStepFinished, Step: "verify", Index: 3, Status: report.StepFailed, Error: "key still live"},
		report.Event{Type: report.EventRunFinished, ExitCode: IntP(report.ExitNotContained), RunStatus: report.RunFailed},
	)...)
}

// ReadFile reads a file the test expects to exist.
func ReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// CheckGolden compares got with testdata/<name>.golden of the package under
// test, or rewrites it under -update.
func CheckGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	pkg := "./"
	if wd, err := os.Getwd(); err == nil {
		pkg = "./" + filepath.Base(wd) + "/"
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test %s -update to create it)", err, pkg)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test %s -update rewrites it); got:\n%s", name, path, pkg, got)
	}
}
