package runstore

import "crypto/sha256"
import "encoding/hex"
import "errors"
import "fmt"
import "hash"
import "io"
import "io/fs"
import "os"
import "path"
import "path/filepath"
import "sort"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// fileTrack follows one file this process writes. Evidence files keep a
// running hash (they only grow); run.json is hashed whole on each write.
type fileTrack struct {
	size      int64
	h         hash.Hash // running hash of an append-only file; nil otherwise
	sum       string    // "" while h has bytes not summed yet
	journaled string    // the sum the journal last recorded
}

func (t *fileTrack) setWhole(b []byte) {
	sum := sha256.Sum256(b)
	t.h, t.size, t.sum = nil, int64(len(b)), hex.EncodeToString(sum[:])
}

func (t *fileTrack) add(b []byte) {
	t.h.Write(b)
	t.size += int64(len(b))
	t.sum = ""
}

func (t *fileTrack) current() string {
	if t.sum == "" && t.h != nil {
		t.sum = hex.EncodeToString(t.h.Sum(nil))
	}
	return t.sum
}

// track returns the tracker of name, creating it. The caller holds s.mu (or
// owns the store alone, as Create does).
func (s *Store) track(name string) *fileTrack {
	t := s.files[name]
	if t == nil {
		t = &fileTrack{}
		s.files[name] = t
	}
	return t
}

// changedFiles lists the tracked files whose content changed since the
// journal last recorded them. The caller holds s.mu.
func (s *Store) changedFiles() map[string]report.FileState {
	var out map[string]report.FileState
	for name, t := range s.files {
		if sum := t.current(); sum != t.journaled {
			if out == nil {
				out = map[string]report.FileState{}
			}
			out[name] = report.FileState{Size: t.size, SHA256: sum}
		}
	}
	return out
}

// SealedError refuses to resume a run that finished and was sealed: its
// MANIFEST head may already be in a ticket, and a resume would change it.
type SealedError struct {
	Dir  string
	Head string
}

func (e *SealedError) Error() string {
	return fmt.Sprintf("%s: finished and sealed at %s; start a new run", e.Dir, e.Head)
}

// TamperError is a run directory that is not as the run left it. Each problem
// says what and where.
type TamperError struct {
	Dir      string
	Problems []string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("%s is not as the run left it; refusing to continue it:\n  - %s", e.Dir, strings.Join(e.Problems, "\n  - "))
}

// ResumeCheck is what CheckResume established about a resumable run.
type ResumeCheck struct {
	Run    report.Run
	Events []report.Event
	// Head is the MANIFEST head of an interrupted or failed run that was
	// sealed when it stopped; resuming retires that MANIFEST.
	Head string
	// Leftovers are temporary files of interrupted atomic writes.
	Leftovers []string
	// UnfinishedSeal is the journal line of a seal whose MANIFEST was
	// never written (0: none): such a run is not resumed but its seal
	// finished (FinishSeal).
	UnfinishedSeal int

	journal  journalScan
	recorded map[string]report.FileState
}

// CheckResume decides whether dir may be continued, before anything in it is
// written. It refuses (in this order):
//   - a link or special file anywhere in the directory (*safefile.Error);
//   - a journal whose hash chain is broken, except for a torn last line
//     (*TamperError);
//   - a finished run with an intact MANIFEST (*SealedError);
//   - a MANIFEST that does not match the directory, or a missing MANIFEST the
//     journal says was written (*TamperError);
//   - run.json or an evidence file that differs from the state the journal
//     last recorded, or a file the run never wrote (*TamperError).
func CheckResume(dir string) (*ResumeCheck, error) {
	dir = filepath.Clean(dir)
	if err := safefile.CheckTree(dir); err != nil {
		return nil, err
	}
	var chk ResumeCheck
	if err := readJSON(filepath.Join(dir, RunFile), &chk.Run); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s is not a keyir run directory (no %s)", dir, RunFile)
		}
		return nil, err
	}
	if err := ValidateRunID(chk.Run.ID); err != nil {
		return nil, &TamperError{dir, []string{RunFile + ": " + err.Error()}}
	}
	j, err := scanJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		var je *JournalError
		if errors.As(err, &je) {
			return nil, &TamperError{dir, []string{je.Error()}}
		}
		return nil, err
	}
	chk.journal, chk.Events = j, j.events
	if len(j.events) == 0 {
		return nil, &TamperError{dir, []string{JournalFile + " has no events: the run never started; start a new run"}}
	}
	st := sealState(j.events)
	recorded, lines := recordedFiles(j.events)
	chk.recorded = recorded

	if _, err := os.Lstat(filepath.Join(dir, ManifestFile)); err == nil {
		res, err := Verify(dir)
		if err != nil {
			return nil, err
		}
		if st.sealLine == 0 && st.retiredHead != "" && res.Head == st.retiredHead {
			// A resume retired this MANIFEST in the journal and died before
			// removing it: it describes an older state, not this one.
			chk.Leftovers = append(chk.Leftovers, ManifestFile)
		} else {
			if !res.OK() {
				return nil, &TamperError{dir, res.Reasons()}
			}
			if st.sealLine == 0 {
				return nil, &TamperError{dir, []string{ManifestFile + " is present but " + JournalFile + " records no seal since the last resume"}}
			}
			if st.finished {
				return nil, &SealedError{Dir: dir, Head: res.Head}
			}
			chk.Head = res.Head
			return &chk, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	} else if st.sealLine > 0 {
		// keyir stopped between the seal's event and MANIFEST (a SIGKILL,
		// a power loss: rendering the page and hashing the directory are
		// the seal's slow part) when that event is the journal's last
		// line, the renderings it binds are on disk as it records them,
		// and either report.html is not there or the temporary file of
		// MANIFEST's interrupted write is (report.html, bound by nothing
		// yet, is rendered again); the checks below then hold every other
		// file to the journal. Anything else is a MANIFEST deleted.
		last := j.events[len(j.events)-1]
		_, herr := os.Lstat(filepath.Join(dir, ReportHTML))
		cut := errors.Is(herr, fs.ErrNotExist) || manifestWriteCut(dir)
		if last.Seq != st.sealLine || !cut || !renderingsAsSealed(dir, last) {
			return nil, &TamperError{dir, []string{fmt.Sprintf("%s is missing, but %s line %d records that the run was sealed: it was deleted (or keyir died while writing it); `keyir report verify` cannot vouch for this directory, and it cannot be resumed; start a new run", ManifestFile, JournalFile, st.sealLine)}}
		}
		chk.UnfinishedSeal = st.sealLine
	}

	var probs []string
	if _, ok := recorded[RunFile]; !ok {
		probs = append(probs, JournalFile+" records no SHA-256 of "+RunFile+" (written by an older keyir?), so it cannot be checked")
	}
	names := make([]string, 0, len(recorded))
	for name := range recorded {
		names = append(names, name)
	}
	sort.Strings(names)
	inflight := inFlightEvidence(j.events)
	for _, name := range names {
		// Only a step in flight when the process died may have written
		// records after the last event; every other file is exactly as
		// recorded.
		if p := checkRecorded(dir, name, recorded[name], !inflight[name]); p != "" {
			probs = append(probs, fmt.Sprintf("%s (recorded at %s line %d)", p, JournalFile, lines[name]))
		}
	}
	files, _, err := ListFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, rel := range files {
		base := path.Base(rel)
		switch {
		case has(recorded, rel) || rel == JournalFile:
		case strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-"):
			chk.Leftovers = append(chk.Leftovers, rel)
		case rel == FindingsFile || rel == ReportJSON || rel == ReportMD || rel == ReportHTML:
			// Renderings of a seal that was retired, or of a Finish that
			// died before sealing: the next Finish rewrites them.
		case inflight[rel]:
			// Evidence of a step that was in flight when the process died,
			// before any event recorded it.
		default:
			probs = append(probs, rel+": a file this run did not write")
		}
	}
	if len(probs) > 0 {
		return nil, &TamperError{dir, probs}
	}
	return &chk, nil
}

func has(m map[string]report.FileState, k string) bool {
	_, ok := m[k]
	return ok
}

type sealInfo struct {
	sealLine    int    // line of the last manifest_written not retired by a resume
	finished    bool   // the run reached run_finished (and did not stop on a critical failure)
	retiredHead string // head the last resume retired, if any
}

func sealState(events []report.Event) sealInfo {
	var s sealInfo
	for _, e := range events {
		switch e.Type {
		case report.EventManifestWritten:
			s.sealLine = e.Seq
		case report.EventRunFinished:
			// A run stopped by a critical failure may be resumed (exit 1);
			// every other finished run is final.
			s.finished = e.RunStatus != report.RunFailed
		case report.EventRunInterrupted:
			s.finished = false
		case report.EventRunResumed:
			s.sealLine, s.finished, s.retiredHead = 0, false, ""
			if h, ok := e.Data["retired_manifest_head"].(string); ok {
				s.retiredHead = h
			}
		}
	}
	return s
}

// recordedFiles is the last state the journal records for each file, and
// the line that recorded it.
func recordedFiles(events []report.Event) (map[string]report.FileState, map[string]int) {
	out, lines := map[string]report.FileState{}, map[string]int{}
	for _, e := range events {
		for name, state := range e.Files {
			out[name], lines[name] = state, e.Seq
		}
	}
	return out, lines
}

// inFlightEvidence names the evidence files of the plan's steps that had
// started and not finished when the journal ends: the only files that may
// hold records no event has recorded yet.
func inFlightEvidence(events []report.Event) map[string]bool {
	names := map[int]string{}
	last := map[int]report.EventType{}
	for _, e := range events {
		switch e.Type {
		case report.EventRunStarted:
			for _, st := range e.Steps {
				names[st.Index] = EvidenceName(st.Index, st.ID)
			}
		case report.EventStepStarted, report.EventStepAttemptFailed, report.EventStepFinished:
			last[e.Index] = e.Type
		}
	}
	out := map[string]bool{}
	for i, t := range last {
		if t != report.EventStepFinished && names[i] != "" {
			out[names[i]] = true
		}
	}
	return out
}

// checkRecorded compares a file with its recorded state: run.json exactly,
// an evidence file by the recorded prefix, and with exact, by its size too
// (only a step in flight may have appended records after the last event).
// It returns "" or the problem.
func checkRecorded(dir, rel string, want report.FileState, exact bool) string {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return fmt.Sprintf("%s: not a path inside the run directory", rel)
	}
	f, err := safefile.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return rel + ": missing"
	}
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	if exact && fi.Size() > want.Size && rel != RunFile {
		return fmt.Sprintf("%s: %d bytes, but its step had finished when the journal recorded %d (records added)", rel, fi.Size(), want.Size)
	}
	if rel == RunFile {
		sum, err := HashFile(f.Name())
		if err != nil {
			return err.Error()
		}
		if sum != want.SHA256 || fi.Size() != want.Size {
			return fmt.Sprintf("%s: edited (now %d bytes, sha256 %.12s…; the journal recorded %d bytes, %.12s…)", rel, fi.Size(), sum, want.Size, want.SHA256)
		}
		return ""
	}
	switch {
	case fi.Size() < want.Size:
		return fmt.Sprintf("%s: %d bytes, the journal recorded %d (cut short)", rel, fi.Size(), want.Size)
	case fi.Size() > MaxEvidenceFile:
		return fmt.Sprintf("%s: %s, over the %s limit", rel, safefile.Size(fi.Size()), safefile.Size(MaxEvidenceFile))
	}
	h := sha256.New()
	if _, err := io.CopyN(h, f, want.Size); err != nil {
		return fmt.Sprintf("%s: %v", rel, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want.SHA256 {
		return fmt.Sprintf("%s: its first %d bytes differ from what the journal recorded (sha256 %.12s…, recorded %.12s…)", rel, want.Size, sum, want.SHA256)
	}
	return ""
}

// ResolveRunDir accepts a run directory given as a path that is itself a
// symbolic link (reports/latest, say): that one top-level link is resolved,
// and the result must be a real directory, not another link. Everything
// inside is then checked strictly.
func ResolveRunDir(p string) (string, error) {
	// Clean first: "latest/" (as shell completion gives it) would make
	// Lstat follow the link, and the check below refuse it.
	p = filepath.Clean(p)
	fi, err := os.Lstat(p)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	p = filepath.Clean(p)
	if err := safefile.CheckDir(p); err != nil {
		return "", err
	}
	return p, nil
}
