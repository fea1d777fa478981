package ghtoken

import "encoding/json"
import "fmt"
import "regexp"
import "slices"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/report"

// ProviderName is GitHub's name in the registry and in plan items.
const ProviderName = "github"

// Plan item kinds are the persistence step's finding kinds.
const (
	KindSSHKey       = "github_ssh_key_added"
	KindDeployKey    = "github_deploy_key_added"
	KindWebhook      = "github_webhook_added"
	KindInvitation   = "github_member_invited"
	KindVisibility   = "github_visibility_changed"
	KindInstallation = "github_authorization_added"
)

// planItem is one GitHub item of eradication-plan.json. It names the
// resource (kind and ids); the request that removes it is rebuilt from
// those by removalOf, never taken from the file (Remove is written for
// people and other tools, and checked against the rebuilt one on reading).
type planItem struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	Subject  string `json:"subject"`
	Severity string `json:"severity"`
	// Org is the organization assessed (every item has it; the
	// organization's own webhooks and invitations are its); Repo the
	// repository "owner/name" (deploy keys, repository webhooks,
	// visibility); Login the account (SSH keys).
	Org        string `json:"org,omitempty"`
	Repo       string `json:"repo,omitempty"`
	Login      string `json:"login,omitempty"`
	ResourceID string `json:"resource_id,omitempty"`
	// API is the GitHub the run assessed (its API root): eradicate refuses
	// another, where the same ids name other resources or none.
	API string `json:"api,omitempty"`
	// Was is the repository's visibility in the baseline (visibility only).
	Was      string   `json:"was,omitempty"`
	Why      []string `json:"why"`
	Evidence []string `json:"evidence"`
	Remove   removal  `json:"remove"`
	// ByHand says why keyir cannot remove it and where a person can; ""
	// when keyir eradicate removes it with Remove.
	ByHand string `json:"by_hand,omitempty"`
}

// removal is the request that removes an item; Method "" when keyir
// cannot send one (ByHand says why).
type removal struct {
	Method string          `json:"method,omitempty"`
	Path   string          `json:"path,omitempty"`
	Body   json.RawMessage `json:"body,omitempty"`
}

var (
	repoNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`) })
	idRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{0,18}$`) })
)

// okRepo checks "owner/name" (neither part may be "." or ".." or hold a
// slash: the path is built from it).
func okRepo(full string) bool {
	owner, name, ok := strings.Cut(full, "/")
	return ok && orgRE().MatchString(owner) && repoNameRE().MatchString(name) && name != "." && name != ".."
}

// removalOf is the request that removes an item, rebuilt from its kind and
// ids (what GitHub lets an organization owner's token do), or why a person
// must do it. An item whose ids are malformed gets neither: it is refused.
func removalOf(it planItem) (rm removal, byHand string, err error) {
	bad := func(what string) (removal, string, error) {
		return removal{}, "", fmt.Errorf("%s: malformed %s in a %s item", it.ID, what, it.Kind)
	}
	needRepo := func() bool { return okRepo(it.Repo) }
	switch it.Kind {
	case KindDeployKey:
		if !needRepo() || !idRE().MatchString(it.ResourceID) {
			return bad("repository or key id")
		}
		return removal{Method: "DELETE", Path: "/repos/" + it.Repo + "/keys/" + it.ResourceID}, "", nil
	case KindWebhook:
		if !idRE().MatchString(it.ResourceID) {
			return bad("hook id")
		}
		if it.Repo != "" {
			if !needRepo() {
				return bad("repository")
			}
			return removal{Method: "DELETE", Path: "/repos/" + it.Repo + "/hooks/" + it.ResourceID}, "", nil
		}
		if !orgRE().MatchString(it.Org) {
			return bad("organization")
		}
		return removal{Method: "DELETE", Path: "/orgs/" + it.Org + "/hooks/" + it.ResourceID}, "", nil
	case KindInvitation:
		if !orgRE().MatchString(it.Org) || !idRE().MatchString(it.ResourceID) {
			return bad("organization or invitation id")
		}
		return removal{Method: "DELETE", Path: "/orgs/" + it.Org + "/invitations/" + it.ResourceID}, "", nil
	case KindVisibility:
		if !needRepo() {
			return bad("repository")
		}
		if it.Was != "private" {
			// Only a repository the baseline says was private is made
			// private again: any other change back is a person's call.
			return removal{}, fmt.Sprintf("the baseline says %s was %q, not private: change its visibility back by hand (the repository's settings, Danger Zone)", it.Repo, it.Was), nil
		}
		return removal{Method: "PATCH", Path: "/repos/" + it.Repo, Body: json.RawMessage(`{"private":true}`)}, "", nil
	case KindSSHKey:
		if !orgRE().MatchString(it.Login) || !idRE().MatchString(it.ResourceID) {
			return bad("login or key id")
		}
		return removal{}, fmt.Sprintf("an organization owner cannot delete a user's SSH key on github.com (DELETE /user/keys/%s takes %s's own token): ask %s to remove it in Settings → SSH and GPG keys", it.ResourceID, it.Login, it.Login), nil
	case KindInstallation:
		return removal{}, "uninstalling a GitHub App takes the app's own credentials (DELETE /app/installations/{id} needs its JWT), not an organization owner's token: uninstall " + it.Subject + " in the organization's settings, GitHub Apps → Configure → Uninstall", nil
	}
	return removal{}, "", fmt.Errorf("%s: keyir knows no GitHub item of kind %q", it.ID, it.Kind)
}

// checkItem refuses an item whose recorded request or by-hand reason is
// not the one rebuilt from its kind and ids: a plan names resources, never
// free-form requests.
func checkItem(it planItem) error {
	rm, byHand, err := removalOf(it)
	if err != nil {
		return err
	}
	if it.Remove.Method != rm.Method || it.Remove.Path != rm.Path || compactJSON(it.Remove.Body) != compactJSON(rm.Body) || it.ByHand != byHand {
		return fmt.Errorf("%s: its request %s %s is not keyir's removal of %s %q", it.ID, it.Remove.Method, it.Remove.Path, it.Kind, it.Subject)
	}
	return nil
}

// compactJSON is a JSON body without insignificant space ("" when none).
func compactJSON(b json.RawMessage) string {
	if len(b) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return "\x00invalid"
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// foothold is one item the persistence step reports.
type foothold struct {
	item  planItem // kind, subject and ids; id, request and why filled in by recordFootholds
	title string
}

// recordFootholds writes the step's footholds into the run's eradication
// plan (GitHub's items replaced, any other provider's kept: a composed run
// shares one plan) and records one finding each, citing its item. Outside
// a run the findings cite the inventory evidence only.
func recordFootholds(env *actions.Env, held []foothold, start, end time.Time, ref []string) (int, error) {
	items := make([]planItem, len(held))
	where, err := apiOf(env)
	if err != nil {
		return 0, err
	}
	for i, h := range held {
		it := h.item
		it.Provider, it.Severity, it.Why, it.Evidence, it.API = ProviderName, string(report.High), []string{h.title}, ref, where.base.String()
		rm, byHand, err := removalOf(it)
		if err != nil {
			return 0, err
		}
		it.Remove, it.ByHand = rm, byHand
		items[i] = it
	}
	org := ""
	if len(held) > 0 {
		org = held[0].item.Org
	}
	inRun, err := writePlan(env, org, items)
	if err != nil {
		return 0, err
	}
	for i, h := range held {
		it := items[i]
		ev := slices.Clone(ref)
		how := "keyir eradicate removes it with " + requestLine(it.Remove)
		if it.ByHand != "" {
			how = "remove it by hand: " + it.ByHand
		}
		if inRun {
			ev = append(ev, report.PlanRef(it.ID))
		}
		env.Finding(report.Finding{Kind: it.Kind, Subject: it.Subject, Severity: report.High, Title: h.title, Evidence: ev, ByHand: it.ByHand != "",
			Detail: fmt.Sprintf("Not in the baseline, or created inside the exposure window (%s to %s): unless someone on the team added it, %s.", start.Format(time.RFC3339), end.Format(time.RFC3339), how)})
	}
	return len(held), nil
}

// writePlan gives the items ids unique in the run's plan and writes them
// there, replacing GitHub's items of the same organization (a resumed step
// rewrites its own; another key's step for another organization keeps
// its). An item already planned for the same resource keeps its id. inRun
// is false outside a run (nothing written, ids empty).
func writePlan(env *actions.Env, org string, items []planItem) (inRun bool, err error) {
	w, ok := env.Recorder.(planfile.RunFileWriter)
	if !ok || env.Dir == "" || len(items) == 0 {
		return false, nil
	}
	f, _, err := planfile.Read(env.Dir)
	if err != nil {
		return false, err
	}
	key := func(it planItem) string {
		return strings.Join([]string{it.Kind, it.Org, it.Repo, it.Login, it.ResourceID}, "\x00")
	}
	old := map[string]string{}
	mine := map[string]bool{} // ids of the items this step replaces
	for _, raw := range f.Of(ProviderName) {
		var it planItem
		if json.Unmarshal(raw, &it) == nil && strings.EqualFold(it.Org, org) {
			old[key(it)] = it.ID
			mine[it.ID] = true
		}
	}
	replace := func(h planfile.Head) bool { return mine[h.ID] }
	ids := planfile.NewIDs(f, ProviderName, replace)
	raws := make([]json.RawMessage, len(items))
	for i := range items {
		// An item that comes with its id (an eradication's item still
		// open keeps the parent's) keeps it; one already planned too.
		if items[i].ID != "" && ids.Reserve(items[i].ID) {
			if raws[i], err = json.Marshal(items[i]); err != nil {
				return false, err
			}
			continue
		}
		if id, ok := old[key(items[i])]; !ok || !ids.Reserve(id) {
			items[i].ID = ids.New()
		} else {
			items[i].ID = id
		}
		if raws[i], err = json.Marshal(items[i]); err != nil {
			return false, err
		}
	}
	note := fmt.Sprintf("eradication plan: %s from GitHub", report.Count(len(items), "foothold", "footholds"))
	return true, planfile.Replace(w, f, ProviderName, replace, raws, env.RunID, env.Incident, env.Clock()(), note)
}

// requestLine is a removal as one line.
func requestLine(rm removal) string {
	s := rm.Method + " " + rm.Path
	if b := compactJSON(rm.Body); b != "" {
		s += " " + b
	}
	return s
}
