package chatops

import "strings"
import "testing"

import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/report"

// An audit nothing of which could be assessed (the responder key lacks
// every scope the checks read) is not ticked: on the old code the summary
// said ":white_check_mark: no failure at or above high" over 0 passes.
func TestAuditSummaryNeverTicksWhatWasNotAssessed(t *testing.T) {
	none := &audit.Outcome{Summary: audit.Summary{Checks: 9, Results: 9, Counts: audit.Counts{NotAssessable: 9}, FailOn: report.High}, Dir: "/r/a"}
	if got := auditSummary(none); strings.Contains(got, "white_check_mark") || !strings.Contains(got, "nothing could be assessed") {
		t.Errorf("nothing assessed: %s", got)
	}
	some := &audit.Outcome{Summary: audit.Summary{Checks: 9, Results: 9, Counts: audit.Counts{Pass: 8, NotAssessable: 1}, FailOn: report.High}, Dir: "/r/a"}
	if got := auditSummary(some); !strings.Contains(got, "white_check_mark") || !strings.Contains(got, "1 not assessable") {
		t.Errorf("passes: %s", got)
	}
}
