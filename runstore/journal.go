package runstore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/safefile"
)

// Append writes e as the next journal line and syncs it to disk before
// returning: once Append returns, the event survives a crash. It sets Seq,
// Time (UTC, from Now) and Prev; whatever the caller put there is replaced.
func (s *Store) Append(e report.Event) error {
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
	e.Seq = s.seq + 1
	e.Time = s.now()
	e.Prev = s.prev
	e.Files = s.changedFiles()
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
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("sync journal: %w", err)
	}
	s.size += int64(len(line))
	s.seq = e.Seq
	s.prev = lineHash(b)
	for name, state := range e.Files {
		s.files[name].journaled = state.SHA256
	}
	return nil
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
	var j journalScan
	r := bufio.NewReaderSize(rd, 64<<10)
	for n := 1; ; n++ {
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
