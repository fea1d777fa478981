package report_test

import (
	"strings"
	"testing"

	"github.com/keyir/keyir/report"
)

// A foothold keyir eradicate cannot remove must never be answered with the
// command that would refuse it: the next step is the plan, by hand.
func TestFootholdsNextNeverOffersACommandThatRefuses(t *testing.T) {
	removable := report.Finding{Kind: "persistence.new_api_key", Severity: report.High, Evidence: []string{report.PlanRef("fh-01")}}
	byHand := report.Finding{Kind: "github_webhook_added", Severity: report.High, Evidence: []string{report.PlanRef("fh-02")}, ByHand: true}
	notAFoothold := report.Finding{Kind: "note", Severity: report.Medium, ByHand: true}

	if got := report.FootholdsNext([]report.Finding{removable, notAFoothold}, "runs/r1"); got != "keyir eradicate runs/r1" {
		t.Errorf("removable footholds: next = %q, want the eradicate command", got)
	}
	for _, fs := range [][]report.Finding{{byHand}, {removable, byHand}} {
		got := report.FootholdsNext(fs, "runs/r1")
		if strings.Contains(got, "keyir eradicate") || !strings.Contains(got, "by hand") || !strings.Contains(got, "runs/r1/"+report.PlanFile) {
			t.Errorf("footholds removed by hand: next = %q, want the plan to follow by hand", got)
		}
	}
	if got := report.FootholdsNext([]report.Finding{byHand}, ""); strings.Contains(got, "DIR") || !strings.Contains(got, report.PlanFile) {
		t.Errorf("without a directory: next = %q", got)
	}
}
