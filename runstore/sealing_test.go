package runstore

import "io"
import "os"
import "path/filepath"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

// heldHTML holds report.html's rendering, which Finish does after the
// journal's manifest_written event and before MANIFEST.
type heldHTML struct {
	stubRenderer
	started, release chan struct{}
}

func (h heldHTML) RenderHTML(w io.Writer, rep *report.Report, dir string) error {
	close(h.started)
	<-h.release
	return h.stubRenderer.RenderHTML(w, rep, dir)
}

// A signalled keyir waits (AwaitSeals) while a run is sealed in its journal
// but has no MANIFEST yet: exiting there leaves a directory that neither
// verifies nor resumes (CI's crash test hit it: the watchdog's 1.5 s ended
// a SIGTERMed run while it rendered report.html under load).
func TestAwaitSealsWaitsForTheManifest(t *testing.T) {
	if !AwaitSeals(0) {
		t.Fatal("a seal in progress before any Finish")
	}
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	h := heldHTML{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { _, err := s.Finish(nil, h); done <- err }()
	<-h.started
	if AwaitSeals(50 * time.Millisecond) {
		t.Fatal("AwaitSeals returned while the journal was sealed and MANIFEST not written")
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "MANIFEST")); !os.IsNotExist(err) {
		t.Fatalf("MANIFEST before report.html: %v", err)
	}
	waited := make(chan bool, 1)
	go func() { waited <- AwaitSeals(10 * time.Second) }()
	time.Sleep(20 * time.Millisecond)
	close(h.release)
	if !<-waited {
		t.Fatal("AwaitSeals timed out after the seal finished")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "MANIFEST")); err != nil {
		t.Fatalf("AwaitSeals returned before MANIFEST was written: %v", err)
	}
}
