package yamlsafe

import "bytes"
import "errors"
import "fmt"
import "io"
import "strings"

import "github.com/pb33f/go-yaml"

// locate scans data with a second YAML parser whose errors carry the
// position of the mistake itself (go.yaml.in/yaml/v3 keeps it private): the
// line and column where the text goes wrong, with the construct it was in
// and where that starts. It is called only after the main parser refused
// data, and looks at the first two documents, as Parse does.
func locate(data []byte) (line, col int, msg string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 2 {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return 0, 0, "", false
		}
		var le *yaml.LoadError
		if !errors.As(err, &le) || le.Mark.Line < 1 || le.Mark.Column < 1 {
			return 0, 0, "", false
		}
		switch le.Stage {
		case yaml.ReaderStage, yaml.ScannerStage, yaml.ParserStage:
		default:
			return 0, 0, "", false // not a syntax error: not what the main parser refused
		}
		msg = le.Message
		if !strings.Contains(msg, "tab") && charAt(data, le.Mark.Line, le.Mark.Column) == '\t' {
			msg += " (a tab: indent with spaces)"
		}
		if c := le.ContextMark; le.ContextMsg != "" && c.Line > 0 && (c.Line != le.Mark.Line || c.Column != le.Mark.Column) {
			msg += fmt.Sprintf(" (%s that starts at line %d, column %d)", strings.TrimSpace(le.ContextMsg), c.Line, c.Column)
		}
		return le.Mark.Line, le.Mark.Column, msg, true
	}
	return 0, 0, "", false
}

// charAt returns the character at a 1-based line and column (counted in
// characters, as the parser counts), or 0.
func charAt(data []byte, line, col int) rune {
	lines := bytes.SplitN(data, []byte("\n"), line+1)
	if line > len(lines) {
		return 0
	}
	r := []rune(string(lines[line-1]))
	if col > len(r) {
		return 0
	}
	return r[col-1]
}
