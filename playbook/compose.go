package playbook

import "fmt"
import "slices"
import "strconv"
import "strings"
import "text/template"
import "text/template/parse"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"

// A response to several leaked keys at once (keyir respond --from) is one
// run of one playbook, composed here from each key's built-in playbook:
// one run directory, one journal, one report. Each key is a part with a
// label ("k1"): its inputs become k1_<input> (its key a secret input of its
// own), its steps k1-<id>, and every template reference is renamed with
// them. What the composition decides:
//
//   - Containment first, for every key: each key's steps up to its last
//     containment step (Info.Contains) run before any key's assessment.
//   - One key's failure does not stop another's containment: every step
//     continues on error, and a key's steps after one of its own critical
//     steps (on_error: stop in its playbook) run only if that step completed
//     (the `_completed` condition, an engine function FuncNames does
//     not list), as a run of its playbook alone would
//     have stopped there.
//   - A provider that revokes many keys in one request declares the step
//     (KeyKind.Batch): the keys of that kind share one step per BatchMax
//     keys, given every key as a list, run once the steps before it of each
//     of those keys have.
//   - The incident's messages (notify.* steps) appear once: the first key's
//     opening where it stands, its closing at the very end; they are never
//     skipped for a key's failure.

// MaxComposedKeys bounds the keys of one composed response.
const MaxComposedKeys = 100

// ComposePart is one key of a composed response.
type ComposePart struct {
	// Kind is the key's registered kind; its Playbook is the key's
	// response, its KeyInput the input that takes the key.
	Kind *provider.KeyKind
	// Fingerprint names the key in the report (never the key).
	Fingerprint string
	// Found says where it was found, for the report ("rule file:line").
	Found []string
}

// Label is the label of part i (0-based): "k1", "k2" ….
func Label(i int) string { return "k" + strconv.Itoa(i+1) }

// KeyInputOf is the composed input that takes part i's key.
func KeyInputOf(i int, k *provider.KeyKind) string { return Label(i) + "_" + k.KeyInput() }

func init() {
	// _completed reports whether every named step of the run completed (ok,
	// skipped or planned): the condition a composed response puts on a
	// key's steps after one of its critical steps.
	funcs["_completed"] = func(steps map[string]map[string]any, ids ...string) bool {
		for _, id := range ids {
			if _, ok := steps[id]; !ok {
				return false
			}
		}
		return true
	}
}

type rawStep = map[string]any

// composer holds what is being built.
type composer struct {
	inputs      map[string]any
	credentials map[string]any
	pre, post   []rawStep // containment, before and after the batch steps
	batches     []rawStep
	assess      []rawStep
	closing     []rawStep
	keys        []report.KeyRef
	rules       composedRules
}

// Compose builds one playbook that responds to every part's key, named
// name. Its Keys record which steps are whose.
func Compose(name string, parts []ComposePart) (*Playbook, error) {
	if len(parts) == 0 || len(parts) > MaxComposedKeys {
		return nil, fmt.Errorf("a composed response takes 1 to %d keys, not %d", MaxComposedKeys, len(parts))
	}
	c := &composer{inputs: map[string]any{}, credentials: map[string]any{}, rules: composedRules{critical: map[string]bool{}, gates: map[string][]string{}}}
	groups := batchGroups(parts)
	batchOf := map[int]string{} // part -> its batch step's id
	for _, g := range groups {
		for _, i := range g.parts {
			batchOf[i] = g.id
		}
	}
	for i, part := range parts {
		if err := c.add(i, part, batchOf[i], groups); err != nil {
			return nil, fmt.Errorf("composing %s (%s): %w", Label(i), part.Kind.Playbook, err)
		}
	}
	steps := slices.Concat(c.pre, c.batches, c.post, c.assess, c.closing)
	doc := map[string]any{
		"name":        name,
		"description": fmt.Sprintf("One response to %d leaked keys, composed from each key's built-in playbook: every key contained first, then each assessed.", len(parts)),
		"inputs":      c.inputs,
		"steps":       steps,
	}
	if len(c.credentials) > 0 {
		doc["credentials"] = c.credentials
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	pb, err := Load(name+".yaml", data)
	if err != nil {
		return nil, fmt.Errorf("the composed playbook is invalid:\n%w", err)
	}
	pb.Keys = c.keys
	for _, s := range c.closing {
		c.rules.closing = append(c.rules.closing, s["id"].(string))
	}
	pb.composed = &c.rules
	return pb, nil
}

// batchGroup is one shared step: the parts (indexes) whose batch step it
// replaces, with the first part's step as its model.
type batchGroup struct {
	id    string
	parts []int
	kind  *provider.KeyKind
}

// batchGroups groups the parts whose kind declares a batch step, by kind,
// BatchMax parts a group.
func batchGroups(parts []ComposePart) []batchGroup {
	var out []batchGroup
	open := map[string]int{} // kind -> index in out of its open group
	for i, p := range parts {
		k := p.Kind
		if k.Batch == "" || k.BatchParam == "" {
			continue
		}
		g, ok := open[k.Kind]
		if !ok || (k.BatchMax > 0 && len(out[g].parts) == k.BatchMax) {
			out = append(out, batchGroup{id: fmt.Sprintf("batch%d-%s", len(out)+1, k.Batch), kind: k})
			g = len(out) - 1
			open[k.Kind] = g
		}
		out[g].parts = append(out[g].parts, i)
	}
	return out
}

// add renames part i's playbook into the composition.
func (c *composer) add(i int, part ComposePart, batchID string, groups []batchGroup) error {
	data, _, _, err := provider.Playbook(part.Kind.Playbook)
	if err != nil {
		return err
	}
	var doc struct {
		Inputs      map[string]map[string]any `yaml:"inputs"`
		Credentials map[string]map[string]any `yaml:"credentials"`
		Steps       []rawStep                 `yaml:"steps"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	label := Label(i)
	ids := map[string]string{}
	for _, s := range doc.Steps {
		id, _ := s["id"].(string)
		ids[id] = label + "-" + id
		if batchID != "" && id == part.Kind.Batch {
			ids[id] = batchID
		}
	}
	rn := renamer{prefix: label + "_", ids: ids}
	for name, in := range doc.Inputs {
		c.inputs[rn.prefix+name] = rn.value(in)
	}
	for name, cr := range doc.Credentials {
		c.credentials[rn.prefix+name] = rn.value(cr)
	}
	lastContains := -1
	for j, s := range doc.Steps {
		if info, ok := actionInfo(s); ok && info.Contains {
			lastContains = j
		}
	}
	ref := report.KeyRef{Label: label, Kind: part.Kind.Kind, Human: part.Kind.Human, Fingerprint: part.Fingerprint, Found: part.Found}
	var gate []string // this key's critical steps so far, renamed
	sawBatch := false
	for j, s := range doc.Steps {
		id, _ := s["id"].(string)
		action, _ := s["action"].(string)
		critical := s["on_error"] == nil || s["on_error"] == string(Stop)
		notifies := strings.HasPrefix(action, "notify.")
		if notifies && i > 0 {
			continue // the incident's messages come from the first key
		}
		out := rn.value(s).(rawStep)
		out["id"] = ids[id]
		out["on_error"] = string(Continue)
		if cred, ok := out["with"].(map[string]any)["credential"].(string); ok && len(doc.Credentials) > 0 {
			out["with"].(map[string]any)["credential"] = rn.prefix + cred
		}
		if len(gate) > 0 && !notifies {
			c.rules.gate(ids[id], gate)
			cond := `{{ _completed .steps "` + strings.Join(gate, `" "`) + `" }}`
			if orig, ok := out["if"].(string); ok {
				inner, err := onePipeline(orig)
				if err != nil {
					return fmt.Errorf("step %s: %w", id, err)
				}
				cond = `{{ and (_completed .steps "` + strings.Join(gate, `" "`) + `") (` + inner + `) }}`
			}
			out["if"] = cond
		}
		if critical && !notifies && !slices.Contains(gate, ids[id]) {
			gate = append(gate, ids[id])
			c.rules.critical[ids[id]] = true
		}
		switch {
		case batchID != "" && id == part.Kind.Batch:
			sawBatch = true
			c.batchStep(i, out, batchID, part.Kind, groups)
		case notifies && j > lastContains:
			c.closing = append(c.closing, out)
		case j > lastContains:
			c.assess = append(c.assess, out)
		case batchID != "" && sawBatch:
			c.post = append(c.post, out)
		default:
			c.pre = append(c.pre, out)
		}
		if ids[id] != batchID {
			ref.Steps = append(ref.Steps, ids[id])
		} else if !slices.Contains(ref.Steps, batchID) {
			ref.Steps = append(ref.Steps, batchID)
		}
	}
	if batchID != "" && !sawBatch {
		return fmt.Errorf("its kind's batch step %q is not a step of %s", part.Kind.Batch, part.Kind.Playbook)
	}
	c.keys = append(c.keys, ref)
	c.rules.keyInputs = append(c.rules.keyInputs, KeyInputOf(i, part.Kind))
	return nil
}

// batchStep adds the shared step when its group's first part brings it,
// its list parameter naming every key of the group; the other parts' own
// copies are dropped. Its condition is every part's gate so far: it runs
// only for keys whose earlier critical steps completed — all of them, or
// none (a partial batch would be a different request).
func (c *composer) batchStep(i int, step rawStep, id string, k *provider.KeyKind, groups []batchGroup) {
	for _, g := range groups {
		if g.id != id {
			continue
		}
		if g.parts[0] != i {
			if cond, ok := step["if"].(string); ok {
				c.andCondition(id, cond)
			}
			return
		}
		var keys []any
		for _, p := range g.parts {
			keys = append(keys, "{{ .inputs."+KeyInputOf(p, k)+" }}")
		}
		with, _ := step["with"].(map[string]any)
		if with == nil {
			with = map[string]any{}
			step["with"] = with
		}
		with[k.BatchParam] = keys
		c.batches = append(c.batches, step)
	}
}

// andCondition adds another part's condition to the shared step's.
func (c *composer) andCondition(id, cond string) {
	for _, s := range c.batches {
		if s["id"] != id {
			continue
		}
		inner, err := onePipeline(cond)
		if err != nil {
			return
		}
		if old, ok := s["if"].(string); ok {
			prev, _ := onePipeline(old)
			s["if"] = "{{ and (" + prev + ") (" + inner + ") }}"
		} else {
			s["if"] = cond
		}
	}
}

func actionInfo(s rawStep) (actions.Info, bool) {
	name, _ := s["action"].(string)
	return actions.Lookup(name)
}

// onePipeline returns the pipeline of a template that is exactly one
// {{ pipeline }}, so it can be combined with another condition.
func onePipeline(src string) (string, error) {
	t, err := template.New("c").Funcs(funcs).Parse(src)
	if err != nil {
		return "", err
	}
	if t.Tree == nil || len(t.Tree.Root.Nodes) != 1 {
		return "", fmt.Errorf("its condition is not one {{ pipeline }}: a composed response cannot add to it")
	}
	a, ok := t.Tree.Root.Nodes[0].(*parse.ActionNode)
	if !ok || len(a.Pipe.Decl) > 0 {
		return "", fmt.Errorf("its condition is not one {{ pipeline }}: a composed response cannot add to it")
	}
	return a.Pipe.String(), nil
}
