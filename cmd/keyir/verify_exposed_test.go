package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"

// keyir report verify said "intact" of a run whose evidence file had a
// second name (a hard link outside the directory) and whose report.md was
// made writable by group and others: the content matched MANIFEST, so it
// was intact at that moment, but either can be changed later without
// touching the directory's own names. Now verify still says intact (exit
// 0: nothing was changed) and names each such file and why, as text and in
// --output json ("exposed"); a run left as keyir wrote it has none.
func TestVerifyNamesFilesThatCanBeChangedLater(t *testing.T) {
	root := t.TempDir()
	if r := keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", root); r.code != 0 {
		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	dir := onlyRunDir(t, root)

	type verifyDoc struct {
		Status  string `json:"status"`
		Head    string `json:"head"`
		Exposed []struct {
			Path string `json:"path"`
			Why  string `json:"why"`
		} `json:"exposed"`
	}
	verify := func() (result, verifyDoc) {
		t.Helper()
		r := keyir(t, "", nil, "report", "verify", dir, "--output", "json")
		var doc verifyDoc
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("report verify --output json: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
		}
		return r, doc
	}
	if r, doc := verify(); r.code != 0 || doc.Status != "intact" || len(doc.Exposed) != 0 || len(doc.Head) != 64 {
		t.Fatalf("a run as keyir left it: exit %d, %+v", r.code, doc)
	}

	ev, _ := filepath.Glob(filepath.Join(dir, "evidence", "*.jsonl"))
	if len(ev) == 0 {
		t.Fatal("no evidence file")
	}
	if err := os.Link(ev[0], filepath.Join(t.TempDir(), "second-name")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "report.md"), 0o666); err != nil {
		t.Fatal(err)
	}
	evRel := "evidence/" + filepath.Base(ev[0])

	r := keyir(t, "", nil, "report", "verify", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "intact") || strings.Contains(r.stdout, "TAMPERED") {
		t.Fatalf("exit %d (the content is intact: 0)\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{evRel + ": 2 hard links", "report.md: writable by group and others"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("verify does not say %q:\n%s", want, r.stdout)
		}
	}
	r, doc := verify()
	got := map[string]string{}
	for _, e := range doc.Exposed {
		got[e.Path] = e.Why
	}
	if r.code != 0 || doc.Status != "intact" || len(got) != 2 || !strings.Contains(got[evRel], "hard links") || !strings.Contains(got["report.md"], "writable") {
		t.Errorf("--output json: exit %d, %+v", r.code, doc)
	}
	// A directory others may write: its files can be replaced.
	if err := os.Chmod(filepath.Join(dir, "evidence"), 0o777); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, "evidence"), 0o700)
	if r, doc := verify(); r.code != 0 || len(doc.Exposed) != 3 || doc.Exposed[0].Path != "evidence/" {
		t.Errorf("a world-writable evidence/: exit %d, %+v", r.code, doc)
	}
}
