// Reading the YAML text safely: one document, no anchors or aliases, bounded
// nesting, and syntax errors with their position.

package playbook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
