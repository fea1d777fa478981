package ghtoken

import "github.com/keyir/keyir/provider"

// eradicator is what `keyir eradicate` needs of GitHub: its items of a
// plan, each checked against the request keyir rebuilds for it, and the
// playbook that removes them.
var eradicator = &provider.Eradicator{Playbook: "github-eradicate", Items: provider.ItemsOf(viewItem), Check: checkEradication}

// viewItem checks one of GitHub's items (checkItem) and says it for the
// engine.
func viewItem(it planItem) (provider.PlanItem, error) {
	it.Provider = ProviderName
	if err := checkItem(it); err != nil {
		return provider.PlanItem{}, err
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
	return pi, nil
}

// planItems reads GitHub's items of a plan (tests and the fuzz target).
var planItems = eradicator.Items
