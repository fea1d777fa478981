package main

import (
	"fmt"
	"net/http"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/actions/sendgrid"
)

func (a *app) inventoryCommand() *cli.Command {
	return &cli.Command{
		Name:  "inventory",
		Usage: "SendGrid account inventory baselines (keys, teammates, webhooks, forwarding, allow list …)",
		Subcommands: []*cli.Command{{
			Name:      "save",
			Usage:     "save the account's current inventory as the baseline assessments diff against (uses SENDGRID_API_KEY)",
			ArgsUsage: "FILE",
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageErr(fmt.Errorf("inventory save takes one FILE"))
				}
				env := actions.StandaloneEnv("inventory", a.getenv, a.readFile, a.red, http.DefaultTransport)
				if err := sendgrid.SaveInventory(c.Context, env, c.Args().First()); err != nil {
					return err
				}
				fmt.Fprintf(a.out, "baseline saved to %s (mode 0600); pass it to runs with --baseline %s\n", c.Args().First(), c.Args().First())
				return nil
			},
		}},
	}
}
