package runstore

import "encoding/json"
import "errors"
import "fmt"
import "io/fs"
import "os"
import "path/filepath"
import "regexp"
import "strings"
import "sync"
import "sync/atomic"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// Permissions of everything in a run directory. A run directory holds what an
// attacker's key did and who was told: it is readable by the responder only,
// whatever the umask says, so every create is followed by an explicit chmod.
const (
	DirPerm  fs.FileMode = 0o700
	FilePerm fs.FileMode = 0o600
)

// Names of the files of a run directory.
const (
	RunFile      = "run.json"
	JournalFile  = "journal.jsonl"
	EvidenceDir  = "evidence"
	FindingsFile = "findings.json"
	ReportJSON   = "report.json"
	ReportMD     = "report.md"
	ReportHTML   = "report.html"
	ManifestFile = "MANIFEST"
)

// dirTimeLayout is the UTC start time at the front of a run directory's name,
// so `ls reports/` lists runs in the order they happened.
const dirTimeLayout = "20060102T150405Z"

// validRunID is what a run id may be. It becomes part of a path, so it is
// checked, never cleaned: a run id that needs cleaning is a bug upstream.
var validRunID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`) })

// ValidateRunID reports whether id can name a run directory.
func ValidateRunID(id string) error {
	if !validRunID().MatchString(id) {
		return fmt.Errorf("invalid run id %q: want 1-64 characters of A-Z, a-z, 0-9 and -", id)
	}
	return nil
}

// Store is one run's evidence directory, open for writing. The journal is its
// source of truth; everything else (report.json, report.md) is a rendering of
// it. Methods are safe for concurrent use.
type Store struct {
	// Now is the clock for journal and evidence timestamps. Tests set it so
	// reports are reproducible; nil means time.Now.
	Now func() time.Time

	dir string

	mu       sync.Mutex
	run      report.Run
	journal  *os.File
	size     int64  // bytes of complete lines in the journal
	seq      int    // Seq of the last event
	prev     string // hash of the last line
	broken   error  // set when the journal could not be restored after a failed write
	finished bool
	retire   string          // MANIFEST head a resume retires (see Resumed)
	open     map[string]bool // evidence files with a live writer
	// files tracks run.json and every evidence file this process writes, so
	// that the next journal event records what they hold (see Event.Files):
	// resume checks the files against the journal before it trusts them.
	files map[string]*fileTrack

	// Durability (see Sync): the journal lines up to synced are on disk;
	// unsynced are the evidence files written since the last Sync, pending
	// the other fsyncs the next Sync owes (a new run's directories and
	// run.json) before the journal's own.
	synced   int
	unsynced map[string]*EvidenceWriter
	pending  []func() error
	// releasing are the evidence files synced and closed in the
	// background (see EvidenceWriter.Release) whose fsync no Sync has
	// waited for yet: like unsynced, a line naming one of them waits while a
	// Sync flushes (see Write).
	releasing map[string]*release
	syncing   bool         // a Sync is flushing; see Write
	syncDone  *sync.Cond   // on mu: broadcast when a Sync ends
	syncMu    sync.Mutex   // held for the whole of a Sync: one at a time
	fsyncs    atomic.Int64 // of the journal, for the tests

	readMu sync.Mutex  // guards read
	read   journalScan // the journal as Report last read it (see journalSoFar)
}

// makeStore is a Store with its maps and condition made.
func makeStore(dir string, run report.Run) *Store {
	s := &Store{dir: dir, run: run, open: map[string]bool{}, files: map[string]*fileTrack{}, unsynced: map[string]*EvidenceWriter{}, releasing: map[string]*release{}}
	s.syncDone = sync.NewCond(&s.mu)
	return s
}

// Create makes a new run directory under root and writes run.json. The
// directory is root/<start UTC>_<incident>_<run id>; an existing directory is
// refused, so two runs never share (or overwrite) evidence.
func Create(root string, run report.Run) (*Store, error) {
	if err := ValidateRunID(run.ID); err != nil {
		return nil, err
	}
	if run.Started.IsZero() {
		run.Started = time.Now()
	}
	run.Started = run.Started.UTC()
	if run.Status == "" {
		run.Status = report.RunRunning
	}
	root = filepath.Clean(root)
	name := run.Started.Format(dirTimeLayout) + "_" + incidentName(run.Incident) + "_" + run.ID
	dir := filepath.Join(root, name)
	// Belt and braces: whatever the sanitising above, the run directory is a
	// direct child of root.
	if filepath.Dir(dir) != root || !filepath.IsLocal(name) {
		return nil, fmt.Errorf("run directory %q would escape %q", name, root)
	}
	if err := mkdirRoot(root); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, DirPerm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("run directory %s already exists; refusing to reuse it", dir)
		}
		return nil, fmt.Errorf("create run directory: %w", err)
	}
	if err := os.Chmod(dir, DirPerm); err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, EvidenceDir), DirPerm); err != nil {
		return nil, fmt.Errorf("create evidence directory: %w", err)
	}
	if err := os.Chmod(filepath.Join(dir, EvidenceDir), DirPerm); err != nil {
		return nil, err
	}
	s := makeStore(dir, run)
	// run.json is new: nothing older to protect, so it is written in place
	// (O_EXCL) rather than renamed into place, and made durable together with
	// the directory entries of the run (its directory in root, evidence/,
	// run.json, the journal), all in parallel, before the first Sync lets the
	// journal's fsync go. Nothing the run does outside
	// this directory happens before that Sync (see Write).
	b, err := encodeRun(run)
	if err != nil {
		return nil, err
	}
	rf, err := openPrivate(filepath.Join(dir, RunFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", RunFile, err)
	}
	if _, err := rf.Write(b); err != nil {
		rf.Close()
		return nil, fmt.Errorf("write %s: %w", RunFile, err)
	}
	s.track(RunFile).setWhole(b)
	f, err := openPrivate(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL)
	if err != nil {
		rf.Close()
		return nil, fmt.Errorf("create journal: %w", err)
	}
	if err := lockJournal(f); err != nil {
		rf.Close()
		f.Close()
		return nil, err
	}
	s.journal = f
	// They start now, in the background, so the first steps' work overlaps
	// them; the first Sync waits for them before the journal's fsync.
	first := []func() error{
		func() error { return errors.Join(rf.Sync(), rf.Close()) },
		func() error { return safefile.SyncDir(root) },
		func() error { return safefile.SyncDir(dir) },
		func() error { return safefile.SyncDir(filepath.Join(dir, EvidenceDir)) },
	}
	done := make(chan error, 1)
	go func() { done <- parallel(first) }()
	s.pending = []func() error{func() error { return <-done }}
	return s, nil
}

// mkdirRoot creates the reports root if needed. A root that already exists is
// left as the operator made it; one keyir creates is private.
func mkdirRoot(root string) error {
	if _, err := os.Stat(root); err == nil {
		return nil
	}
	if err := os.MkdirAll(root, DirPerm); err != nil {
		return fmt.Errorf("create reports directory: %w", err)
	}
	return os.Chmod(root, DirPerm)
}

// Open reopens an existing run directory to continue it (`keyir resume`).
// Nothing is written until the directory has been checked (see CheckResume):
// a sealed run is refused with a *SealedError, anything not as the journal
// recorded it with a *TamperError, a link or special file with a
// *safefile.Error. The one repair made is cutting a torn last journal line
// (left by a crash in the middle of a write), and the cut is journaled with
// the dropped bytes' length and SHA-256, so the next event chains onto the
// last complete one and the repair stays on the record.
func Open(dir string) (*Store, error) {
	dir = filepath.Clean(dir)
	chk, err := CheckResume(dir)
	if err != nil {
		return nil, err
	}
	if chk.UnfinishedSeal > 0 {
		return nil, &UnfinishedSealError{Dir: dir, Line: chk.UnfinishedSeal}
	}
	path := filepath.Join(dir, JournalFile)
	f, err := openPrivate(path, os.O_RDWR|os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if err := lockJournal(f); err != nil {
		f.Close()
		return nil, err
	}
	s := makeStore(dir, chk.Run)
	s.journal, s.size, s.seq, s.prev, s.retire = f, chk.journal.size, len(chk.Events), chk.journal.last, chk.Head
	s.synced = s.seq
	// What the journal already records about the files is the baseline:
	// only changes from here on are journaled again.
	for name, state := range chk.recorded {
		s.files[name] = &fileTrack{size: state.Size, sum: state.SHA256, journaled: state.SHA256}
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != chk.journal.fileSize {
		f.Close()
		return nil, fmt.Errorf("%s changed while it was checked; refusing to resume", path)
	}
	if chk.journal.torn {
		if err := s.repairTorn(chk.journal); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := s.removeLeftovers(chk.Leftovers); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// removeLeftovers deletes the temporary files of atomic writes a crash
// interrupted (never renamed into place, so no report names them, and
// MANIFEST must not), and a MANIFEST a resume already retired in the
// journal. Each temporary file is journaled first with its size and
// SHA-256, so nothing leaves the directory unrecorded.
func (s *Store) removeLeftovers(names []string) error {
	removed := map[string]any{}
	for _, rel := range names {
		if rel == ManifestFile {
			continue
		}
		p := filepath.Join(s.dir, filepath.FromSlash(rel))
		sum, err := HashFile(p)
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		removed[rel] = report.FileState{Size: fi.Size(), SHA256: sum}
	}
	if len(removed) > 0 {
		if err := s.Append(report.Event{Type: report.EventNote, Note: &report.Note{Text: "Removed temporary files an interrupted write left behind (never part of the report)."}, Data: map[string]any{"removed": removed}}); err != nil {
			return err
		}
	}
	for _, rel := range names {
		if err := os.Remove(filepath.Join(s.dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove leftover %s: %w", rel, err)
		}
	}
	if len(names) > 0 {
		return safefile.SyncDir(s.dir)
	}
	return nil
}

// Resumed journals a resume (run_resumed, with run as it is now) and, for a
// run that was sealed when it was interrupted or stopped, retires that
// MANIFEST: the event names its head first, so a MANIFEST found missing later
// is known to have been retired, not deleted.
func (s *Store) Resumed(run *report.Run) error {
	ev := report.Event{Type: report.EventRunResumed, Run: run}
	if s.retire != "" {
		ev.Data = map[string]any{"retired_manifest_head": s.retire}
	}
	if err := s.Append(ev); err != nil {
		return err
	}
	if s.retire == "" {
		return nil
	}
	if err := os.Remove(filepath.Join(s.dir, ManifestFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("retire %s: %w", ManifestFile, err)
	}
	s.retire = ""
	return safefile.SyncDir(s.dir)
}

// repairTorn cuts the torn last line and journals the cut.
func (s *Store) repairTorn(j journalScan) error {
	dropped := j.fileSize - j.size
	if err := s.journal.Truncate(j.size); err != nil {
		return fmt.Errorf("cut torn journal line: %w", err)
	}
	if err := s.journal.Sync(); err != nil {
		return err
	}
	return s.Append(report.Event{Type: report.EventJournalRepaired, Data: map[string]any{
		"dropped_bytes":  dropped,
		"dropped_sha256": j.tornSum,
		"after_line":     j.lines,
	}})
}

// Dir is the run directory.
func (s *Store) Dir() string { return s.dir }

// Run returns a copy of run.json as last written.
func (s *Store) Run() report.Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run.Clone()
}

// UpdateRun changes run.json. The file is replaced atomically, so a crash
// leaves either the old or the new version, never half of one.
func (s *Store) UpdateRun(fn func(*report.Run)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.run.Clone()
	fn(&r)
	if r.ID != s.run.ID {
		return fmt.Errorf("run id cannot change (%s -> %s)", s.run.ID, r.ID)
	}
	if err := s.writeRun(r); err != nil {
		return err
	}
	s.run = r
	return nil
}

// writeRun writes run.json and notes its SHA-256 for the next journal event:
// that is how an edit of run.json before the run is sealed is caught.
func (s *Store) writeRun(r report.Run) error {
	b, err := encodeRun(r)
	if err != nil {
		return err
	}
	if err := safefile.WriteAtomic(filepath.Join(s.dir, RunFile), b, FilePerm); err != nil {
		return err
	}
	s.track(RunFile).setWhole(b)
	return nil
}

func encodeRun(r report.Run) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", RunFile, err)
	}
	return append(b, '\n'), nil
}

// Report replays the journal as it is now (see Replay).
func (s *Store) Report() (*report.Report, error) {
	events, err := s.journalSoFar()
	if err != nil {
		return nil, err
	}
	rep := report.Replay(s.Run(), events)
	fillEvidence(s.dir, rep)
	return rep, nil
}

// Close syncs what was written and closes the journal. Evidence writers
// are closed by their owners.
func (s *Store) Close() error {
	serr := s.Sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	err := s.journal.Close()
	s.journal = nil
	return errors.Join(serr, err)
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// WriteJSON writes v, indented, to name inside the run directory, atomically.
func (s *Store) WriteJSON(name string, v any) error {
	return s.writeJSON(name, v)
}

func (s *Store) writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	return s.WriteFile(name, append(b, '\n'))
}

// WriteFile writes data to name inside the run directory, atomically: a temp
// file in the same directory is written, synced and renamed over name, and the
// directory is synced, so a crash never leaves a half-written report.
func (s *Store) WriteFile(name string, data []byte) error {
	if !filepath.IsLocal(name) {
		return fmt.Errorf("refusing to write %q: not inside the run directory", name)
	}
	switch filepath.Clean(name) {
	case ManifestFile:
		return fmt.Errorf("refusing to write %s directly; use Finish", ManifestFile)
	case RunFile, JournalFile:
		return fmt.Errorf("refusing to write %s directly; the store keeps it", name)
	}
	return safefile.WriteAtomic(filepath.Join(s.dir, name), data, FilePerm)
}

// openPrivate opens a file in the run directory without following a link,
// refusing anything but a regular file, and forces FilePerm on it: the mode
// passed to open is filtered by the umask, a chmod is not.
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := safefile.OpenFile(path, flag, FilePerm)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(FilePerm); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Caps on what is read from a run directory, checked before allocating:
// whatever a directory holds, reading it costs a bounded amount of memory.
const (
	MaxRunFile      = 1 << 20   // run.json
	MaxJSONFile     = 64 << 20  // report.json, findings.json
	MaxManifest     = 16 << 20  // MANIFEST
	MaxJournal      = 256 << 20 // journal.jsonl
	MaxJournalLine  = 8 << 20   // one journal event
	MaxEvidenceFile = 1 << 30   // one evidence file (streamed, never held)
)

func readJSON(path string, v any) error {
	max := int64(MaxJSONFile)
	if filepath.Base(path) == RunFile {
		max = MaxRunFile
	}
	b, err := safefile.ReadFile(path, max)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// SanitizeName keeps [A-Za-z0-9._-], turns anything else into '-', and caps
// the length, so user-typed text (an incident id, a step id) is a safe single
// path element. Leading dots are dropped so the result is never "." or "..",
// nor a hidden file.
func SanitizeName(s, empty string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.TrimLeft(b.String(), ".")
	if len(out) > 64 {
		out = out[:64]
	}
	if strings.Trim(out, "-") == "" {
		return empty
	}
	return out
}

// incidentName is the incident's part of a run directory's name. Callers
// validate the id first; this is the last guard for one that was not (a
// library caller): a key-shaped id never becomes a file name, whole or cut.
func incidentName(id string) string {
	if redact.LooksLikeKey(id) {
		return "redacted-incident"
	}
	return SanitizeName(id, "no-incident")
}
