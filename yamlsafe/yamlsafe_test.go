package yamlsafe

import "strings"
import "testing"

var doc = Doc{Name: "playbook", Want: "name and steps"}

// TestSyntaxErrorPositions: a syntax error is placed where the text goes
// wrong, not at the start of the enclosing block (the parser's own line,
// which for these is lines above the mistake).
func TestSyntaxErrorPositions(t *testing.T) {
	for _, c := range []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"unclosed bracket", "name: x\nsteps:\n  - id: a\n    with:\n      text: [one, two\n      more: 1\n", 6, 11, "starts at line 5, column 13"},
		{"unclosed brace at end", "name: x\nsteps:\n  - id: a\n    with: {text: a\n", 5, 1, "flow mapping that starts at line 4, column 11"},
		{"bad indentation", "name: x\nsteps:\n  - id: a\n    with:\n      text: hi\n     more: 1\n", 6, 6, "did not find expected key"},
		{"dedented key", "name: x\nsteps:\n  - id: a\n    action: core.note\n   with:\n      text: hi\n", 5, 4, "did not find expected '-' indicator"},
		{"tab indentation", "name: x\nsteps:\n  - id: a\n\taction: core.note\n", 4, 1, "tab"},
		{"tab before a key", "name: x\nsteps:\n  - id: a\n    with:\n\ttext: hi\n", 5, 1, "(a tab: indent with spaces)"},
		{"stray mapping key", "name: x\nsteps:\n  - id: a\n    with: text: hi\n", 4, 15, "mapping values are not allowed"},
		{"key without colon", "name: x\nsteps:\n  - id: a\n    oops\n    with: {}\n", 5, 5, "could not find expected ':'"},
		{"in a second document", "name: x\n---\nsteps: [a\n", 4, 1, "did not find expected ',' or ']'"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), doc)
			if err == nil {
				t.Fatal("parsed")
			}
			if err.Line != c.line || err.Col != c.col || !strings.HasPrefix(err.Msg, "YAML syntax error: ") || !strings.Contains(err.Msg, c.msg) {
				t.Errorf("got %v, want %d:%d: YAML syntax error: …%s…", err, c.line, c.col, c.msg)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	deep := "a: " + strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1) + "\n"
	for _, c := range []struct{ name, src, want string }{
		{"empty", "", "1:1: playbook is empty: want a mapping with name and steps"},
		{"comments only", "# nothing\n", "1:1: playbook is empty"},
		{"null", "~\n", "1:1: playbook is empty"},
		{"list", "- a\n", "1:1: the playbook must be a mapping with name and steps, not a list"},
		{"second document", "a: 1\n---\nb: 2\n", "2:1: a second YAML document: a playbook file holds exactly one"},
		{"anchor", "a: &x 1\nb: 2\n", "1:4: YAML anchors (&x) are not allowed"},
		{"alias", "a: [1]\nb: *x\n", "YAML syntax error"}, // an alias to nothing is the parser's refusal
		{"alias bomb", "a: &x [1]\nb: [*x, *x]\n", "1:4: YAML anchors (&x) are not allowed"},
		{"too deep", deep, "nesting deeper than 32 levels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), doc)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	if _, err := Parse([]byte("a: "+strings.Repeat("[", MaxDepth-1)+strings.Repeat("]", MaxDepth-1)+"\n"), doc); err != nil {
		t.Errorf("nesting of %d levels refused: %v", MaxDepth, err)
	}
}
