package report

import "fmt"
import "strings"

// PlanFile is the eradication plan a run's assessment steps write: one item
// per foothold, with the request that removes it (`keyir eradicate DIR`).
const PlanFile = "eradication-plan.json"

// PlanRef is the evidence reference a finding gives to the eradication plan
// item it describes: "eradication-plan.json#fh-01". It is how a finding is
// known to be a removable foothold.
func PlanRef(id string) string { return PlanFile + "#" + id }

// IsFoothold reports whether a finding names an item of the eradication plan
// of high severity or worse: what keeps an incident open after containment.
func IsFoothold(f Finding) bool {
	if f.Severity != Critical && f.Severity != High {
		return false
	}
	for _, e := range f.Evidence {
		if strings.HasPrefix(e, PlanFile+"#") {
			return true
		}
	}
	return false
}

// OpenFootholds counts the findings that are footholds (IsFoothold).
func OpenFootholds(findings []Finding) int {
	n := 0
	for _, f := range findings {
		if IsFoothold(f) {
			n++
		}
	}
	return n
}

// FootholdsOutcome is the outcome line of a run that ends with exit 5, and
// the command that continues the incident. Every renderer (terminal,
// Markdown, Slack, email, webhook) uses these words.
func FootholdsOutcome(n int) string {
	noun := "footholds"
	if n == 1 {
		noun = "foothold"
	}
	return fmt.Sprintf("contained; %d %s open", n, noun)
}

// EradicateCommand is the next step after exit 5, for run directory dir.
func EradicateCommand(dir string) string {
	if dir == "" {
		dir = "DIR"
	}
	return "keyir eradicate " + dir
}

// FootholdsNext is the next step after exit 5 that every renderer shows:
// `keyir eradicate DIR` when keyir can remove at least one open foothold
// (saying how many are left to a person), else the plan to follow by hand
// (each of its items says how), so no channel offers a command that would
// have nothing to do.
func FootholdsNext(findings []Finding, dir string) string {
	removable, byHand := 0, 0
	for _, f := range findings {
		switch {
		case !IsFoothold(f):
		case f.ByHand:
			byHand++
		default:
			removable++
		}
	}
	plan := PlanFile
	if dir != "" {
		plan = dir + "/" + PlanFile
	}
	switch {
	case removable == 0 && byHand > 0:
		return "remove them by hand: " + plan + " says how for each"
	case byHand > 0:
		return fmt.Sprintf("%s; %d to remove by hand, as %s says", EradicateCommand(dir), byHand, plan)
	}
	return EradicateCommand(dir)
}
