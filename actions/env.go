package actions

import "net/http"
import "os"
import "time"

import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// Recorder receives what a step learns, as it learns it. The runner's
// implementation writes each call to the run directory before returning, so
// evidence already gathered survives a crash in the next instruction.
// Everything passed in is redacted by the recorder.
type Recorder interface {
	// Evidence appends one record to the step's evidence file and returns its
	// reference ("evidence/004-revoke.jsonl#2") for findings to cite.
	Evidence(kind string, v any) (ref string, err error)
	Finding(f report.Finding)
	Note(text string)
	// Progress is a short live status ("page 3 of messages") for the terminal.
	Progress(text string)
	Containment(c report.Containment)
	Planned(c report.PlannedChange)
}

// Env is what a running step may use. The runner builds one per step attempt.
type Env struct {
	Step     string
	RunID    string
	Incident string
	Mode     report.Mode
	// RunStarted is when the run began: time to containment counts from it.
	RunStarted time.Time
	// HTTP is the client every outbound request of the step must use: it
	// refuses writes in a dry run, records every exchange as redacted evidence,
	// and has timeouts. Actions never build their own.
	HTTP     *http.Client
	Now      func() time.Time
	Redactor *redact.Redactor
	Recorder Recorder
	// Getenv reads configuration and credentials; drills overlay the
	// simulator's. Nil means os.Getenv.
	Getenv func(string) string
	// ReadFile reads *_FILE credentials; nil means credentials.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Services are run-scoped objects the caller of the run provides to
	// actions by name (the notification hub, "notify"). Nil when none.
	Services map[string]any
	// Report returns the run as recorded so far (replayed from the
	// journal): what a closing notification summarises. Nil outside a run.
	Report func() (*report.Report, error)
	// Dir is the run directory ("" outside a run).
	Dir string
}

// Service returns a run-scoped service, or nil.
func (e *Env) Service(name string) any {
	if e.Services == nil {
		return nil
	}
	return e.Services[name]
}

// Clock is the step's clock: Now when the runner (or a test) set one,
// else time.Now; nil-safe, so a step given no Env still has one.
func (e *Env) Clock() func() time.Time {
	if e == nil || e.Now == nil {
		return time.Now
	}
	return e.Now
}

// DryRun reports whether writes are refused.
func (e *Env) DryRun() bool { return e.Mode == report.ModeDryRun }

// Lookup reads a configuration variable.
func (e *Env) Lookup(name string) string {
	if e.Getenv != nil {
		return e.Getenv(name)
	}
	return os.Getenv(name)
}

// Credential reads a secret from NAME or from the file named by NAME_FILE
// (credentials.Read: capped, no link followed), registers it with the
// step's redactor, and fails with a message naming both variables when
// neither is set. Credentials never come from flags.
func (e *Env) Credential(name string) (string, error) {
	return credentials.Read(name, e.Lookup, e.ReadFile, e.Redactor)
}

// CredentialUser is implemented by an action that sends a declared
// credential (core.http). Its parameter tagged `credential` names one; the
// engine binds the declaration after decoding, and the action refuses to
// run with a name it was not bound to.
type CredentialUser interface {
	CredentialName() string
	BindCredential(credentials.Binding)
}

// Note journals a note of this step; outside a run (no recorder) it is
// dropped. Every provider's steps note through it.
func (e *Env) Note(text string) {
	if e.Recorder != nil {
		e.Recorder.Note(text)
	}
}

// Progress says what a long step is doing (a wait, a page read); outside a
// run it is dropped.
func (e *Env) Progress(text string) {
	if e.Recorder != nil {
		e.Recorder.Progress(text)
	}
}

// Finding records a finding attributed to this step.
func (e *Env) Finding(f report.Finding) {
	if f.Step == "" {
		f.Step = e.Step
	}
	e.Recorder.Finding(f)
}

// StandaloneEnv is an Env for work outside a playbook run (`keyir inventory
// save`, `keyir doctor`, a drill's baseline): live mode, the guarded client,
// and a recorder that keeps nothing, since there is no run directory.
func StandaloneEnv(step string, getenv func(string) string, readFile func(string) ([]byte, error), red *redact.Redactor, base http.RoundTripper) *Env {
	if red == nil {
		red = redact.New()
	}
	return &Env{
		Step:       step,
		Mode:       report.ModeLive,
		RunStarted: time.Now(),
		HTTP:       transport.NewClient(transport.Options{Step: step, Redactor: red, Base: base}),
		Now:        time.Now,
		Redactor:   red,
		Recorder:   discard{},
		Getenv:     getenv,
		ReadFile:   readFile,
	}
}

type discard struct{}

func (discard) Evidence(string, any) (string, error) { return "", nil }
func (discard) Finding(report.Finding)               {}
func (discard) Note(string)                          {}
func (discard) Progress(string)                      {}
func (discard) Containment(report.Containment)       {}
func (discard) Planned(report.PlannedChange)         {}
