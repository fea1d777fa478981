package main

import "strings"

import "github.com/urfave/cli/v2"

// interleave moves flags that follow positional arguments in front of them.
// urfave/cli v2 stops parsing flags at the first positional argument, but
// responders type `keyir run sendgrid-key-compromise --key - --incident X`,
// the order every example uses. Which flags take a value is read from the
// command's own definitions, so "--key -" keeps "-" as the flag's value.
// Everything after "--" stays positional.
func interleave(cmds []*cli.Command, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	var cmd *cli.Command
	// Walk down the command path (keyir report show …).
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		next := find(cmds, rest[0])
		if next == nil {
			break
		}
		cmd = next
		cmds = next.Subcommands
		out = append(out, rest[0])
		rest = rest[1:]
	}
	if cmd == nil {
		return args
	}
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			positional = append(positional, rest[i:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue(cmd, name) && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		default:
			positional = append(positional, a)
		}
	}
	return append(append(out, flags...), positional...)
}

func find(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func takesValue(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}

// helpOnly reduces a command line that asks for help anywhere (before "--")
// to the command path and --help: `keyir run --help sendgrid-key-compromise`
// is a request for run's help, not for the help of a subcommand named
// sendgrid-key-compromise.
func helpOnly(cmds []*cli.Command, args []string) []string {
	asked := false
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if a == "--help" || a == "-h" {
			asked = true
		}
	}
	if !asked {
		return args
	}
	out := []string{args[0]}
	for _, a := range args[1:] {
		next := find(cmds, a)
		if next == nil {
			break
		}
		out = append(out, a)
		cmds = next.Subcommands
	}
	return append(out, "--help")
}
