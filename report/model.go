// Package report is a run's model: what a report says (run, steps,
// findings, containment), the journal's event types, Replay (the one way a
// report is made from a journal), and the words every front end shares
// (exit codes, durations, containment labels). It reads and writes no file:
// the run directory is runstore's, the renderings render's and htmlreport's.
package report

import "slices"
import "time"

// Mode says what a run may touch.
type Mode string

const (
	ModeLive   Mode = "live"    // real APIs, real writes
	ModeDryRun Mode = "dry-run" // real reads, every write refused and recorded as planned
	ModeDrill  Mode = "drill"   // live run against the built-in simulator
)

// Severity of a finding, most severe first.
type Severity string

const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Severities in display order.
var Severities = []Severity{Critical, High, Medium, Low, Info}

// Finding is one thing the run learned that a human must know.
type Finding struct {
	// Kind is a stable identifier of what was found ("persistence.new_api_key"),
	// so drills can score findings against a scenario's ground truth.
	Kind     string   `json:"kind"`
	Subject  string   `json:"subject,omitempty"` // what it is about: a key id, an address, a host
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail,omitempty"`
	Step     string   `json:"step"`
	Evidence []string `json:"evidence,omitempty"` // references such as "evidence/004-revoke.jsonl#2"
	// ByHand marks a foothold `keyir eradicate` cannot remove (a provider
	// whose removals keyir does not carry out yet): its Detail says how to
	// remove it, and the run's next step says "by hand", never a command
	// that would refuse.
	ByHand bool `json:"by_hand,omitempty"`
}

// StepStatus is how a step ended.
type StepStatus string

const (
	StepPending     StepStatus = "pending"
	StepRunning     StepStatus = "running"
	StepOK          StepStatus = "ok"
	StepFailed      StepStatus = "failed"
	StepSkipped     StepStatus = "skipped"     // its `if` was false
	StepPlanned     StepStatus = "planned"     // dry run: its writes were refused and recorded
	StepInterrupted StepStatus = "interrupted" // SIGINT/SIGTERM or crash while it ran
)

// Step is one step's record in the report.
type Step struct {
	Index    int            `json:"index"` // 1-based, as in evidence file names
	ID       string         `json:"id"`
	Action   string         `json:"action"`
	Mutates  bool           `json:"mutates"`
	Status   StepStatus     `json:"status"`
	Critical bool           `json:"critical"` // on_error: stop
	Attempts int            `json:"attempts,omitempty"`
	Started  time.Time      `json:"started,omitzero"`
	Duration time.Duration  `json:"duration_ns"`
	Error    string         `json:"error,omitempty"`
	Outputs  map[string]any `json:"outputs,omitempty"`
	Evidence string         `json:"evidence,omitempty"` // evidence file of this step, relative to the run dir
}

// PlannedChange is a write a dry run refused at the transport.
type PlannedChange struct {
	Step   string `json:"step"`
	Method string `json:"method"`
	URL    string `json:"url"`
	Body   string `json:"body,omitempty"` // redacted
}

// Containment is whether the leaked credential is proven dead.
type Containment struct {
	// Status: "confirmed" (the leaked key itself was refused, 401),
	// "not-confirmed", "revoked_unproven" (only the key id was known: it was
	// deleted, but nothing proves the key no longer authenticates),
	// "not_found" (no account holds the id, and no 401 proves the key dead),
	// "planned" (dry run) or "" when the playbook does not contain anything.
	Status string `json:"status,omitempty"`
	// Detail says how it was established ("key answered 401 after 3 polls").
	Detail string `json:"detail,omitempty"`
	// TimeToContainment runs from the run's start to the first 401 of the leaked key.
	TimeToContainment time.Duration `json:"time_to_containment_ns,omitempty"`
	At                time.Time     `json:"at,omitzero"`
}

const (
	ContainmentConfirmed    = "confirmed"
	ContainmentNotConfirmed = "not-confirmed"
	ContainmentPlanned      = "planned"
	// ContainmentRevokedUnproven: an id-only run deleted the key (or found
	// it gone from the account that held it); without the secret there is
	// no proof. Exit 0, never "confirmed", no time to containment.
	ContainmentRevokedUnproven = "revoked_unproven"
	// ContainmentNotFound: no account the responder key can see holds the
	// id, and the key itself did not prove dead. Exit 4.
	ContainmentNotFound = "not_found"
)

// RunStatus is how a run ended.
type RunStatus string

const (
	RunRunning     RunStatus = "running"
	RunSucceeded   RunStatus = "succeeded"   // every step ok, skipped or planned
	RunDegraded    RunStatus = "degraded"    // finished; some on_error: continue steps failed
	RunFailed      RunStatus = "failed"      // a critical step failed; the run stopped
	RunInterrupted RunStatus = "interrupted" // SIGINT/SIGTERM; resumable
)

// Run is run.json: who ran what, how, and when. Secret inputs are recorded by
// fingerprint only.
type Run struct {
	ID          string            `json:"run_id"`
	Incident    string            `json:"incident,omitempty"`
	Playbook    string            `json:"playbook"`
	PlaybookSHA string            `json:"playbook_sha256"`
	Mode        Mode              `json:"mode"`
	Operator    string            `json:"operator"`
	Host        string            `json:"host,omitempty"`
	Version     string            `json:"keyir_version"`
	Inputs      map[string]string `json:"inputs"`                  // rendered; secrets as [REDACTED:…]
	SecretInput []string          `json:"secret_inputs,omitempty"` // names of inputs never written
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished,omitzero"`
	Status      RunStatus         `json:"status"`
	Containment Containment       `json:"containment"`
	Resumes     int               `json:"resumes,omitempty"`
	// Keys are the keys of a run that responds to several (keys.go).
	Keys []KeyRef `json:"keys,omitempty"`
}

// Clone is a copy of r that shares no map or slice with it: the store hands
// out run.json and replays keep their own.
func (r Run) Clone() Run {
	if r.Inputs != nil {
		in := make(map[string]string, len(r.Inputs))
		for k, v := range r.Inputs {
			in[k] = v
		}
		r.Inputs = in
	}
	r.SecretInput = append([]string(nil), r.SecretInput...)
	r.Keys = slices.Clone(r.Keys)
	return r
}

// Report is report.json, and the model every renderer draws from.
type Report struct {
	Run      Run             `json:"run"`
	Steps    []Step          `json:"steps"`
	Findings []Finding       `json:"findings"`
	Notes    []Note          `json:"notes,omitempty"`
	Planned  []PlannedChange `json:"planned_changes,omitempty"`
	// Keys are each key's outcome, for a run that responds to several.
	Keys     []KeyOutcome `json:"keys,omitempty"`
	ExitCode int          `json:"exit_code"`
	// ManifestHead is the last link of MANIFEST's hash chain, written after the
	// report; it is filled in for display (terminal, Slack) and is not part of
	// report.json itself.
	ManifestHead string `json:"-"`
}

// Note is a free-text remark added by a step (core.note) or the runner.
type Note struct {
	Step string    `json:"step,omitempty"`
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}
