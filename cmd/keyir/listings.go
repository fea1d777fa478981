package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/actions"
	sgactions "github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/playbook"
	sgsim "github.com/keyir/keyir/sim/sendgrid"
)

// listScenariosAs is `keyir drill --list`, as a table or, with --output
// json, one document: {"scenarios": [{"name", "description"}]}.
func (a *app) listScenariosAs(output string) error {
	if err := checkOutput(output); err != nil {
		return err
	}
	if output != "json" {
		return a.listScenarios()
	}
	type scenario struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	doc := struct {
		Scenarios []scenario `json:"scenarios"`
	}{Scenarios: []scenario{}}
	for _, s := range sgsim.Scenarios() {
		doc.Scenarios = append(doc.Scenarios, scenario{s.Name, s.Description})
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// addDoctorJSON gives `keyir doctor` an --output json, unless the command
// has one of its own: one document, {"playbook", "needed", "missing",
// "excess", "ok"}, and the exit code of the text form (1 when a needed
// scope is missing).
func (a *app) addDoctorJSON(cmds []*cli.Command) {
	doctor := find(cmds, "doctor")
	if doctor == nil {
		return
	}
	for _, f := range doctor.Flags {
		for _, n := range f.Names() {
			if n == "output" {
				return
			}
		}
	}
	doctor.Flags = append(doctor.Flags, outputFlag())
	text := doctor.Action
	doctor.Action = func(c *cli.Context) error {
		if err := checkOutput(c.String("output")); err != nil {
			return err
		}
		if c.String("output") != "json" {
			return text(c)
		}
		name := "sendgrid-key-compromise"
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
		var names []string
		for _, s := range pb.Steps {
			names = append(names, s.Action)
		}
		needed := sgactions.RequiredScopes(names)
		env := actions.StandaloneEnv("doctor", a.getenv, a.readFile, a.red, http.DefaultTransport)
		missing, excess, err := sgactions.Doctor(c.Context, env, needed)
		if err != nil {
			return err
		}
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
			return withCode(playbook.ExitCouldNotRun)
		}
		return nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
