package ghtoken

import "context"
import "fmt"
import "slices"
import "sort"
import "time"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// snapshotTokenInfo declares github.snapshot_token; provider.go registers it.
var snapshotTokenInfo = actions.Info{
	Name:    "github.snapshot_token",
	Summary: "Record what the leaked token is before it is revoked (account, scopes, expiry, repositories) and rate its blast radius",
	Outputs: actions.OutputList([]actions.Output{
		{Name: "live", Type: actions.TypeBool, Description: "the token authenticated when the snapshot was taken"},
		{Name: "login", Type: actions.TypeString, Description: "the account it acts as"},
		{Name: "account_type", Type: actions.TypeString, Description: "User, Bot or Organization"},
		{Name: "scopes", Type: actions.TypeList, Description: "its OAuth scopes"},
	}, actions.BlastRadiusOutputs, []actions.Output{
		{Name: "expires_at", Type: actions.TypeString, Description: "its expiry, empty when none is set"},
		{Name: "repositories", Type: actions.TypeList, Description: "repositories an installation token reaches (first 100)"},
		{Name: "ssh_keys_created", Type: actions.TypeMap, Description: "the SSH keys of the token's account (GET /user/keys with the token, when its scopes allow) by id, with when each was added: persistence judges them by the window without a baseline"},
		actions.APIURLOutput,
	}),
	New: func() actions.Action { return new(Snapshot) },
}

// Snapshot records what the token is, with the token itself.
type Snapshot struct {
	Token string `param:"key,required,secret" desc:"the leaked token"`
}

// Validate checks the token.
func (a *Snapshot) Validate() error {
	_, err := parseValid(a.Token)
	return err
}

// Category is a group of scopes by what they allow.
type Category struct {
	Category string   `json:"category"`
	Scopes   []string `json:"scopes"`
	Write    bool     `json:"write"`
}

// scopeClass maps a classic OAuth scope to its category and the risk of
// holding it: code and its automation (repo, workflow) and the doors an
// attacker keeps (keys, hooks, org administration) are critical.
var scopeClass = map[string]struct {
	cat   string
	risk  report.Severity
	write bool
}{
	"repo": {"code", report.Critical, true}, "workflow": {"code", report.Critical, true}, "delete_repo": {"code", report.Critical, true},
	"public_repo": {"code", report.High, true}, "repo:status": {"code", report.Medium, true}, "repo_deployment": {"code", report.Medium, true},
	"repo:invite": {"code", report.High, true}, "security_events": {"code", report.Medium, true},
	"admin:org": {"organization", report.Critical, true}, "write:org": {"organization", report.Critical, true}, "read:org": {"organization", report.Medium, false},
	"admin:enterprise": {"organization", report.Critical, true}, "manage_runners:org": {"organization", report.Critical, true},
	"admin:public_key": {"keys and hooks", report.Critical, true}, "write:public_key": {"keys and hooks", report.Critical, true}, "read:public_key": {"keys and hooks", report.Medium, false},
	"admin:repo_hook": {"keys and hooks", report.Critical, true}, "write:repo_hook": {"keys and hooks", report.Critical, true}, "read:repo_hook": {"keys and hooks", report.Medium, false},
	"admin:org_hook": {"keys and hooks", report.Critical, true}, "admin:gpg_key": {"keys and hooks", report.High, true}, "admin:ssh_signing_key": {"keys and hooks", report.High, true},
	"write:packages": {"packages", report.High, true}, "delete:packages": {"packages", report.High, true}, "read:packages": {"packages", report.Medium, false},
	"user": {"user", report.High, true}, "read:user": {"user", report.Low, false}, "user:email": {"user", report.Medium, false}, "user:follow": {"user", report.Low, true},
	"gist": {"gists", report.High, true}, "codespace": {"codespaces", report.Critical, true}, "copilot": {"other", report.Medium, true},
	"read:audit_log": {"organization", report.Medium, false}, "notifications": {"user", report.Low, false}, "project": {"other", report.Medium, true},
}

// Categorize groups scopes by category, in a fixed order.
func Categorize(scopes []string) []Category {
	by := map[string]*Category{}
	for _, s := range scopes {
		c, ok := scopeClass[s]
		if !ok {
			c.cat = "other"
		}
		if by[c.cat] == nil {
			by[c.cat] = &Category{Category: c.cat}
		}
		by[c.cat].Scopes = append(by[c.cat].Scopes, s)
		by[c.cat].Write = by[c.cat].Write || c.write
	}
	out := []Category{}
	for _, name := range []string{"code", "organization", "keys and hooks", "packages", "codespaces", "gists", "user", "other"} {
		if c := by[name]; c != nil {
			sort.Strings(c.Scopes)
			out = append(out, *c)
		}
	}
	return out
}

// Risk rates what a classic token with these scopes can do; a scope keyir
// does not know counts as medium (unknown is not harmless).
func Risk(scopes []string) report.Severity {
	risk := report.Low
	for _, s := range scopes {
		c, ok := scopeClass[s]
		if !ok {
			c.risk = report.Medium
		}
		if slices.Index(report.Severities, c.risk) < slices.Index(report.Severities, risk) {
			risk = c.risk
		}
	}
	return risk
}

// Run takes the snapshot and records it as evidence.
func (a *Snapshot) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	token, t, where, err := leaked(env, a.Token)
	if err != nil {
		return nil, err
	}
	p := newPacer()
	l, err := probe(ctx, env, where, p, token, t)
	if err != nil {
		return nil, fmt.Errorf("snapshot of the leaked token: %w", err)
	}
	out := actions.Outputs{"live": l.Status == actions.StatusLive, "login": l.Login, "account_type": l.Type, "scopes": nonNil(l.Scopes),
		"categories": []Category{}, "risk": "", "expires_at": l.Expires, "repositories": []string{}, "api_url": where.apiURL()}
	if l.Status != actions.StatusLive {
		note(env, fmt.Sprintf("nothing to snapshot: the token %s at %s", describe(l), where))
		return out, nil
	}
	risk := "unknown"
	switch {
	case t.installation():
		repos, err := installationRepos(ctx, where.client(env, p, token))
		if err != nil {
			note(env, "the repositories the installation token reaches could not be read: "+err.Error())
		} else {
			out["repositories"] = repos
			if len(repos) > 0 {
				risk = string(report.High)
			}
		}
	case l.Scoped:
		cats := Categorize(l.Scopes)
		out["categories"] = cats
		risk = string(Risk(l.Scopes))
	}
	keys := map[string]string{}
	if !t.installation() {
		// Public keys carry no creation time; the account's own list does,
		// and only the token itself can read it (before it is revoked).
		c := where.client(env, p, token)
		list, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Key, *github.Response, error) {
			return c.Users.ListKeys(ctx, "", o)
		})
		if err != nil {
			note(env, "the SSH keys of the token's account could not be read with it: "+callErr("GET /user/keys", resp, err).Error())
		} else if over != "" {
			note(env, "the SSH keys of the token's account were not all read with it: GET /user/keys: "+over)
		}
		for _, k := range list {
			if at := k.GetCreatedAt().Time; !at.IsZero() {
				keys[fmt.Sprint(k.GetID())] = at.UTC().Format(time.RFC3339)
			}
		}
	}
	out["ssh_keys_created"] = keys
	out["risk"] = risk
	evidence(env, "snapshot", map[string]any{"kind": t.Kind.Kind, "fingerprint": t.Fingerprint, "api": where.String(), "login": l.Login,
		"account_type": l.Type, "scopes": l.Scopes, "expires_at": l.Expires, "risk": risk, "repositories": out["repositories"], "ssh_keys_created": keys})
	note(env, fmt.Sprintf("snapshot: %s, blast radius %s", liveText(t, l, where), risk))
	return out, nil
}

// installationRepos lists the repositories an installation token reaches.
func installationRepos(ctx context.Context, c *github.Client) ([]string, error) {
	list, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Repository, *github.Response, error) {
		l, resp, err := c.Apps.ListRepos(ctx, o)
		if l == nil {
			return nil, resp, err
		}
		return l.Repositories, resp, err
	})
	if err != nil {
		return nil, callErr("GET /installation/repositories", resp, err)
	}
	if over != "" {
		// A blast radius is never understated: what was not read is unknown.
		return nil, fmt.Errorf("GitHub GET /installation/repositories: %s", over)
	}
	out := []string{}
	for _, r := range list {
		out = append(out, r.GetFullName())
	}
	sort.Strings(out)
	return out, nil
}

var (
	_ actions.Action    = (*Snapshot)(nil)
	_ actions.Validator = (*Snapshot)(nil)
)
