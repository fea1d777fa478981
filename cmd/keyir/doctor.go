package main

import "fmt"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

func (a *app) doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "check what a run will use: the responder credentials' scopes (SendGrid's key, GitHub's and Slack's tokens), notifications, reports",
		ArgsUsage: "[PLAYBOOK]",
		Flags:     append([]cli.Flag{outputFlag()}, doctorFlags()...),
		Action: func(c *cli.Context) error {
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			name := defaultDoctorPlaybook()
			if c.NArg() > 1 {
				return usageErr(fmt.Errorf("doctor takes at most one PLAYBOOK"))
			}
			if c.NArg() == 1 {
				name = c.Args().First()
			}
			pb, err := playbook.Resolve(name)
			if err != nil {
				return a.reportLoadError(err)
			}
			pb.RegisterShapes(a.red)
			checks, responderOK := a.doctorChecks(c, pb)
			checks = append(checks, a.optionalDoctors(c.Context, pb, c.NArg() == 0)...)
			if !responderOK {
				return a.doctorStop(c, pb, checks)
			}
			var names []string
			for _, s := range pb.Steps {
				names = append(names, s.Action)
			}
			// Each provider the playbook's steps use checks its own
			// responder credential (provider.Doctor).
			dr, err := a.runDoctors(c.Context, names)
			if err != nil {
				return err
			}
			needed, missing, excess := dr.needed, dr.missing, dr.excess
			if c.String("output") == "json" {
				// One document, doctorJSON; the exit code is the text form's.
				return a.encodeDoctor(doctorJSON{pb.Name, nonNil(needed), nonNil(missing), nonNil(excess), len(missing) == 0 && !checksFailed(checks), checks})
			}
			failed := a.printDoctorChecks(checks)
			if dr.checked == 0 {
				if len(actionsOfOptional(pb)) == 0 {
					fmt.Fprintf(a.out, "playbook %s uses no provider whose responder credential keyir can check: nothing to check\n", pb.Name)
				}
				if failed {
					return withCode(report.ExitCouldNotRun)
				}
				return nil
			}
			fmt.Fprintln(a.out, wrapText(fmt.Sprintf("playbook %s needs %s: %s", pb.Name, report.Count(len(needed), "scope", "scopes"), strings.Join(needed, ", ")), columns(), "  "))
			for _, n := range dr.notes {
				fmt.Fprintln(a.out, wrapText("note: "+n, columns(), "  "))
			}
			if len(excess) > 0 {
				// Pseudo-scopes (2fa_required, sender_verification_*, …) mark
				// account state and cannot be removed: never listed here.
				fmt.Fprintln(a.out, wrapText(fmt.Sprintf("warning: the responder key has %s the playbook does not need (least privilege: remove %s): %s", report.Count(len(excess), "scope", "scopes"), itThem(len(excess)), strings.Join(excess, ", ")), columns(), "  "))
			}
			if len(missing) > 0 {
				fmt.Fprintf(a.errOut, "keyir: the responder key lacks %s the playbook needs: %s\n", report.Count(len(missing), "scope", "scopes"), strings.Join(missing, ", "))
				return withCode(report.ExitCouldNotRun)
			}
			fmt.Fprintln(a.out, "ok: the responder key has every scope the playbook needs")
			if failed {
				return withCode(report.ExitCouldNotRun)
			}
			return nil
		},
	}
}
