package provider

import "context"
import "encoding/json"
import "fmt"
import "slices"

import "github.com/keyir/keyir/actions"

// Eradicator is what `keyir eradicate` (package eradicate) needs of a
// provider whose assessment writes items into a run's eradication plan
// (package planfile): how to read and check its items, and the playbook
// that removes them. The engine never builds a removal request itself and
// never sends one a plan file carries: the provider rebuilds each request
// from the item's kind and ids.
type Eradicator struct {
	// Playbook is the provider's built-in playbook that carries out its
	// items of a sealed run's plan; its inputs are parent (the run
	// directory, absolute), parent_head (its MANIFEST head, as approved)
	// and only (the item ids to remove; none: all of the provider's).
	Playbook string
	// Items decodes the provider's items of a plan and checks each: the
	// removal request is rebuilt from the item's kind and ids, and an item
	// whose recorded request is not exactly that one is an error.
	Items func(raw []json.RawMessage) ([]PlanItem, error)
	// Check, when set, refuses before the operator is asked to approve the
	// plan what the provider's eradication step would refuse once it runs:
	// the credentials env gives (the responder's, read as the run reads
	// them) cannot be the ones for the items (raw, those Items read) of
	// the sealed run parent: another account, another host, none at all.
	// It only reads. What it cannot check is not an error: the step
	// checks again when it runs (a resume, a run started elsewhere) and
	// notes what it could not check.
	Check func(ctx context.Context, env *actions.Env, parent string, raw []json.RawMessage) error
}

// PlanItem is one item of a plan as the engine shows it for approval.
type PlanItem struct {
	ID       string
	Provider string
	Kind     string
	// Account is where the item lives in the provider's terms ("" = the
	// main account; a SendGrid subuser): a drill matches it against its
	// ground truth with Kind and Subject.
	Account string
	// Where says it for people ("parent", "subuser x, eu", "acme-corp/api").
	Where    string
	Subject  string
	Severity string
	Why      []string
	// Request is the request keyir sends to remove it, as the provider
	// rebuilt it ("DELETE /repos/o/r/keys/7"); "" when keyir cannot.
	Request string
	// ByHand says why keyir cannot remove it and where a person can; ""
	// for an item keyir removes.
	ByHand string
}

// Removable reports whether keyir removes the item (not by hand).
func (it PlanItem) Removable() bool { return it.ByHand == "" }

// checkEradicator checks a provider's eradicator on registration: its
// playbook must be one of its own.
func checkEradicator(info *Info) error {
	e := info.Eradicator
	if e == nil {
		return nil
	}
	if e.Items == nil || !slices.Contains(info.PlaybookNames, e.Playbook) {
		return fmt.Errorf("%s: an eradicator needs Items and one of the provider's own playbooks (not %q)", info.Name, e.Playbook)
	}
	return nil
}

// EradicatorOf is the eradicator of a registered provider.
func EradicatorOf(name string) (*Eradicator, bool) {
	p, ok := Lookup(name)
	if !ok || p.Eradicator == nil {
		return nil, false
	}
	return p.Eradicator, true
}

// ItemsOf is an Eradicator's Items for a provider whose plan items decode
// into T: each raw item is decoded, then view checks it (its request
// rebuilt) and says it for the engine.
func ItemsOf[T any](view func(T) (PlanItem, error)) func([]json.RawMessage) ([]PlanItem, error) {
	return func(raw []json.RawMessage) ([]PlanItem, error) {
		out := make([]PlanItem, 0, len(raw))
		for _, r := range raw {
			var it T
			if err := json.Unmarshal(r, &it); err != nil {
				return nil, fmt.Errorf("eradication-plan.json: %w", err)
			}
			pi, err := view(it)
			if err != nil {
				return nil, err
			}
			out = append(out, pi)
		}
		return out, nil
	}
}
