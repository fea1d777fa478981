package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

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
	ManifestFile = "MANIFEST"
)

// dirTimeLayout is the UTC start time at the front of a run directory's name,
// so `ls reports/` lists runs in the order they happened.
const dirTimeLayout = "20060102T150405Z"

// validRunID is what a run id may be. It becomes part of a path, so it is
// checked, never cleaned: a run id that needs cleaning is a bug upstream.
var validRunID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// ValidateRunID reports whether id can name a run directory.
func ValidateRunID(id string) error {
	if !validRunID.MatchString(id) {
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
	run      Run
	journal  *os.File
	size     int64  // bytes of complete lines in the journal
	seq      int    // Seq of the last event
	prev     string // hash of the last line
	broken   error  // set when the journal could not be restored after a failed write
	finished bool
	open     map[string]bool // evidence files with a live writer
}

// Create makes a new run directory under root and writes run.json. The
// directory is root/<start UTC>_<incident>_<run id>; an existing directory is
// refused, so two runs never share (or overwrite) evidence.
func Create(root string, run Run) (*Store, error) {
	if err := ValidateRunID(run.ID); err != nil {
		return nil, err
	}
	if run.Started.IsZero() {
		run.Started = time.Now()
	}
	run.Started = run.Started.UTC()
	if run.Status == "" {
		run.Status = RunRunning
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
	s := &Store{dir: dir, run: run, open: map[string]bool{}}
	if err := s.writeJSON(RunFile, run); err != nil {
		return nil, err
	}
	f, err := openPrivate(filepath.Join(dir, JournalFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("create journal: %w", err)
	}
	s.journal = f
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, err
	}
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

// Open reopens an existing run directory to continue it (`keyir resume`). A
// torn last journal line, left by a crash in the middle of a write, is cut off
// first, so the next event chains onto the last complete one.
func Open(dir string) (*Store, error) {
	dir = filepath.Clean(dir)
	var run Run
	if err := readJSON(filepath.Join(dir, RunFile), &run); err != nil {
		return nil, err
	}
	if err := ValidateRunID(run.ID); err != nil {
		return nil, fmt.Errorf("%s: %w", RunFile, err)
	}
	path := filepath.Join(dir, JournalFile)
	j, err := scanJournal(path)
	if err != nil {
		return nil, err
	}
	f, err := openPrivate(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if j.torn {
		if err := f.Truncate(j.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("cut torn journal line: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &Store{
		dir:     dir,
		run:     run,
		journal: f,
		size:    j.size,
		seq:     len(j.events),
		prev:    j.last,
		open:    map[string]bool{},
	}, nil
}

// Dir is the run directory.
func (s *Store) Dir() string { return s.dir }

// Run returns a copy of run.json as last written.
func (s *Store) Run() Run {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRun(s.run)
}

// UpdateRun changes run.json. The file is replaced atomically, so a crash
// leaves either the old or the new version, never half of one.
func (s *Store) UpdateRun(fn func(*Run)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := cloneRun(s.run)
	fn(&r)
	if r.ID != s.run.ID {
		return fmt.Errorf("run id cannot change (%s -> %s)", s.run.ID, r.ID)
	}
	if err := s.writeJSON(RunFile, r); err != nil {
		return err
	}
	s.run = r
	return nil
}

// Report replays the journal as it is now (see Replay).
func (s *Store) Report() (*Report, error) {
	events, _, err := ReadJournal(s.dir)
	if err != nil {
		return nil, err
	}
	rep := Replay(s.Run(), events)
	fillEvidence(s.dir, rep)
	return rep, nil
}

// Close closes the journal. Evidence writers are closed by their owners.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal == nil {
		return nil
	}
	err := s.journal.Close()
	s.journal = nil
	return err
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func cloneRun(r Run) Run {
	if r.Inputs != nil {
		in := make(map[string]string, len(r.Inputs))
		for k, v := range r.Inputs {
			in[k] = v
		}
		r.Inputs = in
	}
	r.SecretInput = append([]string(nil), r.SecretInput...)
	return r
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
	if filepath.Clean(name) == ManifestFile {
		return fmt.Errorf("refusing to write %s directly; use Finish", ManifestFile)
	}
	return writeAtomic(filepath.Join(s.dir, name), data)
}

func writeAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(FilePerm); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// openPrivate opens a file and forces FilePerm on it: the mode passed to open
// is filtered by the umask, a chmod is not.
func openPrivate(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag, FilePerm)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(FilePerm); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// sanitizeName keeps [A-Za-z0-9._-], turns anything else into '-', and caps
// the length, so user-typed text (an incident id, a step id) is a safe single
// path element. Leading dots are dropped so the result is never "." or "..",
// nor a hidden file.
func sanitizeName(s, empty string) string {
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
