// Package playbook is keyir's playbook engine: the model, loading and
// validation with file:line:col problems, templating of step parameters from
// inputs and earlier outputs, the built-in playbooks, and the runner (plan,
// then execute, journaled and resumable).
package playbook

import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// Pos is a position in a playbook source.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Problem is one validation error at a position.
type Problem struct {
	Pos Pos
	Msg string
}

func (p Problem) Error() string { return p.Pos.String() + ": " + p.Msg }

// Problems is every validation error of a playbook, in source order. Loading
// reports all of them at once, never just the first.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Playbook is a validated playbook: every action exists, every literal
// parameter decodes, every template parses and refers only to inputs and
// earlier steps.
type Playbook struct {
	Name        string
	Description string
	Inputs      []Input
	Credentials []Credential
	Steps       []Step
	// Source is the file path, or "builtin:<name>" for an embedded playbook.
	Source string
	// SHA256 is the hex digest of the source bytes, recorded in run.json so a
	// resumed run can refuse a playbook that changed underneath it.
	SHA256 string
	// Keys, for a playbook composed for several keys (Compose), says which
	// steps are each key's; recorded in run.json, so the report gives each
	// key's outcome.
	Keys []report.KeyRef
	// composed are the rules a resume of such a playbook follows
	// (compose_resume.go); nil for any other playbook.
	composed *composedRules
	// text is the source as loaded: a key pasted anywhere in it (a note, a
	// description, a header) is registered with the redactor, whole, before
	// a run writes anything, so a part of it echoed later is caught too.
	text string
}

// Input is a declared playbook input.
type Input struct {
	Name        string
	Type        string // actions.TypeString, TypeInt, TypeBool, TypeDuration, TypeTime, TypeList
	Description string
	Required    bool
	Default     string // as written; converted with actions.Convert
	Pattern     string // anchored regular expression the value must match (strings and list items)
	// Secret inputs (a leaked key) are registered with the redactor and never
	// written anywhere: run.json records only their fingerprint.
	Secret bool
	Pos    Pos
}

// Credential is a declared credential (`credentials:`): the environment
// variable that holds it, and the one host it may be sent to. keyir's own
// credentials (SENDGRID_*, SLACK_*, KEYIR_*) cannot be declared.
type Credential struct {
	Name string
	Env  string
	// Host is the bound host (host or host:port, lower case), or "" when
	// HostInput names the required input that gives it at run time.
	Host      string
	HostInput string
	Pos       Pos
}

// OnError is what a step failure does to the run.
type OnError string

const (
	Stop     OnError = "stop"     // the run stops; the step is critical (default)
	Continue OnError = "continue" // recorded as a failed non-critical step; the run goes on
)

// Step is one step of a playbook.
type Step struct {
	ID      string
	Action  string
	Info    actions.Info
	With    map[string]Value
	If      *Template // nil: always runs
	OnError OnError
	Timeout time.Duration // 0: the runner's default
	Retries int           // extra attempts after the first, with backoff
	// Credential is the declaration the step's credential parameter names,
	// resolved at load; nil when the step names none.
	Credential *Credential
	Pos        Pos
}

// Value is one `with` parameter: a literal, or a template rendered at run time.
type Value struct {
	Literal  any       // decoded YAML value when Template is nil
	Template *Template // non-nil when the value contains {{ }}
	Pos      Pos
}
