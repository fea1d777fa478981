// Package notify is keyir's notification contract: who must know about a
// leaked-key incident hears about it as it happens, in Slack, by email or by a
// signed webhook.
//
// The shape follows prometheus/alertmanager's notify/: one folder per channel
// (notify/slacknotify, notify/email, notify/webhook), each with a config.go (defaults,
// strict decode, Validate) and a Notifier; each notifier classifies its own
// failures as retryable or permanent, and one shared, bounded Retry does the
// retrying. Unlike an alert, an incident has a lifecycle, so a Notifier is
// handed Events: Opened when the run starts, Progress as steps complete, and
// Closed with the outcome, the findings and the report.
//
// Two rules hold for every notifier:
//   - everything that leaves the process has passed through the run's
//     *redact.Redactor (Event.Redact, RedactError), so a leaked key that
//     reached a step's error or a finding's detail is never sent on;
//   - every message of a dry run or a drill says so (Event.Label).
//
// Notifications are not writes to the provider: notifiers use their own
// http.Client (timeouts, no redirects), not the step's guarded client, so a
// dry run still tells people what it would do. That is why every message of a
// dry run is labelled DRY RUN.
package notify

import "context"
import "encoding/json"
import "fmt"
import "strings"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// Kind is where an incident is in its lifecycle.
type Kind string

const (
	// Opened: the run started. Slack posts the incident's anchor message.
	Opened Kind = "opened"
	// Progress: one or more steps changed status.
	Progress Kind = "progress"
	// Closed: the run ended; Event carries the outcome, findings and report.
	Closed Kind = "closed"
	// Sealed: the run directory's MANIFEST is written; ManifestHead is the last
	// link of its hash chain. Anyone who can write the directory could rebuild
	// the chain, so the head must also live outside the machine: posting it
	// is what makes a later edit of the evidence detectable.
	Sealed Kind = "sealed"
)

// Event is one thing to tell people about a run. It names the leaked key by
// id, name and fingerprint, never by its secret.
type Event struct {
	Kind Kind      `json:"kind"`
	Time time.Time `json:"time"`
	RunRef

	// The key the incident is about.
	KeyID          string `json:"key_id,omitempty"`
	KeyName        string `json:"key_name,omitempty"`
	KeyType        string `json:"key_type,omitempty"` // "full access", "restricted", "billing", "unknown"
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// KeyKind names the kind for people ("GitHub personal access token
	// (classic)"), from the identify step's "human" output; "" when no step
	// named it.
	KeyKind string `json:"key_kind,omitempty"`

	Status      report.RunStatus   `json:"status"`
	Steps       []report.Step      `json:"steps,omitempty"`
	Findings    []report.Finding   `json:"findings,omitempty"`
	Containment report.Containment `json:"containment"`
	ExitCode    int                `json:"exit_code,omitempty"`

	// ReportPath is report.md on disk (Closed only); notifiers that can attach
	// a file read it, redact it and attach it. It may be a temporary copy:
	// RunDir is where the evidence lives.
	ReportPath string `json:"report_path,omitempty"`
	// RunDir is the run's evidence directory on the machine that ran keyir,
	// what a reader passes to keyir report verify / show / open.
	RunDir string `json:"run_dir,omitempty"`
	// ManifestHead is the last link of the run's MANIFEST hash chain, so a
	// reader can later check the evidence they were told about is unchanged.
	ManifestHead string `json:"manifest_head,omitempty"`

	// Text is the playbook's own message for this event (a notify step's
	// `text`, already rendered by the engine); untrusted like everything
	// else, so notifiers escape it. Empty for most events.
	Text string `json:"text,omitempty"`
}

// RunRef names the run an event is about. It heads both the Event and the
// webhook's payload (whose JSON names these tags are), so the two cannot
// drift apart.
type RunRef struct {
	RunID    string      `json:"run_id"`
	Incident string      `json:"incident,omitempty"`
	Playbook string      `json:"playbook,omitempty"`
	Mode     report.Mode `json:"mode"`
	Operator string      `json:"operator,omitempty"`
}

// RunRefOf names a run as its report records it.
func RunRefOf(r report.Run) RunRef {
	return RunRef{RunID: r.ID, Incident: r.Incident, Playbook: r.Playbook, Mode: r.Mode, Operator: r.Operator}
}

// Label is the banner every message of a non-live run carries: "DRY RUN",
// "DRILL", or "" for a live run.
func (e Event) Label() string {
	switch e.Mode {
	case report.ModeDryRun:
		return "DRY RUN"
	case report.ModeDrill:
		return "DRILL"
	}
	return ""
}

// Redact returns a deep copy of e with every string passed through r. It goes
// through JSON so that fields added later (and step outputs of any shape) are
// covered without anyone having to remember to add them here.
func (e Event) Redact(r *redact.Redactor) Event {
	b, err := json.Marshal(e)
	if err != nil {
		// Step outputs that cannot be encoded are dropped rather than sent raw.
		c := e
		c.Steps = append([]report.Step(nil), e.Steps...)
		for i := range c.Steps {
			c.Steps[i].Outputs = nil
		}
		if b, err = json.Marshal(c); err != nil {
			return Event{Kind: e.Kind, RunRef: RunRef{Mode: e.Mode}, Status: e.Status}
		}
	}
	var out Event
	if err := json.Unmarshal(r.Bytes(b), &out); err != nil {
		return Event{Kind: e.Kind, RunRef: RunRef{Mode: e.Mode}, Status: e.Status}
	}
	return out
}

// Counts returns the number of findings per severity.
func (e Event) Counts() map[report.Severity]int {
	m := map[report.Severity]int{}
	for _, f := range e.Findings {
		m[f.Severity]++
	}
	return m
}

// Notifier tells one audience about one run's incident. A Notifier is made per
// run: it may keep state between events (the Slack thread). Implementations
// are safe for concurrent use, retry internally with Retry, and return errors
// that have been redacted.
type Notifier interface {
	Notify(ctx context.Context, ev Event) error
}

// RedactError returns err with its message passed through r. errors.Is and
// errors.As still see the original chain, so classification keeps working.
func RedactError(r *redact.Redactor, err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{msg: r.String(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Errorf is fmt.Errorf followed by RedactError.
func Errorf(r *redact.Redactor, format string, args ...any) error {
	return RedactError(r, fmt.Errorf(format, args...))
}

// LeakedKey names the incident's key in one line: "leaked SendGrid API key
// <id>", "leaked GitHub personal access token (classic) <fingerprint>" (a
// token has no id), "leaked key …" when the run named no kind: never as
// another provider's.
func (e Event) LeakedKey() string {
	what, name := e.KeyKind, e.KeyID
	if what == "" {
		what = "key"
	}
	if name == "" {
		name = e.KeyFingerprint
	}
	return strings.TrimSpace("leaked " + what + " " + name)
}
