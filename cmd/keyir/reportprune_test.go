package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"

func TestReportPruneRemovesOnlyArchivedHeads(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", "name: n\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	reports := filepath.Join(dir, "reports")
	for _, inc := range []string{"INC-1", "INC-2"} {
		if r := keyir(t, "", nil, "run", pb, "--reports", reports, "--incident", inc); r.code != 0 {
			t.Fatalf("run: %d %s", r.code, r.stderr)
		}
	}
	runs, _, err := listRuns(reports)
	if err != nil || len(runs) != 2 {
		t.Fatalf("%v %v", runs, err)
	}
	a, b := runs[1].Path, runs[0].Path
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	prune := func(args ...string) pruneJSON {
		t.Helper()
		r := keyir(t, "", nil, append([]string{"report", "prune", "--reports", reports, "--output", "json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("prune %v: exit %d %s", args, r.code, r.stderr)
		}
		var doc pruneJSON
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("not one JSON document: %v\n%s", err, r.stdout)
		}
		return doc
	}
	if r := keyir(t, "", nil, "report", "prune", "--reports", reports); r.code != 2 || !strings.Contains(r.stderr, "--older-than") {
		t.Fatalf("prune without --older-than: %+v", r)
	}
	// Too recent: nothing is even considered.
	if doc := prune("--older-than", "1h"); len(doc.Removed)+len(doc.Kept) != 0 {
		t.Fatalf("runs of a minute ago pruned as older than 1h: %+v", doc)
	}
	// Old enough, but no head is recorded elsewhere: both kept.
	doc := prune("--older-than", "2099-01-01")
	if len(doc.Removed) != 0 || len(doc.Kept) != 2 || !strings.Contains(doc.Kept[0].Reason, "not recorded elsewhere") || !exists(a) || !exists(b) {
		t.Fatalf("unarchived runs: %+v", doc)
	}
	if r := keyir(t, "", nil, "report", "mark-archived", a, "--note", "ticket SEC-9"); r.code != 0 {
		t.Fatalf("mark-archived: %+v", r)
	}
	log, _ := os.ReadFile(filepath.Join(reports, HeadsLog))
	if !strings.Contains(string(log), filepath.Base(a)+" ") || !strings.Contains(string(log), "ticket SEC-9") {
		t.Fatalf("heads log: %q", log)
	}
	doc = prune("--older-than", "2099-01-01", "--dry-run")
	if len(doc.Removed) != 1 || doc.Removed[0].Path != a || !exists(a) {
		t.Fatalf("dry run: %+v (a exists: %v)", doc, exists(a))
	}
	doc = prune("--older-than", "2099-01-01")
	if len(doc.Removed) != 1 || exists(a) || !exists(b) {
		t.Fatalf("prune: %+v (a exists %v, b exists %v)", doc, exists(a), exists(b))
	}
	// An archived run changed since: kept as evidence, unless --force.
	if r := keyir(t, "", nil, "report", "mark-archived", b); r.code != 0 {
		t.Fatalf("mark-archived b: %+v", r)
	}
	writeFile(t, b, "report.md", "rewritten")
	if r := keyir(t, "", nil, "report", "mark-archived", b); r.code != 1 {
		t.Fatalf("mark-archived of a changed run: %+v", r)
	}
	doc = prune("--older-than", "2099-01-01")
	if len(doc.Kept) != 1 || !strings.Contains(doc.Kept[0].Reason, "does not match its MANIFEST") || !exists(b) {
		t.Fatalf("changed run: %+v", doc)
	}
	doc = prune("--older-than", "2099-01-01", "--force")
	if len(doc.Removed) != 1 || !strings.HasPrefix(doc.Removed[0].Reason, "--force: ") || exists(b) {
		t.Fatalf("--force: %+v", doc)
	}
}
