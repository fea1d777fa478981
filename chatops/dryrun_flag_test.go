package chatops_test

import "strings"
import "testing"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/redact"

// A dry run asked for with a misspelt flag is refused, never taken for a
// live revoke: on the old code "--dryrun", "-dry-run" or "dry-run" after
// the key became the incident id of a LIVE request.
func TestParseRevokeRefusesAMisspeltDryRun(t *testing.T) {
	id := strings.Repeat("k", 22)
	for _, flag := range []string{"--dryrun", "-dry-run", "dry-run", "--dry_run", "--DRY-RUN", "-n", "--force"} {
		a, err := chatops.ParseArgs("revoke "+id+" "+flag, redact.New())
		if err == nil {
			t.Errorf("%q: accepted (dry run %v, incident %q)", flag, a.DryRun, a.Incident)
			continue
		}
		if !strings.Contains(err.Error(), "--dry-run") {
			t.Errorf("%q: %v (does not name --dry-run)", flag, err)
		}
	}
	if a, err := chatops.ParseArgs("revoke "+id+" INC-7 --dry-run", redact.New()); err != nil || !a.DryRun || a.Incident != "INC-7" {
		t.Errorf("the real flag: %+v %v", a, err)
	}
}
