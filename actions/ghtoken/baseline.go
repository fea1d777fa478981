package ghtoken

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "maps"
import "slices"
import "sort"
import "strings"
import "time"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/safefile"

// Baseline is what an organization holds, saved ahead of time (`keyir
// inventory save --github-org ORG FILE`): the persistence step reports what
// is not in it. Items are named by the ids GitHub gives them.
type Baseline struct {
	Version  int       `json:"version"`
	Provider string    `json:"provider"` // "github": a SendGrid baseline is refused
	TakenAt  time.Time `json:"taken_at"`
	API      string    `json:"api"`
	Org      string    `json:"org"`
	Inventory
}

// Inventory is one reading of an organization's persistence surfaces.
type Inventory struct {
	OrgHooks      []Item            `json:"org_hooks"`
	Repos         map[string]Repo   `json:"repos"`
	Invitations   []Item            `json:"invitations"`
	Installations []Item            `json:"installations"`
	SSHKeys       map[string][]Item `json:"ssh_keys"` // by login
	// Unread names each surface that could not be read, and why.
	Unread map[string]string `json:"unread,omitempty"`
}

// Item is one thing on a surface.
type Item struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created_at,omitzero"`
}

// Repo is one repository's visibility and footholds.
type Repo struct {
	Visibility string `json:"visibility"`
	Hooks      []Item `json:"hooks"`
	DeployKeys []Item `json:"deploy_keys"`
}

const (
	baselineVersion = 1
	maxBaseline     = 32 << 20
	// maxRepos and maxMembers bound one reading (each repository costs two
	// requests, each member one).
	maxRepos   = 300
	maxMembers = 300
)

// Surfaces, as named in findings and Unread.
const (
	surfOrgHooks      = "org_hooks"
	surfRepos         = "repositories"
	surfInvitations   = "invitations"
	surfInstallations = "installations"
	surfSSHKeys       = "ssh_keys"
)

// collect reads the organization's surfaces with the responder's client,
// and the SSH keys of the given logins. A surface that cannot be read is
// recorded in Unread, never taken for empty.
//
// Only a refusal of the surface (403, 404: a scope or a plan the responder
// lacks) is recorded as unread; any other failure (the responder token
// refused, GitHub failing after the retries) is returned: the step fails
// rather than report a partial reading as an assessment.
func collect(ctx context.Context, env *actions.Env, c *github.Client, org string, logins []string) (Inventory, error) {
	inv := Inventory{Repos: map[string]Repo{}, SSHKeys: map[string][]Item{}, Unread: map[string]string{}}
	var failed error
	miss := func(surface, what string, resp *github.Response, err error) {
		if st := statusOf(resp, err); st != 403 && st != 404 {
			if failed == nil {
				failed = callErr(what+" with the responder token", resp, err)
			}
			return
		}
		inv.Unread[surface] = callErr(what, resp, err).Error()
	}
	// partial records a listing cut short (listAll's over): what was read
	// is kept, and the surface is not assessable, never taken for what its
	// first pages held.
	partial := func(surface, what, over string) {
		if over != "" {
			inv.Unread[surface] = fmt.Sprintf("GitHub %s: %s", what, over)
		}
	}
	progress(env, "reading the organization's webhooks")
	hooks, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Hook, *github.Response, error) {
		return c.Organizations.ListHooks(ctx, org, o)
	})
	if err != nil {
		miss(surfOrgHooks, "GET /orgs/"+org+"/hooks", resp, err)
	} else {
		partial(surfOrgHooks, "GET /orgs/"+org+"/hooks", over)
		for _, h := range hooks {
			inv.OrgHooks = append(inv.OrgHooks, Item{ID: fmt.Sprint(h.GetID()), Name: h.GetConfig().GetURL(), Created: h.GetCreatedAt().Time})
		}
	}
	repos, over, resp, err := listAll(maxRepos, func(o *github.ListOptions) ([]*github.Repository, *github.Response, error) {
		return c.Repositories.ListByOrg(ctx, org, &github.RepositoryListByOrgOptions{Type: "all", ListOptions: *o})
	})
	switch {
	case err != nil:
		miss(surfRepos, "GET /orgs/"+org+"/repos", resp, err)
	case len(repos) == maxRepos && over != "":
		// The repositories read are still read: a baseline may be saved.
		inv.Unread[surfRepos] = fmt.Sprintf("more than %d repositories: the rest were not read", maxRepos)
	default:
		partial(surfRepos, "GET /orgs/"+org+"/repos", over)
	}
	for n, r := range repos {
		owner, name := r.GetOwner().GetLogin(), r.GetName()
		progress(env, fmt.Sprintf("reading repository %d: %s/%s", n+1, owner, name))
		repo := Repo{Visibility: r.GetVisibility()}
		if repo.Visibility == "" {
			repo.Visibility = map[bool]string{true: "private", false: "public"}[r.GetPrivate()]
		}
		full := owner + "/" + name
		hooks, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Hook, *github.Response, error) {
			return c.Repositories.ListHooks(ctx, owner, name, o)
		})
		if err != nil {
			miss("hooks of "+full, "GET /repos/"+full+"/hooks", resp, err)
		} else {
			partial("hooks of "+full, "GET /repos/"+full+"/hooks", over)
			for _, h := range hooks {
				repo.Hooks = append(repo.Hooks, Item{ID: fmt.Sprint(h.GetID()), Name: h.GetConfig().GetURL(), Created: h.GetCreatedAt().Time})
			}
		}
		keys, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Key, *github.Response, error) {
			return c.Repositories.ListKeys(ctx, owner, name, o)
		})
		if err != nil {
			miss("deploy keys of "+full, "GET /repos/"+full+"/keys", resp, err)
		} else {
			partial("deploy keys of "+full, "GET /repos/"+full+"/keys", over)
			for _, k := range keys {
				repo.DeployKeys = append(repo.DeployKeys, Item{ID: fmt.Sprint(k.GetID()), Name: k.GetTitle(), Created: k.GetCreatedAt().Time})
			}
		}
		inv.Repos[full] = repo
	}
	invs, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Invitation, *github.Response, error) {
		return c.Organizations.ListPendingOrgInvitations(ctx, org, o)
	})
	if err != nil {
		miss(surfInvitations, "GET /orgs/"+org+"/invitations", resp, err)
	} else {
		partial(surfInvitations, "GET /orgs/"+org+"/invitations", over)
		for _, i := range invs {
			who := i.GetLogin()
			if who == "" {
				who = i.GetEmail()
			}
			inv.Invitations = append(inv.Invitations, Item{ID: fmt.Sprint(i.GetID()), Name: who, Created: i.GetCreatedAt().Time})
		}
	}
	insts, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Installation, *github.Response, error) {
		list, resp, err := c.Organizations.ListInstallations(ctx, org, o)
		if list == nil {
			return nil, resp, err
		}
		return list.Installations, resp, err
	})
	if err != nil {
		miss(surfInstallations, "GET /orgs/"+org+"/installations", resp, err)
	} else {
		partial(surfInstallations, "GET /orgs/"+org+"/installations", over)
		for _, i := range insts {
			inv.Installations = append(inv.Installations, Item{ID: fmt.Sprint(i.GetID()), Name: i.GetAppSlug(), Created: i.GetCreatedAt().Time})
		}
	}
	for _, login := range logins {
		keys, over, resp, err := listAll(maxListItems, func(o *github.ListOptions) ([]*github.Key, *github.Response, error) {
			return c.Users.ListKeys(ctx, login, o)
		})
		if err != nil {
			miss(surfSSHKeys, "GET /users/"+login+"/keys", resp, err)
			continue
		}
		partial(surfSSHKeys, "GET /users/"+login+"/keys", over)
		items := []Item{}
		for _, k := range keys {
			items = append(items, Item{ID: fmt.Sprint(k.GetID()), Name: k.GetTitle(), Created: k.GetCreatedAt().Time})
		}
		inv.SSHKeys[login] = items
	}
	return inv, failed
}

// members lists the organization's members (bounded), whose SSH keys a
// baseline records.
func members(ctx context.Context, c *github.Client, org string) ([]string, error) {
	// Members past the bound (or a pagination that never ends) are left
	// out: their SSH keys are then judged as if no baseline had been taken.
	users, _, resp, err := listAll(maxMembers, func(o *github.ListOptions) ([]*github.User, *github.Response, error) {
		return c.Organizations.ListMembers(ctx, org, &github.ListMembersOptions{ListOptions: *o})
	})
	if err != nil {
		return nil, callErr("GET /orgs/"+org+"/members", resp, err)
	}
	var out []string
	for _, u := range users {
		out = append(out, u.GetLogin())
	}
	sort.Strings(out)
	return out, nil
}

// SaveBaseline reads the organization with the responder's token
// (GITHUB_TOKEN) and writes the baseline to path, mode 0600, atomically.
// A baseline missing the repositories would make every hook look new next
// time, so a failure there refuses to save.
func SaveBaseline(ctx context.Context, env *actions.Env, org, path string) (*Baseline, error) {
	if !orgRE().MatchString(org) {
		return nil, fmt.Errorf("--github-org: not a GitHub organization name")
	}
	where, c, err := responderAPI(env)
	if err != nil {
		return nil, err
	}
	logins, err := members(ctx, c, org)
	if err != nil {
		return nil, fmt.Errorf("baseline not saved: %w", err)
	}
	now := env.Clock()
	inv, err := collect(ctx, env, c, org, logins)
	if err != nil {
		return nil, fmt.Errorf("baseline not saved: %w", err)
	}
	b := &Baseline{Version: baselineVersion, Provider: "github", TakenAt: now().UTC(), API: where.base.String(), Org: org, Inventory: inv}
	if why, ok := b.Unread[surfRepos]; ok && !strings.HasPrefix(why, "more than") {
		return nil, fmt.Errorf("baseline not saved: the repositories could not be read: %s", why)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return b, safefile.WriteAtomic(path, append(data, '\n'), 0o600)
}

// LoadBaseline reads a GitHub baseline; another provider's is refused.
func LoadBaseline(path string) (*Baseline, error) {
	raw, err := safefile.ReadFile(path, maxBaseline)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	if b.Provider != "github" {
		return nil, errors.New("baseline " + path + " is not a GitHub baseline (take one with `keyir inventory save --github-org ORG FILE`)")
	}
	return &b, nil
}

// UnreadSurfaces lists what a baseline could not read, and why, sorted: the
// CLI warns of each (a surface missing from a baseline makes all of its
// items look new next time).
func UnreadSurfaces(b *Baseline) []string {
	var out []string
	for _, s := range slices.Sorted(maps.Keys(b.Unread)) {
		out = append(out, s+": "+b.Unread[s])
	}
	return out
}
