package slacktoken

import "context"
import "errors"
import "fmt"
import "slices"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"

// The responder's Slack tokens are optional: without them a run still
// revokes the leaked token (with the token itself) and proves it dead, and
// its log steps say "not assessable" (or, for Enterprise Grid's audit logs,
// note why they were not read). So doctor checks each as a line of its
// own, one not set being a warning that says what the run will not see.

// Scopes the responder's tokens need, each held by its own token.
const (
	scopeAdmin     = "admin"          // team.accessLogs, team.integrationLogs: SLACK_ADMIN_TOKEN
	scopeAuditLogs = "auditlogs:read" // the Audit Logs API: SLACK_ORG_TOKEN
)

// requiredScopes lists, per action, the scopes the responder's tokens need.
var requiredScopes = map[string][]string{
	"slack.access_logs":      {scopeAdmin},
	"slack.integration_logs": {scopeAdmin},
	"slack.audit_logs":       {scopeAuditLogs},
}

// doctor is Slack's provider.Doctor.
var doctor = &provider.Doctor{
	Credential: "the responder tokens (" + EnvAdminToken + ", " + EnvOrgToken + ")",
	Needs:      provider.NeedsOf(requiredScopes),
	Check:      Doctor,
	Optional:   true,
}

// responderToken is one of the responder's tokens and what it is for.
type responderToken struct {
	env, scope, without string
}

var responderTokens = []responderToken{
	{EnvAdminToken, scopeAdmin, "cannot read the team's access logs (logins by IP address and user agent) or integration logs (apps added or changed): those steps say not assessable"},
	{EnvOrgToken, scopeAuditLogs, "cannot read Enterprise Grid's audit logs (only an org-level token can)"},
}

// Doctor asks Slack who each responder token needed is (auth.test) and
// compares its scopes (X-OAuth-Scopes) with needed. A token not set is a
// *provider.DoctorWarning naming what the run will not assess; the other
// token's result comes with it.
func Doctor(ctx context.Context, env *actions.Env, needed []string) (missing, excess []string, err error) {
	var warnings []string
	for _, rt := range responderTokens {
		if !slices.Contains(needed, rt.scope) {
			continue
		}
		if strings.TrimSpace(env.Lookup(rt.env)) == "" && strings.TrimSpace(env.Lookup(rt.env+"_FILE")) == "" {
			warnings = append(warnings, fmt.Sprintf("%s is not set: a run %s", rt.env, rt.without))
			continue
		}
		tok, err := env.Credential(rt.env)
		if err != nil {
			return nil, nil, err
		}
		c, err := newClient(env)
		if err != nil {
			return nil, nil, err
		}
		id, err := c.authTest(ctx, tok)
		if err != nil {
			var se *SlackError
			if errors.As(err, &se) {
				return nil, nil, fmt.Errorf("%s is refused by Slack (auth.test: %s)", rt.env, se.Code)
			}
			return nil, nil, fmt.Errorf("%s: auth.test: %w", rt.env, err)
		}
		if !slices.Contains(id.Scopes, rt.scope) {
			missing = append(missing, rt.scope+" ("+rt.env+")")
		}
		for _, s := range id.Scopes {
			// identify comes with every user token: not a grant to remove.
			if s != rt.scope && s != "identify" {
				excess = append(excess, s+" ("+rt.env+")")
			}
		}
	}
	if len(warnings) > 0 {
		err = &provider.DoctorWarning{Detail: strings.Join(warnings, "; ") + " (the leaked token is still revoked and proven dead)"}
	}
	return missing, excess, err
}
