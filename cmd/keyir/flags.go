package main

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
