package runstore

import "os"
import "path/filepath"
import "sync"
import "testing"

import "github.com/keyir/keyir/report"

// Write puts the line in the file at once (a crashed process keeps it) and
// Sync makes every line written so far durable with one journal fsync;
// concurrent Syncs share the fsync that covers their lines.
func TestWriteThenOneSyncForManyLines(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	before := s.fsyncs.Load()
	for i := range 5 {
		if err := s.Write(report.Event{Type: report.EventNote, Note: &report.Note{Text: "n"}, Index: i + 1}); err != nil {
			t.Fatal(err)
		}
	}
	events, _, err := ReadJournal(s.Dir())
	if err != nil || len(events) != 6 {
		t.Fatalf("written lines are not in the file before Sync: %d %v", len(events), err)
	}
	if got := s.fsyncs.Load() - before; got != 0 {
		t.Fatalf("Write synced %d times", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Sync(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := s.fsyncs.Load() - before; got != 1 {
		t.Fatalf("%d fsyncs for 5 lines and 8 concurrent Syncs, want 1", got)
	}
	if err := s.Sync(); err != nil || s.fsyncs.Load()-before != 1 {
		t.Fatalf("a Sync with nothing new synced again: %v", err)
	}
}

// An evidence file written since the last Sync is synced by the next one
// before the journal (a line records its state), and the journal's first
// Sync also makes the new run directory durable; nothing is owed after.
func TestSyncCoversEvidenceAndTheNewRunDirectory(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	if len(s.pending) == 0 {
		t.Fatal("a new store owes no directory or run.json sync")
	}
	w, err := s.EvidenceFile(1, "revoke")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write("exchange", map[string]any{"status": 204}); err != nil {
		t.Fatal(err)
	}
	if s.unsynced[w.Name()] == nil {
		t.Fatal("evidence written but not owed a sync")
	}
	if err := s.Append(report.Event{Type: report.EventStepFinished, Index: 1, Step: "revoke"}); err != nil {
		t.Fatal(err)
	}
	if len(s.pending) != 0 || len(s.unsynced) != 0 {
		t.Fatalf("after Sync: %d directory syncs and %d evidence files still owed", len(s.pending), len(s.unsynced))
	}
	events, _, _ := ReadJournal(s.Dir())
	if fs, ok := events[len(events)-1].Files[w.Name()]; !ok || fs.Size == 0 {
		t.Fatalf("the line does not record the evidence it follows: %+v", events[len(events)-1].Files)
	}
	w.Close()
	if _, err := os.Stat(filepath.Join(s.Dir(), RunFile)); err != nil {
		t.Fatal(err)
	}
}
