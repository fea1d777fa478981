package runstore

import "errors"
import "os"
import "path/filepath"
import "testing"

import "github.com/keyir/keyir/report"

// The plan a step writes is journaled like run.json: a resume accepts it as
// written and refuses it once edited; no other name may be written this way.
func TestWriteTrackedIsJournaledAndChecked(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	if err := s.WriteTracked("report.json", []byte("{}")); err == nil {
		t.Fatal("WriteTracked wrote a file that is not a step's to write")
	}
	if err := s.WriteTracked(report.PlanFile, []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, report.Event{Type: report.EventNote, Note: &report.Note{Text: "plan written"}})
	dir := s.Dir()
	s.Close()
	if _, err := CheckResume(dir); err != nil {
		t.Fatalf("a journaled plan was refused: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, report.PlanFile), []byte(`{"version":1,"items":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var te *TamperError
	if _, err := CheckResume(dir); !errors.As(err, &te) {
		t.Fatalf("an edited plan: %v, want a TamperError", err)
	}
}
