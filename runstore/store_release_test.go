package runstore

import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/report"

// Release ends an evidence file without waiting for its fsync; the next
// Sync waits for it before the journal's own, so the line that records the
// file's bytes is never durable before they are; after it nothing is owed,
// and the file takes no more records.
func TestReleasedEvidenceIsSyncedByTheNextCommit(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	w, err := s.EvidenceFile(2, "locate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write("http", map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	w.Release()
	w.Release() // harmless
	s.mu.Lock()
	owed, open := s.releasing[w.Name()] != nil, s.open[w.Name()]
	s.mu.Unlock()
	if !owed || open {
		t.Fatalf("after Release: owed to the next Sync %v (want true), still open %v (want false)", owed, open)
	}
	if _, err := w.Write("http", "late"); err == nil {
		t.Error("a released evidence file took another record")
	}
	if err := s.Write(report.Event{Type: report.EventStepFinished, Step: "locate", Index: 2, Status: report.StepOK}); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	left, pending := len(s.releasing), len(s.pending)
	s.mu.Unlock()
	if left != 0 || pending != 0 {
		t.Fatalf("after Sync: %d released files and %d fsyncs still owed", left, pending)
	}
	if w.f.Close() == nil {
		t.Error("the released file was not closed by the time Sync returned")
	}
	events, _, err := ReadJournal(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if st, ok := last.Files[w.Name()]; !ok || st.Size == 0 {
		t.Errorf("the step's end does not record the released file: %+v", last.Files)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir(), filepath.FromSlash(w.Name()))); err != nil || strings.Count(string(b), "\n") != 1 {
		t.Errorf("evidence file: %q %v", b, err)
	}
}

// A released file whose fsync fails fails the next Sync and leaves the
// journal unusable, as a failed Close does: no later line may record bytes
// that are not on disk.
func TestReleasedEvidenceFsyncFailureBreaksTheJournal(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	w, err := s.EvidenceFile(4, "revoke")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write("http", "x"); err != nil {
		t.Fatal(err)
	}
	w.f.Close() // the fsync of the release fails: file already closed
	w.Release()
	if err := s.Sync(); err == nil || !strings.Contains(err.Error(), "sync evidence "+w.Name()) {
		t.Fatalf("Sync after a failed release: %v", err)
	}
	if err := s.Write(report.Event{Type: report.EventNote, Note: &report.Note{Text: "n"}}); err == nil {
		t.Error("the journal took a line after a failed evidence fsync")
	}
}
