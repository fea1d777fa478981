package runstore

import "encoding/json"
import "fmt"
import "os"
import "path/filepath"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

func TestCreateLayout(t *testing.T) {
	root := t.TempDir()
	run := testRun(report.ModeLive)
	run.Started = time.Date(2025, 3, 4, 6, 6, 7, 0, time.FixedZone("CET", 3600))
	s, err := Create(root, run)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := filepath.Join(root, "20250304T050607Z_INC-42_r-20250304-abc123")
	if s.Dir() != want {
		t.Errorf("Dir() = %s, want %s", s.Dir(), want)
	}
	for _, name := range []string{RunFile, JournalFile, EvidenceDir} {
		if _, err := os.Stat(filepath.Join(s.Dir(), name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	var got report.Run
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(s.Dir(), RunFile))), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != run.ID || got.Status != report.RunRunning || !got.Started.Equal(run.Started) || got.Started.Location() != time.UTC {
		t.Errorf("run.json = %+v", got)
	}
	if _, err := Create(root, run); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Create of the same run: %v, want already exists", err)
	}
}

func TestCreateDirNames(t *testing.T) {
	root := t.TempDir()
	for incident, want := range map[string]string{
		"":                      "no-incident",
		"INC 42/sev1":           "INC-42-sev1",
		"../../x":               "-..-x",
		"..":                    "no-incident",
		strings.Repeat("a", 99): strings.Repeat("a", 64),
	} {
		run := testRun(report.ModeLive)
		run.Incident = incident
		run.ID = fmt.Sprintf("id-%d", len(want)+len(incident))
		s, err := Create(root, run)
		if err != nil {
			t.Errorf("incident %q: %v", incident, err)
			continue
		}
		s.Close()
		base := filepath.Base(s.Dir())
		if wantBase := "20250304T050607Z_" + want + "_" + run.ID; base != wantBase {
			t.Errorf("incident %q: dir %s, want %s", incident, base, wantBase)
		}
		if filepath.Dir(s.Dir()) != root {
			t.Errorf("incident %q: %s is not directly under the root", incident, s.Dir())
		}
	}
}

func TestCreateRefusesEscapingRunID(t *testing.T) {
	root := filepath.Join(t.TempDir(), "reports")
	for _, id := range []string{"../../x", "a/b", `a\b`, "..", "", "a b", "x\x00y", strings.Repeat("a", 65)} {
		run := testRun(report.ModeLive)
		run.ID = id
		if s, err := Create(root, run); err == nil {
			s.Close()
			t.Errorf("Create accepted run id %q (dir %s)", id, s.Dir())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(root))
	for _, e := range entries {
		if e.Name() != "reports" {
			t.Errorf("something was created outside the root: %s", e.Name())
		}
	}
}

func TestWriteFileStaysInside(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	for _, name := range []string{"../x", "/etc/passwd", "evidence/../../x", "", ManifestFile} {
		if err := s.WriteFile(name, []byte("x")); err == nil {
			t.Errorf("WriteFile(%q) succeeded", name)
		}
	}
	if err := s.WriteJSON("evidence/extra.json", map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(s.Dir(), "evidence", "extra.json")); got != "{\n  \"a\": 1\n}\n" {
		t.Errorf("extra.json = %q", got)
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "evidence"))
	if len(entries) != 1 {
		t.Errorf("evidence/ holds %d entries, want 1", len(entries))
	}
}

func TestUpdateRun(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	if err := s.UpdateRun(func(r *report.Run) { r.Status = report.RunSucceeded; r.Inputs["x"] = "y" }); err != nil {
		t.Fatal(err)
	}
	// The next event records run.json's new SHA-256; Open checks it.
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	if err := s.UpdateRun(func(r *report.Run) { r.ID = "other" }); err == nil {
		t.Error("UpdateRun allowed changing the run id")
	}
	// Run() is a copy: changing it does not change the store.
	r := s.Run()
	r.Inputs["x"] = "changed"
	if s.Run().Inputs["x"] != "y" {
		t.Error("Run() shares its Inputs map with the store")
	}
	// Open (once the writer is done: it holds the journal's lock).
	s.Close()
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if r := s2.Run(); r.Status != report.RunSucceeded || r.Inputs["x"] != "y" {
		t.Errorf("reopened run: %+v", r)
	}
}

func TestEvidenceFile(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	w, err := s.EvidenceFile(4, "page/../../activity")
	if err != nil {
		t.Fatal(err)
	}
	if w.Name() != "evidence/004-page-..-..-activity.jsonl" {
		t.Errorf("name %s", w.Name())
	}
	if _, err := s.EvidenceFile(4, "page/../../activity"); err == nil {
		t.Error("a second writer on an open evidence file was allowed")
	}
	ref, err := w.Write("http", map[string]string{"url": "https://x"})
	if err != nil || ref != "evidence/004-page-..-..-activity.jsonl#1" {
		t.Fatalf("ref %q err %v", ref, err)
	}
	w.Close()
	if _, err := w.Write("http", nil); err == nil {
		t.Error("write after close succeeded")
	}

	// A crash cut the next record short; a resumed step continues numbering
	// after the last complete record.
	path := filepath.Join(s.Dir(), filepath.FromSlash(w.Name()))
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"n":2,"time":"2025-`)
	f.Close()
	w2, err := s.EvidenceFile(4, "page/../../activity")
	if err != nil {
		t.Fatal(err)
	}
	ref, err = w2.Write("http", map[string]int{"status": 401})
	if err != nil || !strings.HasSuffix(ref, "#2") {
		t.Fatalf("resumed ref %q err %v", ref, err)
	}
	w2.Close()
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("file has %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	var rec struct {
		N    int             `json:"n"`
		Time time.Time       `json:"time"`
		Kind string          `json:"kind"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil || rec.N != 2 || rec.Kind != "http" || string(rec.Data) != `{"status":401}` || rec.Time.IsZero() {
		t.Errorf("record %s: %+v %v", lines[1], rec, err)
	}
}

// Many records from several goroutines: every line is whole, numbers are
// unique and dense, and every reference returned is distinct.
func TestEvidenceConcurrentAndLarge(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	w, err := s.EvidenceFile(2, "messages")
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 2500
	refs := make(chan string, workers*each)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				ref, err := w.Write("message", map[string]any{"g": g, "i": i, "to": "someone@example.com"})
				if err != nil {
					t.Error(err)
					return
				}
				refs <- ref
			}
		}()
	}
	wg.Wait()
	close(refs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for r := range refs {
		if seen[r] {
			t.Fatalf("duplicate ref %s", r)
		}
		seen[r] = true
	}
	f, _ := os.Open(filepath.Join(s.Dir(), filepath.FromSlash(w.Name())))
	defer f.Close()
	n, good, size, err := countLines(f)
	if err != nil || n != workers*each || good != size {
		t.Errorf("lines %d (want %d), good %d size %d, err %v", n, workers*each, good, size, err)
	}
}
