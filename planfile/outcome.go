package planfile

import "fmt"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// What every provider's eradication action records and returns, declared
// once: the outcomes of an item, the evidence of one, its finding, and the
// action's outputs (keyir eradicate's summary reads them by these names).

// Outcomes of one item.
const (
	OutcomeRemoved     = "removed"
	OutcomeAlreadyGone = "already_gone"
	OutcomeRefused     = "refused"
	OutcomeFailed      = "failed"
	OutcomeStillThere  = "still_present"
	OutcomePlanned     = "planned"
)

// Settled reports whether an outcome leaves nothing to do for the item.
func Settled(outcome string) bool {
	return outcome == OutcomeRemoved || outcome == OutcomeAlreadyGone || outcome == OutcomePlanned
}

// ItemResult is what the evidence records about one item.
type ItemResult struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Subject  string `json:"subject"`
	Request  string `json:"request"`
	Status   int    `json:"status,omitempty"`
	Outcome  string `json:"outcome"`
	ReadBack string `json:"read_back,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// Finding is the item's finding: Info when settled; otherwise "Still open"
// with the item's severity (its caller puts the item in its own run's plan,
// so the finding keeps the incident open). evidence are its references;
// the parent's plan item is added.
func (r ItemResult) Finding(severity string, evidence []string) report.Finding {
	f := report.Finding{
		Kind: "eradicate." + r.Outcome, Subject: r.Subject, Severity: report.Info,
		Title:    fmt.Sprintf("%s %s (%s): %s", r.ID, r.Subject, r.Kind, strings.ReplaceAll(r.Outcome, "_", " ")),
		Detail:   r.Request + ": " + r.Detail,
		Evidence: append(append([]string{}, evidence...), "parent:"+report.PlanRef(r.ID)),
	}
	if !Settled(r.Outcome) {
		f.Severity = report.Severity(severity)
		f.Title = fmt.Sprintf("Still open: %s %s (%s)", r.ID, r.Subject, r.Kind)
	}
	return f
}

// Tally counts an eradication's outcomes.
type Tally struct {
	removed, gone, planned int
	open                   []string
}

// Count adds one item's outcome.
func (t *Tally) Count(r ItemResult) {
	switch r.Outcome {
	case OutcomeRemoved:
		t.removed++
	case OutcomeAlreadyGone:
		t.gone++
	case OutcomePlanned:
		t.planned++
	default:
		t.open = append(t.open, r.ID)
	}
}

// Outputs are the eradication action's outputs (EradicateOutputs).
func (t *Tally) Outputs() actions.Outputs {
	open := append([]string{}, t.open...)
	return actions.Outputs{"removed": t.removed, "already_gone": t.gone, "open": open, "planned": t.planned}
}

// EradicateOutputs declares what every eradication action returns.
var EradicateOutputs = []actions.Output{
	{Name: "removed", Type: actions.TypeInt, Description: "items this step removed"},
	{Name: "already_gone", Type: actions.TypeInt, Description: "items that were gone before the request (404, or absent on read-back)"},
	{Name: "open", Type: actions.TypeList, Description: "ids of the items still present (refused, failed, or seen again on read-back)"},
	{Name: "planned", Type: actions.TypeInt, Description: "dry run: removals refused at the transport"},
}
