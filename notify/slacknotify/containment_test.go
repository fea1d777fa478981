package slacknotify

import "strings"
import "testing"

import "github.com/keyir/keyir/report"

// An id-only revocation and a key no account holds are never announced as
// contained: each says what was done and what could not be proven.
func TestContainmentLineNeverOverclaims(t *testing.T) {
	for status, want := range map[string]string{
		report.ContainmentRevokedUnproven: "NOT proven dead",
		report.ContainmentNotFound:        "nothing was revoked",
	} {
		line := containmentLine(report.Containment{Status: status, Detail: "key id X: detail", TimeToContainment: 0})
		if !strings.Contains(line, want) || strings.Contains(line, "Containment confirmed") || strings.Contains(line, "time to containment") {
			t.Errorf("%s: %q", status, line)
		}
	}
}
