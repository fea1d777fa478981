package main

import "os"
import "path/filepath"
import "strings"
import "testing"

// A run killed after its journal's seal and before report.html and
// MANIFEST were written (the seal's slow part) is finished by `keyir
// resume`: no step runs again, nothing is appended to the journal, and
// `keyir report verify` then vouches for the directory. Before, it was
// refused for good.
func TestResumeFinishesASealCutShort(t *testing.T) {
	reports := t.TempDir()
	if r := keyir(t, "", nil, "drill", "--reports", reports); r.code != 0 {
		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	dir := onlyRunDir(t, reports)
	for _, name := range []string{"MANIFEST", "report.html"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	journal, err := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if r := keyir(t, "", nil, "report", "verify", dir); r.code == 0 || !strings.Contains(r.stdout+r.stderr, "keyir resume") {
		t.Fatalf("verify before the seal is finished: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := keyir(t, "", nil, "resume", dir)
	if r.code != 0 || !strings.Contains(r.stderr, "the seal is finished now") {
		t.Fatalf("resume: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl"))
	if string(after) != string(journal) {
		t.Error("finishing the seal changed the journal")
	}
	if r := keyir(t, "", nil, "report", "verify", dir); r.code != 0 {
		t.Fatalf("verify after the seal is finished: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := keyir(t, "", nil, "resume", dir); r.code == 0 {
		t.Errorf("a finished seal resumed again: %s", r.stderr)
	}
}
