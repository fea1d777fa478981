package runstore

import "errors"
import "os"
import "path/filepath"
import "strings"
import "testing"

// A run killed between its journal's seal and MANIFEST is not lost: every
// file is held to the journal, the seal is finished (report.html, then
// MANIFEST), and the head is the one the uninterrupted seal wrote, so a
// head already published still verifies. Before, the directory was
// refused for good ("start a new run").
func TestFinishSealAfterAKillBeforeTheManifest(t *testing.T) {
	s, dir := finishedDir(t)
	want, err := Verify(dir)
	if err != nil || !want.OK() {
		t.Fatalf("sealed run does not verify: %v %v", err, want.Reasons())
	}
	s.Close()
	// Killed while rendering report.html: neither it nor MANIFEST is there.
	for _, name := range []string{ManifestFile, ReportHTML} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	chk, err := CheckResume(dir)
	if err != nil || chk.UnfinishedSeal == 0 {
		t.Fatalf("CheckResume: %v, unfinished seal %d", err, chk.UnfinishedSeal)
	}
	var ue *UnfinishedSealError
	if _, err := Open(dir); !errors.As(err, &ue) {
		t.Fatalf("Open resumed a sealed run: %v", err)
	}
	if res, err := Verify(dir); err != nil || res.OK() || !strings.Contains(strings.Join(res.Reasons(), " "), "finishes the seal") {
		t.Fatalf("Verify before the seal is finished: %v %v", err, res.Reasons())
	}
	_, head, err := FinishSeal(dir, stubRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	if head != want.Head {
		t.Errorf("finished seal's head %s, the uninterrupted seal's %s", head, want.Head)
	}
	if res, err := Verify(dir); err != nil || !res.OK() || res.Head != want.Head {
		t.Fatalf("after FinishSeal: %v %v", err, res.Reasons())
	}
	var se *SealedError
	if _, err := CheckResume(dir); !errors.As(err, &se) {
		t.Errorf("a finished seal is not final: %v", err)
	}
}

// What the seal's event binds must be on disk as it records it, and the
// seal must be the journal's last line; anything else stays refused.
func TestFinishSealRefusesAlteredRenderings(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	os.Remove(filepath.Join(dir, ManifestFile))
	if err := os.WriteFile(filepath.Join(dir, ReportMD), []byte("# nothing happened\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var te *TamperError
	if _, err := CheckResume(dir); !errors.As(err, &te) {
		t.Fatalf("an edited report.md under a missing MANIFEST: %v", err)
	}
	if _, _, err := FinishSeal(dir, stubRenderer{}); !errors.As(err, &te) {
		t.Fatalf("FinishSeal over an edited report.md: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); !os.IsNotExist(err) {
		t.Errorf("a MANIFEST was written over an edited report: %v", err)
	}
}

// The write the kill cut short leaves its temporary file: the finished
// seal keeps it and covers it (a sealed journal cannot record a removal).
func TestFinishSealCoversATemporaryFileTheKillLeft(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	for _, name := range []string{ManifestFile, ReportHTML} {
		os.Remove(filepath.Join(dir, name))
	}
	tmp := filepath.Join(dir, "."+ReportHTML+".tmp-123")
	if err := os.WriteFile(tmp, []byte("<html><title>cut sh"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := FinishSeal(dir, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("the temporary file left by the kill is gone: %v", err)
	}
	if res, err := Verify(dir); err != nil || !res.OK() {
		t.Fatalf("after FinishSeal: %v %v", err, res.Reasons())
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, ManifestFile)), filepath.Base(tmp)) {
		t.Error("MANIFEST does not cover the temporary file")
	}
}
