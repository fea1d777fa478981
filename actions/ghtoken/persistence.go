package ghtoken

import "context"
import "fmt"
import "maps"
import "slices"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// persistenceInfo declares github.persistence; provider.go registers it.
var persistenceInfo = actions.Info{
	Name:    "github.persistence",
	Summary: "Look for footholds the token's holder may have left in the organization: SSH keys, deploy keys, webhooks, app installations, invitations, visibility changes (needs GITHUB_TOKEN)",
	Outputs: []actions.Output{
		actions.AssessedOutput,
		{Name: "findings", Type: actions.TypeInt, Description: "footholds reported"},
		{Name: "not_assessable", Type: actions.TypeList, Description: "surfaces that could not be assessed, and why"},
	},
	New: func() actions.Action { return new(Persistence) },
}

// Persistence diffs the organization against a baseline.
type Persistence struct {
	Org      string `param:"org" desc:"the organization to assess"`
	Login    string `param:"login" desc:"the account the token acted as: its SSH keys are checked (default: what github.token_liveness recorded)"`
	Baseline string `param:"baseline" desc:"file written by 'keyir inventory save --github-org ORG'; only items not in it are findings"`
	actions.Window
}

// Validate checks the org, the login and the window.
func (a *Persistence) Validate() error {
	if a.Login != "" && !orgRE().MatchString(a.Login) && !strings.HasSuffix(a.Login, "[bot]") {
		return &actions.ParamError{Param: "login", Msg: "not a GitHub login"}
	}
	return checkOrgWindow(a.Org, a.Window)
}

// judge decides which items are footholds: with a trusted baseline, those
// not in it; without one (or with one taken inside the window), those
// created inside the window. An item without a creation time and no
// baseline cannot be judged.
type judge struct {
	base         map[string]bool
	haveBase     bool
	tainted      bool
	start, end   time.Time
	unjudgeable  int
	unjudgedWhat map[string]bool
}

func (j *judge) new(surface, key string, it Item) bool {
	inWindow := !it.Created.IsZero() && !it.Created.Before(j.start) && !it.Created.After(j.end)
	switch {
	case j.haveBase && !j.base[key]:
		return true
	case j.haveBase && !j.tainted:
		return false
	case inWindow:
		return true
	case it.Created.IsZero() && !j.haveBase:
		j.unjudgeable++
		j.unjudgedWhat[surface] = true
	}
	return false
}

// Run reads the organization and reports what is new.
func (a *Persistence) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	out := actions.Outputs{"assessed": false, "findings": 0, "not_assessable": []string{}}
	start, end := a.Bounds(env)
	var b *Baseline
	if strings.TrimSpace(a.Baseline) != "" {
		var err error
		if b, err = LoadBaseline(a.Baseline); err != nil {
			return out, err
		}
		if a.Org != "" && !strings.EqualFold(b.Org, a.Org) {
			return out, fmt.Errorf("the baseline was taken of organization %s, not %s: take one of this organization with `keyir inventory save --github-org %s FILE`", b.Org, a.Org, a.Org)
		}
		if where, err := apiOf(env); err == nil && !where.same(b.API) {
			return out, fmt.Errorf("the baseline was read at %s, not %s (other ids: every item would look new): take one there with `keyir inventory save --github-org %s FILE`", b.API, where, b.Org)
		}
	}
	c, _, ok := responderFor(env, a.Org, "persistence")
	if !ok {
		return out, nil
	}
	login := a.Login
	if login == "" {
		// The account the token acted as, as an earlier step recorded it.
		login = earlier(env, "github.token_liveness", "login")
	}
	var logins []string
	if login != "" {
		logins = []string{login}
	}
	now, err := collect(ctx, env, c, a.Org, logins)
	if err != nil {
		return out, err
	}
	snapshotKeyTimes(env, now.SSHKeys[login])
	j := &judge{base: map[string]bool{}, haveBase: b != nil, start: start, end: end, unjudgedWhat: map[string]bool{}}
	if b != nil {
		j.tainted = !b.TakenAt.Before(start) && !b.TakenAt.After(end)
		for k := range keysOf(b.Inventory) {
			j.base[k] = true
		}
		if j.tainted {
			env.Finding(report.Finding{
				Kind: "baseline.inside_window", Severity: report.High,
				Title:  "The baseline may already contain the attacker's changes",
				Detail: fmt.Sprintf("The baseline was taken %s, inside the exposure window (%s to %s): items created inside the window are reported even when it lists them; items without a creation time (SSH keys, visibility) it lists were not. Take baselines ahead of time.", b.TakenAt.UTC().Format(time.RFC3339), start.Format(time.RFC3339), end.Format(time.RFC3339)),
			})
		}
	}
	ref := evidence(env, "inventory", now)
	var held []foothold
	add := func(title string, it planItem) {
		it.Org = a.Org
		held = append(held, foothold{item: it, title: title})
	}
	for _, h := range now.OrgHooks {
		if j.new(surfOrgHooks, "org_hook:"+h.ID, h) {
			add(fmt.Sprintf("Organization webhook %s to %s", h.ID, h.Name), planItem{Kind: KindWebhook, Subject: a.Org + "/hooks/" + h.ID, ResourceID: h.ID})
		}
	}
	for _, full := range slices.Sorted(maps.Keys(now.Repos)) {
		r := now.Repos[full]
		for _, h := range r.Hooks {
			if j.new(surfRepos, "repo_hook:"+full+"/"+h.ID, h) {
				add(fmt.Sprintf("Webhook %s of %s to %s", h.ID, full, h.Name), planItem{Kind: KindWebhook, Subject: full + "/hooks/" + h.ID, Repo: full, ResourceID: h.ID})
			}
		}
		for _, k := range r.DeployKeys {
			if j.new(surfRepos, "deploy_key:"+full+"/"+k.ID, k) {
				add(fmt.Sprintf("Deploy key %q of %s", k.Name, full), planItem{Kind: KindDeployKey, Subject: full + "/" + k.ID, Repo: full, ResourceID: k.ID})
			}
		}
		if b == nil {
			j.unjudgedWhat["visibility"] = true
		} else if old, ok := b.Repos[full]; ok && old.Visibility != r.Visibility {
			add(fmt.Sprintf("%s changed from %s to %s", full, old.Visibility, r.Visibility), planItem{Kind: KindVisibility, Subject: full, Repo: full, Was: old.Visibility})
		}
	}
	for _, i := range now.Invitations {
		if j.new(surfInvitations, "invitation:"+i.ID, i) {
			add(fmt.Sprintf("Pending invitation of %s to %s", i.Name, a.Org), planItem{Kind: KindInvitation, Subject: i.Name, ResourceID: i.ID})
		}
	}
	for _, i := range now.Installations {
		if j.new(surfInstallations, "installation:"+i.ID, i) {
			add(fmt.Sprintf("App %s installed in %s", i.Name, a.Org), planItem{Kind: KindInstallation, Subject: i.Name, ResourceID: i.ID})
		}
	}
	for _, login := range slices.Sorted(maps.Keys(now.SSHKeys)) {
		kj := j
		if _, ok := b.sshKeysOf(login); b != nil && !ok {
			// Not a member when the baseline was taken: it vouches for
			// none of the account's keys.
			alone := *j
			alone.haveBase = false
			kj = &alone
		}
		for _, k := range now.SSHKeys[login] {
			if kj.new(surfSSHKeys, "ssh_key:"+login+"/"+k.ID, k) {
				add(fmt.Sprintf("SSH key %s of %s", k.ID, login), planItem{Kind: KindSSHKey, Subject: login + "/" + k.ID, Login: login, ResourceID: k.ID})
			}
		}
	}
	found, err := recordFootholds(env, held, start, end, ref)
	if err != nil {
		return out, err
	}
	var unread []string
	for _, s := range slices.Sorted(maps.Keys(now.Unread)) {
		unread = append(unread, s+": "+now.Unread[s])
		notAssessable(env, s, now.Unread[s])
	}
	if login == "" {
		unread = append(unread, surfSSHKeys+": the token's account is unknown")
		notAssessable(env, surfSSHKeys, "the account the token acted as is unknown (it was not live when checked), so its SSH keys were not read")
	}
	for _, s := range slices.Sorted(maps.Keys(j.unjudgedWhat)) {
		unread = append(unread, s+": no baseline")
		notAssessable(env, s, "no baseline was given and GitHub gives these items no creation time, so new ones cannot be told from old ones; take a baseline ahead of time with `keyir inventory save --github-org ORG FILE`")
	}
	out["assessed"], out["findings"], out["not_assessable"] = true, found, nonNil(unread)
	return out, nil
}

// snapshotKeyTimes gives the account's SSH keys the creation times the
// snapshot step read with the token itself (the public list has none), so
// they can be judged by the window.
func snapshotKeyTimes(env *actions.Env, keys []Item) {
	m, _ := earlierOutput(env, "github.snapshot_token", "ssh_keys_created").(map[string]any)
	for i := range keys {
		if s, ok := m[keys[i].ID].(string); ok && keys[i].Created.IsZero() {
			keys[i].Created, _ = time.Parse(time.RFC3339, s)
		}
	}
}

// sshKeysOf is the baseline's SSH keys of login, if it read them.
func (b *Baseline) sshKeysOf(login string) ([]Item, bool) {
	if b == nil {
		return nil, false
	}
	k, ok := b.SSHKeys[login]
	return k, ok
}

// keysOf names every item of an inventory the way Run looks them up.
func keysOf(inv Inventory) map[string]bool {
	m := map[string]bool{}
	for _, h := range inv.OrgHooks {
		m["org_hook:"+h.ID] = true
	}
	for full, r := range inv.Repos {
		for _, h := range r.Hooks {
			m["repo_hook:"+full+"/"+h.ID] = true
		}
		for _, k := range r.DeployKeys {
			m["deploy_key:"+full+"/"+k.ID] = true
		}
	}
	for _, i := range inv.Invitations {
		m["invitation:"+i.ID] = true
	}
	for _, i := range inv.Installations {
		m["installation:"+i.ID] = true
	}
	for login, keys := range inv.SSHKeys {
		for _, k := range keys {
			m["ssh_key:"+login+"/"+k.ID] = true
		}
	}
	return m
}

var (
	_ actions.Action    = (*Persistence)(nil)
	_ actions.Validator = (*Persistence)(nil)
)
