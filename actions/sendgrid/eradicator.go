package sendgrid

import "context"
import "encoding/json"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"

// eradicator is what `keyir eradicate` needs of SendGrid: its items of a
// plan, each checked against the request keyir derives for it, the check
// of the responder key made before the operator is asked, and the
// playbook that removes them.
var eradicator = &provider.Eradicator{Playbook: "sendgrid-eradicate", Items: provider.ItemsOf(planItem), Check: checkEradication}

// checkEradication is the eradicator's Check: the eradicate step's own
// refusals of the responder key (none given; another account than the one
// the parent run assessed, checkParentAccount), made before the plan is
// shown. It sends one GET /v3/user/username.
func checkEradication(ctx context.Context, env *actions.Env, parent string, _ []json.RawMessage) error {
	c, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return err
	}
	return checkParentAccount(ctx, env, c, parent)
}

// planItem checks one of SendGrid's items (CheckItem) and says it for the
// engine: the request shown for approval is the one keyir derives, never
// the file's.
func planItem(it PlanItem) (provider.PlanItem, error) {
	if err := CheckItem(it); err != nil {
		return provider.PlanItem{}, err
	}
	rm, _ := removal(it.Kind, it.ResourceID, Account{Subuser: it.Account, Region: it.Region})
	return provider.PlanItem{
		ID: it.ID, Provider: ProviderName, Kind: it.Kind, Account: it.Account, Where: whereOf(it),
		Subject: it.Subject, Severity: it.Severity, Why: it.Why, Request: requestLine(rm),
	}, nil
}

// whereOf names the account an item lives in, for people.
func whereOf(it PlanItem) string {
	acct := "parent"
	if it.Account != "" {
		acct = "subuser " + it.Account
	}
	if it.Region == RegionEU {
		acct += ", eu"
	}
	return acct
}

// requestLine is a removal as one line: method, path, body, on behalf of.
func requestLine(rm Removal) string {
	req := rm.Method + " " + rm.Path
	if b := compact(rm.Body); b != "" {
		req += " " + b
	}
	if rm.OnBehalfOf != "" {
		req += " (on behalf of " + rm.OnBehalfOf + ")"
	}
	return req
}
