package main

import "encoding/json"
import "fmt"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"

func (a *app) playbooksCommand() *cli.Command {
	return &cli.Command{
		Name:  "playbooks",
		Usage: "list the built-in playbooks with their descriptions and inputs",
		Flags: []cli.Flag{outputFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr(fmt.Errorf("playbooks takes no arguments (did you mean keyir playbooks show %s?)", c.Args().First()))
			}
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			if c.String("output") == "json" {
				return a.playbooksJSON()
			}
			for _, pb := range playbook.Builtins() {
				fmt.Fprintln(a.out, wrapText(pb.Name+" — "+strings.TrimSpace(pb.Description), columns(), "  "))
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
				fmt.Fprintf(a.out, "  %s\n\n", wrapText("steps: "+strings.Join(steps, " → "), columns()-2, "    "))
			}
			return nil
		},
		Subcommands: []*cli.Command{{
			Name:      "show",
			Usage:     "print a built-in playbook's YAML, to adapt it (it validates as is)",
			ArgsUsage: "NAME",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageErr(fmt.Errorf("playbooks show takes one NAME (built-ins: %s)", strings.Join(playbook.BuiltinNames(), ", ")))
				}
				src, err := playbook.BuiltinSource(c.Args().First())
				if err != nil {
					a.red.AddShapes(c.Args().First())
					return usageErr(err)
				}
				_, err = a.out.Write(src)
				return err
			},
		}},
	}
}

// playbookJSON is one playbook in `keyir playbooks --output json`.
type playbookJSON struct {
	Name string `json:"name"`
	// Provider is the provider that brings it ("core": keyir's own).
	Provider    string      `json:"provider"`
	Description string      `json:"description"`
	Inputs      []inputJSON `json:"inputs"`
	Steps       []stepJSON  `json:"steps"`
}

type inputJSON struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Required    bool   `json:"required"`
	Secret      bool   `json:"secret"`
	Default     string `json:"default,omitempty"`
	Pattern     string `json:"pattern,omitempty"`
	Description string `json:"description,omitempty"`
}

type stepJSON struct {
	ID     string `json:"id"`
	Action string `json:"action"`
}

func (a *app) playbooksJSON() error {
	doc := struct {
		Playbooks []playbookJSON `json:"playbooks"`
	}{Playbooks: []playbookJSON{}}
	for _, pb := range playbook.Builtins() {
		_, _, owner, _ := provider.Playbook(pb.Name)
		p := playbookJSON{Name: pb.Name, Provider: owner, Description: strings.TrimSpace(pb.Description), Inputs: []inputJSON{}, Steps: []stepJSON{}}
		for _, in := range pb.Inputs {
			p.Inputs = append(p.Inputs, inputJSON{in.Name, in.Type, in.Required, in.Secret, in.Default, in.Pattern, in.Description})
		}
		for _, s := range pb.Steps {
			p.Steps = append(p.Steps, stepJSON{s.ID, s.Action})
		}
		doc.Playbooks = append(doc.Playbooks, p)
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
