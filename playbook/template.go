package playbook

import "bytes"
import "encoding/json"
import "errors"
import "fmt"
import "reflect"
import "regexp"
import "slices"
import "sort"
import "strconv"
import "strings"
import "text/template"
import "text/template/parse"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/credentials"

// Scope is what a template sees: .inputs (resolved inputs), .steps (outputs
// of the steps that already ran, by step id) and .run (run metadata such as
// the incident id). The keys are lower case because the data is rendered as a
// map, which is what lets missingkey=error catch a misspelt name at run time
// instead of rendering "<no value>" into an API call.
type Scope struct {
	Inputs map[string]any
	Steps  map[string]map[string]any
	Run    map[string]any
}

func (s Scope) data() map[string]any {
	return map[string]any{"inputs": s.Inputs, "steps": s.Steps, "run": s.Run}
}

// Ref is one name a template reads: .inputs.key is {inputs key ""},
// .steps.revoke.status is {steps revoke status}, .run.incident is
// {run incident ""}. The loader checks refs against the declared inputs and
// the earlier steps, so a playbook that would fail half-way through a
// containment is rejected before anything runs.
type Ref struct {
	Kind  string // "inputs", "steps" or "run"
	Name  string // input name, step id or run field; "" for the whole map
	Field string // output name for steps; "" otherwise or when absent
}

// Template is a parsed `with` value or `if` condition.
type Template struct {
	src  string
	tmpl *template.Template
	// raw is set when the whole source is one {{ pipeline }}: Render then
	// returns the pipeline's Go value instead of its text, so a list output
	// of one step reaches the next step as a list, not as "[a b]".
	raw  bool
	refs []Ref
	// reads is every path the template reads from the root, as written:
	// [] for the whole scope ({{ . }} or {{ $ }}), [inputs] for the whole
	// inputs map, [inputs key] for one input. The loader checks secret flow
	// against it (secretflow.go).
	reads [][]string
	// direct is the input the template is exactly, "{{ .inputs.NAME }}"
	// (or $.inputs.NAME) with nothing around it and no function: the one
	// form in which a secret input may be passed on.
	direct string
}

// captureFunc is the function appended to a whole-value pipeline. Its name
// starts with an underscore so it cannot collide with (or be called by) a
// playbook author: it is not in the parse-time func map.
const captureFunc = "_capture"

// funcs is deliberately small: templates build API parameters during an
// incident, so they get string shaping and comparisons, not file, network or
// environment access (no sprig).
var funcs = template.FuncMap{
	"default":   tmplDefault,
	"join":      tmplJoin,
	"lower":     func(v any) string { return strings.ToLower(toString(v)) },
	"upper":     func(v any) string { return strings.ToUpper(toString(v)) },
	"trim":      func(v any) string { return strings.TrimSpace(toString(v)) },
	"quote":     func(v any) string { return strconv.Quote(toString(v)) },
	"json":      tmplJSON,
	"contains":  tmplContains,
	"hasPrefix": func(prefix string, v any) bool { return strings.HasPrefix(toString(v), prefix) },
}

// refusedFuncs are text/template builtins a playbook cannot call. They
// format or re-encode a string (printf "%x", slice, js, urlquery …) and so
// could carry a secret past the redactor in a form it does not recognise;
// call runs a function value. No playbook needs them: the helpers above
// cover string shaping. ParseTemplate refuses them by name, and funcs
// overrides each with a function that fails, in case a parse tree ever
// reaches execution without the check.
var refusedFuncs = []string{"call", "html", "js", "print", "printf", "println", "slice", "urlquery"}

func init() {
	for _, name := range refusedFuncs {
		name := name
		funcs[name] = func(...any) (string, error) {
			return "", fmt.Errorf("%s is not available in playbook templates", name)
		}
	}
}

// FuncNames lists the template functions beyond text/template's builtins, for
// documentation and "did you mean".
func FuncNames() []string {
	out := make([]string, 0, len(funcs))
	for k := range funcs {
		if !slices.Contains(refusedFuncs, k) && !strings.HasPrefix(k, "_") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ParseTemplate parses a template and checks that every name it reads from
// the root starts with .inputs, .steps or .run; {{define}}, {{template}} and
// {{block}} are refused because a playbook value is one expression, not a
// template library.
func ParseTemplate(src string) (*Template, error) {
	t, err := template.New("tmpl").Option("missingkey=error").Funcs(funcs).Parse(src)
	if err != nil {
		return nil, cleanTemplateErr(err)
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("template: {{define}} and {{block}} are not supported")
	}
	w := &refWalker{}
	if t.Tree != nil && t.Tree.Root != nil {
		w.list(t.Tree.Root, true)
	}
	if w.err != nil {
		return nil, w.err
	}
	out := &Template{src: src, tmpl: t, refs: w.refs, reads: w.reads}
	if t.Tree != nil && t.Tree.Root != nil && len(t.Tree.Root.Nodes) == 1 {
		if a, ok := t.Tree.Root.Nodes[0].(*parse.ActionNode); ok && len(a.Pipe.Decl) == 0 {
			out.direct = directInput(a.Pipe)
			// Append `| _capture` to the pipeline: the function receives the
			// pipeline's final value untouched by text formatting.
			cmd := &parse.CommandNode{NodeType: parse.NodeCommand, Pos: a.Pos,
				Args: []parse.Node{parse.NewIdentifier(captureFunc).SetTree(t.Tree).SetPos(a.Pos)}}
			a.Pipe.Cmds = append(a.Pipe.Cmds, cmd)
			out.raw = true
		}
	}
	return out, nil
}

// Source is the template as written.
func (t *Template) Source() string { return t.src }

// Refs lists the names the template reads from .inputs, .steps and .run, in
// the order they appear, without duplicates.
func (t *Template) Refs() []Ref { return append([]Ref(nil), t.refs...) }

// Render evaluates the template. A template that is a single {{ pipeline }}
// yields the pipeline's Go value (a list stays a list, a bool stays a bool);
// anything else yields the rendered string.
func (t *Template) Render(s Scope) (any, error) {
	if !t.raw {
		var b strings.Builder
		if err := t.tmpl.Execute(&b, s.data()); err != nil {
			return nil, cleanTemplateErr(err)
		}
		return b.String(), nil
	}
	// Clone so concurrent renders each capture into their own variable.
	c, err := t.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	var got any
	c.Funcs(template.FuncMap{captureFunc: func(v any) string { got = v; return "" }})
	if err := c.Execute(&bytes.Buffer{}, s.data()); err != nil {
		return nil, cleanTemplateErr(err)
	}
	return got, nil
}

// templateErrPrefix is what text/template puts before every message; it names
// the internal template and tells the responder nothing.
var templateErrPrefix = regexp.MustCompile(`^template: tmpl:\d+(:\d+)?: (executing "tmpl" at )?`)

func cleanTemplateErr(err error) error {
	msg := templateErrPrefix.ReplaceAllString(err.Error(), "")
	msg = strings.TrimPrefix(msg, "template: ")
	return errors.New("template: " + msg)
}

// directInput returns NAME when the pipeline is exactly .inputs.NAME or
// $.inputs.NAME: one command, one argument, no function, no assignment.
func directInput(p *parse.PipeNode) string {
	if len(p.Decl) != 0 || p.IsAssign || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return ""
	}
	var path []string
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		path = a.Ident
	case *parse.VariableNode:
		if len(a.Ident) == 0 || a.Ident[0] != "$" {
			return ""
		}
		path = a.Ident[1:]
	}
	if len(path) == 2 && path[0] == "inputs" {
		return path[1]
	}
	return ""
}

// refWalker collects references from a parse tree. Inside {{range}} and
// {{with}} the dot is no longer the root, so only $-rooted names count there.
type refWalker struct {
	refs  []Ref
	reads [][]string
	err   error
	// rewrite, when set, is given each command before its arguments are
	// walked, and whether the dot is the root there: Compose renames a
	// key's references with it (compose_rename.go).
	rewrite func(c *parse.CommandNode, root bool)
}

func (w *refWalker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *refWalker) list(l *parse.ListNode, root bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.node(n, root)
	}
}

func (w *refWalker) node(n parse.Node, root bool) {
	switch n := n.(type) {
	case *parse.ActionNode:
		w.pipe(n.Pipe, root)
	case *parse.IfNode:
		w.branch(&n.BranchNode, root, root)
	case *parse.RangeNode:
		w.branch(&n.BranchNode, root, false)
	case *parse.WithNode:
		w.branch(&n.BranchNode, root, false)
	case *parse.TemplateNode:
		w.fail(errors.New("template: {{template}} is not supported"))
	case *parse.ListNode:
		w.list(n, root)
	}
}

// branch walks an {{if}}, {{range}} or {{with}}: its pipeline and else
// branch see the dot the branch itself sees; its body sees it only in an
// {{if}} (bodyRoot), since range and with move the dot.
func (w *refWalker) branch(b *parse.BranchNode, root, bodyRoot bool) {
	w.pipe(b.Pipe, root)
	w.list(b.List, bodyRoot)
	w.list(b.ElseList, root)
}

func (w *refWalker) pipe(p *parse.PipeNode, root bool) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		w.command(c, root)
	}
}

func (w *refWalker) command(c *parse.CommandNode, root bool) {
	if w.rewrite != nil {
		w.rewrite(c, root)
	}
	// {{ index .steps "check-key" "status" }} is how a step id with a hyphen
	// is read, so constant index arguments extend the reference.
	if len(c.Args) >= 3 {
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			if path, ok := rootPath(c.Args[1], root); ok {
				for _, a := range c.Args[2:] {
					s, ok := a.(*parse.StringNode)
					if !ok {
						break
					}
					path = append(path, s.Text)
				}
				w.ref(path)
			}
		}
	}
	for _, a := range c.Args {
		w.arg(a, root)
	}
}

func (w *refWalker) arg(a parse.Node, root bool) {
	switch a := a.(type) {
	case *parse.IdentifierNode:
		if slices.Contains(refusedFuncs, a.Ident) {
			w.fail(fmt.Errorf("template: %s is not available in playbook templates (it could re-encode a secret past the redactor); use %s", a.Ident, strings.Join(FuncNames(), ", ")))
		}
	case *parse.DotNode:
		// {{ . }} at the root is the whole scope, secrets included.
		if root {
			w.reads = append(w.reads, []string{})
		}
	case *parse.FieldNode, *parse.VariableNode:
		if path, ok := rootPath(a, root); ok {
			w.reads = append(w.reads, path)
			w.ref(path)
		}
	case *parse.PipeNode:
		w.pipe(a, root)
	case *parse.ChainNode:
		w.arg(a.Node, root)
	}
}

// rootPath returns the field path of n when it starts at the template's root.
func rootPath(n parse.Node, root bool) ([]string, bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if root {
			return append([]string(nil), n.Ident...), true
		}
	case *parse.VariableNode:
		if len(n.Ident) >= 1 && n.Ident[0] == "$" {
			return append([]string{}, n.Ident[1:]...), true
		}
	}
	return nil, false
}

var refKinds = []string{"inputs", "steps", "run"}

func (w *refWalker) ref(path []string) {
	if len(path) == 0 {
		return
	}
	switch path[0] {
	case "inputs", "steps", "run":
	default:
		if w.err == nil {
			w.err = fmt.Errorf("template: unknown name .%s: templates read .inputs, .steps and .run%s", path[0], actions.Suggest(path[0], refKinds))
		}
		return
	}
	r := Ref{Kind: path[0]}
	if len(path) > 1 {
		r.Name = path[1]
	}
	if len(path) > 2 && r.Kind == "steps" {
		r.Field = path[2]
	}
	for _, old := range w.refs {
		if old == r {
			return
		}
	}
	w.refs = append(w.refs, r)
}

// tmplDefault is `default FALLBACK VALUE`: VALUE unless it is empty.
func tmplDefault(def any, v ...any) any {
	if len(v) == 0 || isEmpty(v[0]) {
		return def
	}
	return v[0]
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return rv.IsZero()
}

// tmplJoin is `join SEP LIST`, so it reads well in a pipeline:
// {{ .inputs.subusers | join ", " }}.
func tmplJoin(sep string, list any) (string, error) {
	items, ok := toList(list)
	if !ok {
		return "", fmt.Errorf("join: want a list, got %T", list)
	}
	return strings.Join(items, sep), nil
}

// tmplContains is `contains NEEDLE HAYSTACK`: membership for a list,
// substring for anything else.
func tmplContains(needle string, haystack any) bool {
	if items, ok := toList(haystack); ok {
		for _, it := range items {
			if it == needle {
				return true
			}
		}
		return false
	}
	return strings.Contains(toString(haystack), needle)
}

func tmplJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func toList(v any) ([]string, bool) {
	if v == nil {
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]string, rv.Len())
	for i := range out {
		out[i] = toString(rv.Index(i).Interface())
	}
	return out, true
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// isTemplate reports whether a YAML string is a template rather than a
// literal. Only "{{" marks one, so ordinary text with braces stays literal.
func isTemplate(s string) bool { return strings.Contains(s, "{{") }

// Params renders the step's `with` values for one attempt: literals pass
// through, templates (at any depth of a list or mapping) are rendered.
// Errors name the step and the parameter, because the responder must find
// the line to fix while the incident is open.
func (s *Step) Params(sc Scope) (map[string]any, error) {
	out := make(map[string]any, len(s.With))
	var errs []error
	for _, name := range sortedKeys(s.With) {
		v := s.With[name]
		var (
			val any
			err error
		)
		if v.Template != nil {
			val, err = v.Template.Render(sc)
		} else {
			val, err = renderLiteral(v.Literal, sc)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("step %s: parameter %q: %w", s.ID, name, err))
			continue
		}
		out[name] = val
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// renderLiteral renders templates nested in a literal list or mapping; the
// loader leaves them there as *Template.
func renderLiteral(v any, sc Scope) (any, error) {
	switch x := v.(type) {
	case *Template:
		return x.Render(sc)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderLiteral(e, sc)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i+1, err)
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := renderLiteral(e, sc)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// Cond evaluates the step's `if`: true when there is none. The result must be
// a bool or the text true/false; anything else is an error rather than a
// guess, since a mistaken skip could leave a key live.
func (s *Step) Cond(sc Scope) (bool, error) {
	if s.If == nil {
		return true, nil
	}
	v, err := s.If.Render(sc)
	if err != nil {
		return false, fmt.Errorf("step %s: if: %w", s.ID, err)
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b, nil
		}
		return false, fmt.Errorf("step %s: if: want true or false, got %s", s.ID, strconv.Quote(short(x)))
	case nil:
		return false, fmt.Errorf("step %s: if: want true or false, got nothing", s.ID)
	}
	return false, fmt.Errorf("step %s: if: want true or false, got a %T", s.ID, v)
}

// Decode renders the step's parameters and builds its action, validated. It
// is the last check before the step runs, now on the rendered values.
func (s *Step) Decode(sc Scope) (actions.Action, error) {
	info := s.Info
	if info.New == nil {
		var ok bool
		if info, ok = actions.Lookup(s.Action); !ok {
			return nil, fmt.Errorf("step %s: unknown action %q", s.ID, s.Action)
		}
	}
	params, err := s.Params(sc)
	if err != nil {
		return nil, err
	}
	a, err := actions.Decode(info, params)
	if err != nil {
		pes := paramErrors(err)
		errs := make([]error, len(pes))
		for i, pe := range pes {
			errs[i] = fmt.Errorf("step %s: %w", s.ID, pe)
		}
		return nil, errors.Join(errs...)
	}
	if err := s.bindCredential(a, sc); err != nil {
		return nil, fmt.Errorf("step %s: %w", s.ID, err)
	}
	return a, nil
}

// bindCredential gives an action that names a credential the playbook's
// declaration of it, with the host resolved. The action checks the host
// against its final URL before reading the credential.
func (s *Step) bindCredential(a actions.Action, sc Scope) error {
	cu, ok := a.(actions.CredentialUser)
	if !ok || cu.CredentialName() == "" {
		return nil
	}
	c := s.Credential
	if c == nil || c.Name != cu.CredentialName() {
		return fmt.Errorf("credential %q is not declared under the playbook's credentials", cu.CredentialName())
	}
	host := c.Host
	if c.HostInput != "" {
		v, _ := sc.Inputs[c.HostInput].(string)
		h, err := credentials.NormalizeHost(v)
		if err != nil {
			return fmt.Errorf("credential %q: input %s: %w", c.Name, c.HostInput, err)
		}
		host = h
	}
	cu.BindCredential(credentials.Binding{Name: c.Name, Env: c.Env, Host: host})
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
