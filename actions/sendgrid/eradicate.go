package sendgrid

import "bytes"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "net/http"
import "path/filepath"
import "strings"

import "github.com/sendgrid/rest"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/report"

// eradicateInfo declares sendgrid.eradicate; provider.go registers it.
var eradicateInfo = actions.Info{
	Name:    "sendgrid.eradicate",
	Summary: "Remove the footholds of a sealed run's eradication plan, each idempotently (404 = already gone), and read each back to prove it is gone",
	Mutates: true,
	Outputs: planfile.EradicateOutputs,
	New:     func() actions.Action { return new(Eradicate) },
}

// Eradicate carries out a parent run's plan. The parent is verified again
// here (not only by the CLI) because a resumed eradication reads the plan
// again: the MANIFEST head must still be the one the operator approved.
type Eradicate struct {
	Parent     string   `param:"parent" required:"true" desc:"the sealed run directory whose eradication-plan.json is carried out"`
	ParentHead string   `param:"parent_head" required:"true" desc:"the parent's MANIFEST head, as verified when the plan was approved"`
	Only       []string `param:"only" desc:"plan item ids to remove (default: every item)"`
}

// Validate checks the parameters' shape.
func (a *Eradicate) Validate() error {
	if !filepath.IsAbs(a.Parent) {
		return &actions.ParamError{Param: "parent", Msg: "must be an absolute path"}
	}
	if len(a.ParentHead) != 64 || strings.Trim(a.ParentHead, "0123456789abcdef") != "" {
		return &actions.ParamError{Param: "parent_head", Msg: "must be a SHA-256 in hex"}
	}
	return nil
}

// LoadParentPlan verifies a run directory (sealed by MANIFEST, unchanged)
// and reads SendGrid's items of its plan. head is the MANIFEST head.
func LoadParentPlan(dir string) (p *Plan, head string, err error) {
	f, head, err := planfile.LoadParent(dir)
	if err != nil {
		return nil, "", err
	}
	p, err = planOf(f)
	return p, head, err
}

// SelectItems returns the plan's items named by only (all when empty), in
// plan order; an id the plan does not have is an error.
func SelectItems(p *Plan, only []string) ([]PlanItem, error) {
	if len(only) == 0 {
		return p.Items, nil
	}
	want := map[string]bool{}
	for _, id := range only {
		want[id] = true
	}
	var out []PlanItem
	for _, it := range p.Items {
		if want[it.ID] {
			out = append(out, it)
			delete(want, it.ID)
		}
	}
	if len(want) > 0 {
		var ids []string
		for id := range want {
			ids = append(ids, id)
		}
		return nil, fmt.Errorf("the plan has no item %s", strings.Join(ids, ", "))
	}
	return out, nil
}

// CheckItem refuses an item whose removal request is not exactly the one
// keyir derives from its kind, id and account: a plan only ever names
// resources, never free-form requests.
func CheckItem(it PlanItem) error {
	acct := Account{Subuser: it.Account, Region: it.Region}
	if err := checkRegion(it.Region); err != nil {
		return fmt.Errorf("%s: %w", it.ID, err)
	}
	want, ok := removal(it.Kind, it.ResourceID, acct)
	if !ok {
		return fmt.Errorf("%s: keyir cannot remove an item of kind %q", it.ID, it.Kind)
	}
	if it.Remove.Method != want.Method || it.Remove.Path != want.Path || it.Remove.OnBehalfOf != want.OnBehalfOf || compact(it.Remove.Body) != compact(want.Body) {
		return fmt.Errorf("%s: its request %s %s is not the removal of %s %q", it.ID, it.Remove.Method, it.Remove.Path, it.Kind, it.ResourceID)
	}
	return nil
}

// compact is a JSON body without insignificant space ("" when not JSON).
func compact(b json.RawMessage) string {
	var buf bytes.Buffer
	if len(b) == 0 || json.Compact(&buf, b) != nil {
		return ""
	}
	return buf.String()
}

// Outcomes of one item (planfile's, named here as before).
const (
	OutcomeRemoved     = planfile.OutcomeRemoved
	OutcomeAlreadyGone = planfile.OutcomeAlreadyGone
	OutcomeRefused     = planfile.OutcomeRefused
	OutcomeFailed      = planfile.OutcomeFailed
	OutcomeStillThere  = planfile.OutcomeStillThere
	OutcomePlanned     = planfile.OutcomePlanned
)

// Run removes each item, then reads it back.
func (a *Eradicate) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	p, head, err := LoadParentPlan(a.Parent)
	if err != nil {
		return nil, err
	}
	if head != a.ParentHead {
		return nil, fmt.Errorf("%s changed since the plan was approved: MANIFEST head %s, approved %s", a.Parent, head, a.ParentHead)
	}
	items, err := SelectItems(p, a.Only)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if err := CheckItem(it); err != nil {
			return nil, err
		}
	}
	c0, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	if err := checkParentAccount(ctx, env, c0, a.Parent); err != nil {
		return nil, err
	}
	var tally planfile.Tally
	var fh footholds
	var done []report.Finding
	for i, it := range items {
		if env.Recorder != nil {
			env.Recorder.Progress(fmt.Sprintf("item %d of %d: %s %s", i+1, len(items), it.Kind, it.Subject))
		}
		r := a.removeOne(ctx, env, c0, it)
		ref, _ := evidence(env, "eradicate_item", r)
		if err := ctx.Err(); err != nil {
			// Interrupted: nothing is concluded from this attempt (the
			// evidence keeps what was sent); a resume runs the step again
			// and finds what this one removed already gone.
			return nil, err
		}
		tally.Count(r)
		f := r.Finding(it.Severity, refs(ref))
		if planfile.Settled(r.Outcome) {
			done = append(done, f)
			continue
		}
		// Still there: it goes into this run's own plan (what is left),
		// and its finding keeps the item's severity.
		left := it
		left.Why = append(append([]string{}, it.Why...), "not removed by the eradication: "+r.Detail)
		left.Evidence = refs(append(append([]string{}, it.Evidence...), ref)...)
		fh.addItem(f, left)
	}
	// Findings only once every item is settled, so an interrupted attempt
	// leaves none behind for the resume to contradict.
	for _, f := range done {
		env.Finding(f)
	}
	if err := fh.emit(env, allKinds()); err != nil {
		return nil, err
	}
	return tally.Outputs(), nil
}

func (a *Eradicate) removeOne(ctx context.Context, env *actions.Env, c0 *Client, it PlanItem) planfile.ItemResult {
	r := planfile.ItemResult{ID: it.ID, Kind: it.Kind, Subject: it.Subject, Request: it.Remove.Method + " " + it.Remove.Path}
	if it.Remove.OnBehalfOf != "" {
		r.Request += " (on behalf of " + it.Remove.OnBehalfOf + ")"
	}
	c, err := c0.forAccount(Account{Subuser: it.Remove.OnBehalfOf, Region: it.Region})
	if err != nil {
		r.Outcome, r.Detail = OutcomeFailed, err.Error()
		return r
	}
	if it.Remove.Method == "PATCH" {
		// A setting switched off answers 200 to every PATCH: read it
		// first, so a second eradication records it as already gone.
		present, err := stillPresent(ctx, c, it)
		if err == nil && !present {
			r.Outcome, r.Detail, r.ReadBack = OutcomeAlreadyGone, "already off before the request", "gone"
			return r
		}
	}
	var body any
	if len(it.Remove.Body) > 0 {
		body = json.RawMessage(compact(it.Remove.Body))
	}
	resp, err := c.do(ctx, rest.Method(it.Remove.Method), it.Remove.Path, body)
	switch {
	case isDryRun(err):
		r.Outcome, r.Detail = OutcomePlanned, "dry run: the request was refused at the transport and recorded as a planned change"
		return r
	case err != nil:
		r.Outcome, r.Detail = OutcomeFailed, err.Error()
		return r
	}
	r.Status = resp.Status
	switch {
	case resp.Status == http.StatusNotFound:
		r.Outcome, r.Detail = OutcomeAlreadyGone, "404: it no longer exists"
	case resp.Status >= 200 && resp.Status < 300:
		r.Outcome, r.Detail = OutcomeRemoved, fmt.Sprintf("%d", resp.Status)
	case resp.Status == http.StatusForbidden || resp.Status == http.StatusUnauthorized:
		msgs := errorMessages(resp.Body)
		r.Outcome = OutcomeRefused
		r.Detail = fmt.Sprintf("%d %s: the responder key may not remove it (grant it the scope, or remove it by hand)", resp.Status, strings.Join(msgs, "; "))
		return r
	default:
		r.Outcome, r.Detail = OutcomeFailed, fmt.Sprintf("%d %s", resp.Status, strings.Join(errorMessages(resp.Body), "; "))
		return r
	}
	// Read it back: only an item keyir sees gone counts as removed.
	present, err := stillPresent(ctx, c, it)
	switch {
	case err != nil:
		r.ReadBack = "could not read back: " + err.Error()
		r.Outcome, r.Detail = OutcomeFailed, r.Detail+"; "+r.ReadBack
	case present:
		r.ReadBack = "still present"
		r.Outcome, r.Detail = OutcomeStillThere, r.Detail+"; read back: still present"
	default:
		r.ReadBack = "gone"
	}
	return r
}

// stillPresent reads an item back with the same listing the assessment used.
func stillPresent(ctx context.Context, c *Client, it PlanItem) (bool, error) {
	if it.Kind == KindAPIKey {
		_, err := c.get(ctx, "/v3/api_keys/"+escape(it.ResourceID), nil)
		if statusOf(err) == http.StatusNotFound {
			return false, nil
		}
		return err == nil, err
	}
	for _, s := range surfaces {
		if s.planKind != it.Kind {
			continue
		}
		items, err := s.fetch(ctx, c)
		if err != nil {
			return false, err
		}
		for _, x := range items {
			if x.rid == it.ResourceID {
				return true, nil
			}
		}
		return false, nil
	}
	return false, errors.New("no read-back for kind " + it.Kind)
}

// allKinds are every plan kind.
func allKinds() []string { return append(persistenceKinds(), KindAPIKey) }

var (
	_ actions.Action    = (*Eradicate)(nil)
	_ actions.Validator = (*Eradicate)(nil)
)
