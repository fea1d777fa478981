package runstore

import "os"
import "path/filepath"

// An Email Activity run writes about 40 MB of evidence, each line hashed as
// it is written (fileTrack's running hash, which the journal records);
// MANIFEST read and hashed all of it again. For an evidence file this
// process wrote and closed, Finish now lists that running hash: the
// SHA-256 of the bytes keyir wrote (the prefix read back from the disk when
// the file was reopened, then every line since), taken when the file's
// size on disk is the size written. What `report verify` proves is
// unchanged (the directory holds the bytes MANIFEST lists); what MANIFEST
// attests is at least as strong: a file altered on disk between its write
// and the seal, at the same size, was listed as altered and verified
// clean; now verify reports it changed. Any other file (run.json, the
// reports, the journal, evidence of an earlier process not reopened, a
// size that differs) is read from the disk as before.

// writtenSum is the SHA-256 and size of the bytes written to a file.
type writtenSum struct {
	sum  string // "": unknown, read the file
	size int64
}

// of is the file's SHA-256 for MANIFEST: the written sum when the file on
// disk is a regular file of the size written, else HashFile's.
func (w writtenSum) of(path string) (string, error) {
	if w.sum != "" && w.size <= MaxEvidenceFile {
		if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == w.size {
			return w.sum, nil
		}
	}
	return HashFile(path)
}

// writtenSums are the running sums of the evidence files this process
// wrote, by path relative to the run directory. Finish calls it once no
// evidence file is open.
func (s *Store) writtenSums() map[string]writtenSum {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]writtenSum{}
	for name, t := range s.files {
		if t.h == nil || s.open[name] {
			continue // not append-only, not hashed here, or still growing
		}
		out[filepath.ToSlash(name)] = writtenSum{sum: t.current(), size: t.size}
	}
	return out
}
