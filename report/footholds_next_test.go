package report_test

import "strings"
import "testing"

import "github.com/keyir/keyir/report"

// Footholds keyir eradicate cannot remove must never be answered with the
// command alone: when none is removable the next step is the plan, by hand;
// when some are, the command and how many are left to a person.
func TestFootholdsNextNeverOffersACommandThatRefuses(t *testing.T) {
	removable := report.Finding{Kind: "persistence.new_api_key", Severity: report.High, Evidence: []string{report.PlanRef("fh-01")}}
	byHand := report.Finding{Kind: "github_webhook_added", Severity: report.High, Evidence: []string{report.PlanRef("fh-02")}, ByHand: true}
	notAFoothold := report.Finding{Kind: "note", Severity: report.Medium, ByHand: true}

	if got := report.FootholdsNext([]report.Finding{removable, notAFoothold}, "runs/r1"); got != "keyir eradicate runs/r1" {
		t.Errorf("removable footholds: next = %q, want the eradicate command", got)
	}
	got := report.FootholdsNext([]report.Finding{byHand}, "runs/r1")
	if strings.Contains(got, "keyir eradicate") || !strings.Contains(got, "by hand") || !strings.Contains(got, "runs/r1/"+report.PlanFile) {
		t.Errorf("footholds removed by hand: next = %q, want the plan to follow by hand", got)
	}
	got = report.FootholdsNext([]report.Finding{removable, byHand}, "runs/r1")
	if !strings.HasPrefix(got, "keyir eradicate runs/r1;") || !strings.Contains(got, "1 to remove by hand") || !strings.Contains(got, "runs/r1/"+report.PlanFile) {
		t.Errorf("one removable, one by hand: next = %q, want the command and the one by hand", got)
	}
	if got := report.FootholdsNext([]report.Finding{byHand}, ""); strings.Contains(got, "DIR") || !strings.Contains(got, report.PlanFile) {
		t.Errorf("without a directory: next = %q", got)
	}
}
