package main

import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/runstore"

func manifestHeadOf(t *testing.T, dir string) string {
	t.Helper()
	v, err := runstore.Verify(dir)
	if err != nil || !v.OK() {
		t.Fatalf("verify %s: %+v %v", dir, v, err)
	}
	return v.Head
}

// A finished run is sealed: resume refuses it and changes nothing, so the
// head pasted into the ticket stays true.
func TestSealedRunIsNotResumed(t *testing.T) {
	dir := finishedRun(t)
	head := manifestHeadOf(t, dir)
	journal, _ := os.ReadFile(filepath.Join(dir, runstore.JournalFile))
	r := keyir(t, "", nil, "resume", dir)
	if r.code != 2 || !strings.Contains(r.stderr, "finished and sealed at "+head+"; start a new run") {
		t.Fatalf("resume of a sealed run: exit %d\n%s", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, runstore.JournalFile)); string(after) != string(journal) {
		t.Error("the refused resume wrote to the journal")
	}
	if got := manifestHeadOf(t, dir); got != head {
		t.Errorf("the refused resume re-sealed the run: head %s, was %s", got, head)
	}
}

// Tampering with a sealed run and then resuming it must be refused, never
// sealed into a fresh MANIFEST that `report verify` would call intact.
func TestSealedTamperedRunIsNotLaundered(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(t *testing.T, dir string)
		say  string
	}{
		"MANIFEST deleted": {func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, runstore.ManifestFile))
		}, "MANIFEST is missing"},
		"300 bytes cut off the journal": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, runstore.JournalFile)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-300)
		}, "journal.jsonl"},
		"run.json edited": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, runstore.RunFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"mode": "live"`, `"mode": "drill"`, 1)), 0o600)
		}, "run.json"},
		"MANIFEST deleted and journal cut": {func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, runstore.ManifestFile))
			p := filepath.Join(dir, runstore.JournalFile)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-300)
		}, "run.json: edited"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := finishedRun(t)
			tc.edit(t, dir)
			r := keyir(t, "", nil, "resume", dir)
			if r.code != 1 || !strings.Contains(r.stderr, "not as the run left it") || !strings.Contains(r.stderr, tc.say) {
				t.Fatalf("resume after %s: exit %d, want 1 naming %q\n%s", name, r.code, tc.say, r.stderr)
			}
			v := keyir(t, "", nil, "report", "verify", dir)
			if v.code == 0 || strings.Contains(v.stdout+v.stderr, "keyir resume") {
				t.Errorf("verify after %s and a refused resume: exit %d\n%s%s", name, v.code, v.stdout, v.stderr)
			}
		})
	}
}

// An unfinished (killed) run: run.json edited before the seal is caught by
// the hash the journal recorded when run.json was written.
func TestResumeRefusesEditedRunJSONOfKilledRun(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	g, dir := killedGatedRun(t)
	p := filepath.Join(dir, runstore.RunFile)
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"mode": "live"`, `"mode": "dry-run"`, 1)), 0o600)
	r := keyir(t, "", nil, "resume", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "run.json: edited") || !strings.Contains(r.stderr, "journal.jsonl line") {
		t.Fatalf("resume after editing run.json: exit %d\n%s", r.code, r.stderr)
	}
	if g.count("/last") != 0 {
		t.Error("the refused resume ran steps")
	}
	v := keyir(t, "", nil, "report", "verify", dir)
	if v.code != 1 || !strings.Contains(v.stdout, "run.json: edited") || strings.Contains(v.stdout+v.stderr, "keyir resume") {
		t.Errorf("verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
}

// report verify prints the reason for a broken journal chain, and never
// suggests resuming what is not an unfinished run.
func TestVerifyExplainsAndNeverSuggestsResumeWrongly(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	_, dir := killedGatedRun(t)
	if v := keyir(t, "", nil, "report", "verify", dir); v.code != 1 || !strings.Contains(v.stderr, "keyir resume "+dir) {
		t.Fatalf("verify of a resumable killed run should suggest resume: %+v", v)
	}
	p := filepath.Join(dir, runstore.JournalFile)
	b, _ := os.ReadFile(p)
	lines := strings.SplitAfter(string(b), "\n")
	// Line 2 edited (still a valid event): line 3 no longer chains to it.
	lines[1] = strings.Replace(lines[1], `"seq":2,`, `"seq":2,"x":1,`, 1)
	os.WriteFile(p, []byte(strings.Join(lines, "")), 0o600)
	v := keyir(t, "", nil, "report", "verify", dir)
	if v.code != 1 || !strings.Contains(v.stdout, "TAMPERED") || !strings.Contains(v.stdout, "journal.jsonl:3") ||
		!strings.Contains(v.stdout, "hash chain broken") || strings.Contains(v.stdout+v.stderr, "resume") {
		t.Errorf("verify of a run with a broken chain: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	if r := keyir(t, "", nil, "resume", dir); r.code != 1 || !strings.Contains(r.stderr, "hash chain broken") {
		t.Errorf("resume of a run with a broken chain: exit %d\n%s", r.code, r.stderr)
	}
	empty := t.TempDir()
	if v := keyir(t, "", nil, "report", "verify", empty); v.code == 0 || strings.Contains(v.stdout+v.stderr, "resume") {
		t.Errorf("verify of an empty directory: %+v", v)
	}
}

func TestVerifyAcceptsALinkToTheRunDirectory(t *testing.T) {
	dir := finishedRun(t)
	link := filepath.Join(t.TempDir(), "latest")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	v := keyir(t, "", nil, "report", "verify", link)
	if v.code != 0 || !strings.Contains(v.stdout, "intact") || !strings.Contains(v.stdout, dir) {
		t.Fatalf("verify through a link: %+v", v)
	}
	// Inside the directory nothing is followed.
	os.Symlink("/etc/hostname", filepath.Join(dir, "evidence", "009-x.jsonl"))
	v = keyir(t, "", nil, "report", "verify", link)
	if v.code != 1 || !strings.Contains(v.stdout, "evidence/009-x.jsonl (a symbolic link)") {
		t.Errorf("verify with a planted link: %+v", v)
	}
	for _, sub := range []string{"show", "open"} {
		r := keyir(t, "", map[string]string{"KEYIR_NO_BROWSER": "1"}, "report", sub, link)
		if r.code != 2 || !strings.Contains(r.stderr, "009-x.jsonl is a symbolic link") {
			t.Errorf("report %s with a planted link: %+v", sub, r)
		}
	}
}
