package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/playbook"
)

func (a *app) playbooksCommand() *cli.Command {
	return &cli.Command{
		Name:  "playbooks",
		Usage: "list the built-in playbooks with their descriptions and inputs",
		Action: func(c *cli.Context) error {
			for _, pb := range playbook.Builtins() {
				fmt.Fprintf(a.out, "%s — %s\n", pb.Name, strings.TrimSpace(pb.Description))
				t := newTable(a.out)
				t.Header("Input", "Type", "Required", "Default", "Description")
				for _, in := range pb.Inputs {
					req := ""
					if in.Required {
						req = "yes"
					}
					desc := in.Description
					if in.Secret {
						desc += " (secret: read from stdin or a file, never stored)"
					}
					t.Append(in.Name, in.Type, req, in.Default, desc)
				}
				if err := t.Render(); err != nil {
					return err
				}
				steps := make([]string, len(pb.Steps))
				for i, s := range pb.Steps {
					steps[i] = s.ID
				}
				fmt.Fprintf(a.out, "  steps: %s\n\n", strings.Join(steps, " → "))
			}
			return nil
		},
	}
}
