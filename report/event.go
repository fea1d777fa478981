package report

import "fmt"
import "time"

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

// FileState is what the journal records about a file of the run directory:
// its size and the SHA-256 of its first Size bytes.
type FileState struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Replay rebuilds a Report from run.json and the journal alone. It is the
// only way a report is made: report.json and report.md render its result, so
// a crashed run and a finished one are reported the same way.
func Replay(run Run, events []Event) *Report {
	rep := &Report{Run: run.Clone(), Findings: []Finding{}}
	resumes := 0
	finished := false
	for _, e := range events {
		switch e.Type {
		case EventRunStarted:
			if rep.Run.ID == "" && e.Run != nil {
				rep.Run = e.Run.Clone()
			}
			rep.Keys = keysFromRun(rep.Run)
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
			appendStepped(&rep.Findings, e.Finding, func(f *Finding) *string { return &f.Step }, e)
		case EventNote:
			appendStepped(&rep.Notes, e.Note, func(n *Note) *string {
				if n.Time.IsZero() {
					n.Time = e.Time
				}
				return &n.Step
			}, e)
		case EventPlannedChange:
			appendStepped(&rep.Planned, e.Planned, func(p *PlannedChange) *string { return &p.Step }, e)
		case EventContainment:
			if !keyContainment(rep, e) {
				applyContainment(rep, e)
			}
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
			settleKeys(rep)
		case EventRunInterrupted:
			// The process ended (and exited with a code), but the run is
			// resumable: a later run_resumed clears this again.
			rep.Run.Status = RunInterrupted
			rep.Run.Finished = e.Time
			if e.ExitCode != nil {
				rep.ExitCode = *e.ExitCode
			}
			applyContainment(rep, e)
			settleKeys(rep)
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
	rep.Run.Containment = reached(*e.Containment, e, rep.Run.Started)
}

// reached fills in when a confirmed containment was reached: at the event,
// unless the step said, and how long after the run's start.
func reached(c Containment, e Event, started time.Time) Containment {
	if c.Status == ContainmentConfirmed {
		if c.At.IsZero() {
			c.At = e.Time
		}
		if c.TimeToContainment == 0 && !started.IsZero() {
			c.TimeToContainment = c.At.Sub(started)
		}
	}
	return c
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

// appendStepped appends a copy of x, when the event carries one, to *list;
// step points at the copy's Step, which defaults to the event's: a finding,
// note or planned change recorded without its step belongs to the step whose
// event carried it.
func appendStepped[T any](list *[]T, x *T, step func(*T) *string, e Event) {
	if x == nil {
		return
	}
	v := *x
	if s := step(&v); *s == "" {
		*s = e.Step
	}
	*list = append(*list, v)
}
