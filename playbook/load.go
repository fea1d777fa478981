package playbook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/safefile"
)

// Limits on what Load accepts. A playbook may come from anywhere (a pasted
// gist, a PR), and `keyir validate` is run on untrusted files, so the loader
// must stay cheap and predictable on hostile input.
const (
	// MaxSize is the largest playbook accepted; real ones are a few KiB.
	MaxSize = 1 << 20
	// MaxDepth bounds nesting of mappings and lists; a playbook needs about 5.
	MaxDepth = 32
	// MaxTimeout bounds a step's timeout: a step that may hang for longer
	// than an hour during an incident should be split or run by hand.
	MaxTimeout = time.Hour
	// MaxRetries bounds extra attempts of a step.
	MaxRetries = 10
)

var (
	inputNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	stepIDRE    = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	yamlErrRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

	topFields   = []string{"name", "description", "inputs", "credentials", "steps"}
	inputFields = []string{"type", "description", "required", "default", "pattern", "secret"}
	stepFields  = []string{"id", "action", "with", "if", "on_error", "timeout", "retries"}
	inputTypes  = []string{actions.TypeString, actions.TypeInt, actions.TypeBool, actions.TypeDuration, actions.TypeTime, actions.TypeList}
)

// LoadFile reads and loads a playbook file: a regular file only, never
// through a symbolic link, never blocking (a FIFO is refused, not waited
// on), and at most MaxSize bytes, checked before anything is allocated.
func LoadFile(path string) (*Playbook, error) {
	data, err := safefile.ReadFile(path, MaxSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		return nil, fmt.Errorf("%w: a playbook larger than %d bytes is refused", err, MaxSize)
	}
	if err != nil {
		return nil, err
	}
	return Load(path, data)
}

// Load parses and validates a playbook. Every problem is reported, in source
// order, as a Problems error, so a responder fixing a playbook under pressure
// sees all of it in one `keyir validate` rather than one error per attempt.
// Positions are those of the offending YAML node: the key for an unknown
// field, the value for a bad value. file is used only in positions.
func Load(file string, data []byte) (*Playbook, error) {
	l := &loader{file: file}
	pb := l.load(data)
	if len(l.probs) > 0 {
		sort.SliceStable(l.probs, func(i, j int) bool {
			a, b := l.probs[i].Pos, l.probs[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, l.probs
	}
	sum := sha256.Sum256(data)
	pb.Source = file
	pb.SHA256 = hex.EncodeToString(sum[:])
	pb.text = string(data)
	return pb, nil
}

type loader struct {
	file  string
	probs Problems
	creds []Credential // declared credentials, for the steps that name one
	// badCreds are declared credentials refused with a problem: a step
	// naming one is not reported again as naming an undeclared one.
	badCreds map[string]bool
}

func (l *loader) at(line, col int, format string, args ...any) {
	l.probs = append(l.probs, Problem{Pos: Pos{File: l.file, Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errf(n *yaml.Node, format string, args ...any) {
	l.at(n.Line, n.Column, format, args...)
}

func (l *loader) pos(n *yaml.Node) Pos { return Pos{File: l.file, Line: n.Line, Col: n.Column} }

func (l *loader) load(data []byte) *Playbook {
	if len(data) > MaxSize {
		l.at(1, 1, "playbook is larger than %d bytes (1 MiB); a playbook is a few KiB", MaxSize)
		return nil
	}
	top := l.parse(data)
	if top == nil {
		return nil
	}
	pb := &Playbook{}
	f := l.mapping(top, "field", "the playbook", topFields)
	if n := f.val("name"); n == nil {
		l.at(top.Line, top.Column, "name is missing")
	} else if s, ok := l.str(n, "name"); ok {
		if s == "" {
			l.errf(n, "name is empty")
		}
		pb.Name = s
	}
	if n := f.val("description"); n != nil {
		pb.Description, _ = l.str(n, "description")
	}
	inputs := map[string]bool{}
	if n := f.val("inputs"); n != nil {
		pb.Inputs = l.inputs(n)
		for _, in := range pb.Inputs {
			inputs[in.Name] = true
		}
	}
	if n := f.val("credentials"); n != nil {
		pb.Credentials = l.credentials(n, pb.Inputs)
		l.creds = pb.Credentials
	}
	if n := f.val("steps"); n == nil {
		l.at(top.Line, top.Column, "steps is missing")
	} else {
		pb.Steps = l.steps(n, pb.Inputs)
	}
	return pb
}

// parse decodes the one YAML document into a node tree and refuses what a
// playbook never needs but an attacker might use: more than one document,
// anchors and aliases (an alias bomb expands a 1 KiB file into gigabytes in
// whatever consumes it later), and deep nesting.
func (l *loader) parse(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decode(dec, &doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.at(1, 1, "playbook is empty: want a mapping with name, inputs and steps")
		} else {
			l.syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	if err := decode(dec, &extra); err == nil {
		l.errf(&extra, "a second YAML document: a playbook file holds exactly one (remove the ---)")
		return nil
	} else if !errors.Is(err, io.EOF) {
		l.syntax(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.at(1, 1, "playbook is empty: want a mapping with name, inputs and steps")
		return nil
	}
	top := doc.Content[0]
	if !l.safe(top, 1) {
		return nil
	}
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		l.at(1, 1, "playbook is empty: want a mapping with name, inputs and steps")
		return nil
	}
	if top.Kind != yaml.MappingNode {
		l.errf(top, "the playbook must be a mapping with name, inputs and steps, not %s", describe(top))
		return nil
	}
	return top
}

// decode guards against a panic in the YAML library: Load must never panic,
// whatever the input.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntax turns a YAML library error into a Problem. The library reports a
// line but no column, so the column is 1.
func (l *loader) syntax(err error) {
	msg := err.Error()
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		l.at(max(line, 1), 1, "YAML syntax error: %s", m[2])
		return
	}
	l.at(1, 1, "YAML syntax error: %s", strings.TrimPrefix(msg, "yaml: "))
}

// safe reports the first anchor, alias or over-deep node, and whether there
// was none. One problem is enough: the rest of such a file is not worth
// validating.
func (l *loader) safe(n *yaml.Node, depth int) bool {
	switch {
	case n.Kind == yaml.AliasNode:
		l.errf(n, "YAML aliases (*%s) are not allowed: write the value out", n.Value)
		return false
	case n.Anchor != "":
		l.errf(n, "YAML anchors (&%s) are not allowed: write the value out", n.Anchor)
		return false
	case (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && depth > MaxDepth:
		l.errf(n, "nesting deeper than %d levels", MaxDepth)
		return false
	}
	for _, c := range n.Content {
		if !l.safe(c, depth+1) {
			return false
		}
	}
	return true
}

// fields is a mapping's entries by key, in source order.
type fields struct {
	keys    []*yaml.Node
	vals    []*yaml.Node
	unknown int // names reported as unknown
}

func (f fields) val(name string) *yaml.Node {
	for i, k := range f.keys {
		if k.Value == name {
			return f.vals[i]
		}
	}
	return nil
}

func (f fields) key(name string) *yaml.Node {
	for _, k := range f.keys {
		if k.Value == name {
			return k
		}
	}
	return nil
}

// mapping reads a mapping node's entries, reporting keys that are not
// strings, duplicates (the YAML library keeps both silently) and, when known
// is non-nil, names not in known. noun names a key ("field", "input",
// "parameter"); where names the mapping ("the playbook", `step "revoke"`).
func (l *loader) mapping(m *yaml.Node, noun, where string, known []string) fields {
	var f fields
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errf(k, "%s names must be strings, not %s (is a template missing its quotes? write '{{ … }}')", noun, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.errf(k, "duplicate %s %q in %s (first at line %d)", noun, k.Value, where, first)
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !contains(known, k.Value) {
			l.errf(k, "unknown %s %q in %s%s", noun, k.Value, where, suggest(k.Value, known))
			f.unknown++
			continue
		}
		f.keys = append(f.keys, k)
		f.vals = append(f.vals, v)
	}
	return f
}

// str reads a scalar as a string; null is "".
func (l *loader) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		l.errf(n, "%s: want a string, got %s", what, describe(n))
		return "", false
	}
	if n.ShortTag() == "!!null" {
		return "", true
	}
	return n.Value, true
}

func (l *loader) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			return b, true
		}
	}
	l.errf(n, "%s: want true or false, got %s", what, describe(n))
	return false, false
}

func (l *loader) inputs(n *yaml.Node) []Input {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.errf(n, "inputs: want a mapping of input names to declarations, got %s", describe(n))
		return nil
	}
	var out []Input
	f := l.mapping(n, "input", "inputs", nil)
	for i, k := range f.keys {
		name, v := k.Value, f.vals[i]
		if !inputNameRE.MatchString(name) {
			l.errf(k, "input name %s: use lower-case letters, digits and _, starting with a letter", quoteShort(name))
		}
		if v.Kind != yaml.MappingNode {
			l.errf(v, "input %s: want a mapping with at least a type, got %s", name, describe(v))
			continue
		}
		in := Input{Name: name, Pos: l.pos(k)}
		label := "input " + name
		d := l.mapping(v, "field", label, inputFields)
		typeOK := false
		if t := d.val("type"); t == nil {
			l.errf(k, "%s: type is missing (one of %s)", label, strings.Join(inputTypes, ", "))
		} else if s, ok := l.str(t, label+": type"); ok {
			in.Type = s
			if typeOK = contains(inputTypes, s); !typeOK {
				l.errf(t, "%s: unknown type %s (want one of %s)%s", label, quoteShort(s), strings.Join(inputTypes, ", "), suggest(s, inputTypes))
			}
		}
		if x := d.val("description"); x != nil {
			in.Description, _ = l.str(x, label+": description")
		}
		if x := d.val("required"); x != nil {
			in.Required, _ = l.boolean(x, label+": required")
		}
		if x := d.val("secret"); x != nil {
			in.Secret, _ = l.boolean(x, label+": secret")
		}
		var re *regexp.Regexp
		if x := d.val("pattern"); x != nil {
			if s, ok := l.str(x, label+": pattern"); ok && s != "" {
				in.Pattern = s
				if typeOK && in.Type != actions.TypeString && in.Type != actions.TypeList {
					l.errf(x, "%s: pattern applies only to string and list inputs, not %s", label, in.Type)
				} else if r, err := compilePattern(s); err != nil {
					l.errf(x, "%s: pattern does not compile: %v", label, err)
				} else {
					re = r
				}
			}
		}
		if x := d.val("default"); x != nil {
			if x.Kind != yaml.ScalarNode {
				l.errf(x, "%s: default: want a single value (write a list as a comma-separated string), got %s", label, describe(x))
			} else if x.ShortTag() != "!!null" {
				in.Default = x.Value
				switch {
				case in.Secret:
					l.errf(d.key("default"), "%s: a secret input cannot have a default: the secret would be written in the playbook", label)
				case in.Required:
					l.errf(d.key("default"), "%s: a required input cannot have a default (it would never be used)", label)
				case typeOK && in.Default != "":
					if _, err := checkValue(in, re, in.Default); err != nil {
						l.errf(x, "%s: default: %v", label, err)
					}
				}
			}
		}
		out = append(out, in)
	}
	return out
}

// compilePattern anchors an input pattern: a pattern that matched a substring
// would let "SG.x; rm" through a check meant to accept a key and nothing else.
func compilePattern(p string) (*regexp.Regexp, error) {
	// Compile the pattern as written first, so an error quotes what the
	// author wrote rather than the anchored form.
	if _, err := regexp.Compile(p); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, errors.New(se.Code.String() + ": " + quoteShort(se.Expr))
		}
		return nil, err
	}
	return regexp.Compile(`^(?:` + p + `)$`)
}

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

// describe names a node's kind for messages, quoting at most a short prefix
// of a scalar so a pasted blob does not flood the terminal.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!int", "!!float":
			return "the number " + short(n.Value)
		case "!!bool":
			return n.Value
		}
		return quoteShort(n.Value)
	}
	return "an empty value"
}

// quoteShort quotes s, shortened to 40 characters.
func quoteShort(s string) string { return strconv.Quote(short(s)) }

func short(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// suggest is actions.Suggest, skipped when comparing would be costly (a
// hostile file with thousands of long names).
func suggest(got string, known []string) string {
	if len(got) > 64 || len(known) > 500 {
		return ""
	}
	return actions.Suggest(got, known)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
