package drill_test

import "context"
import "errors"
import "os"
import "path/filepath"
import "testing"
import "time"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// cancelAt cancels the run when a step starts.
type cancelAt struct {
	step   string
	cancel context.CancelFunc
}

func (c cancelAt) RunStarted(*report.Report, string) {}
func (c cancelAt) StepStarted(s report.Step) {
	if s.ID == c.step {
		c.cancel()
	}
}
func (c cancelAt) StepProgress(report.Step, string)   {}
func (c cancelAt) StepFinished(report.Step)           {}
func (c cancelAt) RunFinished(*report.Report, string) {}

// interrupted runs a drill of scenario and interrupts it when step starts.
func interrupted(t *testing.T, scenario, step string) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := drill.Run(ctx, drill.Options{
		Scenario: scenario, ReportsRoot: root, Operator: "drill-test", Redactor: redact.New(),
		Observer: cancelAt{step, cancel},
		// Held at the step, so the cancellation lands inside it.
		Faults: []provider.Fault{{Method: "GET", Route: "GET /v3/stats", Kind: provider.FaultLatency, Latency: time.Minute}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Report.Run.Status != report.RunInterrupted {
		t.Fatalf("run %s, want interrupted", res.Run.Report.Run.Status)
	}
	return root, res.Run.Dir
}

// TestResumeRebuildsTheDrill: an interrupted drill resumes against a rebuilt
// simulator that remembers the finished revoke (the key stays dead, the
// revoke is not run again) and finishes as the scenario's ground truth says.
func TestResumeRebuildsTheDrill(t *testing.T) {
	root, dir := interrupted(t, "persistence", "stats")
	if recs, _ := filepath.Glob(filepath.Join(root, ".drill-*")); len(recs) != 2 {
		t.Fatalf("an interrupted drill keeps its record and baseline: %v", recs)
	}
	if ok, err := drill.IsDrill(dir); !ok || err != nil {
		t.Fatalf("IsDrill %v %v", ok, err)
	}
	res, err := drill.Resume(context.Background(), dir, drill.ResumeOptions{Operator: "drill-test", Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	// persistence leaves five footholds open: exit 5 is the right outcome.
	if res.Run.ExitCode != report.ExitFootholdsOpen || !res.Score.Passed() {
		for _, s := range res.Run.Report.Steps {
			t.Logf("  %s %s %s", s.ID, s.Status, s.Error)
		}
		t.Fatalf("resumed drill: exit %d, score %+v", res.Run.ExitCode, res.Score)
	}
	if n := sim(t, res).Count("DELETE", ""); n != 0 {
		t.Errorf("the resumed drill revoked again (%d DELETEs): the finished revoke was not replayed", n)
	}
	fx, _ := sendgridsim.LookupScenario("persistence")
	if id := fx.Build(time.Now()).LeakedKeyID; sim(t, res).Authenticates(id) {
		t.Error("the leaked key authenticates in the rebuilt simulator")
	}
	if recs, _ := filepath.Glob(filepath.Join(root, ".drill-*")); len(recs) != 0 {
		t.Errorf("records left after the drill finished: %v", recs)
	}
}

// TestResumeRetakesAMissingBaseline: the baseline beside the run is taken
// again, from the pre-attack state, when it is gone, so the persistence
// findings still hold.
func TestResumeRetakesAMissingBaseline(t *testing.T) {
	root, dir := interrupted(t, "persistence", "stats")
	bases, _ := filepath.Glob(filepath.Join(root, ".drill-*.baseline.json"))
	if len(bases) != 1 {
		t.Fatalf("baseline files %v", bases)
	}
	os.Remove(bases[0])
	res, err := drill.Resume(context.Background(), dir, drill.ResumeOptions{Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Score.Missed) != 0 {
		t.Fatalf("missed %v after retaking the baseline", res.Score.Missed)
	}
}

// TestResumeRefusesWithoutRecord: without the record beside the run, the
// simulator cannot be rebuilt: resume refuses.
func TestResumeRefusesWithoutRecord(t *testing.T) {
	root, dir := interrupted(t, "already-revoked", "stats")
	recs, _ := filepath.Glob(filepath.Join(root, ".drill-*.json"))
	for _, r := range recs {
		os.Remove(r)
	}
	_, err := drill.Resume(context.Background(), dir, drill.ResumeOptions{Redactor: redact.New()})
	var usage *playbook.UsageError
	if !errors.As(err, &usage) {
		t.Fatalf("resumed without the drill's record, or not a usage error: %v", err)
	}
}
