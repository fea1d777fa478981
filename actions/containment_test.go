package actions

import "slices"
import "testing"

// The two containment kinds: a revoke mutates, a confirm does not and
// returns ContainmentOutputs first; neither may share its list with the
// group it was built from.
func TestContainmentInfos(t *testing.T) {
	newAction := func() Action { return nil }
	own := []Output{{Name: "revoked"}, PlannedOutput}
	r := RevokeInfo("p.revoke", "revokes", newAction, own)
	if r.Name != "p.revoke" || r.Summary != "revokes" || !r.Mutates || !r.Contains || r.New == nil || !slices.Equal(r.Outputs, own) {
		t.Fatalf("RevokeInfo = %+v, want a mutating containment step with its own outputs", r)
	}
	c := ConfirmInfo("p.confirm", "proves", newAction, Output{Name: "refusal"})
	if c.Name != "p.confirm" || c.Summary != "proves" || c.Mutates || !c.Contains || c.New == nil {
		t.Fatalf("ConfirmInfo = %+v, want a containment step that changes nothing", c)
	}
	if want := append(slices.Clone(ContainmentOutputs), Output{Name: "refusal"}); !slices.Equal(c.Outputs, want) {
		t.Fatalf("ConfirmInfo outputs = %v, want %v", c.Outputs, want)
	}
	c.Outputs[0].Name = "changed"
	if ContainmentOutputs[0].Name != "confirmed" {
		t.Fatal("a confirm's outputs share ContainmentOutputs: editing one registration changed the group")
	}
}
