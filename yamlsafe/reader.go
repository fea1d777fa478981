package yamlsafe

import "slices"
import "strconv"
import "unicode/utf8"

import "go.yaml.in/yaml/v3"

// Reader reads nodes strictly, reporting every problem at its node so a
// user sees all of them at once.
type Reader struct {
	// Report receives each problem with the node it is about.
	Report func(n *yaml.Node, msg string)
	// Suggest returns a hint for an unknown name (` (did you mean "x"?)`)
	// or ""; nil for none.
	Suggest func(got string, known []string) string
}

// Fields is a mapping's accepted entries by key, in source order.
type Fields struct {
	Keys, Vals []*yaml.Node
	// Unknown counts the names refused as unknown.
	Unknown int
}

// Val returns the value of name, or nil.
func (f Fields) Val(name string) *yaml.Node {
	if i := f.index(name); i >= 0 {
		return f.Vals[i]
	}
	return nil
}

// Key returns the key node of name, or nil.
func (f Fields) Key(name string) *yaml.Node {
	if i := f.index(name); i >= 0 {
		return f.Keys[i]
	}
	return nil
}

func (f Fields) index(name string) int {
	return slices.IndexFunc(f.Keys, func(k *yaml.Node) bool { return k.Value == name })
}

// Mapping reads a mapping node's entries, reporting keys that are not
// strings, duplicates (the YAML library keeps both silently) and, when
// known is non-nil, names not in known. noun names a key ("field", "input",
// "parameter"); where names the mapping ("the playbook", `step "revoke"`).
func (r Reader) Mapping(m *yaml.Node, noun, where string, known []string) Fields {
	var f Fields
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			hint := ""
			if k.Kind == yaml.MappingNode { // what an unquoted {{ … }} parses as
				hint = " (is a template missing its quotes? write '{{ … }}')"
			}
			r.Report(k, noun+" names must be strings, not "+Describe(k)+hint)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			r.Report(k, "duplicate "+noun+" "+strconv.Quote(k.Value)+" in "+where+" (first at line "+strconv.Itoa(first)+")")
			continue
		}
		seen[k.Value] = k.Line
		if known != nil && !slices.Contains(known, k.Value) {
			r.Report(k, "unknown "+noun+" "+strconv.Quote(k.Value)+" in "+where+r.Hint(k.Value, known))
			f.Unknown++
			continue
		}
		f.Keys = append(f.Keys, k)
		f.Vals = append(f.Vals, v)
	}
	return f
}

// Hint calls Suggest, skipped when comparing would be costly (a hostile
// file with thousands of long names).
func (r Reader) Hint(got string, known []string) string {
	if r.Suggest == nil || len(got) > 64 || len(known) > 500 {
		return ""
	}
	return r.Suggest(got, known)
}

// Str reads a scalar as a string; null is "".
func (r Reader) Str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		r.Report(n, what+": want a string, got "+Describe(n))
		return "", false
	}
	if n.ShortTag() == "!!null" {
		return "", true
	}
	return n.Value, true
}

// Bool reads true or false.
func (r Reader) Bool(n *yaml.Node, what string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if n.Decode(&b) == nil {
			return b, true
		}
	}
	r.Report(n, what+": want true or false, got "+Describe(n))
	return false, false
}

// Describe names a node's kind for messages, quoting at most a short prefix
// of a scalar so a pasted blob does not flood the terminal.
func Describe(n *yaml.Node) string {
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
			return "the number " + Short(n.Value)
		case "!!bool":
			return n.Value
		}
		return strconv.Quote(Short(n.Value))
	}
	return "an empty value"
}

// Short shortens s to 40 characters.
func Short(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}
