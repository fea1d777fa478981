//go:build unix

package runstore

import "io/fs"
import "path/filepath"
import "syscall"
import "testing"

import "github.com/keyir/keyir/report"

// With umask 0, a plain os.OpenFile(…, 0666) would make world-readable
// evidence: every file and directory must still be private.
func TestPermissionsIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	root := filepath.Join(t.TempDir(), "reports")
	s, err := Create(root, testRun(report.ModeLive))
	if err != nil {
		t.Fatal(err)
	}
	s.Now = tickClock(t0, 250e6)
	scriptLive(t, s)
	ev, err := s.EvidenceFile(4, "activity")
	if err != nil {
		t.Fatal(err)
	}
	ev.Write("page", map[string]int{"n": 1})
	ev.Close()
	if err := s.WriteFile("extra.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish(nil, stubRenderer{}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	checked := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := FilePerm
		if d.IsDir() {
			want = DirPerm
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		checked++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("only %d entries checked", checked)
	}
}
