package runstore

import "errors"
import "os"
import "path/filepath"
import "strings"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// crashedDir is a live run that died in step 4 (kill -9: no run_interrupted,
// no MANIFEST) after writing and journaling evidence for step 1 and 4.
func crashedDir(t *testing.T) (*Store, string) {
	t.Helper()
	s := newStore(t, testRun(report.ModeLive))
	run := s.Run()
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1})
	ev, err := s.EvidenceFile(1, "identify")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Write("http", map[string]any{"status": 200}); err != nil {
		t.Fatal(err)
	}
	ev.Close()
	mustAppend(t, s, report.Event{Type: report.EventStepFinished, Step: "identify", Index: 1, Status: report.StepOK},
		report.Event{Type: report.EventStepStarted, Step: "activity", Index: 4, Attempt: 1})
	ev4, err := s.EvidenceFile(4, "activity")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev4.Write("http", map[string]any{"page": 1}); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, report.Event{Type: report.EventNote, Step: "activity", Note: &report.Note{Text: "page 1"}})
	ev4.Close()
	s.Close()
	return s, s.Dir()
}

func wantTamper(t *testing.T, err error, words ...string) {
	t.Helper()
	var te *TamperError
	if !errors.As(err, &te) {
		t.Fatalf("want a *TamperError, got %T: %v", err, err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not say %q:\n%v", w, err)
		}
	}
}

func TestOpenRefusesSealedRun(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	before := readFile(t, filepath.Join(dir, JournalFile))
	res, _ := Verify(dir)
	_, err := Open(dir)
	var se *SealedError
	if !errors.As(err, &se) || se.Head != res.Head || !strings.Contains(err.Error(), "finished and sealed at "+res.Head+"; start a new run") {
		t.Fatalf("Open on a sealed run: %v", err)
	}
	if readFile(t, filepath.Join(dir, JournalFile)) != before {
		t.Error("a refused resume wrote to the journal")
	}
	if v, err := Verify(dir); err != nil || !v.OK() || v.Head != res.Head {
		t.Errorf("a refused resume changed the seal: %+v %v", v, err)
	}
}

func TestOpenRefusesTamperedSealedRun(t *testing.T) {
	for name, tc := range map[string]struct {
		edit  func(t *testing.T, dir string)
		words []string
	}{
		"MANIFEST deleted": {func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ManifestFile))
		}, []string{"MANIFEST is missing", "records that the run was sealed", "start a new run"}},
		"journal cut by 300 bytes": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-300)
		}, []string{"changed: journal.jsonl", "torn"}},
		"journal cut and MANIFEST deleted": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-300)
			os.Remove(filepath.Join(dir, ManifestFile))
		}, []string{"run.json: edited"}},
		"run.json edited": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, RunFile)
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), "alice", "mallory", 1)), 0o600)
		}, []string{"changed: run.json"}},
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := finishedDir(t)
			s.Close()
			tc.edit(t, dir)
			_, err := Open(dir)
			wantTamper(t, err, tc.words...)
			// And report verify does not call it intact, nor suggest resume.
			v, verr := Verify(dir)
			if verr != nil && strings.Contains(verr.Error(), "resume") || verr == nil && v.OK() {
				t.Errorf("Verify after %s: %+v %v", name, v, verr)
			}
		})
	}
}

func TestOpenChecksUnfinishedRunAgainstTheJournal(t *testing.T) {
	ev1 := filepath.Join(EvidenceDir, "001-identify.jsonl")
	ev4 := filepath.Join(EvidenceDir, "004-activity.jsonl")
	for name, tc := range map[string]struct {
		edit  func(t *testing.T, dir string)
		words []string // nil: the resume is allowed
	}{
		"untouched": {func(*testing.T, string) {}, nil},
		"run.json edited": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, RunFile)
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), `"mode": "live"`, `"mode": "drill"`, 1)), 0o600)
		}, []string{"run.json: edited", "journal.jsonl line 1"}},
		"evidence byte changed": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, ev1)
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), "200", "401", 1)), 0o600)
		}, []string{"evidence/001-identify.jsonl: its first", "differ"}},
		"evidence cut": {func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(dir, ev4), 3)
		}, []string{"evidence/004-activity.jsonl", "cut short"}},
		"evidence deleted": {func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, ev1))
		}, []string{"evidence/001-identify.jsonl: missing"}},
		"file planted": {func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, EvidenceDir, "009-extra.jsonl"), []byte("{}\n"), 0o600)
		}, []string{"evidence/009-extra.jsonl: a file this run did not write"}},
		// A step in flight may have appended records after the last event:
		// that is a crash's trace, not tampering.
		"records appended after the last event": {func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, ev4), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(`{"n":2,"time":"2025-03-04T05:06:09Z","kind":"http","data":{"page":2}}` + "\n")
			f.Close()
		}, nil},
		"records appended to a finished step's evidence": {func(t *testing.T, dir string) {
			f, _ := os.OpenFile(filepath.Join(dir, ev1), os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(`{"n":2,"time":"2025-03-04T05:06:09Z","kind":"http","data":{"status":401}}` + "\n")
			f.Close()
		}, []string{"evidence/001-identify.jsonl", "its step had finished", "records added"}},
		"evidence of a step that never started": {func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, EvidenceDir, "002-revoke.jsonl"), []byte("{}\n"), 0o600)
		}, []string{"evidence/002-revoke.jsonl: a file this run did not write"}},
		"a temporary file an interrupted write left": {func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, ".run.json.tmp-123"), []byte("{half"), 0o600)
		}, nil},
		"journal line edited": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			os.WriteFile(p, []byte(strings.Replace(readFile(t, p), `"status":"ok"`, `"status":"failed"`, 1)), 0o600)
		}, []string{"journal.jsonl:4", "hash chain broken"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, dir := crashedDir(t)
			tc.edit(t, dir)
			s, err := Open(dir)
			if tc.words == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				if _, verr := Verify(dir); !errors.Is(verr, ErrNoManifest) || !strings.Contains(verr.Error(), "keyir resume") {
					t.Errorf("Verify on a resumable run: %v", verr)
				}
				if _, err := os.Lstat(filepath.Join(dir, ".run.json.tmp-123")); err == nil {
					t.Error("a leftover temporary file stayed in the run directory")
				}
				if strings.Contains(name, "temporary") {
					events, _, _ := ReadJournal(dir)
					last := events[len(events)-1]
					if last.Type != report.EventNote || last.Data["removed"] == nil {
						t.Errorf("the removal is not journaled: %+v", last)
					}
				}
				return
			}
			wantTamper(t, err, tc.words...)
			v, verr := Verify(dir)
			if verr != nil || v.OK() || len(v.Problems) == 0 {
				t.Errorf("Verify on a tampered unfinished run: %+v %v", v, verr)
			}
		})
	}
}

func TestInterruptedRunResumesAndRetiresItsManifest(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	run := s.Run()
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		report.Event{Type: report.EventRunInterrupted, ExitCode: intp(report.ExitCouldNotRun)})
	head, err := s.Finish(nil, stubRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatalf("an interrupted run must be resumable: %v", err)
	}
	if err := s2.Resumed(&run); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := os.Lstat(filepath.Join(s.Dir(), ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the interrupted run's MANIFEST was not retired: %v", err)
	}
	events, _, _ := ReadJournal(s.Dir())
	last := events[len(events)-1]
	if last.Type != report.EventRunResumed || last.Data["retired_manifest_head"] != head {
		t.Errorf("run_resumed does not name the retired head: %+v", last)
	}
	// The resumed process died: the retired MANIFEST's absence is not a
	// deletion, and the run can be resumed again.
	s3, err := Open(s.Dir())
	if err != nil {
		t.Fatalf("second resume: %v", err)
	}
	s3.Close()
}

func TestOpenRefusesLinksAndSpecialFiles(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("precious\n"), 0o644)
	for name, tc := range map[string]struct {
		plant func(t *testing.T, dir string)
		want  error
		path  string
	}{
		"evidence replaced by a link": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, EvidenceDir, "004-activity.jsonl")
			os.Remove(p)
			os.Symlink(outside, p)
		}, safefile.ErrSymlink, "004-activity.jsonl"},
		"journal a link to /dev/zero": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			os.Remove(p)
			os.Symlink("/dev/zero", p)
		}, safefile.ErrSymlink, JournalFile},
		"journal a FIFO": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			os.Remove(p)
			syscall.Mkfifo(p, 0o600)
		}, safefile.ErrNotRegular, JournalFile},
		"journal hard-linked to a file outside": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, JournalFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(outside, b, 0o644)
			os.Remove(p)
			if err := os.Link(outside, p); err != nil {
				t.Skip(err)
			}
		}, safefile.ErrHardLinked, JournalFile},
		"evidence directory a link": {func(t *testing.T, dir string) {
			p := filepath.Join(dir, EvidenceDir)
			os.Rename(p, p+"-moved")
			os.Symlink(p+"-moved", p)
		}, safefile.ErrSymlink, EvidenceDir},
	} {
		t.Run(name, func(t *testing.T) {
			_, dir := crashedDir(t)
			os.WriteFile(outside, []byte("precious\n"), 0o644)
			tc.plant(t, dir)
			want := readFile(t, outside)
			start := time.Now()
			_, err := Open(dir)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("Open: %v, want %v naming %s", err, tc.want, tc.path)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("refusal took %v", d)
			}
			if got := readFile(t, outside); got != want {
				t.Errorf("the file outside the run directory changed: %q", got)
			}
			if fi, _ := os.Stat(outside); fi.Mode().Perm() != 0o644 {
				t.Errorf("mode of the file outside changed: %v", fi.Mode())
			}
		})
	}
}

func TestJournalTooLargeIsRefusedWithoutReading(t *testing.T) {
	_, dir := crashedDir(t)
	// A 10 GB sparse journal: refused from its size, before any read.
	if err := os.Truncate(filepath.Join(dir, JournalFile), 10<<30); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	_, _, err := ReadJournal(dir)
	if !errors.Is(err, safefile.ErrTooLarge) || time.Since(start) > time.Second {
		t.Fatalf("ReadJournal on a 10 GB journal: %v after %v", err, time.Since(start))
	}
	if _, err := Open(dir); !errors.Is(err, safefile.ErrTooLarge) {
		t.Errorf("Open: %v", err)
	}
}

func TestJournalLineCap(t *testing.T) {
	j, err := parseJournal(strings.NewReader(strings.Repeat("x", MaxJournalLine+10)+"\n"), JournalFile)
	var je *JournalError
	if !errors.As(err, &je) || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("a line over the cap: %v (%d events)", err, len(j.events))
	}
}

func TestVerifyAcceptsALinkToARunDirectory(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	link := filepath.Join(t.TempDir(), "latest")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(link)
	if err != nil || !v.OK() || v.Dir != dir {
		t.Fatalf("Verify through a top-level link: %+v %v", v, err)
	}
	// Shell completion adds a slash: latest/ is the same link.
	if v, err := Verify(link + "/"); err != nil || !v.OK() || v.Dir != dir {
		t.Fatalf("Verify through a top-level link given with a trailing slash: %+v %v", v, err)
	}
	// A link to a link is not resolved twice.
	link2 := filepath.Join(t.TempDir(), "latest2")
	os.Symlink(link, link2)
	if _, err := Verify(link2); !errors.Is(err, safefile.ErrSymlink) {
		t.Errorf("a chain of links was followed: %v", err)
	}
	// Inside, nothing is followed: a link planted next to the files is
	// reported, and the file it points at is not hashed as evidence.
	os.Symlink("/etc/hostname", filepath.Join(dir, EvidenceDir, "005-notify.jsonl"))
	v, err = Verify(link)
	if err != nil || v.OK() || !strings.Contains(strings.Join(v.Reasons(), "\n"), "added:   evidence/005-notify.jsonl (a symbolic link)") {
		t.Errorf("planted link: %+v %v", v, err)
	}
}

func TestVerifyWithoutManifestExplainsABrokenJournal(t *testing.T) {
	_, dir := crashedDir(t)
	p := filepath.Join(dir, JournalFile)
	lines := strings.SplitAfter(readFile(t, p), "\n")
	os.WriteFile(p, []byte(lines[0]+lines[2]+lines[3]), 0o600) // line 2 removed
	v, err := Verify(dir)
	if err != nil {
		t.Fatalf("Verify: %v (a broken unfinished run is a finding, not a suggestion to resume)", err)
	}
	r := strings.Join(v.Reasons(), "\n")
	if v.OK() || !strings.Contains(r, "MANIFEST: missing") || !strings.Contains(r, "journal.jsonl:2") || strings.Contains(r, "resume") {
		t.Errorf("reasons:\n%s", r)
	}
}

func TestVerifyOnANonRunDirectory(t *testing.T) {
	_, err := Verify(t.TempDir())
	if err == nil || strings.Contains(err.Error(), "resume") || !strings.Contains(err.Error(), "not a keyir run directory") {
		t.Errorf("Verify on an empty directory: %v", err)
	}
}

func TestUpdateRunIsJournaled(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	if err := s.UpdateRun(func(r *report.Run) { r.Operator = "bob" }); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, report.Event{Type: report.EventNote, Note: &report.Note{Text: "x"}})
	events, _, _ := ReadJournal(s.Dir())
	fs, ok := events[1].Files[RunFile]
	if !ok || fs.SHA256 != lineHash([]byte(readFile(t, filepath.Join(s.Dir(), RunFile)))) {
		t.Fatalf("the event after UpdateRun does not record run.json: %+v", events[1])
	}
	if len(events[0].Files) != 1 {
		t.Errorf("run_started records %v", events[0].Files)
	}
	// Not recorded again while it does not change.
	mustAppend(t, s, report.Event{Type: report.EventNote, Note: &report.Note{Text: "y"}})
	events, _, _ = ReadJournal(s.Dir())
	if events[2].Files != nil {
		t.Errorf("unchanged run.json recorded again: %+v", events[2].Files)
	}
}

// Load (report show, the end-of-run summary) reads MANIFEST's head like
// every other file: a FIFO there does not block it, a link is not followed.
func TestLoadReadsManifestHeadSafely(t *testing.T) {
	s, dir := finishedDir(t)
	s.Close()
	p := filepath.Join(dir, ManifestFile)
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Load(dir)
		done <- err
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		// Unblock the open so the test process can end.
		if f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("Load blocked on a MANIFEST that is a FIFO")
	}
	os.Remove(p)
	forged := filepath.Join(t.TempDir(), "forged")
	os.WriteFile(forged, []byte("head forged\n"), 0o600)
	os.Symlink(forged, p)
	rep, err := Load(dir)
	if err == nil && rep.ManifestHead == "forged" {
		t.Errorf("Load followed a link for MANIFEST's head")
	}
}

// While a process writes a run (the run itself, or a resume), a second
// resume is refused before it writes anything: two writers would run steps
// twice and interleave the journal.
func TestOpenRefusesARunAnotherStoreIsWriting(t *testing.T) {
	_, dir := crashedDir(t)
	first, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	before := readFile(t, filepath.Join(dir, JournalFile))
	if s, err := Open(dir); !errors.Is(err, ErrInUse) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a second Open while the first holds the run: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, JournalFile)); got != before {
		t.Error("the refused Open wrote to the journal")
	}
	first.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after the first store closed: %v", err)
	}
	s.Close()
	// A run being created holds its journal from the start.
	c := newStore(t, testRun(report.ModeLive))
	run := c.Run()
	mustAppend(t, c, report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()})
	if s, err := Open(c.Dir()); !errors.Is(err, ErrInUse) {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open of a run still being written: %v", err)
	}
	c.Close()
}

// Finish lets go of the journal: the same process (keyir serve) can resume
// an interrupted run it wrote itself.
func TestFinishReleasesTheJournal(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	run := s.Run()
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Run: &run, Steps: plannedSteps()},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
		report.Event{Type: report.EventRunInterrupted, ExitCode: intp(report.ExitCouldNotRun)})
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Dir())
	if err != nil {
		t.Fatalf("resume in the process that finished the run: %v", err)
	}
	s2.Close()
}
