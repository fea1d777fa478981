package runstore

import "bufio"
import "bytes"
import "crypto/sha256"
import "encoding/hex"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "path/filepath"
import "sync"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"

// Append writes e as the next journal line and syncs it to disk before
// returning: once Append returns, the event survives a crash. It sets Seq,
// Time (UTC, from Now) and Prev; whatever the caller put there is replaced.
func (s *Store) Append(e report.Event) error {
	if err := s.Write(e); err != nil {
		return err
	}
	return s.Sync()
}

// Write appends e as the next journal line with one write(2) and returns
// without waiting for the disk: the line survives the process dying at once
// (it is in the kernel), and a power loss only once Sync (or Append) has
// returned. A caller that lets anything depend on the line (a request that
// changes something, a notification, another process reading the directory)
// calls Sync first; until then a crash loses at most the lines written since
// the last Sync, which the journal's chain and a resume handle like a step
// that never ended.
func (s *Store) Write(e report.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.broken != nil:
		return fmt.Errorf("journal unusable after an earlier write error: %w", s.broken)
	case s.journal == nil:
		return errors.New("journal is closed")
	case s.finished:
		return errors.New("run is finished: MANIFEST is written and the journal is sealed")
	}
	files := s.changedFiles()
	// A line that records an evidence file's new state waits while a Sync
	// that may not include those bytes is flushing the journal: the fsync
	// could otherwise carry the line to disk ahead of them.
	for s.syncing && s.namesUnsynced(files) {
		s.syncDone.Wait()
		files = s.changedFiles()
	}
	e.Seq = s.seq + 1
	e.Time = s.now()
	e.Prev = s.prev
	e.Files = files
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", e.Type, err)
	}
	line := append(b, '\n')
	if _, err := s.journal.Write(line); err != nil {
		// A partial line would break every later line: cut it off, or refuse
		// to write again if even that fails.
		if terr := s.journal.Truncate(s.size); terr != nil {
			s.broken = errors.Join(err, terr)
		}
		return fmt.Errorf("write journal: %w", err)
	}
	s.size += int64(len(line))
	s.seq = e.Seq
	s.prev = lineHash(b)
	for name, state := range e.Files {
		s.files[name].journaled = state.SHA256
	}
	return nil
}

// Sync makes every journal line written so far durable, and before them
// everything those lines rely on: the directory entries of a new run (its
// directory, run.json, the journal, evidence files) and the bytes of every
// evidence file written since the last Sync, since a line records the state
// of each evidence file and must never survive a power loss that the bytes
// it names did not. Those come first, in parallel; then one fsync of the
// journal. Group commit: callers that arrive while an fsync runs wait for
// it, and one fsync then covers every line they wrote meanwhile. A failed
// fsync leaves the journal unusable (the kernel may have dropped the pages
// it could not write, so a later fsync could succeed without them).
func (s *Store) Sync() error {
	s.mu.Lock()
	want := s.seq
	done := func() bool { return s.synced >= want && len(s.unsynced) == 0 && len(s.pending) == 0 }
	if s.broken == nil && done() {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()

	s.syncMu.Lock() // one fsync at a time; the callers waiting here share the next
	defer s.syncMu.Unlock()
	s.mu.Lock()
	if s.broken != nil {
		err := s.broken
		s.mu.Unlock()
		return fmt.Errorf("journal unusable after an earlier write error: %w", err)
	}
	if done() {
		s.mu.Unlock()
		return nil // the fsync this caller waited for covered its lines
	}
	upto, f := s.seq, s.journal
	first := s.pending
	for _, w := range s.unsynced {
		first = append(first, w.Sync)
	}
	s.unsynced, s.pending = map[string]*EvidenceWriter{}, nil
	s.syncing = true
	s.mu.Unlock()

	err := parallel(first)
	if err == nil && f != nil {
		s.fsyncs.Add(1)
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync journal: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncing = false
	s.syncDone.Broadcast()
	if err != nil {
		if s.broken == nil {
			s.broken = err
		}
		return err
	}
	s.synced = max(s.synced, upto)
	return nil
}

// namesUnsynced reports whether files names an evidence file with bytes not
// yet synced (written since the last Sync, or released and not yet waited
// for). The caller holds s.mu.
func (s *Store) namesUnsynced(files map[string]report.FileState) bool {
	for name := range files {
		if s.unsynced[name] != nil || s.releasing[name] != nil {
			return true
		}
	}
	return false
}

// parallel runs fns at once and returns their errors joined.
func parallel(fns []func() error) error {
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]()
	}
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func lineHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// JournalError is a journal that cannot be trusted: a line that does not
// parse, or a broken hash chain. Line is 1-based.
type JournalError struct {
	Path string
	Line int
	Msg  string
}

func (e *JournalError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// ReadJournal reads and checks a run's journal. A torn last line (the process
// died while writing it) is dropped and reported with torn=true: that is the
// expected trace of a crash, and nothing after it can depend on it. Anything
// wrong elsewhere is a *JournalError naming the line.
func ReadJournal(dir string) (events []report.Event, torn bool, err error) {
	j, err := scanJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, false, err
	}
	return j.events, j.torn, nil
}

type journalScan struct {
	events   []report.Event
	torn     bool
	lines    int    // complete, valid lines
	size     int64  // bytes up to the end of the last good line
	last     string // hash of the last good line
	fileSize int64  // bytes in the file when it was read
	tornSum  string // SHA-256 of the torn bytes, when torn
}

// journalSoFar returns the events of this store's journal as they are on
// disk now. It reads and checks only the lines added since its last call
// (those before were checked then), so a step that replays the run so far
// (the revoke and the proof look up the key's owner) costs the new lines,
// not the whole journal, on the way to the DELETE. The events are shared
// between calls: the report built from them is read, never changed.
func (s *Store) journalSoFar() ([]report.Event, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	path := filepath.Join(s.dir, JournalFile)
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	if fi.Size() > MaxJournal {
		return nil, fmt.Errorf("read journal: %w", &safefile.Error{Path: path, Err: safefile.ErrTooLarge,
			Detail: fmt.Sprintf("%s; the limit is %s", safefile.Size(fi.Size()), safefile.Size(MaxJournal))})
	}
	if fi.Size() < s.read.size { // cut (a torn line repaired): read it all again
		s.read = journalScan{}
	}
	if _, err := f.Seek(s.read.size, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	j, err := parseJournalFrom(io.LimitReader(f, MaxJournal+1-s.read.size), filepath.Base(path), s.read)
	if err != nil {
		return nil, err
	}
	s.read = j
	return j.events[:len(j.events):len(j.events)], nil
}

func scanJournal(path string) (journalScan, error) {
	var j journalScan
	f, err := safefile.Open(path)
	if err != nil {
		return j, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return j, fmt.Errorf("read journal: %w", err)
	}
	if fi.Size() > MaxJournal {
		return j, fmt.Errorf("read journal: %w", &safefile.Error{Path: path, Err: safefile.ErrTooLarge,
			Detail: fmt.Sprintf("%s; the limit is %s", safefile.Size(fi.Size()), safefile.Size(MaxJournal))})
	}
	j, err = parseJournal(io.LimitReader(f, MaxJournal+1), filepath.Base(path))
	if err != nil {
		return j, err
	}
	if j.fileSize > MaxJournal {
		return j, fmt.Errorf("read journal: %w", &safefile.Error{Path: path, Err: safefile.ErrTooLarge, Detail: "more than " + safefile.Size(MaxJournal)})
	}
	return j, nil
}

// parseJournal checks a journal's lines: valid events, dense sequence
// numbers, an unbroken hash chain. Only the last line may be bad (a torn
// write); it is reported with torn=true and its bytes' hash. No line may
// exceed MaxJournalLine, so a journal without newlines costs no more memory
// than the cap.
func parseJournal(rd io.Reader, name string) (journalScan, error) {
	return parseJournalFrom(rd, name, journalScan{})
}

// parseJournalFrom goes on checking a journal whose first j.lines lines
// (j.size bytes, already checked) were read into j, with rd at the byte
// after them.
func parseJournalFrom(rd io.Reader, name string, j journalScan) (journalScan, error) {
	j.torn, j.tornSum, j.fileSize = false, "", j.size
	r := bufio.NewReaderSize(rd, 64<<10)
	for n := j.lines + 1; ; n++ {
		line, err := readLine(r, MaxJournalLine)
		j.fileSize += int64(len(line))
		if errors.Is(err, errLineTooLong) {
			return j, &JournalError{name, n, fmt.Sprintf("line longer than %s", safefile.Size(MaxJournalLine))}
		}
		if err == io.EOF {
			if len(line) > 0 { // no newline: the write never completed
				j.tear(line)
			}
			return j, nil
		}
		if err != nil {
			return j, fmt.Errorf("read journal: %w", err)
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		var e report.Event
		if err := json.Unmarshal(body, &e); err != nil {
			if _, perr := r.Peek(1); perr == io.EOF {
				j.tear(line) // the last line: a torn write, not tampering
				return j, nil
			}
			return j, &JournalError{name, n, "not a valid event: " + err.Error()}
		}
		if e.Seq != n {
			return j, &JournalError{name, n, fmt.Sprintf("sequence number %d, want %d", e.Seq, n)}
		}
		if e.Prev != j.last {
			return j, &JournalError{name, n, fmt.Sprintf("hash chain broken: prev does not match line %d", n-1)}
		}
		j.events = append(j.events, e)
		j.lines = n
		j.size += int64(len(line))
		j.last = lineHash(body)
	}
}

func (j *journalScan) tear(b []byte) {
	j.torn = true
	sum := sha256.Sum256(b)
	j.tornSum = hex.EncodeToString(sum[:])
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line with its newline, or the bytes before EOF,
// failing once a line passes max bytes.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			return line, errLineTooLong
		}
		line = append(line, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}
