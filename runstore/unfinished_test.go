package runstore

import "errors"
import "fmt"
import "io/fs"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// cutSeal leaves a finished run as a seal cut short leaves it: the journal
// seals the run, MANIFEST was never written. killedInManifest: keyir was
// killed while writing MANIFEST (report.html written, MANIFEST's temporary
// file left); otherwise before report.html (and MANIFEST).
func cutSeal(t *testing.T, killedInManifest bool) string {
	t.Helper()
	s, dir := finishedDir(t)
	s.Close()
	if err := os.Remove(filepath.Join(dir, ManifestFile)); err != nil {
		t.Fatal(err)
	}
	if killedInManifest {
		if err := os.WriteFile(filepath.Join(dir, "."+ManifestFile+".tmp-4242"), []byte("0123abcd"), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := os.Remove(filepath.Join(dir, ReportHTML)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A run whose seal was cut short is not verified, but nothing in it
// changed: Verify says unfinished (what is missing, the next step), with no
// problem that would make it read as tampered. Before, the cut seal was one
// of the Problems, so `keyir report verify` called it TAMPERED; and a kill
// while MANIFEST was being written (report.html already there) was refused
// as a MANIFEST deleted, by resume as well.
func TestVerifyOfASealCutShortIsUnfinishedNotTampered(t *testing.T) {
	for name, inManifest := range map[string]bool{"killed before report.html": false, "killed writing MANIFEST": true} {
		t.Run(name, func(t *testing.T) {
			dir := cutSeal(t, inManifest)
			res, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if res.OK() || res.Tampered() || len(res.Problems) != 0 {
				t.Fatalf("ok %v, tampered %v, problems %q", res.OK(), res.Tampered(), res.Problems)
			}
			for _, w := range []string{ManifestFile + " was never written", "keyir resume " + dir} {
				if !strings.Contains(res.Unfinished, w) {
					t.Errorf("unfinished does not say %q: %s", w, res.Unfinished)
				}
			}
			if _, _, err := FinishSeal(dir, stubRenderer{}); err != nil {
				t.Fatalf("FinishSeal: %v", err)
			}
			if res, err := Verify(dir); err != nil || !res.OK() {
				t.Fatalf("after FinishSeal: %v %v", err, res.Reasons())
			}
		})
	}
}

// A seal cut short is no cover for a change: with anything the journal
// chains or binds altered, the same directory is tampered, never
// unfinished.
func TestVerifyOfATamperedRunWithItsSealDeletedIsTampered(t *testing.T) {
	for name, edit := range map[string]func(t *testing.T, dir string){
		"journal line edited": func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			lines := strings.SplitAfter(readFile(t, p), "\n")
			lines[2] = strings.Replace(lines[2], `"seq":3,`, `"seq":3,"x":1,`, 1)
			os.WriteFile(p, []byte(strings.Join(lines, "")), 0o600)
		},
		"evidence edited": func(t *testing.T, dir string) {
			p := filepath.Join(dir, EvidenceName(1, "identify"))
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), "200", "404", 1)), 0o600)
		},
		"report.md edited": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, ReportMD), []byte("# nothing happened\n"), 0o600)
		},
		"run.json edited": func(t *testing.T, dir string) {
			p := filepath.Join(dir, RunFile)
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), "alice", "mallory", 1)), 0o600)
		},
		"a file added": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "evidence", "009-x.jsonl"), []byte("{}\n"), 0o600)
		},
		"a journal line before the seal removed": func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			lines := strings.SplitAfter(readFile(t, p), "\n")
			os.WriteFile(p, []byte(strings.Join(lines[:len(lines)-3], "")+lines[len(lines)-2]), 0o600)
		},
	} {
		for _, inManifest := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, killed writing MANIFEST %v", name, inManifest), func(t *testing.T) {
				dir := cutSeal(t, inManifest)
				edit(t, dir)
				res, err := Verify(dir)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK() || !res.Tampered() || res.Unfinished != "" {
					t.Fatalf("tampered %v, unfinished %q, reasons %q", res.Tampered(), res.Unfinished, res.Reasons())
				}
			})
		}
	}
}

// A MANIFEST deleted beside its report.html, with no trace of a write cut
// short, stays a deletion: tampered, as before.
func TestVerifyOfAManifestDeletedAloneIsTampered(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	os.Remove(filepath.Join(dir, ManifestFile))
	res, err := Verify(dir)
	if err != nil || !res.Tampered() || !strings.Contains(strings.Join(res.Reasons(), " "), "it was deleted") {
		t.Fatalf("%v %q", err, res.Reasons())
	}
}

// A disk that fills while MANIFEST is written leaves no temporary file
// (the failed write removes its own): report.html is removed with it, so
// the directory is a seal cut short that resume finishes. Before,
// report.html stayed beside no MANIFEST, which reads as a MANIFEST deleted:
// tampered, and refused by resume for good.
func TestAFullDiskWhileSealingLeavesAnUnfinishedSeal(t *testing.T) {
	defer func(w func(string, []byte, fs.FileMode) error) { writeManifestFile = w }(writeManifestFile)
	writeManifestFile = func(string, []byte, fs.FileMode) error { return syscall.ENOSPC }
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	if _, err := s.Finish(nil, stubRenderer{}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Finish on a full disk: %v", err)
	}
	s.Close()
	res, err := Verify(s.Dir())
	if err != nil || res.Tampered() || res.Unfinished == "" {
		t.Fatalf("after a full disk: %v, tampered %v, reasons %q", err, res.Tampered(), res.Reasons())
	}
	if _, _, err := FinishSeal(s.Dir(), stubRenderer{}); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("FinishSeal on a full disk: %v", err)
	}
	if res, err := Verify(s.Dir()); err != nil || res.Unfinished == "" {
		t.Fatalf("after a second full disk: %v %q", err, res.Reasons())
	}
	writeManifestFile = safefile.WriteAtomic
	if _, _, err := FinishSeal(s.Dir(), stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	if res, err := Verify(s.Dir()); err != nil || !res.OK() {
		t.Fatalf("after FinishSeal: %v %q", err, res.Reasons())
	}
}
