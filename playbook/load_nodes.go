// Reading YAML nodes strictly, through yamlsafe.Reader, with the problems
// recorded as the loader's.

package playbook

import "iter"
import "strconv"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/yamlsafe"

// fields is a mapping's entries by key, in source order: yamlsafe.Fields
// under the names the loader uses.
type fields struct {
	keys, vals []*yaml.Node
	unknown    int // names reported as unknown
}

func (f fields) val(name string) *yaml.Node { return f.shared().Val(name) }
func (f fields) key(name string) *yaml.Node { return f.shared().Key(name) }

func (f fields) shared() yamlsafe.Fields { return yamlsafe.Fields{Keys: f.keys, Vals: f.vals} }

// reader is the strict node reader reporting into l.
func (l *loader) reader() yamlsafe.Reader {
	return yamlsafe.Reader{Report: func(n *yaml.Node, msg string) { l.errf(n, "%s", msg) }, Suggest: actions.Suggest}
}

// hints gives suggestions outside a loader (inputs, built-in names).
var hints = yamlsafe.Reader{Suggest: actions.Suggest}

// mapping reads a mapping node's entries strictly: see yamlsafe.Reader.Mapping.
func (l *loader) mapping(m *yaml.Node, noun, where string, known []string) fields {
	f := l.reader().Mapping(m, noun, where, known)
	return fields{keys: f.Keys, vals: f.Vals, unknown: f.Unknown}
}

// str reads a scalar as a string; null is "".
func (l *loader) str(n *yaml.Node, what string) (string, bool) { return l.reader().Str(n, what) }

func (l *loader) boolean(n *yaml.Node, what string) (bool, bool) { return l.reader().Bool(n, what) }

func describe(n *yaml.Node) string { return yamlsafe.Describe(n) }

// quoteShort quotes s, shortened to 40 characters.
func quoteShort(s string) string { return strconv.Quote(yamlsafe.Short(s)) }

// suggest is the hint for an unknown name: see yamlsafe.Reader.Hint.
func suggest(got string, known []string) string { return hints.Hint(got, known) }

var short = yamlsafe.Short

// declarations reads an optional section that maps names to declarations
// (inputs, credentials) and yields each name's key and value node, in source
// order: nothing is none, anything but a mapping is a problem (want says
// what it should be). Range over it once: the problems are reported as it
// is read.
func (l *loader) declarations(n *yaml.Node, section, want, noun string) iter.Seq2[*yaml.Node, *yaml.Node] {
	return func(yield func(k, v *yaml.Node) bool) {
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			return
		}
		if n.Kind != yaml.MappingNode {
			l.errf(n, "%s: want %s, got %s", section, want, describe(n))
			return
		}
		f := l.mapping(n, noun, section, nil)
		for i, k := range f.keys {
			if !yield(k, f.vals[i]) {
				return
			}
		}
	}
}
