// Package yamlsafe is keyir's one policy for reading YAML that may be
// hostile (a playbook pasted from a gist or a PR, a serve config): exactly
// one document, no anchors or aliases (an alias bomb expands a 1 KiB file
// into gigabytes in whatever consumes it), nesting at most MaxDepth deep,
// never a panic, and a syntax error placed at the line and column where the
// text goes wrong. Reader reads the resulting nodes strictly (known fields,
// no duplicate keys, values of the right kind): the one strict decoder of
// keyir's YAML files.
package yamlsafe

import "bytes"
import "errors"
import "fmt"
import "io"
import "regexp"
import "strconv"
import "strings"

import "go.yaml.in/yaml/v3"

// MaxDepth bounds the nesting of mappings and lists; a playbook needs about
// 5, a serve config 3.
const MaxDepth = 32

// Doc names what a file holds, for the messages: Name "playbook", Want
// "name, inputs and steps".
type Doc struct{ Name, Want string }

// Error is a refused document: where (1-based) and why, worded for a person.
type Error struct {
	Line, Col int
	Msg       string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Parse decodes data, which must hold exactly one YAML document, checks it
// against the policy and returns its top node, which is a mapping.
func Parse(data []byte, doc Doc) (*yaml.Node, *Error) {
	empty := &Error{Line: 1, Col: 1, Msg: fmt.Sprintf("%s is empty: want a mapping with %s", doc.Name, doc.Want)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := decode(dec, &root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, empty
		}
		return nil, syntaxError(data, err)
	}
	var extra yaml.Node
	if err := decode(dec, &extra); err == nil {
		return nil, &Error{Line: max(extra.Line, 1), Col: max(extra.Column, 1),
			Msg: fmt.Sprintf("a second YAML document: a %s file holds exactly one (remove the ---)", doc.Name)}
	} else if !errors.Is(err, io.EOF) {
		return nil, syntaxError(data, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil, empty
	}
	top := root.Content[0]
	if err := check(top, 1); err != nil {
		return nil, err
	}
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return nil, empty
	}
	if top.Kind != yaml.MappingNode {
		return nil, &Error{Line: top.Line, Col: top.Column, Msg: fmt.Sprintf("the %s must be a mapping with %s, not %s", doc.Name, doc.Want, Describe(top))}
	}
	return top, nil
}

// decode guards against a panic in the YAML library: a hostile file must
// be refused, never crash keyir.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// check returns the first anchor, alias or over-deep node. One is enough:
// the rest of such a file is not worth reading.
func check(n *yaml.Node, depth int) *Error {
	at := func(format string, args ...any) *Error {
		return &Error{Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
	}
	switch {
	case n.Kind == yaml.AliasNode:
		return at("YAML aliases (*%s) are not allowed: write the value out", n.Value)
	case n.Anchor != "":
		return at("YAML anchors (&%s) are not allowed: write the value out", n.Anchor)
	case (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && depth > MaxDepth:
		return at("nesting deeper than %d levels", MaxDepth)
	}
	for _, c := range n.Content {
		if err := check(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var yamlErrRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError places a parser error. The parser's own message names only a
// line, and for an error inside a block or a bracket it is the line where
// that construct starts (often lines above the mistake), so the text is
// scanned again by locate for the position of the mistake itself. When that
// finds nothing the parser's line is kept, at column 1.
func syntaxError(data []byte, err error) *Error {
	if line, col, msg, ok := locate(data); ok {
		return &Error{Line: line, Col: col, Msg: "YAML syntax error: " + msg}
	}
	msg := err.Error()
	if m := yamlErrRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: max(line, 1), Col: 1, Msg: "YAML syntax error: " + m[2]}
	}
	return &Error{Line: 1, Col: 1, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}
