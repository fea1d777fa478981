package sendgrid

import "github.com/keyir/keyir/actions"

// The output groups several SendGrid actions return, declared once here so
// each action's Register lists only the outputs that are its own.

// ownerOutputList is where the key lives: what ownerOutputs (locate.go)
// writes, for locate_key, snapshot_key and revoke_key alike (revoke_key's
// for the first id it was given, the leaked key's).
var ownerOutputList = []actions.Output{
	{Name: "key_id", Type: actions.TypeString, Description: "the key id looked for (the first, when several were given)"},
	{Name: "owner_known", Type: actions.TypeBool, Description: "the account that holds (or held) the key is known (owner, owner_region are set)"},
	{Name: "owner", Type: actions.TypeString, Description: "the subuser that holds the key; empty for the parent account"},
	{Name: "owner_region", Type: actions.TypeString, Description: "global or eu: the host of the owning account"},
	{Name: "subusers_searched", Type: actions.TypeInt, Description: "subusers listed (and searched when the parent did not hold the key)"},
	{Name: "not_searched", Type: actions.TypeList, Description: "accounts that could not be searched, and why"},
}

// snapshotOutputs are the key's details before it is revoked (name, scopes,
// blast radius) and where it lives: sendgrid.snapshot_key returns them, and
// sendgrid.locate_key returns them too, with the key's liveness.
var snapshotOutputs = actions.OutputList(
	[]actions.Output{
		{Name: "name", Type: actions.TypeString, Description: "the key's name"},
		{Name: "scopes", Type: actions.TypeList, Description: "the key's scopes"},
		{Name: "key_type", Type: actions.TypeString, Description: "full, billing or restricted"},
	},
	actions.BlastRadiusOutputs,
	[]actions.Output{{Name: "found", Type: actions.TypeBool, Description: "an account holds the key id"}},
	ownerOutputList,
)
