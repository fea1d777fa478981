package main

import "encoding/json"
import "fmt"
import "strings"

import "github.com/olekukonko/tablewriter"
import "github.com/olekukonko/tablewriter/tw"
import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/actions"

func (a *app) actionsCommand() *cli.Command {
	return &cli.Command{
		Name:  "actions",
		Usage: "list every action playbooks can use, its parameters, and whether it mutates",
		Flags: []cli.Flag{outputFlag()},
		Action: func(c *cli.Context) error {
			if err := checkOutput(c.String("output")); err != nil {
				return err
			}
			return a.listActions(c.String("output"))
		},
	}
}

type actionJSON struct {
	actions.Info
	// Effect is "mutates", "notifies" (sends messages, changes nothing in
	// the account) or "reads".
	Effect string          `json:"effect"`
	Params []actions.Param `json:"params"`
}

// effectOf says what an action does to the world: a notification changes
// nothing, but it is not a read either: people are told.
func effectOf(info actions.Info) string {
	switch {
	case info.Mutates:
		return "mutates"
	case strings.HasPrefix(info.Name, "notify."):
		return "notifies"
	}
	return "reads"
}

func (a *app) listActions(output string) error {
	all := actions.All()
	if output == "json" {
		out := make([]actionJSON, len(all))
		for i, info := range all {
			out[i] = actionJSON{Info: info, Effect: effectOf(info), Params: info.Params()}
		}
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, info := range all {
		mut := map[string]string{"mutates": "MUTATES", "notifies": "notifies: sends messages, changes nothing", "reads": "reads only"}[effectOf(info)]
		if info.Contains {
			mut += ", containment"
		}
		fmt.Fprintln(a.out, wrapText(fmt.Sprintf("%s — %s (%s)", info.Name, info.Summary, mut), columns(), "  "))
		t := newTable(a.out)
		t.Header("Parameter", "Type", "Required", "Default", "Description")
		for _, p := range info.Params() {
			req := ""
			if p.Required {
				req = "yes"
			}
			t.Append(p.Name, p.Type, req, p.Default, p.Description)
		}
		if err := t.Render(); err != nil {
			return err
		}
		if len(info.Outputs) > 0 {
			names := make([]string, len(info.Outputs))
			for i, o := range info.Outputs {
				names[i] = o.Name
			}
			fmt.Fprintln(a.out, "  "+wrapText("outputs: "+strings.Join(names, ", "), columns()-2, "    "))
		}
		fmt.Fprintln(a.out)
	}
	return nil
}

// newTable is the tablewriter v1 table every listing uses: headers as written.
func newTable(w interface{ Write([]byte) (int, error) }) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithMaxWidth(columns()),
	)
}
