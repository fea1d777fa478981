package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
)

func (a *app) reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "show or verify an evidence report directory",
		Subcommands: []*cli.Command{
			{
				Name:      "show",
				Usage:     "print a run's report",
				ArgsUsage: "DIR",
				Flags:     []cli.Flag{&cli.StringFlag{Name: "format", Value: "md", EnvVars: []string{"KEYIR_FORMAT"}, Usage: "md or json"}},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErr(fmt.Errorf("report show takes one report directory"))
					}
					return a.reportShow(c.Args().First(), c.String("format"))
				},
			},
			{
				Name:      "verify",
				Usage:     "check a report directory against its MANIFEST (exit 0 intact, 1 tampered)",
				ArgsUsage: "DIR",
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return usageErr(fmt.Errorf("report verify takes one report directory"))
					}
					return a.reportVerify(c.Args().First())
				},
			},
		},
	}
}

func (a *app) reportShow(dir, format string) error {
	rep, err := report.Load(dir)
	if err != nil {
		return err
	}
	switch format {
	case "md":
		return report.RenderMarkdown(a.out, rep)
	case "json":
		return report.RenderJSON(a.out, rep)
	}
	return usageErr(fmt.Errorf("--format must be md or json, not %q", format))
}

func (a *app) reportVerify(dir string) error {
	res, err := report.Verify(dir)
	if err != nil {
		return err
	}
	if res.OK() {
		fmt.Fprintf(a.out, "%s: intact — every file matches MANIFEST (head %s)\n", dir, res.Head)
		return nil
	}
	fmt.Fprintf(a.out, "%s: TAMPERED\n", dir)
	for _, f := range res.Changed {
		fmt.Fprintf(a.out, "  changed: %s\n", f)
	}
	for _, f := range res.Missing {
		fmt.Fprintf(a.out, "  missing: %s\n", f)
	}
	for _, f := range res.Added {
		fmt.Fprintf(a.out, "  added:   %s\n", f)
	}
	if res.ChainBroken {
		fmt.Fprintln(a.out, "  MANIFEST itself was edited: its hash chain is broken")
	}
	return withCode(playbook.ExitCouldNotRun)
}
