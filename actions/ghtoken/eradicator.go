package ghtoken

import (
	"encoding/json"

	"github.com/keyir/keyir/provider"
)

// eradicator is what `keyir eradicate` needs of GitHub: its items of a
// plan, each checked against the request keyir rebuilds for it, and the
// playbook that removes them.
var eradicator = &provider.Eradicator{Playbook: "github-eradicate", Items: planItems}

// planItems decodes GitHub's items of a plan and checks each (checkItem).
func planItems(raw []json.RawMessage) ([]provider.PlanItem, error) {
	out := make([]provider.PlanItem, 0, len(raw))
	for _, r := range raw {
		it, err := decodeItem(r)
		if err != nil {
			return nil, err
		}
		rm, _, _ := removalOf(it)
		where := it.Org
		switch {
		case it.Repo != "":
			where = it.Repo
		case it.Login != "":
			where = "user " + it.Login
		}
		pi := provider.PlanItem{ID: it.ID, Provider: ProviderName, Kind: it.Kind, Where: where,
			Subject: it.Subject, Severity: it.Severity, Why: it.Why, ByHand: it.ByHand}
		if it.ByHand == "" {
			pi.Request = requestLine(rm)
		}
		out = append(out, pi)
	}
	return out, nil
}
