package sendgrid

import "github.com/keyir/keyir/actions"

// assessedAccount is the parameters of an assessment step that say which
// account it reads: the one that holds the leaked key, as an earlier step
// of the run recorded it, else the one named. Embedded by the assessments
// that take them, so the rule and its three parameters are written once.
type assessedAccount struct {
	KeyID   string `param:"key_id" desc:"the leaked key's id: the account that holds it (recorded by an earlier step) is assessed"`
	Subuser string `param:"subuser" desc:"assess this subuser (on-behalf-of) when no earlier step recorded the key's owner"`
	Region  string `param:"region" desc:"override of the assessed account's region (global or eu)"`
}

// account is the account the step assesses.
func (p assessedAccount) account(env *actions.Env) Account {
	return assessAccount(env, p.KeyID, p.Subuser, p.Region)
}
