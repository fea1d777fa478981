package main

import "errors"
import "fmt"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"

// unknownCommand is the usage error for a command or subcommand that does
// not exist, with the nearest name when one is close (`keyir dril`, `keyir
// report shw`). c is the context of the command whose subcommand was not
// found (nil: the top level). The name is never quoted when it has the shape
// of a key: someone pasted the key where the command goes.
func unknownCommand(c *cli.Context, name string) error {
	path := "keyir"
	var cmds []*cli.Command
	if c != nil && c.Command != nil && len(c.Command.Subcommands) > 0 && c.Command.HelpName != "" {
		path, cmds = c.Command.HelpName, c.Command.Subcommands
	} else if c != nil && c.App != nil {
		cmds = c.App.Commands
	}
	var names []string
	for _, cmd := range cmds {
		if !cmd.Hidden && cmd.Name != "help" {
			names = append(names, cmd.Name)
		}
	}
	what := "command"
	if path != "keyir" {
		what = strings.TrimPrefix(path, "keyir ") + " command"
	}
	if redact.LooksLikeKey(name) {
		return usageErr(fmt.Errorf("unknown %s (it has the shape of an API key and is not shown); see %s --help", what, path))
	}
	hint := ""
	if len(names) > 0 {
		hint = "; " + path + " has: " + strings.Join(names, ", ")
	}
	return usageErr(fmt.Errorf("unknown %s %q%s%s", what, name, suggestion(name, names), hint))
}

// suggestion is ` (did you mean "x"?)` for a near miss, or "". It is
// actions.Suggest, plus a prefix match for an abbreviation (`keyir play`).
func suggestion(got string, known []string) string {
	if s := actions.Suggest(got, known); s != "" {
		return s
	}
	if len(got) >= 3 {
		var hits []string
		for _, k := range known {
			if strings.HasPrefix(k, got) {
				hits = append(hits, k)
			}
		}
		if len(hits) == 1 {
			return fmt.Sprintf(" (did you mean %q?)", hits[0])
		}
	}
	return ""
}

// flagUsageErr turns the flag package's "flag provided but not defined:
// -scenaro" into "unknown flag --scenaro (did you mean "--scenario"?)"; any
// other flag error is passed on as a usage error, pointing at the help.
func flagUsageErr(flags []cli.Flag, help string, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "flag provided but not defined: ")
	if !ok {
		return usageErr(fmt.Errorf("%s (see %s)", msg, help))
	}
	name = strings.TrimLeft(name, "-")
	var names []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) > 1 {
				names = append(names, n)
			}
		}
	}
	names = append(names, "help")
	if redact.LooksLikeKey(name) {
		return usageErr(errors.New("unknown flag (it has the shape of an API key and is not shown); see " + help))
	}
	dash := "--"
	if len(name) == 1 {
		dash = "-"
	}
	s := suggestion(name, names)
	if s != "" {
		s = strings.Replace(s, `"`, `"--`, 1)
	}
	return usageErr(fmt.Errorf("unknown flag %s%s%s; see %s", dash, name, s, help))
}
