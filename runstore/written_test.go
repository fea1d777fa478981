package runstore

import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/report"

// manifestSum is the SHA-256 MANIFEST lists for rel.
func manifestSum(t *testing.T, dir, rel string) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, filepath.Join(dir, ManifestFile)), "\n") {
		if f := strings.Split(l, "  "); len(f) == 3 && f[1] == rel {
			return f[0]
		}
	}
	t.Fatalf("MANIFEST does not list %s", rel)
	return ""
}

// An evidence file altered on disk after keyir wrote it, at the same size,
// is listed as written: verify reports it changed. (Hashed again from the
// disk, MANIFEST listed the altered bytes and verify found nothing.)
func TestManifestListsTheEvidenceWrittenNotAnAlteredFile(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	const rel = "evidence/001-identify.jsonl"
	p := filepath.Join(s.Dir(), filepath.FromSlash(rel))
	written, err := HashFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `"status":200`, `"status":401`, 1))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	if got := manifestSum(t, s.Dir(), rel); got != written {
		t.Fatalf("MANIFEST lists %s for %s, want the sum of the bytes written, %s", got, rel, written)
	}
	v, err := Verify(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if v.OK() || !slices.Contains(v.Changed, rel) {
		t.Fatalf("verify: %+v, want %s changed", v, rel)
	}
}

// A file whose size on disk is not the size written is read from the disk,
// as before; a reopened evidence file (a resumed step) is listed with the
// sum of all of it.
func TestManifestReadsEvidenceOfAnotherSizeAndCoversReopenedFiles(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	ev, err := s.EvidenceFile(4, "activity")
	if err != nil {
		t.Fatal(err)
	}
	ev.Write("http", map[string]any{"n": 1})
	ev.Close()
	if ev, err = s.EvidenceFile(4, "activity"); err != nil {
		t.Fatal(err)
	}
	ev.Write("http", map[string]any{"n": 2})
	ev.Close()
	grown := filepath.Join(s.Dir(), "evidence", "001-identify.jsonl")
	f, err := os.OpenFile(grown, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{}\n")
	f.Close()
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"evidence/001-identify.jsonl", "evidence/004-activity.jsonl"} {
		disk, err := HashFile(filepath.Join(s.Dir(), filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if got := manifestSum(t, s.Dir(), rel); got != disk {
			t.Errorf("MANIFEST lists %s for %s, the file hashes to %s", got, rel, disk)
		}
	}
	if v, err := Verify(s.Dir()); err != nil || !v.OK() {
		t.Fatalf("verify: %+v, %v", v, err)
	}
}
