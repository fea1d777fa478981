// Reading YAML nodes strictly: mappings with known fields and no duplicates,
// strings and booleans of the right kind, and how a node is named in a message.

package playbook

import (
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/keyir/keyir/actions"
)

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
