// Validating a playbook's inputs: names, types, defaults, patterns, secrets.

package playbook

import "errors"
import "regexp"
import "regexp/syntax"
import "slices"
import "strings"

import "go.yaml.in/yaml/v3"

import "github.com/keyir/keyir/actions"

func (l *loader) inputs(n *yaml.Node) []Input {
	var out []Input
	for k, v := range l.declarations(n, "inputs", "a mapping of input names to declarations", "input") {
		name := k.Value
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
			if typeOK = slices.Contains(inputTypes, s); !typeOK {
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
