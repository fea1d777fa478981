package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"

// keyir report verify called a run whose seal was cut short (killed after
// its journal's seal, before MANIFEST) TAMPERED, though nothing in it had
// changed. Now it says UNFINISHED, what is missing and the next step
// (`keyir resume DIR`, which finishes the seal), exit 1 (not verified),
// and "unfinished" in --output json; with a change as well, TAMPERED.
func TestVerifyOfASealCutShortIsUnfinishedNotTampered(t *testing.T) {
	// Killed before report.html: neither it nor MANIFEST is there.
	_, dir := cutDrillSeal(t)
	if r := keyir(t, "", nil, "report", "verify", dir); r.code != 1 || !strings.Contains(r.stdout, dir+": UNFINISHED") || strings.Contains(r.stdout, "TAMPERED") {
		t.Fatalf("verify of a seal cut short before report.html: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Killed while writing MANIFEST: report.html is there, MANIFEST's
	// temporary file too.
	root := t.TempDir()
	if r := keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", root); r.code != 0 {
		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	dir = onlyRunDir(t, root)
	if err := os.Rename(filepath.Join(dir, "MANIFEST"), filepath.Join(dir, ".MANIFEST.tmp-1234")); err != nil {
		t.Fatal(err)
	}
	r := keyir(t, "", nil, "report", "verify", dir)
	if r.code != 1 || !strings.Contains(r.stdout, dir+": UNFINISHED") || strings.Contains(r.stdout, "TAMPERED") ||
		!strings.Contains(r.stdout, "MANIFEST was never written") || !strings.Contains(r.stdout, "keyir resume "+dir) {
		t.Fatalf("verify of a seal cut short: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var doc verifyJSON
	r = keyir(t, "", nil, "report", "verify", dir, "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 1 || doc.Status != "unfinished" || len(doc.Reasons) != 1 {
		t.Fatalf("verify --output json: exit %d, %v %+v\n%s", r.code, err, doc, r.stderr)
	}

	// The same cut seal with run.json edited is tampered, and resume refuses it.
	p := filepath.Join(dir, "run.json")
	b, _ := os.ReadFile(p)
	orig := string(b)
	os.WriteFile(p, []byte(strings.Replace(orig, `"mode": "drill"`, `"mode": "live"`, 1)), 0o600)
	r = keyir(t, "", nil, "report", "verify", dir, "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 1 || doc.Status != "tampered" {
		t.Fatalf("verify of a cut seal with run.json edited: exit %d, %v %+v", r.code, err, doc)
	}
	if r := keyir(t, "", nil, "resume", dir); r.code != 1 || !strings.Contains(r.stderr, "not as the run left it") {
		t.Fatalf("resume of a cut seal with run.json edited: exit %d\n%s", r.code, r.stderr)
	}
	os.WriteFile(p, []byte(orig), 0o600)

	// As it was, resume finishes the seal and verify vouches for it.
	if r := keyir(t, "", nil, "resume", dir); r.code != 0 || !strings.Contains(r.stderr, "the seal is finished now") {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	if r := keyir(t, "", nil, "report", "verify", dir); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify after resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// report prune and mark-archived said a run whose seal was cut short "does
// not match its MANIFEST", as of one changed: prune keeps it, saying resume
// finishes it, and mark-archived refuses it as not sealed yet (exit 1).
func TestPruneAndArchiveCallASealCutShortUnfinished(t *testing.T) {
	root, dir := cutDrillSeal(t)
	r := keyir(t, "", nil, "report", "mark-archived", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "not sealed yet") || !strings.Contains(r.stderr, "keyir resume "+dir) || strings.Contains(r.stderr, "does not match") {
		t.Fatalf("mark-archived of a seal cut short: exit %d\n%s", r.code, r.stderr)
	}
	r = keyir(t, "", nil, "report", "prune", "--reports", root, "--older-than", "2099-01-01", "--output", "json")
	var doc pruneJSON
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || len(doc.Kept) != 1 || len(doc.Removed) != 0 {
		t.Fatalf("prune: exit %d, %v %+v\n%s", r.code, err, doc, r.stderr)
	}
	if reason := doc.Kept[0].Reason; !strings.Contains(reason, "cut short") || !strings.Contains(reason, "keyir resume") {
		t.Errorf("prune's reason for a seal cut short: %q", reason)
	}
}

// cutDrillSeal is a drill's run in root as keyir leaves it when killed
// after the journal's seal, before report.html and MANIFEST.
func cutDrillSeal(t *testing.T) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	if r := keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", root); r.code != 0 {
		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	dir = onlyRunDir(t, root)
	for _, name := range []string{"MANIFEST", "report.html"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return root, dir
}
