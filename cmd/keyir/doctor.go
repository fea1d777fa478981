package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/report"
)

func (a *app) doctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "check the responder key (SENDGRID_API_KEY) has the scopes a playbook needs, and no more",
		ArgsUsage: "[PLAYBOOK]",
		Flags:     []cli.Flag{outputFlag()},
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
				// One document: {"playbook", "needed", "missing", "excess", "ok"};
				// the exit code is the text form's.
				doc := struct {
					Playbook string   `json:"playbook"`
					Needed   []string `json:"needed"`
					Missing  []string `json:"missing"`
					Excess   []string `json:"excess"`
					OK       bool     `json:"ok"`
				}{pb.Name, nonNil(needed), nonNil(missing), nonNil(excess), len(missing) == 0}
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(doc); err != nil {
					return err
				}
				if len(missing) > 0 {
					return withCode(report.ExitCouldNotRun)
				}
				return nil
			}
			if dr.checked == 0 {
				fmt.Fprintf(a.out, "playbook %s uses no provider whose responder credential keyir can check: nothing to check\n", pb.Name)
				return nil
			}
			fmt.Fprintf(a.out, "playbook %s needs %d scopes: %s\n", pb.Name, len(needed), strings.Join(needed, ", "))
			for _, n := range dr.notes {
				fmt.Fprintln(a.out, "note: "+n)
			}
			if len(excess) > 0 {
				// Pseudo-scopes (2fa_required, sender_verification_*, …) mark
				// account state and cannot be removed: never listed here.
				fmt.Fprintf(a.out, "warning: the responder key has %d scopes the playbook does not need (least privilege: remove them): %s\n", len(excess), strings.Join(excess, ", "))
			}
			if len(missing) > 0 {
				fmt.Fprintf(a.errOut, "keyir: the responder key lacks %d scopes the playbook needs: %s\n", len(missing), strings.Join(missing, ", "))
				return withCode(report.ExitCouldNotRun)
			}
			fmt.Fprintln(a.out, "ok: the responder key has every scope the playbook needs")
			return nil
		},
	}
}
