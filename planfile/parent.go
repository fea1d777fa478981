package planfile

import "encoding/json"
import "fmt"
import "path/filepath"
import "strings"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// LoadParent verifies a run directory (sealed by MANIFEST, unchanged) and
// reads its plan. head is the MANIFEST head. A directory without MANIFEST
// gives runstore.ErrNoManifest.
func LoadParent(dir string) (f *File, head string, err error) {
	res, err := runstore.Verify(dir)
	if err != nil {
		return nil, "", err
	}
	if !res.OK() {
		return nil, "", fmt.Errorf("%s does not verify against its MANIFEST, so its plan cannot be trusted: %s", dir, strings.Join(res.Reasons(), "; "))
	}
	f, ok, err := Read(dir)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fmt.Errorf("%s has no %s: the run found no footholds to remove (or predates eradication plans)", dir, report.PlanFile)
	}
	return f, res.Head, nil
}

// Parent are the parameters every provider's eradication action takes:
// the sealed run whose plan it carries out, its MANIFEST head as approved,
// and the items to remove. The parent is verified again by the action (not
// only by the CLI): a resumed eradication reads the plan again, and the
// head must still be the one the operator approved.
type Parent struct {
	Parent     string   `param:"parent" required:"true" desc:"the sealed run directory whose eradication-plan.json is carried out"`
	ParentHead string   `param:"parent_head" required:"true" desc:"the parent's MANIFEST head, as verified when the plan was approved"`
	Only       []string `param:"only" desc:"plan item ids to remove (default: every item of this provider)"`
}

// Check checks the parameters' shape; param names the one at fault.
func (p *Parent) Check() (param string, err error) {
	if !filepath.IsAbs(p.Parent) {
		return "parent", fmt.Errorf("must be an absolute path")
	}
	if len(p.ParentHead) != 64 || strings.Trim(p.ParentHead, "0123456789abcdef") != "" {
		return "parent_head", fmt.Errorf("must be a SHA-256 in hex")
	}
	return "", nil
}

// Items verifies the parent (its head must be the approved one) and returns
// the provider's items named by Only (all of the provider's when Only is
// empty), in plan order. An id the plan does not have, or another
// provider's, is an error.
func (p *Parent) Items(provider string) ([]json.RawMessage, error) {
	f, head, err := LoadParent(p.Parent)
	if err != nil {
		return nil, err
	}
	if head != p.ParentHead {
		return nil, fmt.Errorf("%s changed since the plan was approved: MANIFEST head %s, approved %s", p.Parent, head, p.ParentHead)
	}
	heads := f.Heads()
	sel, err := Select(heads, p.Only)
	if err != nil {
		return nil, err
	}
	var out []json.RawMessage
	for _, i := range sel {
		switch {
		case heads[i].Provider == provider:
			out = append(out, f.Items[i])
		case len(p.Only) > 0:
			return nil, fmt.Errorf("%s is an item of %s, not %s", heads[i].ID, heads[i].Provider, provider)
		}
	}
	return out, nil
}
