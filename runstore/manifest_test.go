package runstore

import "errors"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/report"

func TestFinishWritesEverything(t *testing.T) {
	s, dir := finishedDir(t)
	for _, name := range []string{RunFile, JournalFile, FindingsFile, ReportJSON, ReportMD, ManifestFile, "evidence/001-identify.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	events, _, err := ReadJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Type != report.EventManifestWritten || last.Data["sha256"] == nil {
		t.Errorf("last event %+v, want manifest_written with report digests", last)
	}
	manifest := readFile(t, filepath.Join(dir, ManifestFile))
	if !strings.Contains(manifest, "  journal.jsonl  ") {
		t.Errorf("MANIFEST does not cover the journal:\n%s", manifest)
	}
	if r := s.Run(); r.Status != report.RunDegraded || r.Finished.IsZero() || r.Containment.Status != report.ContainmentConfirmed {
		t.Errorf("run.json not updated from the report: %+v", r)
	}
}

func TestManifestFormat(t *testing.T) {
	_, dir := finishedDir(t)
	lines := strings.Split(strings.TrimSuffix(readFile(t, filepath.Join(dir, ManifestFile)), "\n"), "\n")
	var paths []string
	chain := chainStart()
	for _, l := range lines[:len(lines)-1] {
		f := strings.Split(l, "  ")
		if len(f) != 3 {
			t.Fatalf("line %q", l)
		}
		sum, err := HashFile(filepath.Join(dir, f[1]))
		if err != nil || sum != f[0] {
			t.Errorf("%s: sha %s, file hashes to %s (%v)", f[1], f[0], sum, err)
		}
		chain = chainNext(chain, f[0], f[1])
		if f[2] != chain {
			t.Errorf("%s: chain %s, want %s", f[1], f[2], chain)
		}
		paths = append(paths, f[1])
	}
	if lines[len(lines)-1] != "head "+chain {
		t.Errorf("last line %q, want head %s", lines[len(lines)-1], chain)
	}
	if !slices.IsSorted(paths) || slices.Contains(paths, ManifestFile) {
		t.Errorf("paths %v: want sorted, without MANIFEST", paths)
	}
	want := []string{"evidence/001-identify.jsonl", FindingsFile, JournalFile, ReportHTML, ReportJSON, ReportMD, RunFile}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
}

func TestVerify(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		check  func(VerifyResult) bool
	}{
		{"untouched", func(*testing.T, string) {}, func(r VerifyResult) bool { return r.OK() && r.Files == 7 }},
		{"changed byte", func(t *testing.T, dir string) {
			p := filepath.Join(dir, ReportMD)
			b, _ := os.ReadFile(p)
			b[10] ^= 1
			os.WriteFile(p, b, 0o600)
		}, func(r VerifyResult) bool {
			return !r.OK() && slices.Equal(r.Changed, []string{ReportMD}) && !r.ChainBroken
		}},
		{"removed file", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "evidence", "001-identify.jsonl"))
		}, func(r VerifyResult) bool {
			return !r.OK() && slices.Equal(r.Missing, []string{"evidence/001-identify.jsonl"})
		}},
		{"added file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "evidence", "999-fake.jsonl"), []byte("{}\n"), 0o600)
		}, func(r VerifyResult) bool {
			return !r.OK() && slices.Equal(r.Added, []string{"evidence/999-fake.jsonl"})
		}},
		{"added symlink", func(t *testing.T, dir string) {
			os.Symlink("/etc/passwd", filepath.Join(dir, "link"))
		}, func(r VerifyResult) bool {
			return !r.OK() && len(r.Added) == 1 && strings.HasPrefix(r.Added[0], "link")
		}},
		{"added empty directory", func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "newdir"), 0o700)
		}, func(r VerifyResult) bool {
			return !r.OK() && len(r.Added) == 1 && strings.HasPrefix(r.Added[0], "newdir")
		}},
		{"added empty directory in evidence", func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "evidence", "sub"), 0o700)
		}, func(r VerifyResult) bool {
			return !r.OK() && len(r.Added) == 1 && strings.HasPrefix(r.Added[0], "evidence/sub")
		}},
		{"edited MANIFEST line", func(t *testing.T, dir string) {
			// Replace the hash of report.md with the hash of the tampered
			// file, without recomputing the chain.
			p := filepath.Join(dir, ReportMD)
			os.WriteFile(p, []byte("# nothing happened\n"), 0o600)
			sum, _ := HashFile(p)
			m := filepath.Join(dir, ManifestFile)
			lines := strings.Split(readFile(t, m), "\n")
			for i, l := range lines {
				if strings.Contains(l, "  "+ReportMD+"  ") {
					lines[i] = sum + l[64:]
				}
			}
			os.WriteFile(m, []byte(strings.Join(lines, "\n")), 0o600)
		}, func(r VerifyResult) bool { return !r.OK() && r.ChainBroken && len(r.Changed) == 0 }},
		{"removed MANIFEST line", func(t *testing.T, dir string) {
			m := filepath.Join(dir, ManifestFile)
			lines := strings.Split(readFile(t, m), "\n")
			os.WriteFile(m, []byte(strings.Join(append(lines[:1], lines[2:]...), "\n")), 0o600)
		}, func(r VerifyResult) bool { return !r.OK() && r.ChainBroken && len(r.Added) == 1 }},
		{"edited head", func(t *testing.T, dir string) {
			m := filepath.Join(dir, ManifestFile)
			s := readFile(t, m)
			i := strings.LastIndex(s, "head ")
			os.WriteFile(m, []byte(s[:i]+"head "+strings.Repeat("0", 64)+"\n"), 0o600)
		}, func(r VerifyResult) bool { return !r.OK() && r.ChainBroken }},
		{"journal rewritten consistently with MANIFEST", func(t *testing.T, dir string) {
			// Someone drops a journal line and re-runs WriteManifest: the
			// files match MANIFEST, but the journal chain does not hold, and
			// the head differs from the one printed at the end of the run.
			p := filepath.Join(dir, JournalFile)
			lines := strings.SplitAfter(readFile(t, p), "\n")
			os.WriteFile(p, []byte(strings.Join(append(lines[:3], lines[4:]...), "")), 0o600)
			if _, err := WriteManifest(dir); err != nil {
				t.Fatal(err)
			}
		}, func(r VerifyResult) bool {
			return !r.OK() && !r.ChainBroken && strings.Contains(r.Journal, "journal.jsonl:4")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, dir := finishedDir(t)
			c.tamper(t, dir)
			res, err := Verify(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(res) {
				t.Errorf("Verify = %+v", res)
			}
		})
	}
}

func TestVerifyHeadMatchesFinish(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	scriptLive(t, s)
	head, err := s.Finish(nil, stubRenderer{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(s.Dir())
	if err != nil || res.Head != head || len(head) != 64 {
		t.Errorf("Verify head %q, Finish head %q, err %v", res.Head, head, err)
	}
	rep, err := Load(s.Dir())
	if err != nil || rep.ManifestHead != head {
		t.Errorf("Load head %q, want %q (%v)", rep.ManifestHead, head, err)
	}
}

func TestVerifyUnfinishedRun(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	mustAppend(t, s, report.Event{Type: report.EventRunStarted, Steps: plannedSteps()})
	_, err := Verify(s.Dir())
	if !errors.Is(err, ErrNoManifest) || !strings.Contains(err.Error(), "keyir resume "+s.Dir()) || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("Verify on an unfinished run: %v", err)
	}
}

func TestFinishRefusesOpenEvidence(t *testing.T) {
	s := newStore(t, testRun(report.ModeLive))
	scriptDrill(t, s)
	w, err := s.EvidenceFile(3, "verify")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(nil, stubRenderer{}); err == nil || !strings.Contains(err.Error(), "evidence/003-verify.jsonl") {
		t.Errorf("Finish with an open evidence file: %v", err)
	}
	w.Close()
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
}
