package playbook

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "math"
import mrand "math/rand/v2"
import "net/http"
import "sync"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/transport"

// Observer is told about a run as it goes: the terminal's live step list and
// the Slack incident thread are observers. Calls come one at a time and in
// order (from the runner's goroutine, from a step's progress, or from the
// group commit a read-only step does not wait for); an observer must not
// block for long.
type Observer interface {
	RunStarted(rep *report.Report, dir string)
	StepStarted(step report.Step)
	StepProgress(step report.Step, text string)
	StepFinished(step report.Step)
	RunFinished(rep *report.Report, dir string)
}

// Options configure a run.
type Options struct {
	Mode     report.Mode
	Incident string
	Operator string
	// ReportsRoot is where the run directory is created.
	ReportsRoot string
	// Given are the inputs as the operator gave them (NAME=VALUE strings);
	// secret ones are registered with the redactor and never written.
	Given map[string]string
	// Redactor redacts every output of the run; the caller registers
	// credentials it already holds. Nil means a new one.
	Redactor *redact.Redactor
	// Getenv and ReadFile give actions configuration and credentials.
	Getenv   func(string) string
	ReadFile func(string) ([]byte, error)
	Now      func() time.Time
	RunID    string // generated when empty
	Observer Observer
	Version  string
	// StepTimeout applies to steps without their own timeout.
	StepTimeout time.Duration
	// Backoff is the wait before retry attempt n (1-based); default
	// exponential from 500ms, capped at 30s, with jitter.
	Backoff func(n int) time.Duration
	// Transport is the base HTTP transport under the guard (tests, the
	// in-process simulator); nil means a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// Services are handed to every action as Env.Services (the
	// notification hub is one).
	Services map[string]any
	// OnPlan, when set, is given the run's plan once it is journaled,
	// before the first step: the CLI prints it in a dry run.
	OnPlan func(*Plan)
}

// Result is the outcome of Run or Resume.
type Result struct {
	Dir      string
	Report   *report.Report
	ExitCode int
	// Head is the last link of the MANIFEST chain; publishing it (the terminal
	// prints it, Slack posts it) makes later tampering detectable.
	Head string
}

// Run executes a playbook from its first step. The run directory exists, with
// run.json and a journal, before the first step starts. Every journal line is
// written at once (a killed process loses nothing it wrote) and is on disk
// before anything can depend on it: before a step acts, everything journaled
// so far (the step's start included) is synced in one fsync (group commit),
// and the observers hear that a step finished only after that; a step that
// changes something outside keyir also syncs each of its events as it
// records them. A step that only reads (actions.Reader) does not wait for
// that fsync when every step since the last completed one only read or
// changed something (whose events are on disk already): it acts while the
// commit runs. So a killed process loses nothing written, and a power loss
// at most the step in flight, the read-only steps before it whose commit
// had not completed (reads, which a resume repeats) and the end line of a
// changing step before them (whose changes are on disk: a resume runs it
// again, as after a crash inside it): before a step changes anything or
// tells anyone, all before it is on disk.
func Run(ctx context.Context, pb *Playbook, o Options) (*Result, error) {
	o = o.withDefaults()
	for _, name := range pb.SecretInputs() {
		o.Redactor.Add(o.Given[name])
	}
	// One door: the incident id is checked, and everything else the caller
	// typed is redacted, before run.json, the journal or the directory's name
	// exist. A value shaped like a key in a field that is not secret is a key
	// in the wrong place: it is registered, so it is redacted everywhere.
	for _, v := range o.Given {
		o.Redactor.AddShapes(v)
	}
	o.Redactor.AddShapes(o.Operator)
	pb.RegisterShapes(o.Redactor)
	if err := report.ValidateIncident(o.Incident, o.Redactor); err != nil {
		return nil, &UsageError{Err: err}
	}
	if err := checkSource(pb.Source, o.Redactor); err != nil {
		return nil, &UsageError{Err: err}
	}
	if err := checkReportsRoot(o.ReportsRoot, o.Redactor); err != nil {
		return nil, &UsageError{Err: err}
	}
	inputs, err := pb.ResolveInputs(o.Given)
	if err != nil {
		return nil, &UsageError{Err: err}
	}
	if err := checkCriticalSteps(pb, inputs, o.Redactor); err != nil {
		return nil, &UsageError{Err: err}
	}
	if o.RunID == "" {
		o.RunID = NewRunID()
	}
	run := report.Run{
		ID:          o.RunID,
		Incident:    o.Incident,
		Playbook:    pb.Source,
		PlaybookSHA: pb.SHA256,
		Mode:        o.Mode,
		Operator:    o.Redactor.String(o.Operator),
		Version:     o.Version,
		Inputs:      publicInputs(pb, o.Given, o.Redactor),
		SecretInput: pb.SecretInputs(),
		Started:     o.Now().UTC(),
		Status:      report.RunRunning,
		Keys:        pb.Keys,
	}
	// The plan needs only the playbook and the inputs: it is worked out
	// while the run directory is made (file system calls), not after.
	planned := make(chan *Plan, 1)
	go func() {
		plan := NewPlan(pb, inputs)
		plan.redact(o.Redactor)
		planned <- plan
	}()
	st, err := runstore.Create(o.ReportsRoot, run)
	plan := <-planned
	if err != nil {
		return nil, err
	}
	st.Now = o.Now
	e := &execution{pb: pb, o: o, st: st, inputs: inputs, outputs: map[string]map[string]any{}}
	e.steps = plan.ReportSteps()
	// Synced with the first step's start, before any step acts.
	if err := e.write(report.Event{Type: report.EventRunStarted, Run: &run, Steps: e.steps, Data: plan.journalData()}); err != nil {
		return nil, err
	}
	if o.OnPlan != nil {
		o.OnPlan(plan)
	}
	return e.execute(ctx)
}

func (o Options) withDefaults() Options {
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StepTimeout == 0 {
		o.StepTimeout = 5 * time.Minute
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Mode == "" {
		o.Mode = report.ModeLive
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	return o
}

// DefaultBackoff waits 0.5s, 1s, 2s … up to 30s, with ±20% jitter so that
// retries of concurrent runs do not align.
func DefaultBackoff(n int) time.Duration {
	d := time.Duration(float64(500*time.Millisecond) * math.Pow(2, float64(n-1)))
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return time.Duration(float64(d) * (0.8 + 0.4*mrand.Float64()))
}

// publicInputs are the given inputs as recorded in run.json: secret ones are
// left out entirely (their fingerprint is in the findings of the steps that
// use them), so a resume must be given them again. The others pass the
// redactor: a key pasted into --subuser or --notes is recorded as a token.
func publicInputs(pb *Playbook, given map[string]string, red *redact.Redactor) map[string]string {
	secret := map[string]bool{}
	for _, n := range pb.SecretInputs() {
		secret[n] = true
	}
	out := map[string]string{}
	for k, v := range given {
		if !secret[k] {
			out[k] = red.String(v)
		}
	}
	return out
}

type execution struct {
	pb      *Playbook
	o       Options
	st      *runstore.Store
	inputs  map[string]any
	outputs map[string]map[string]any
	steps   []report.Step
	done    map[int]bool // step index (0-based) finished in an earlier attempt of this run
	// untold is the step whose end is journaled but not yet synced: the
	// observers hear of it after the next sync (see tell).
	untold *report.Step
	// commit is the last group commit a read-only step did not wait for
	// (settle waits for it); nil when none is pending.
	commit *pendingCommit
	// acted: a step that told someone (neither only read nor changed
	// something with its events synced) has ended, and no commit has
	// completed since, so the next step waits for one whatever it does.
	acted bool

	mu    sync.Mutex // guards the journal against concurrent recorders
	obsMu sync.Mutex // one observer call at a time, in order
}

// restore reads what a previous process of this run completed.
func (e *execution) restore(events []report.Event) {
	e.done = map[int]bool{}
	for _, ev := range events {
		switch ev.Type {
		case report.EventStepFinished:
			i := ev.Index - 1
			if i < 0 || i >= len(e.steps) {
				continue
			}
			e.steps[i].Status = ev.Status
			e.steps[i].Error = ev.Error
			e.steps[i].Outputs = ev.Outputs
			e.steps[i].Attempts = ev.Attempt
			switch ev.Status {
			case report.StepOK, report.StepSkipped, report.StepPlanned:
				e.done[i] = true
			case report.StepFailed:
				// A non-critical failure stays recorded; a critical one
				// stopped the run and is what the resume is for.
				e.done[i] = !e.steps[i].Critical
			}
			if e.done[i] {
				outs := ev.Outputs
				if outs == nil {
					outs = map[string]any{}
				}
				e.outputs[e.steps[i].ID] = normalize(outs).(map[string]any)
			}
		}
	}
}

func (e *execution) scope() Scope {
	steps := make(map[string]map[string]any, len(e.outputs))
	for k, v := range e.outputs {
		steps[k] = v
	}
	run := e.st.Run()
	return Scope{
		Inputs: e.inputs,
		Steps:  steps,
		Run: map[string]any{
			"id":       run.ID,
			"incident": run.Incident,
			"mode":     string(run.Mode),
			"dry_run":  run.Mode == report.ModeDryRun,
			"started":  run.Started,
			"dir":      e.st.Dir(),
		},
	}
}

func (e *execution) execute(ctx context.Context) (*Result, error) {
	run := e.st.Run()
	start := report.Replay(run, nil)
	start.Steps = append([]report.Step(nil), e.steps...) // the plan, with what a resume restored
	e.o.Observer.RunStarted(start, e.st.Dir())
	stopped := false
	interrupted := false
	for i := range e.pb.Steps {
		if e.done[i] {
			continue
		}
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		status := e.runStep(ctx, i)
		if status == report.StepInterrupted {
			interrupted = true
			break
		}
		if status == report.StepFailed && e.steps[i].Critical {
			stopped = true
			break
		}
	}
	return e.finish(interrupted, stopped)
}

// runStep runs one step with its condition, retries and timeout, journaling
// its start and end, and returns how it ended.
func (e *execution) runStep(ctx context.Context, i int) report.StepStatus {
	step := &e.pb.Steps[i]
	rec := &stepRecorder{e: e, index: i}
	defer rec.close()
	s := &e.steps[i]
	s.Status, s.Started, s.Error, s.Attempts = report.StepRunning, e.o.Now().UTC(), "", 0
	if err := e.write(report.Event{Type: report.EventStepStarted, Step: s.ID, Index: s.Index}); err != nil {
		return e.fail(s, err)
	}
	// Condition and parameters first (pure): whether the step only reads
	// decides whether it waits for the commit of its start.
	sc := e.scope()
	skip := false
	var act actions.Action
	var err error
	if step.If != nil {
		var ok bool
		ok, err = step.Cond(sc)
		skip = err == nil && !ok
	}
	if err == nil && !skip {
		if act, err = step.Decode(sc); err == nil {
			for _, v := range actions.SecretValues(act) {
				e.o.Redactor.Add(v)
			}
			s.Mutates = actions.MutatesWith(step.Info, act)
		}
	}
	// One fsync for the previous step's end and this step's start: both are
	// on disk before this step does anything (a read-only step may act
	// while it runs; see Run).
	if cerr := e.beforeActing(s, rec, act != nil && !s.Mutates && actions.OnlyReads(act), act != nil && !s.Mutates && tellsAfterCommit(act)); cerr != nil {
		return e.fail(s, cerr)
	}
	switch {
	case err != nil:
		return e.end(s, rec, report.StepFailed, nil, err)
	case skip:
		return e.end(s, rec, report.StepSkipped, nil, nil)
	}
	timeout := step.Timeout
	if timeout == 0 {
		timeout = e.o.StepTimeout
	}
	var out actions.Outputs
	if ao, ok := e.o.Observer.(ActObserver); ok {
		ao.StepActing(*s)
		defer ao.StepActed(*s)
	}
	for attempt := 1; ; attempt++ {
		s.Attempts = attempt
		out, err = e.attempt(ctx, step, act, rec, timeout)
		if err == nil || ctx.Err() != nil || attempt > step.Retries {
			break
		}
		if jerr := e.record(s, report.Event{Type: report.EventStepAttemptFailed, Step: s.ID, Index: s.Index, Attempt: attempt, Error: e.o.Redactor.String(err.Error())}); jerr != nil {
			return e.fail(s, jerr)
		}
		wait := e.o.Backoff(attempt)
		e.progress(rec, *s, fmt.Sprintf("attempt %d failed; retrying in %s", attempt, report.FormatDuration(wait)))
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			break
		}
	}
	switch {
	case ctx.Err() != nil:
		return e.end(s, rec, report.StepInterrupted, out, fmt.Errorf("interrupted: %w", context.Cause(ctx)))
	case err != nil:
		return e.end(s, rec, report.StepFailed, out, err)
	case rec.planned > 0:
		return e.end(s, rec, report.StepPlanned, out, nil)
	}
	return e.end(s, rec, report.StepOK, out, nil)
}

// attempt runs the action once under the step's timeout. A panic in an
// action is a failed attempt, not a crashed run.
func (e *execution) attempt(ctx context.Context, step *Step, act actions.Action, rec *stepRecorder, timeout time.Duration) (out actions.Outputs, err error) {
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env := &actions.Env{
		Step:       step.ID,
		RunID:      e.st.Run().ID,
		Incident:   e.st.Run().Incident,
		Mode:       e.st.Run().Mode,
		RunStarted: e.st.Run().Started,
		HTTP: transport.NewClient(transport.Options{
			DryRun:   e.st.Run().Mode == report.ModeDryRun,
			Step:     step.ID,
			Redactor: e.o.Redactor,
			Recorder: rec,
			Timeout:  timeout,
			Base:     e.o.Transport,
		}),
		Now:      e.o.Now,
		Redactor: e.o.Redactor,
		Recorder: rec,
		Getenv:   e.o.Getenv,
		ReadFile: e.o.ReadFile,
		Services: e.o.Services,
		Dir:      e.st.Dir(),
		Report:   e.report,
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("action %s panicked: %v", step.Action, p)
		}
	}()
	out, err = act.Run(sctx, env)
	if err == nil && sctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return out, err
}

// report replays the journal as it stands, under the journal lock so a
// concurrent recorder cannot tear the read.
func (e *execution) report() (*report.Report, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.Report()
}

func (e *execution) end(s *report.Step, rec *stepRecorder, status report.StepStatus, out actions.Outputs, err error) report.StepStatus {
	rec.release() // on disk before the step's end line is (see stepRecorder.release)
	if rec.err != nil && err == nil {
		status, err = report.StepFailed, fmt.Errorf("recording the step's evidence: %w", rec.err)
	}
	s.Status = status
	s.Duration = e.o.Now().Sub(s.Started)
	s.Outputs = redactOutputs(e.o.Redactor, out)
	s.Evidence = rec.file
	if err != nil {
		s.Error = e.o.Redactor.String(err.Error())
	}
	ev := report.Event{Type: report.EventStepFinished, Step: s.ID, Index: s.Index, Attempt: s.Attempts, Status: status, Error: s.Error, Outputs: s.Outputs, Duration: s.Duration, Evidence: rec.file, Data: map[string]any{"mutates": s.Mutates}}
	// Synced with the next step's start (or the run's end), before anything
	// else happens; the observers are told then.
	if jerr := e.write(ev); jerr != nil {
		return e.fail(s, jerr)
	}
	if status == report.StepOK || status == report.StepSkipped || status == report.StepPlanned {
		if s.Outputs == nil {
			s.Outputs = map[string]any{}
		}
		e.outputs[s.ID] = s.Outputs
	}
	told := *s
	e.untold = &told
	// A step that changed something outside keyir synced each of its
	// events as it recorded them: only this end line is pending, and losing
	// it is a crash inside the step, which a resume already handles by
	// running the step again. A step that told someone (a notification)
	// did not sync what it sent: the next step waits for the commit, so a
	// power loss cannot make a resume tell twice.
	if !rec.reads && !s.Mutates {
		e.acted = true
	}
	return status
}

// fail handles a journal write failure: the run cannot go on without its
// record, so the step is treated as a critical failure.
func (e *execution) fail(s *report.Step, err error) report.StepStatus {
	_ = e.settle() // its error, if any, is the one being reported or follows from it
	e.obsMu.Lock()
	defer e.obsMu.Unlock()
	e.tell()
	s.Status, s.Error, s.Critical = report.StepFailed, err.Error(), true
	e.o.Observer.StepFinished(*s)
	return report.StepFailed
}

// redactOutputs round-trips outputs through JSON and the redactor, so what
// later steps and the report see is exactly what the journal holds.
func redactOutputs(r *redact.Redactor, out actions.Outputs) map[string]any {
	if out == nil {
		return nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return map[string]any{"error": "outputs not JSON-encodable: " + err.Error()}
	}
	var m map[string]any
	if err := json.Unmarshal(r.Bytes(b), &m); err != nil {
		return map[string]any{"error": "outputs not JSON-encodable: " + err.Error()}
	}
	return normalize(m).(map[string]any)
}

// normalize turns JSON's float64 back into int where the number is whole, so
// templates compare outputs with literals naturally ({{ eq .steps.x.status 404 }})
// whether the outputs came from this process or from the journal on resume.
func normalize(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}

func (e *execution) finish(interrupted, stopped bool) (*Result, error) {
	err := errors.Join(e.settle(), e.sync()) // the last step's end, before the observers hear of it
	e.obsMu.Lock()
	e.tell()
	e.obsMu.Unlock()
	if err != nil {
		return nil, err
	}
	events, _, err := runstore.ReadJournal(e.st.Dir())
	if err != nil {
		return nil, err
	}
	run := e.st.Run()
	rep := report.Replay(run, events)
	v := report.Outcome(rep, e.containsKey(), ending(interrupted, stopped || e.keyStopped(rep)))
	cont, code, status := v.Containment, v.ExitCode, v.Status
	finished := e.o.Now().UTC()
	if err := e.st.UpdateRun(func(r *report.Run) { r.Status, r.Finished, r.Containment = status, finished, cont }); err != nil {
		return nil, err
	}
	typ := report.EventRunFinished
	if interrupted {
		typ = report.EventRunInterrupted
	}
	if err := e.append(report.Event{Type: typ, ExitCode: &code, Containment: &cont, RunStatus: status}); err != nil {
		return nil, err
	}
	events, _, err = runstore.ReadJournal(e.st.Dir())
	if err != nil {
		return nil, err
	}
	rep = report.Replay(e.st.Run(), events)
	rep.ExitCode = code
	head, err := e.st.Finish(rep, htmlreport.Renderer{})
	if err != nil {
		return nil, err
	}
	rep.ManifestHead = head
	e.o.Observer.RunFinished(rep, e.st.Dir())
	return &Result{Dir: e.st.Dir(), Report: rep, ExitCode: code, Head: head}, nil
}

type nopObserver struct{}

func (nopObserver) RunStarted(*report.Report, string)  {}
func (nopObserver) StepStarted(report.Step)            {}
func (nopObserver) StepProgress(report.Step, string)   {}
func (nopObserver) StepFinished(report.Step)           {}
func (nopObserver) RunFinished(*report.Report, string) {}
