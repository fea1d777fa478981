package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryOutputFlagReadsKEYIROUTPUT: KEYIR_OUTPUT sets --output of every
// command that declares it (README: every flag also from KEYIR_<FLAG>),
// as it already chooses the JSON error document of each (wantsJSON): a
// command whose --output ignored it answered a failure in JSON and a
// success in text.
func TestEveryOutputFlagReadsKEYIROUTPUT(t *testing.T) {
	app := newApp(env{getenv: func(string) string { return "" }, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	seen := 0
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			for _, f := range c.Flags {
				if !slices.Contains(f.Names(), "output") {
					continue
				}
				seen++
				sf, ok := f.(*cli.StringFlag)
				if !ok || !slices.Equal(sf.EnvVars, []string{"KEYIR_OUTPUT"}) || sf.Value != "text" || !slices.Equal(sf.Aliases, []string{"o"}) {
					t.Errorf("keyir%s --output: %#v, want outputFlag's (KEYIR_OUTPUT, -o, default text)", name, f)
				}
			}
			walk(name, c.Subcommands)
		}
	}
	walk("", app.cli().Commands)
	if seen < 8 {
		t.Errorf("found --output on %d commands; the walk missed some", seen)
	}
}
