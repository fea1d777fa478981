package ghtoken

import "context"
import "fmt"
import "net/http"
import "slices"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"

// The responder's own token (GITHUB_TOKEN) is optional: without it a run
// still revokes the leaked token and proves it dead, and its assessment
// steps say "not assessable". So doctor checks it as a line of its own,
// and one not set is a warning that says what the run will not see.

// requiredScopes lists, per action, the classic OAuth scopes the
// responder's token needs (the calls activity.go and persistence.go make):
// the audit log needs read:audit_log; the persistence surfaces the
// organization's members, invitations and installations (read:org), its
// hooks (admin:org_hook), its repositories' hooks and deploy keys
// (read:repo_hook, repo: private repositories) and users' SSH keys
// (read:public_key). The other actions use the leaked token, or none.
var requiredScopes = map[string][]string{
	"github.activity":    {"read:audit_log"},
	"github.persistence": {"admin:org_hook", "read:org", "read:public_key", "read:repo_hook", "repo"},
}

// impliedBy are the broader scopes that grant a required one (GitHub's
// scope hierarchy: admin:org includes write:org, which includes read:org).
var impliedBy = map[string][]string{
	"read:org":        {"write:org", "admin:org"},
	"read:public_key": {"write:public_key", "admin:public_key"},
	"read:repo_hook":  {"write:repo_hook", "admin:repo_hook"},
}

// doctor is GitHub's provider.Doctor.
var doctor = &provider.Doctor{
	Credential: "the responder token (" + EnvToken + ")",
	Needs:      provider.NeedsOf(requiredScopes),
	Check:      Doctor,
	Optional:   true,
}

// Doctor checks that GitHub (a GITHUB_API_URL given) answers and, when the
// responder's token is set, that GitHub accepts it (GET /user) and that its
// X-OAuth-Scopes hold needed. A token not set, or one GitHub lists no
// scopes for (fine-grained), is a *provider.DoctorWarning.
func Doctor(ctx context.Context, env *actions.Env, needed []string) (missing, excess []string, err error) {
	a, err := apiOf(env)
	if err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(env.Lookup(EnvToken)) == "" && strings.TrimSpace(env.Lookup(EnvToken+"_FILE")) == "" {
		// Without a token only a GITHUB_API_URL given is worth a request
		// (an Enterprise Server's address, a typo); github.com is not asked.
		answers := ""
		if strings.TrimSpace(env.Lookup(EnvAPIURL)) != "" {
			if err := reachable(ctx, env, a); err != nil {
				return nil, nil, err
			}
			answers = a.String() + " answers; "
		}
		return nil, nil, &provider.DoctorWarning{Detail: fmt.Sprintf("%s%s is not set: a run revokes the leaked token and proves it dead, but cannot read the organization's audit log (what the token did) or look for what it left behind (SSH keys, deploy keys, webhooks, invitations): those steps say not assessable", answers, EnvToken)}
	}
	tok, err := env.Credential(EnvToken)
	if err != nil {
		return nil, nil, err
	}
	l, err := probe(ctx, env, a, newPacer(), tok, Token{})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", EnvToken, err)
	}
	if l.Status != actions.StatusLive {
		return nil, nil, fmt.Errorf("%s refuses %s (GET /user answered %d): the assessment steps would fail", a, EnvToken, l.HTTP)
	}
	if !l.Scoped {
		return nil, nil, &provider.DoctorWarning{Detail: fmt.Sprintf("%s accepts %s (%s), but lists no scopes for it (a fine-grained token): its permissions cannot be checked; a step it cannot read for says so", a, EnvToken, l.Login)}
	}
	want := map[string]bool{}
	for _, s := range needed {
		want[s] = true
		ok := slices.Contains(l.Scopes, s)
		for _, broader := range impliedBy[s] {
			if slices.Contains(l.Scopes, broader) {
				want[broader], ok = true, true
			}
		}
		if !ok {
			missing = append(missing, s)
		}
	}
	for _, s := range l.Scopes {
		if !want[s] {
			excess = append(excess, s)
		}
	}
	return missing, excess, nil
}

// reachable asks the API root without a token: any answer is GitHub's.
func reachable(ctx context.Context, env *actions.Env, a api) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base.String(), nil)
	if err != nil {
		return err
	}
	resp, err := env.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s does not answer (%s): %w", a, EnvAPIURL, err)
	}
	resp.Body.Close()
	return nil
}
