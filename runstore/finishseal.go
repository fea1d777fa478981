package runstore

import "bytes"
import "fmt"
import "os"
import "path/filepath"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// UnfinishedSealError refuses to resume a run whose journal was sealed
// but whose MANIFEST was never written: its seal is finished instead
// (FinishSeal, `keyir resume`), never its steps run again.
type UnfinishedSealError struct {
	Dir  string
	Line int
}

func (e *UnfinishedSealError) Error() string {
	return fmt.Sprintf("%s: sealed at %s line %d but keyir stopped before writing its %s, every file as the journal records it; `keyir resume %s` finishes the seal", e.Dir, JournalFile, e.Line, ManifestFile, e.Dir)
}

// Unfinished is what `keyir report verify` says of such a run: what is
// missing, what was checked, and the next step.
func (e *UnfinishedSealError) Unfinished() string {
	return fmt.Sprintf("%s line %d seals the run, but %s was never written (keyir was killed, or the disk filled, while sealing): the journal's hash chain, run.json, the evidence and the renderings the seal binds are as the journal records them, but nothing vouches for the directory as a whole yet. `keyir resume %s` finishes the seal (report.html and %s; no step runs again); then verify again, and compare the head with any head already posted", JournalFile, e.Line, ManifestFile, e.Dir, ManifestFile)
}

// manifestWriteCut reports whether dir holds the temporary file of a
// MANIFEST write that never reached its rename (safefile.WriteAtomic's
// ".MANIFEST.tmp-*"): keyir was killed while writing the seal's last file.
func manifestWriteCut(dir string) bool {
	tmps, err := filepath.Glob(filepath.Join(dir, "."+ManifestFile+".tmp-*"))
	return err == nil && len(tmps) > 0
}

// sealManifest writes the MANIFEST of a run its journal has sealed. When
// that fails (a full disk), report.html, which nothing binds until
// MANIFEST does, is removed: the directory is then a seal cut short, which
// `keyir report verify` calls unfinished and `keyir resume` finishes,
// rather than a MANIFEST missing beside its report.html, which reads as
// one deleted.
func sealManifest(dir string, known map[string]writtenSum) (string, error) {
	head, err := writeManifest(dir, known)
	if err != nil {
		_ = os.Remove(filepath.Join(dir, ReportHTML))
	}
	return head, err
}

// renderingsAsSealed reports whether the renderings the seal's event binds
// (findings.json, report.json, report.md, run.json) are on disk with the
// SHA-256 it records.
func renderingsAsSealed(dir string, seal report.Event) bool {
	sums, ok := seal.Data["sha256"].(map[string]any)
	if !ok || len(sums) == 0 {
		return false
	}
	for name, want := range sums {
		if !filepath.IsLocal(name) {
			return false
		}
		got, err := HashFile(filepath.Join(dir, name))
		if err != nil || got != want {
			return false
		}
	}
	return true
}

// FinishSeal finishes the seal of a run that stopped between its journal's
// manifest_written event and MANIFEST (Finish's steps 3 and 4): report.html
// is rendered from the journal, then MANIFEST written over every file. It
// refuses anything CheckResume refuses and any run whose seal is not
// unfinished; the journal is locked meanwhile, so no other keyir works on
// the directory. A temporary file the killed write left (report.html's,
// say) is kept and sealed with the rest: the journal, sealed, cannot
// record its removal, and nothing leaves the directory unrecorded. The head (also in the report's ManifestHead) is returned
// for the caller to print, with the report replayed from the journal.
func FinishSeal(dir string, r Renderer) (rep *report.Report, head string, err error) {
	dir = filepath.Clean(dir)
	chk, err := CheckResume(dir)
	if err != nil {
		return nil, "", err
	}
	if chk.UnfinishedSeal == 0 {
		return nil, "", fmt.Errorf("%s: its seal is not unfinished: nothing to finish", dir)
	}
	f, err := openPrivate(filepath.Join(dir, JournalFile), 0)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	if err := lockJournal(f); err != nil {
		return nil, "", err
	}
	rep = report.Replay(chk.Run, chk.Events)
	fillEvidence(dir, rep)
	sealing.Add(1)
	defer sealing.Add(-1)
	var page bytes.Buffer
	if err := r.RenderHTML(&page, rep, dir); err != nil {
		return nil, "", err
	}
	if err := safefile.WriteAtomic(filepath.Join(dir, ReportHTML), page.Bytes(), FilePerm); err != nil {
		return nil, "", err
	}
	if head, err = sealManifest(dir, nil); err != nil {
		return nil, "", err
	}
	rep.ManifestHead = head
	return rep, head, nil
}
