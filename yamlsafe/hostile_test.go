package yamlsafe

import "strings"
import "testing"

// TestHostileSyntaxErrors: the second scan that places a syntax error
// holds on hostile input as the first parser does: a megabyte of nesting or
// of garbage is refused with a position, never a crash.
func TestHostileSyntaxErrors(t *testing.T) {
	var block strings.Builder
	for i := 0; block.Len() < 1<<20; i++ {
		block.WriteString(strings.Repeat(" ", i%2000) + "a:\n")
	}
	for name, src := range map[string]string{
		"flow nesting":  strings.Repeat("[", 1<<20),
		"flow mappings": strings.Repeat("{a: ", 1<<18),
		"list nesting":  strings.Repeat("- ", 1<<19),
		"block nesting": block.String(),
		"unclosed":      "a: \"" + strings.Repeat("x", 1<<20),
		"nul bytes":     "a: b\n" + strings.Repeat("\x00", 1<<16),
		"bad utf-8":     "a: \xff\xfe\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(src), doc)
			if err == nil {
				t.Fatal("parsed")
			}
			if err.Line < 1 || err.Col < 1 {
				t.Errorf("position %d:%d", err.Line, err.Col)
			}
			t.Logf("%.120s", err)
		})
	}
}
