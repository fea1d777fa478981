// Validating a playbook's steps: ids, actions, parameters and their templates,
// conditions, error policy, timeouts and retries.

package playbook

import "errors"
import "fmt"
import "slices"
import "sort"
import "strconv"
import "strings"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"

// stepSource is what the second pass needs to check a step's templates.
type stepSource struct {
	label     string
	action    string
	templates []templateAt
}

type templateAt struct {
	t     *Template
	node  *yaml.Node
	where string // `parameter "text"` or "if"
	param string // the parameter, "" for `if`
	// whole is true when the template is the parameter's whole value, not
	// an item of a list or mapping.
	whole bool
	// secretParam is whether the parameter is declared secret; nil when the
	// action or parameter is unknown (reported elsewhere).
	secretParam *bool
}

func (l *loader) steps(n *yaml.Node, inputs []Input) []Step {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		l.errf(n, "steps is empty: a playbook needs at least one step")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errf(n, "steps: want a list of steps, got %s", describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		l.errf(n, "steps is empty: a playbook needs at least one step")
		return nil
	}
	var (
		out     []Step
		sources []stepSource
		index   = map[string]int{} // step id -> index in out
		lines   = map[string]int{}
	)
	for i, sn := range n.Content {
		st, src, ok := l.step(i, sn)
		if !ok {
			continue
		}
		if st.ID != "" {
			if first, dup := lines[st.ID]; dup {
				l.errf(idNode(sn), "duplicate step id %q (first at line %d)", st.ID, first)
			} else {
				lines[st.ID] = st.Pos.Line
				index[st.ID] = len(out)
			}
		}
		out = append(out, st)
		sources = append(sources, src)
	}

	// Second pass: references, now that every step id is known, so a
	// reference to a later step says so instead of "unknown step".
	inputNames := make([]string, len(inputs))
	declared := map[string]bool{}
	for i, in := range inputs {
		inputNames[i] = in.Name
		declared[in.Name] = true
	}
	stepIDs := make([]string, 0, len(index))
	for id := range index {
		stepIDs = append(stepIDs, id)
	}
	sort.Strings(stepIDs)
	secret := secretInputs(inputs)
	for i, src := range sources {
		for _, ta := range src.templates {
			l.checkSecretFlow(src, ta, secret)
			for _, r := range ta.t.Refs() {
				switch r.Kind {
				case "inputs":
					if r.Name != "" && !declared[r.Name] {
						l.errf(ta.node, "%s: %s: unknown input %s%s", src.label, ta.where, quoteShort(r.Name), suggest(r.Name, inputNames))
					}
				case "steps":
					if r.Name == "" {
						continue
					}
					j, ok := index[r.Name]
					switch {
					case !ok:
						l.errf(ta.node, "%s: %s: unknown step %s%s", src.label, ta.where, quoteShort(r.Name), suggest(r.Name, stepIDs))
					case j == i:
						l.errf(ta.node, "%s: %s: a step cannot read its own outputs (.steps.%s)", src.label, ta.where, r.Name)
					case j > i:
						l.errf(ta.node, "%s: %s: step %q runs later (line %d); a step reads only the outputs of earlier steps", src.label, ta.where, r.Name, lines[r.Name])
					}
				}
			}
		}
	}
	return out
}

func idNode(sn *yaml.Node) *yaml.Node {
	for i := 0; i+1 < len(sn.Content); i += 2 {
		if sn.Content[i].Value == "id" {
			return sn.Content[i+1]
		}
	}
	return sn
}

func (l *loader) step(i int, sn *yaml.Node) (Step, stepSource, bool) {
	st := Step{Pos: l.pos(sn), OnError: Stop}
	if sn.Kind != yaml.MappingNode {
		l.errf(sn, "step %d: want a mapping with id and action, got %s", i+1, describe(sn))
		return st, stepSource{}, false
	}
	// The id names the step in every later message, so read it first.
	label := fmt.Sprintf("step %d", i+1)
	if idn := idNode(sn); idn != sn && idn.Kind == yaml.ScalarNode && idn.Value != "" {
		label = "step " + quoteShort(idn.Value)
	}
	src := stepSource{label: label}
	f := l.mapping(sn, "field", label, stepFields)

	if n := f.val("id"); n == nil {
		l.errf(sn, "%s: id is missing", label)
	} else if s, ok := l.str(n, label+": id"); ok {
		if !stepIDRE.MatchString(s) {
			l.errf(n, "step id %s: use lower-case letters, digits, _ and -, starting with a letter", quoteShort(s))
		} else {
			st.ID = s
		}
	}

	actionKey := f.key("action")
	infoOK := false
	if n := f.val("action"); n == nil {
		l.errf(sn, "%s: action is missing", label)
		actionKey = sn
	} else if s, ok := l.str(n, label+": action"); ok {
		st.Action = s
		src.action = s
		if info, found := actions.Lookup(s); found {
			st.Info, infoOK = info, true
		} else {
			l.errf(n, "%s: unknown action %s%s", label, quoteShort(s), suggest(s, actions.Names()))
		}
	}

	withKey := f.key("with")
	withOK := true
	var params fields
	templated := map[string]bool{}
	if n := f.val("with"); n != nil && !(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null") {
		if n.Kind != yaml.MappingNode {
			l.errf(n, "%s: with: want a mapping of parameters, got %s", label, describe(n))
			withOK = false
		} else {
			params = l.mapping(n, "parameter", label, nil)
			st.With = make(map[string]Value, len(params.keys))
			for j, k := range params.keys {
				where := fmt.Sprintf("parameter %q", k.Value)
				first := len(src.templates)
				v, hasTemplate, ok := l.value(params.vals[j], label+": "+where, where, &src)
				for t := first; t < len(src.templates); t++ {
					ta := &src.templates[t]
					ta.param = k.Value
					ta.whole = ta.node == params.vals[j]
					if infoOK {
						for _, p := range st.Info.Params() {
							if p.Name == k.Value {
								sec := p.Secret
								ta.secretParam = &sec
								// A whole item of a list parameter counts as
								// whole: a secret list (a batch revocation)
								// takes keys item by item.
								ta.whole = ta.whole || (p.Type == actions.TypeList && params.vals[j].Kind == yaml.SequenceNode && slices.Contains(params.vals[j].Content, ta.node))
							}
						}
					}
				}
				if !ok {
					withOK = false
				}
				val := Value{Pos: l.pos(params.vals[j])}
				if t, isT := v.(*Template); isT {
					val.Template = t
				} else {
					val.Literal = v
				}
				templated[k.Value] = hasTemplate
				st.With[k.Value] = val
			}
		}
	}
	if withKey == nil {
		// No `with`: report missing parameters on the action. But when the
		// step has a misspelt field ("wiht"), that is the one problem.
		withKey = actionKey
		if f.unknown > 0 {
			withOK = false
		}
	}
	if infoOK && withOK && withKey != nil {
		l.checkParams(&st, label, withKey, params, templated)
	}
	if infoOK && withOK {
		l.stepCredential(&st, label, params)
	}

	if n := f.val("if"); n != nil {
		if s, ok := l.str(n, label+": if"); ok {
			if t, err := ParseTemplate(s); err != nil {
				l.errf(n, "%s: if: %v", label, err)
			} else if !isTemplate(s) {
				if _, err := strconv.ParseBool(strings.TrimSpace(s)); err != nil {
					l.errf(n, "%s: if: want true, false or a template such as '{{ ne .inputs.key_id \"\" }}', got %s", label, quoteShort(s))
				} else {
					st.If = t
				}
			} else {
				st.If = t
				src.templates = append(src.templates, templateAt{t: t, node: n, where: "if"})
			}
		}
	}
	if n := f.val("on_error"); n != nil {
		if s, ok := l.str(n, label+": on_error"); ok {
			switch OnError(s) {
			case Stop, Continue:
				st.OnError = OnError(s)
			default:
				l.errf(n, "%s: on_error: want stop or continue, got %s%s", label, quoteShort(s), suggest(s, []string{string(Stop), string(Continue)}))
			}
		}
	}
	if n := f.val("timeout"); n != nil {
		if s, ok := l.str(n, label+": timeout"); ok {
			d, err := actions.ParseDuration(s)
			switch {
			case err != nil:
				l.errf(n, "%s: timeout: %v", label, err)
			case d <= 0 || d > MaxTimeout:
				l.errf(n, "%s: timeout: want more than 0 and at most 1h, got %s", label, quoteShort(s))
			default:
				st.Timeout = d
			}
		}
	}
	if n := f.val("retries"); n != nil {
		var r int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&r) != nil {
			l.errf(n, "%s: retries: want a whole number from 0 to %d, got %s", label, MaxRetries, describe(n))
		} else if r < 0 || r > MaxRetries {
			l.errf(n, "%s: retries: want a whole number from 0 to %d, got %d", label, MaxRetries, r)
		} else {
			st.Retries = r
		}
	}
	return st, src, true
}

// value converts a `with` value to Go: scalars to string, int, float64, bool
// or nil; lists to []any; mappings to map[string]any. A string holding "{{"
// becomes a *Template, at any depth, so `headers: {X-Incident: "{{ .run.incident }}"}`
// works. hasTemplate reports whether any part is a template; ok is false
// after a reported problem.
func (l *loader) value(n *yaml.Node, label, where string, src *stepSource) (v any, hasTemplate, ok bool) {
	switch n.Kind {
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok = true
		for _, c := range n.Content {
			cv, ct, cok := l.value(c, label, where, src)
			out = append(out, cv)
			hasTemplate = hasTemplate || ct
			ok = ok && cok
		}
		return out, hasTemplate, ok
	case yaml.MappingNode:
		f := l.mapping(n, "key", label, nil)
		out := make(map[string]any, len(f.keys))
		ok = len(f.keys)*2 == len(n.Content)
		for i, k := range f.keys {
			cv, ct, cok := l.value(f.vals[i], label, where, src)
			out[k.Value] = cv
			hasTemplate = hasTemplate || ct
			ok = ok && cok
		}
		return out, hasTemplate, ok
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" && isTemplate(n.Value) {
			t, err := ParseTemplate(n.Value)
			if err != nil {
				l.errf(n, "%s: %v", label, err)
				return nil, true, false
			}
			src.templates = append(src.templates, templateAt{t: t, node: n, where: where})
			return t, true, true
		}
		return scalar(n), false, true
	}
	l.errf(n, "%s: unsupported YAML value", label)
	return nil, false, false
}

// scalar is a scalar's Go value. Tags a parameter never needs (timestamps,
// binary, custom) stay strings: the action's parameter type decides.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool", "!!int", "!!float":
		var v any
		if n.Decode(&v) == nil {
			switch v.(type) {
			case bool, int, int64, float64:
				return v
			}
		}
	}
	return n.Value
}

// checkParams checks a step's literal parameters before anything runs. With
// no template the whole set goes through actions.Decode (and Validate); with
// templates, only what is already known can be checked: names, required
// parameters, and the type of each literal value.
func (l *loader) checkParams(st *Step, label string, withKey *yaml.Node, f fields, templated map[string]bool) {
	info := st.Info
	params := info.Params()
	byName := map[string]actions.Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	anyTemplate := false
	literals := map[string]any{}
	for name, v := range st.With {
		if templated[name] {
			anyTemplate = true
		} else {
			literals[name] = v.Literal
		}
	}
	report := func(pe *actions.ParamError) {
		n := withKey
		if pe.Param != "" {
			if _, known := byName[pe.Param]; !known {
				if k := f.key(pe.Param); k != nil {
					n = k
				}
			} else if v := f.val(pe.Param); v != nil {
				n = v
			}
		}
		l.errf(n, "%s: %s", label, pe.Error())
	}
	if !anyTemplate {
		if _, err := actions.Decode(info, literals); err != nil {
			for _, pe := range paramErrors(err) {
				report(pe)
			}
		}
		return
	}
	for _, k := range f.keys {
		p, known := byName[k.Value]
		switch {
		case !known:
			report(actions.UnknownParam(info, k.Value))
		case !templated[k.Value] && literals[k.Value] != nil:
			if _, err := actions.Convert(p.Type, literals[k.Value]); err != nil {
				report(&actions.ParamError{Param: p.Name, Msg: err.Error()})
			}
		}
	}
	for _, p := range params {
		if v, ok := st.With[p.Name]; p.Required && (!ok || (v.Template == nil && v.Literal == nil)) {
			report(&actions.ParamError{Param: p.Name, Msg: "required parameter of " + info.Name + " is missing"})
		}
	}
}

// paramErrors flattens what actions.Decode returns (errors.Join of
// *ParamError, or one error from Validate).
func paramErrors(err error) []*actions.ParamError {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*actions.ParamError
		for _, e := range j.Unwrap() {
			out = append(out, paramErrors(e)...)
		}
		return out
	}
	var pe *actions.ParamError
	if errors.As(err, &pe) {
		return []*actions.ParamError{pe}
	}
	return []*actions.ParamError{{Msg: err.Error()}}
}
