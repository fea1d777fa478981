package playbook

import "strconv"
import "text/template"
import "text/template/parse"

// renamer moves one key's playbook into a composition: input names get a
// prefix (k1_key: still a field name), step ids are mapped (k1-locate: not
// a field name, so a reference becomes index .steps "k1-locate" …).
type renamer struct {
	prefix string
	ids    map[string]string
}

// value renames every template inside a decoded YAML value.
func (r renamer) value(v any) any {
	switch x := v.(type) {
	case string:
		if isTemplate(x) {
			return r.template(x)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = r.value(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e)
		}
		return out
	}
	return v
}

// template rewrites one template's references. A template that does not
// parse is left as written: loading the composition reports it.
func (r renamer) template(src string) string {
	t, err := template.New("r").Funcs(funcs).Parse(src)
	if err != nil || t.Tree == nil {
		return src
	}
	w := &refWalker{rewrite: r.command}
	w.list(t.Tree.Root, true)
	return t.Tree.Root.String()
}

// command renames the references of one command's arguments; the walk
// goes on into nested pipelines itself.
func (r renamer) command(c *parse.CommandNode, root bool) {
	// index .steps "id" … / index .inputs "name": the constant names.
	if len(c.Args) >= 3 {
		if id, ok := c.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
			if path, ok := rootPath(c.Args[1], root); ok && len(path) == 1 {
				if s, ok := c.Args[2].(*parse.StringNode); ok {
					c.Args[2] = r.str(s, r.name(path[0], s.Text))
				}
			}
		}
	}
	for i, a := range c.Args {
		c.Args[i] = r.arg(a, root)
	}
}

func (r renamer) arg(a parse.Node, root bool) parse.Node {
	switch a := a.(type) {
	case *parse.FieldNode:
		if root {
			return r.path(a, a.Ident, "")
		}
	case *parse.VariableNode:
		if len(a.Ident) >= 1 && a.Ident[0] == "$" {
			return r.path(a, a.Ident[1:], "$")
		}
	case *parse.ChainNode:
		a.Node = r.arg(a.Node, root)
	}
	return a
}

// path renames .inputs.NAME in place, and replaces .steps.ID[.FIELD] by
// (index .steps "NEW-ID" "FIELD"), a step id with a hyphen being no field
// name.
func (r renamer) path(n parse.Node, path []string, base string) parse.Node {
	if len(path) < 2 {
		return n
	}
	switch path[0] {
	case "inputs":
		path[1] = r.prefix + path[1]
		return n
	case "steps":
		expr := "index " + base + ".steps"
		for i, p := range path[1:] {
			if i == 0 {
				p = r.name("steps", p)
			}
			expr += " " + strconv.Quote(p)
		}
		t, err := template.New("p").Parse("{{ (" + expr + ") }}")
		if err != nil {
			return n
		}
		return t.Tree.Root.Nodes[0].(*parse.ActionNode).Pipe.Cmds[0].Args[0]
	}
	return n
}

func (r renamer) name(kind, name string) string {
	switch kind {
	case "inputs":
		return r.prefix + name
	case "steps":
		if id, ok := r.ids[name]; ok {
			return id
		}
	}
	return name
}

func (r renamer) str(s *parse.StringNode, text string) *parse.StringNode {
	q := strconv.Quote(text)
	return &parse.StringNode{NodeType: parse.NodeString, Pos: s.Pos, Quoted: q, Text: text}
}
