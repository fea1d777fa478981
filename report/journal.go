package report

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
	"sync"
	"time"

	"github.com/keyir/keyir/safefile"
)

// EventType names what a journal event records.
type EventType string

const (
	EventRunStarted        EventType = "run_started"  // Run, Steps (the plan)
	EventRunResumed        EventType = "run_resumed"  // Run
	EventStepStarted       EventType = "step_started" // Step, Index, Attempt
	EventStepAttemptFailed EventType = "step_attempt_failed"
	EventStepFinished      EventType = "step_finished" // Status, Error, Outputs
	EventFinding           EventType = "finding"
	EventNote              EventType = "note"
	EventPlannedChange     EventType = "planned_change"
	EventContainment       EventType = "containment"
	EventRunFinished       EventType = "run_finished" // ExitCode, RunStatus
	EventRunInterrupted    EventType = "run_interrupted"
	EventManifestWritten   EventType = "manifest_written"
	// EventJournalRepaired records the one repair resume makes: a torn last
	// line cut off (Data: dropped_bytes, dropped_sha256, after_line).
	EventJournalRepaired EventType = "journal_repaired"
)

// Event is one line of journal.jsonl. The journal is append-only and each
// line names the SHA-256 of the line before it, so a line removed, reordered or
// edited later breaks the chain at that line.
type Event struct {
	Seq         int            `json:"seq"` // 1-based line number
	Time        time.Time      `json:"time"`
	Type        EventType      `json:"type"`
	Step        string         `json:"step,omitempty"`
	Index       int            `json:"index,omitempty"` // step index, 1-based
	Attempt     int            `json:"attempt,omitempty"`
	Status      StepStatus     `json:"status,omitempty"`
	Error       string         `json:"error,omitempty"`
	Outputs     map[string]any `json:"outputs,omitempty"`
	Finding     *Finding       `json:"finding,omitempty"`
	Note        *Note          `json:"note,omitempty"`
	Planned     *PlannedChange `json:"planned,omitempty"`
	Containment *Containment   `json:"containment,omitempty"`
	Steps       []Step         `json:"steps,omitempty"` // run_started: the plan
	Run         *Run           `json:"run,omitempty"`   // run_started, run_resumed
	ExitCode    *int           `json:"exit_code,omitempty"`
	// RunStatus is how the run ended (run_finished); when empty, Replay
	// derives it from the steps.
	RunStatus RunStatus `json:"run_status,omitempty"`
	// Duration of a finished step as the runner measured it (monotonic);
	// when zero, Replay uses the time between step_started and step_finished.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// Evidence is the step's evidence file, relative to the run directory.
	Evidence string         `json:"evidence,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	// Files is the state of run.json and of each evidence file written since
	// the previous event that recorded them (relative path -> size and
	// SHA-256; for an evidence file, of its first Size bytes, since a
	// resumed step appends). Resume checks the files against the last state
	// recorded before it writes anything.
	Files map[string]FileState `json:"files,omitempty"`
	// Prev is the hex SHA-256 of the previous line's bytes (without its
	// newline); "" on the first line.
	Prev string `json:"prev"`
}

// Append writes e as the next journal line and syncs it to disk before
// returning: once Append returns, the event survives a crash. It sets Seq,
// Time (UTC, from Now) and Prev; whatever the caller put there is replaced.
func (s *Store) Append(e Event) error {
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
func (s *Store) Write(e Event) error {
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
// yet synced. The caller holds s.mu.
func (s *Store) namesUnsynced(files map[string]FileState) bool {
	for name := range files {
		if s.unsynced[name] != nil {
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
func ReadJournal(dir string) (events []Event, torn bool, err error) {
	j, err := scanJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, false, err
	}
	return j.events, j.torn, nil
}

type journalScan struct {
	events   []Event
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
func (s *Store) journalSoFar() ([]Event, error) {
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
		var e Event
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

// Replay rebuilds a Report from run.json and the journal alone. It is the
// only way a report is made: report.json and report.md render its result, so
// a crashed run and a finished one are reported the same way.
func Replay(run Run, events []Event) *Report {
	rep := &Report{Run: cloneRun(run), Findings: []Finding{}}
	resumes := 0
	finished := false
	for _, e := range events {
		switch e.Type {
		case EventRunStarted:
			if rep.Run.ID == "" && e.Run != nil {
				rep.Run = cloneRun(*e.Run)
			}
			rep.Steps = make([]Step, len(e.Steps))
			copy(rep.Steps, e.Steps)
			for i := range rep.Steps {
				if rep.Steps[i].Status == "" {
					rep.Steps[i].Status = StepPending
				}
			}
		case EventRunResumed:
			resumes++
			finished = false
			rep.Run.Status = RunRunning
			rep.Run.Finished = time.Time{}
			interruptRunning(rep.Steps)
		case EventStepStarted:
			st := stepFor(rep, e)
			if st.Status != StepRunning { // a retry keeps the first attempt's start
				st.Started = e.Time
			}
			st.Status = StepRunning
			st.Error = ""
			st.Attempts = max(st.Attempts, e.Attempt, 1)
			if e.Evidence != "" {
				st.Evidence = e.Evidence
			}
		case EventStepAttemptFailed:
			st := stepFor(rep, e)
			st.Attempts = max(st.Attempts, e.Attempt)
			st.Error = e.Error
		case EventStepFinished:
			st := stepFor(rep, e)
			st.Status = e.Status
			if st.Status == "" {
				st.Status = StepOK
				if e.Error != "" {
					st.Status = StepFailed
				}
			}
			st.Error = e.Error
			st.Attempts = max(st.Attempts, e.Attempt)
			if e.Outputs != nil {
				st.Outputs = e.Outputs
			}
			if e.Evidence != "" {
				st.Evidence = e.Evidence
			}
			switch {
			case e.Duration > 0:
				st.Duration = e.Duration
			case !st.Started.IsZero():
				st.Duration = e.Time.Sub(st.Started)
			}
		case EventFinding:
			if e.Finding != nil {
				f := *e.Finding
				if f.Step == "" {
					f.Step = e.Step
				}
				rep.Findings = append(rep.Findings, f)
			}
		case EventNote:
			if e.Note != nil {
				n := *e.Note
				if n.Time.IsZero() {
					n.Time = e.Time
				}
				if n.Step == "" {
					n.Step = e.Step
				}
				rep.Notes = append(rep.Notes, n)
			}
		case EventPlannedChange:
			if e.Planned != nil {
				p := *e.Planned
				if p.Step == "" {
					p.Step = e.Step
				}
				rep.Planned = append(rep.Planned, p)
			}
		case EventContainment:
			applyContainment(rep, e)
		case EventJournalRepaired:
			// The repair is part of the story the report tells.
			rep.Notes = append(rep.Notes, Note{Time: e.Time, Text: fmt.Sprintf(
				"A crash left the journal's last line torn; the resume cut it off (%v bytes, SHA-256 %v) after line %v.",
				e.Data["dropped_bytes"], e.Data["dropped_sha256"], e.Data["after_line"])})
		case EventRunFinished:
			finished = true
			rep.Run.Finished = e.Time
			rep.Run.Status = e.RunStatus
			if e.ExitCode != nil {
				rep.ExitCode = *e.ExitCode
			}
			applyContainment(rep, e)
		case EventRunInterrupted:
			// The process ended (and exited with a code), but the run is
			// resumable: a later run_resumed clears this again.
			rep.Run.Status = RunInterrupted
			rep.Run.Finished = e.Time
			if e.ExitCode != nil {
				rep.ExitCode = *e.ExitCode
			}
			applyContainment(rep, e)
		}
	}
	rep.Run.Resumes = max(rep.Run.Resumes, resumes)
	interruptRunning(rep.Steps)
	if finished && rep.Run.Status == "" {
		rep.Run.Status = deriveStatus(rep.Steps)
	}
	return rep
}

// applyContainment records the containment an event carries (containment,
// or the final verdict on run_finished), filling in when it was reached.
func applyContainment(rep *Report, e Event) {
	if e.Containment == nil {
		return
	}
	c := *e.Containment
	if c.Status == ContainmentConfirmed {
		if c.At.IsZero() {
			c.At = e.Time
		}
		if c.TimeToContainment == 0 && !rep.Run.Started.IsZero() {
			c.TimeToContainment = c.At.Sub(rep.Run.Started)
		}
	}
	rep.Run.Containment = c
}

// stepFor finds the step an event is about, by index and id, and adds one
// if the plan did not have it (a journal from a newer runner, say): an event
// is never silently dropped from the report.
func stepFor(rep *Report, e Event) *Step {
	if i := e.Index - 1; i >= 0 && i < len(rep.Steps) && (e.Step == "" || rep.Steps[i].ID == e.Step) {
		return &rep.Steps[i]
	}
	for i := range rep.Steps {
		if rep.Steps[i].ID == e.Step {
			return &rep.Steps[i]
		}
	}
	rep.Steps = append(rep.Steps, Step{Index: e.Index, ID: e.Step, Status: StepPending})
	return &rep.Steps[len(rep.Steps)-1]
}

// interruptRunning marks steps that started and never finished: the process
// stopped under them (signal or crash).
func interruptRunning(steps []Step) {
	for i := range steps {
		if steps[i].Status == StepRunning {
			steps[i].Status = StepInterrupted
		}
	}
}

func deriveStatus(steps []Step) RunStatus {
	status := RunSucceeded
	for _, s := range steps {
		switch s.Status {
		case StepFailed:
			if s.Critical {
				return RunFailed
			}
			status = RunDegraded
		case StepInterrupted:
			return RunInterrupted
		}
	}
	return status
}
