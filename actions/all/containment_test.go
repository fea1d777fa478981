package all

import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/actions"

// TestContainmentStepsOfEveryProvider: every provider's containment steps
// are of the two kinds actions.RevokeInfo and actions.ConfirmInfo declare:
// a revoke mutates and says when a dry run planned it; a confirm changes
// nothing and returns ContainmentOutputs first, the names a playbook's
// later steps read whichever provider's confirm ran. Each provider that
// contains brings one of each.
func TestContainmentStepsOfEveryProvider(t *testing.T) {
	kinds := map[string]map[string]bool{} // provider -> "revoke"/"confirm"
	for _, info := range actions.All() {
		if !info.Contains {
			continue
		}
		provider, _, _ := strings.Cut(info.Name, ".")
		if kinds[provider] == nil {
			kinds[provider] = map[string]bool{}
		}
		if info.Mutates {
			kinds[provider]["revoke"] = true
			if !slices.Contains(info.Outputs, actions.PlannedOutput) {
				t.Errorf("%s: a revoke step without the shared %q output", info.Name, actions.PlannedOutput.Name)
			}
			continue
		}
		kinds[provider]["confirm"] = true
		n := len(actions.ContainmentOutputs)
		if len(info.Outputs) < n || !slices.Equal(info.Outputs[:n], actions.ContainmentOutputs) {
			t.Errorf("%s: a confirm step's outputs %v do not start with actions.ContainmentOutputs", info.Name, info.Outputs)
		}
	}
	for _, p := range []string{"sendgrid", "github", "slack"} {
		if !kinds[p]["revoke"] || !kinds[p]["confirm"] {
			t.Errorf("provider %s: containment steps %v, want a revoke and a confirm", p, kinds[p])
		}
	}
}
