package main

import "encoding/json"
import "fmt"
import "io"
import "os"

import "github.com/urfave/cli/v2"
import "golang.org/x/term"

import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// stdinIsTerminal says whether the typed confirmation can be asked for;
// tests replace it.
var stdinIsTerminal = func() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

func (a *app) eradicateCommand() *cli.Command {
	return &cli.Command{
		Name:      "eradicate",
		Usage:     "remove the footholds a finished run found (its eradication-plan.json), as a new run",
		ArgsUsage: "DIR",
		Description: "Verifies DIR against its MANIFEST, shows its plan and asks for a typed yes (or --yes), then removes each item " +
			"(404 = already gone) and reads it back, recorded as a new run beside DIR that names DIR and its MANIFEST head. DIR is " +
			"not changed. Each provider's items (SendGrid's, GitHub's) are removed by its own eradication playbook, one run each; " +
			"items keyir cannot remove (a GitHub user's SSH key, an app installation) are shown as by hand, with why. Exit 0 " +
			"when nothing is left, 5 when footholds of high severity stay open (refused by the API, say), 2 without a terminal " +
			"and without --yes, or when the credentials given cannot be the plan's (another account or host, none): refused before " +
			"the plan is shown.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "only", EnvVars: envOf("only"), Usage: "remove only this plan item `ID` (repeatable)"},
			&cli.BoolFlag{Name: "yes", Usage: "do not ask for confirmation (scripts)"},
			dryRunFlag("show the requests without sending them (refused at the transport, recorded as planned)"),
			outputFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr(fmt.Errorf("eradicate takes exactly one DIR, the run directory whose plan is carried out"))
			}
			output := c.String("output")
			if err := checkOutput(output); err != nil {
				return err
			}
			p, err := eradicate.Prepare(c.Args().First(), c.StringSlice("only"))
			if err != nil {
				return err
			}
			opts := playbook.Options{
				Operator: a.operator(),
				Redactor: a.red,
				Getenv:   a.getenv,
				ReadFile: a.readFile,
				Observer: a.console(),
				Version:  version,
			}
			// What the run would refuse (another account's or another
			// host's credentials, none at all) is refused now: nobody is
			// asked to approve a plan keyir will not carry out, and no run
			// directory is created for it.
			if err := p.Check(c.Context, opts); err != nil {
				return err
			}
			// The plan and the question go to stderr with --output json, so
			// stdout stays one JSON document.
			var show io.Writer = a.out
			if output == "json" {
				show = a.errOut
			}
			dry := c.Bool("dry-run")
			if err := p.WriteTable(show, columns(), dry); err != nil {
				return err
			}
			n := len(p.Removable())
			if n == 0 {
				if len(p.Items) == 0 {
					fmt.Fprintln(show, "Nothing to do: the plan is empty.")
				} else {
					fmt.Fprintf(show, "Nothing for keyir to remove: %d item(s) to remove by hand, as each says.\n", len(p.Items))
				}
				return nil
			}
			if !dry {
				if err := eradicate.Confirm(a.stdin, show, stdinIsTerminal(), c.Bool("yes"), n); err != nil {
					return err
				}
			}
			// One run per provider (a composed run's plan may hold several).
			results, err := eradicate.RunAll(c.Context, p, dry, opts)
			if err != nil {
				return err
			}
			code := 0
			type runOut struct {
				runJSON
				Eradication eradicate.Summary `json:"eradication"`
			}
			var outs []runOut
			for _, res := range results {
				code = max(code, res.ExitCode)
				sum := eradicate.Summarize(res.Report)
				if output == "json" {
					outs = append(outs, runOut{runJSON{RunID: res.Report.Run.ID, ReportDir: res.Dir, ExitCode: res.ExitCode, ExitMeaning: report.ExitMeaning(res.ExitCode), ManifestHead: res.Head, Report: res.Report}, sum})
					continue
				}
				fmt.Fprintln(a.out)
				fmt.Fprintln(a.out, sum.Line())
				if err := render.RenderSummary(a.out, res.Report, res.Dir); err != nil {
					return err
				}
			}
			if output == "json" {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				// One run: its document, as before; several: a list.
				var doc any = outs
				if len(outs) == 1 {
					doc = outs[0]
				}
				if err := enc.Encode(doc); err != nil {
					return err
				}
			}
			return withCode(code)
		},
	}
}
