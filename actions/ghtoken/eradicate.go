package ghtoken

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "net/http"
import "slices"
import "strconv"
import "strings"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/report"

// eradicateInfo declares github.eradicate; provider.go registers it.
var eradicateInfo = actions.Info{
	Name:    "github.eradicate",
	Summary: "Remove the GitHub footholds of a sealed run's eradication plan with the responder's token (GITHUB_TOKEN, an organization owner's), each idempotently (a 404 is already gone only when the listing it was found in, read with the same token, does not hold it), and read each back to prove it is gone",
	Mutates: true,
	Outputs: planfile.EradicateOutputs,
	New:     func() actions.Action { return new(Eradicate) },
}

// Eradicate carries out GitHub's items of a parent run's plan. Items keyir
// cannot remove (a user's SSH key, an app installation) are never
// selected: `keyir eradicate` names only removable ones, and an item named
// here that is not is refused.
type Eradicate struct {
	planfile.Parent
}

// Validate checks the parameters' shape.
func (a *Eradicate) Validate() error {
	if param, err := a.Check(); err != nil {
		return &actions.ParamError{Param: param, Msg: err.Error()}
	}
	return nil
}

// Run removes each item, then reads it back.
func (a *Eradicate) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	raws, err := a.Items(ProviderName)
	if err != nil {
		return nil, err
	}
	var items []planItem
	for _, raw := range raws {
		it, err := decodeItem(raw)
		if err != nil {
			return nil, err
		}
		if it.ByHand != "" {
			if len(a.Only) > 0 {
				return nil, fmt.Errorf("%s cannot be removed by keyir: %s", it.ID, it.ByHand)
			}
			continue // left to a person; the parent's plan says how
		}
		items = append(items, it)
	}
	c, err := responderOfItems(env, items)
	if err != nil {
		return nil, err
	}
	var tally planfile.Tally
	var left []planItem
	var leftF, done []report.Finding
	for i, it := range items {
		progress(env, fmt.Sprintf("item %d of %d: %s %s", i+1, len(items), it.Kind, it.Subject))
		r := removeOne(ctx, c, it)
		ref := evidence(env, "eradicate_item", r)
		if err := ctx.Err(); err != nil {
			// Interrupted: nothing is concluded from this attempt; a
			// resume runs the step again and finds what was removed gone.
			return nil, err
		}
		tally.Count(r)
		f := r.Finding(it.Severity, ref)
		if planfile.Settled(r.Outcome) {
			done = append(done, f)
			continue
		}
		// Still there: it goes into this run's own plan (what is left),
		// under the parent's id.
		it.Why = append(slices.Clone(it.Why), "not removed by the eradication: "+r.Detail)
		it.Evidence = append(slices.Clone(it.Evidence), ref...)
		left = append(left, it)
		leftF = append(leftF, f)
	}
	// Findings only once every item is settled, so an interrupted attempt
	// leaves none behind for the resume to contradict.
	for _, f := range done {
		env.Finding(f)
	}
	if len(left) > 0 {
		inRun, err := writePlan(env, left[0].Org, left)
		for i, f := range leftF {
			if inRun && err == nil {
				f.Evidence = append(f.Evidence, report.PlanRef(left[i].ID))
			}
			env.Finding(f)
		}
		if err != nil {
			return nil, err
		}
	}
	return tally.Outputs(), nil
}

// responderOfItems is the responder's client of the API GITHUB_API_URL names,
// refused when the items were found at another API (their ids name other
// resources there) or without the responder's token. It sends nothing: the
// eradicator's Check runs it before the operator is asked, the step again
// when it runs.
func responderOfItems(env *actions.Env, items []planItem) (*github.Client, error) {
	where, c, err := responderAPI(env)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if !where.same(it.API) {
			return nil, fmt.Errorf("%s was found at %s, and %s names %s: its ids name other resources there (or none, and a 404 would read as already gone); set %s to %s", it.ID, it.API, EnvAPIURL, where, EnvAPIURL, strings.TrimSuffix(it.API, "/"))
		}
	}
	return c, nil
}

// checkEradication is the eradicator's Check: responderOfItems of the plan's
// items keyir removes.
func checkEradication(_ context.Context, env *actions.Env, _ string, raw []json.RawMessage) error {
	var items []planItem
	for _, r := range raw {
		it, err := decodeItem(r)
		if err != nil {
			return err
		}
		if it.ByHand == "" {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil
	}
	_, err := responderOfItems(env, items)
	return err
}

// responderAPI is the API GITHUB_API_URL names and the responder's client
// of it.
func responderAPI(env *actions.Env) (api, *github.Client, error) {
	where, err := apiOf(env)
	if err != nil {
		return where, nil, err
	}
	c, err := where.responder(env, newPacer())
	return where, c, err
}

// decodeItem reads one GitHub item and checks it (checkItem).
func decodeItem(raw json.RawMessage) (planItem, error) {
	var it planItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return planItem{}, fmt.Errorf("%s: %w", report.PlanFile, err)
	}
	it.Provider = ProviderName
	return it, checkItem(it)
}

// removeOne sends the item's removal (rebuilt, never the file's) and reads
// the item back.
func removeOne(ctx context.Context, c *github.Client, it planItem) planfile.ItemResult {
	rm, _, _ := removalOf(it) // checked when the item was read
	r := planfile.ItemResult{ID: it.ID, Kind: it.Kind, Subject: it.Subject, Request: requestLine(rm)}
	if rm.Method == http.MethodPatch {
		// A repository made private again answers 200 to every PATCH:
		// read it first, so a second eradication records it as already
		// gone.
		if present, err := stillPresent(ctx, c, it); err == nil && !present {
			r.Outcome, r.Detail, r.ReadBack = planfile.OutcomeAlreadyGone, "already private before the request", "gone"
			return r
		}
	}
	var body any
	if len(rm.Body) > 0 {
		body = json.RawMessage(compactJSON(rm.Body))
	}
	req, err := c.NewRequest(rm.Method, strings.TrimPrefix(rm.Path, "/"), body)
	if err != nil {
		r.Outcome, r.Detail = planfile.OutcomeFailed, err.Error()
		return r
	}
	resp, err := c.Do(ctx, req, nil)
	st := statusOf(resp, err)
	r.Status = st
	switch {
	case isDryRun(err):
		r.Outcome, r.Detail = planfile.OutcomePlanned, "dry run: the request was refused at the transport and recorded as a planned change"
		return r
	case st == http.StatusNotFound:
		return goneOn404(ctx, c, it, r)
	case st == http.StatusForbidden || st == http.StatusUnauthorized:
		r.Outcome = planfile.OutcomeRefused
		r.Detail = callErr(rm.Method+" "+rm.Path, resp, err).Error() + ": the responder token may not remove it (an organization owner's token with the scope it needs, or remove it by hand)"
		return r
	case err != nil:
		r.Outcome, r.Detail = planfile.OutcomeFailed, callErr(rm.Method+" "+rm.Path, resp, err).Error()
		return r
	}
	r.Outcome, r.Detail = planfile.OutcomeRemoved, strconv.Itoa(st)
	// Read it back: only an item keyir sees gone counts as removed.
	present, err := stillPresent(ctx, c, it)
	switch {
	case err != nil:
		r.ReadBack = "could not read back: " + err.Error()
		r.Outcome, r.Detail = planfile.OutcomeFailed, r.Detail+"; "+r.ReadBack
	case present:
		r.ReadBack = "still present"
		r.Outcome, r.Detail = planfile.OutcomeStillThere, r.Detail+"; read back: still present"
	default:
		r.ReadBack = "gone"
	}
	return r
}

// goneOn404 settles an item whose removal answered 404. GitHub answers 404
// to a token that may not see a repository (or an organization's admin
// listing) as to a resource that is gone, so the 404 alone proves nothing:
// the item is already gone only when the listing the assessment read
// answers the same token and does not hold it. Otherwise it stays open,
// saying why (a planfile outcome that is not settled).
func goneOn404(ctx context.Context, c *github.Client, it planItem, r planfile.ItemResult) planfile.ItemResult {
	present, err := stillPresent(ctx, c, it)
	var nv *notVisibleError
	switch {
	case errors.As(err, &nv):
		r.ReadBack = "could not read back: " + err.Error()
		r.Outcome, r.Detail = planfile.OutcomeRefused, "404 to the removal, and "+err.Error()+"; it stays open: eradicate with a token of an organization owner that can see it, or remove it by hand"
	case err != nil:
		r.ReadBack = "could not read back: " + err.Error()
		r.Outcome, r.Detail = planfile.OutcomeFailed, "404 to the removal; "+r.ReadBack
	case present:
		r.ReadBack = "still present"
		r.Outcome, r.Detail = planfile.OutcomeStillThere, "404 to the removal; read back: still present"
	default:
		r.ReadBack = "gone"
		r.Outcome, r.Detail = planfile.OutcomeAlreadyGone, "404: it no longer exists (read back: not in the listing, which the responder's token can read)"
	}
	return r
}

// notVisibleError is a read-back listing that answered 404: the
// responder's token cannot see what holds the item (or it no longer
// exists; GitHub does not say which), so nothing is proven gone.
type notVisibleError struct{ what string }

func (e *notVisibleError) Error() string {
	return "not verifiable: the responder cannot see " + e.what + " (its listing answered 404, GitHub's answer to a token that may not see it as to one that does not exist)"
}

// maxReadBack bounds a read-back listing.
const maxReadBack = 3000

// listed reads a listing of what (the repository or organization that
// holds the item; listAll) and reports whether match finds an item in it.
// A listing that answers 404 proves nothing gone (notVisibleError), nor
// does one not read in full.
func listed[T any](what string, list func(*github.ListOptions) ([]T, *github.Response, error), match func(T) bool) (bool, error) {
	items, over, resp, err := listAll(maxReadBack, list)
	switch {
	case statusOf(resp, err) == http.StatusNotFound:
		return false, &notVisibleError{what: what}
	case err != nil:
		return false, err
	case slices.ContainsFunc(items, match):
		return true, nil
	case over != "":
		return false, errors.New("could not read it back: the listing was not read in full (" + over + ")")
	}
	return false, nil
}

// stillPresent reads an item back with the listing the assessment read.
func stillPresent(ctx context.Context, c *github.Client, it planItem) (bool, error) {
	id, _ := strconv.ParseInt(it.ResourceID, 10, 64)
	owner, name, _ := strings.Cut(it.Repo, "/")
	repo, org := "the repository "+it.Repo, "the organization "+it.Org
	switch {
	case it.Kind == KindDeployKey:
		return listed(repo, func(o *github.ListOptions) ([]*github.Key, *github.Response, error) {
			return c.Repositories.ListKeys(ctx, owner, name, o)
		}, func(k *github.Key) bool { return k.GetID() == id })
	case it.Kind == KindWebhook && it.Repo != "":
		return listed(repo, func(o *github.ListOptions) ([]*github.Hook, *github.Response, error) {
			return c.Repositories.ListHooks(ctx, owner, name, o)
		}, func(h *github.Hook) bool { return h.GetID() == id })
	case it.Kind == KindWebhook:
		return listed(org, func(o *github.ListOptions) ([]*github.Hook, *github.Response, error) {
			return c.Organizations.ListHooks(ctx, it.Org, o)
		}, func(h *github.Hook) bool { return h.GetID() == id })
	case it.Kind == KindInvitation:
		return listed(org, func(o *github.ListOptions) ([]*github.Invitation, *github.Response, error) {
			return c.Organizations.ListPendingOrgInvitations(ctx, it.Org, o)
		}, func(i *github.Invitation) bool { return i.GetID() == id })
	case it.Kind == KindVisibility:
		// Present (the foothold) while the repository is not private.
		return listed("the organization "+owner, func(o *github.ListOptions) ([]*github.Repository, *github.Response, error) {
			return c.Repositories.ListByOrg(ctx, owner, &github.RepositoryListByOrgOptions{Type: "all", ListOptions: *o})
		}, func(r *github.Repository) bool {
			return strings.EqualFold(r.GetName(), name) && r.GetVisibility() != "private" && !(r.GetVisibility() == "" && r.GetPrivate())
		})
	}
	return false, errors.New("no read-back for kind " + it.Kind)
}

var (
	_ actions.Action    = (*Eradicate)(nil)
	_ actions.Validator = (*Eradicate)(nil)
)
