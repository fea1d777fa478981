package main

import "context"
import "fmt"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/slacksim"

func (a *app) simCommand() *cli.Command {
	// One subcommand per simulator a registered provider brings, and the
	// Slack simulator of the notification channel.
	var subs []*cli.Command
	for _, s := range provider.Simulators() {
		subs = append(subs, a.simProviderCommand(s))
	}
	subs = append(subs, a.simSlackCommand())
	return &cli.Command{
		Name:        "sim",
		Usage:       "run a built-in simulator standalone, for rehearsals with your own tools",
		Subcommands: subs,
	}
}

// simProviderCommand is `keyir sim NAME` for a provider's simulator. What
// it prints are the simulator's made-up keys and URLs; printing them is the
// point, so they bypass the redacting writer (a.stdout).
func (a *app) simProviderCommand(s provider.Simulator) *cli.Command {
	var flags []cli.Flag
	for _, f := range s.Flags {
		sf := &cli.StringFlag{Name: f.Name, Value: f.Value, Usage: f.Usage}
		if f.EnvVar != "" {
			sf.EnvVars = []string{f.EnvVar}
		}
		flags = append(flags, sf)
	}
	return &cli.Command{
		Name:  s.Name,
		Usage: s.Usage,
		Flags: flags,
		Action: func(c *cli.Context) error {
			o := provider.SimOptions{Values: map[string]string{}, Set: map[string]bool{}}
			for _, f := range s.Flags {
				o.Values[f.Name] = c.String(f.Name)
				o.Set[f.Name] = c.IsSet(f.Name)
			}
			stop, err := s.Start(o, a.stdout)
			if err != nil {
				return usageErr(err)
			}
			fmt.Fprintln(a.stdout, "Ctrl-C to stop.")
			<-c.Context.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return stop(ctx, a.stdout)
		},
	}
}

// simSlackCommand serves the Slack simulator standalone: point a run at it
// with SLACK_API_URL and SLACK_BOT_TOKEN and watch the incident thread form;
// with --scenario it is also a workspace where a token leaked (it prints
// SLACK_ADMIN_TOKEN and LEAKED_TOKEN for slack-token-compromise). Ctrl-C
// prints what each channel got.
func (a *app) simSlackCommand() *cli.Command {
	return &cli.Command{
		Name:  "slack",
		Usage: "serve the simulated Slack Web API (channels #incidents and #keyir-drill; --scenario adds a leaked token)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8026", EnvVars: []string{"KEYIR_SLACK_SIM_LISTEN"}, Usage: "address to listen on (loopback)"},
			&cli.StringFlag{Name: "scenario", EnvVars: []string{"KEYIR_SLACK_SCENARIO"}, Usage: "a Slack token leak to load (slack-bot-token-leak, slack-user-token-leak); none: the notification channel alone"},
		},
		Action: func(c *cli.Context) error {
			// The simulator's tokens are made up; printing them is the
			// point, so they bypass the redacting writer.
			sim, err := slacksim.Standalone(slacksim.StandaloneOptions{Listen: c.String("listen"), Scenario: c.String("scenario")}, a.stdout)
			if err != nil {
				return usageErr(err)
			}
			defer sim.Close()
			fmt.Fprintln(a.stdout, "channels: #incidents (C0INCIDENT), #keyir-drill (C0DRILL), e.g. keyir run … --slack-channel C0INCIDENT")
			fmt.Fprintf(a.stdout, "workspace: team_id %s, api_app_id %s (serve.yaml: see the README)\n", slacksim.DefaultTeamID, slacksim.DefaultAppID)
			fmt.Fprintln(a.stdout, "Ctrl-C to stop and print what each channel got.")
			<-c.Context.Done()
			for _, ch := range slacksim.DefaultChannels {
				fmt.Fprint(a.stdout, renderTranscript(sim.Transcript(ch.ID), columns(), time.Local))
			}
			return nil
		},
	}
}
