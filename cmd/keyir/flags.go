package main

import "strings"

import "github.com/urfave/cli/v2"

// The flags several commands take with one meaning, declared once so their
// name, default and environment variable cannot drift apart between
// commands.

// outputFlag is --output of the commands that list or report.
func outputFlag() cli.Flag { return outputFlagUsage("text or json (one JSON document on stdout)") }

// outputFlagUsage is --output where the command says more of it (audit
// also writes html). Every command's --output is one of these two, so
// KEYIR_OUTPUT sets all of them, as it sets the JSON error document
// (wantsJSON) of every command that declares --output.
func outputFlagUsage(usage string) cli.Flag {
	return &cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", EnvVars: []string{"KEYIR_OUTPUT"}, Usage: usage}
}

// reportsFlag is --reports, the root directory runs are written under and
// found in (KEYIR_REPORTS, default ./reports); usage says what the command
// does with it. (rotate's differs: its default is the directory holding
// the run it reads.)
func reportsFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "reports", Value: "reports", EnvVars: []string{"KEYIR_REPORTS"}, Usage: usage}
}

// envOf is the environment variable of --name, KEYIR_<NAME> with dashes as
// underscores (README: Configuration): the one spelling rule, so that no
// flag drifts from what the README promises. The flags that read none, or
// another, are listed with their reasons in flags_test.go and the README.
func envOf(name string) []string {
	return []string{"KEYIR_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
}

// dryRunFlag is --dry-run of every command that can write. KEYIR_DRY_RUN
// sets each of them: a shell that asked for dry runs must get one from
// eradicate and rotate as from run (they ignored the variable and wrote).
func dryRunFlag(usage string) cli.Flag {
	return &cli.BoolFlag{Name: "dry-run", EnvVars: envOf("dry-run"), Usage: usage}
}
