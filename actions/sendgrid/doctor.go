package sendgrid

import "context"
import "sort"
import "strings"

import "github.com/keyir/keyir/actions"

// requiredScopes lists, per action, the scopes the responder key needs.
// Every name is in SendGrid's official scope lists (a test checks them
// against the spec files): a scope the API never grants would make doctor
// fail forever. Liveness and confirmation with the leaked key need none of
// the responder's. Reading verified senders needs no scope SendGrid
// publishes, so none is required; the persistence step reports "not
// assessable" if the key cannot read them.
var requiredScopes = map[string][]string{
	"sendgrid.identify_key":    nil,
	"sendgrid.key_liveness":    nil,
	"sendgrid.locate_key":      {"api_keys.read", "subusers.read"},
	"sendgrid.snapshot_key":    {"api_keys.read", "subusers.read"},
	"sendgrid.revoke_key":      {"api_keys.delete", "api_keys.read", "subusers.read"},
	"sendgrid.confirm_revoked": {"api_keys.read", "subusers.read"},
	"sendgrid.inventory":       {"api_keys.read", "subusers.read", "user.username.read"}, // user.username.read: the baseline's account
	"sendgrid.activity":        {"messages.read"},
	"sendgrid.stats":           {"stats.read", "suppression.bounces.read", "suppression.spam_reports.read"},
	"sendgrid.persistence": {
		"teammates.read", "access_settings.whitelist.read", "access_settings.activity.read",
		"user.webhooks.event.settings.read", "user.webhooks.parse.settings.read",
		"mail_settings.forward_bounce.read", "mail_settings.forward_spam.read",
		"alerts.read",
	},
	"sendgrid.rotate_key": {"api_keys.create", "api_keys.read", "api_keys.delete"},
}

// scopeAliases are other names that grant a required scope: SendGrid's API
// key permission page names Email Activity "email_activity.read" while the
// spec's scope lists name "messages.read"; a key holding either may read it.
var scopeAliases = map[string][]string{
	"messages.read": {"email_activity.read"},
}

// IsPseudoScope reports a scope that marks an account state rather than a
// permission (2fa_required, 2fa_exempt, sender_verification_eligible,
// sender_verification_legacy): every real permission is dotted
// (resource.action). A user cannot remove these from a key, so they are
// never "excess", and they are never copied into a new key.
func IsPseudoScope(s string) bool { return !strings.Contains(s, ".") }

// RequiredScopes lists, sorted and without duplicates, the scopes the
// responder key needs for the given actions (unknown names add nothing).
func RequiredScopes(actionNames []string) []string {
	set := map[string]bool{}
	for _, n := range actionNames {
		for _, s := range requiredScopes[n] {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Doctor reads the responder key's scopes (GET /v3/scopes) and compares them
// with needed: missing scopes make actions fail or report "not assessable";
// excess scopes are more power than keyir needs (least privilege).
func Doctor(ctx context.Context, env *actions.Env, needed []string) (missing, excess []string, err error) {
	c, err := newClient(env, strings.TrimSpace(env.Lookup(EnvRegion)), "")
	if err != nil {
		return nil, nil, err
	}
	var body struct {
		Scopes []string `json:"scopes"`
	}
	if _, err := c.get(ctx, "/v3/scopes", &body); err != nil {
		return nil, nil, err
	}
	have, want := map[string]bool{}, map[string]bool{}
	for _, s := range body.Scopes {
		have[s] = true
	}
	for _, s := range needed {
		want[s] = true
		ok := have[s]
		for _, alias := range scopeAliases[s] {
			if have[alias] {
				want[alias], ok = true, true
			}
		}
		if !ok {
			missing = append(missing, s)
		}
	}
	for _, s := range body.Scopes {
		if !want[s] && !IsPseudoScope(s) {
			excess = append(excess, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(excess)
	return missing, excess, nil
}
