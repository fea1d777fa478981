package main

import "context"
import "errors"
import "fmt"
import "io/fs"
import "net/http"
import "os"
import "strings"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/ghtoken"
import "github.com/keyir/keyir/actions/sendgrid"

func (a *app) inventoryCommand() *cli.Command {
	return &cli.Command{
		Name:  "inventory",
		Usage: "account inventory baselines: SendGrid (keys, teammates, webhooks, forwarding, allow list …) or a GitHub organization (--github-org)",
		Subcommands: []*cli.Command{{
			Name:      "save",
			Usage:     "save the account's current inventory as the baseline assessments diff against (uses SENDGRID_API_KEY)",
			ArgsUsage: "FILE",
			Description: "The baseline records when it was taken and of which account (GET /v3/user/username: the responder key needs user.username.read), " +
				"so a run refuses a baseline of another account. Take it ahead of time, on a schedule: a baseline taken during an incident may already hold the attacker's changes.",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "force", Usage: "replace FILE if it exists (it is replaced atomically, a link in its place is replaced, never followed)"},
				&cli.StringFlag{Name: "github-org", EnvVars: envOf("github-org"), Usage: "save a GitHub organization's baseline instead (webhooks, deploy keys, members' SSH keys, invitations, app installations, visibility; uses GITHUB_TOKEN)"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageErr(fmt.Errorf("inventory save takes one FILE"))
				}
				path := c.Args().First()
				// Before anything is read: a good baseline is not overwritten by
				// accident (e.g. with one taken during an incident).
				if _, err := os.Lstat(path); err == nil && !c.Bool("force") {
					return usageErr(fmt.Errorf("%s exists already: pass --force to replace it (keep the baseline you trust: one taken during an incident may already contain the attacker's changes)", path))
				} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
					return usageErr(err)
				}
				env := actions.StandaloneEnv("inventory", a.getenv, a.readFile, a.red, http.DefaultTransport)
				if org := c.String("github-org"); org != "" {
					b, err := ghtoken.SaveBaseline(c.Context, env, org, path)
					if err != nil {
						return err
					}
					fmt.Fprintf(a.out, "baseline of GitHub organization %s taken %s, saved to %s (mode 0600); pass it to runs with --baseline %s\n", b.Org, b.TakenAt.Format("2006-01-02T15:04:05Z07:00"), path, path)
					for _, s := range ghtoken.UnreadSurfaces(b) {
						fmt.Fprintf(a.errOut, "warning: not in the baseline: %s\n", s)
					}
					return nil
				}
				b, err := sendgrid.SaveBaseline(c.Context, env, path)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.out, "baseline of %s taken %s, saved to %s (mode 0600); pass it to runs with --baseline %s\n",
					b.Account, b.TakenAt.Format("2006-01-02T15:04:05Z07:00"), path, path)
				if b.Account != nil && b.Account.Unread != "" {
					fmt.Fprintf(a.errOut, "warning: the account's identity could not be read (%s): runs cannot check that this baseline is of their account\n", b.Account.Unread)
				}
				return nil
			},
		}},
	}
}

// checkBaselineAccount refuses, before a run writes anything, a baseline
// taken of another account than SENDGRID_API_KEY's (exit 2). Anything that
// prevents the check (no credential, the identity unreadable, an old
// baseline) lets the run go on: its assessment steps record why the
// baseline could not be checked.
func (a *app) checkBaselineAccount(ctx context.Context, path string) error {
	if strings.TrimSpace(path) == "" {
		return nil
	}
	b, err := sendgrid.LoadBaseline(path)
	if err != nil {
		return usageErr(fmt.Errorf("--baseline: %w", err))
	}
	if b.Account == nil {
		return nil
	}
	env := actions.StandaloneEnv("baseline", a.getenv, a.readFile, a.red, http.DefaultTransport)
	now, err := sendgrid.AccountIdentity(ctx, env)
	if err != nil {
		return nil
	}
	if _, err := sendgrid.CheckBaselineAccount(b, now); err != nil {
		return usageErr(fmt.Errorf("--baseline %s: %w", path, err))
	}
	return nil
}
