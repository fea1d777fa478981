package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/sim/sendgridsim"
	"github.com/keyir/keyir/sim/slacksim"
)

func (a *app) simCommand() *cli.Command {
	return &cli.Command{
		Name:  "sim",
		Usage: "run a built-in simulator standalone, for rehearsals with your own tools",
		Subcommands: []*cli.Command{{
			Name:  "sendgrid",
			Usage: "serve the simulated SendGrid v3 API loaded with a drill scenario",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8025", EnvVars: []string{"KEYIR_SIM_LISTEN"}, Usage: "address of the global host (loopback)"},
				&cli.StringFlag{Name: "listen-eu", Value: "127.0.0.1:8027", EnvVars: []string{"KEYIR_SIM_LISTEN_EU"}, Usage: "address of the EU host (loopback); with --listen 127.0.0.1:0 the default is a free port too"},
				&cli.StringFlag{Name: "scenario", Value: "spam-burst", EnvVars: []string{"KEYIR_SCENARIO"}, Usage: "scenario to load (keyir drill --list)"},
			},
			Action: func(c *cli.Context) error {
				if asc, ok := sendgridsim.LookupAuditScenario(c.String("scenario")); ok {
					return a.serveAuditScenario(c, asc) // well-kept, poor-hygiene: for keyir audit
				}
				sc, ok := sendgridsim.LookupScenario(c.String("scenario"))
				if !ok {
					return usageErr(fmt.Errorf("no scenario %q (see keyir drill --list)", c.String("scenario")))
				}
				fx := sc.Build(time.Now())
				if fx.Attack != nil {
					fx.Attack(fx.State)
				}
				srv := sendgridsim.New(fx.State, fx.Config)
				for _, f := range fx.Faults {
					srv.InjectFault(f)
				}
				hosts, err := a.listenSim(c, srv, "scenario "+sc.Name, fx.ResponderKey)
				if err != nil {
					return err
				}
				if fx.IDOnly {
					fmt.Fprintf(a.stdout, "LEAKED_KEY=%s   # the scenario's leaked key: the responder knows only its id; use it to check by hand\n", fx.LeakedKey)
				} else {
					fmt.Fprintf(a.stdout, "LEAKED_KEY=%s   # the scenario's leaked key\n", fx.LeakedKey)
				}
				fmt.Fprintf(a.stdout, "LEAKED_KEY_ID=%s   # its id (keyir run … --key-id)\n", fx.LeakedKeyID)
				fmt.Fprintln(a.stdout, "Ctrl-C to stop.")
				<-c.Context.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return hosts.Shutdown(ctx)
			},
		}, a.simSlackCommand()},
	}
}

// simSlackCommand serves the Slack simulator standalone: point a run at it
// with SLACK_API_URL and SLACK_BOT_TOKEN and watch the incident thread form;
// Ctrl-C prints what each channel got.
func (a *app) simSlackCommand() *cli.Command {
	return &cli.Command{
		Name:  "slack",
		Usage: "serve the simulated Slack Web API (channels #incidents and #keyir-drill)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8026", EnvVars: []string{"KEYIR_SLACK_SIM_LISTEN"}, Usage: "address to listen on (loopback)"},
		},
		Action: func(c *cli.Context) error {
			sim := slacksim.New(slacksim.Options{})
			api, err := sim.Listen(c.String("listen"))
			if err != nil {
				return usageErr(err)
			}
			defer sim.Close()
			// The simulator's token is made up; printing it is the point, so
			// it bypasses the redacting writer.
			fmt.Fprintln(a.stdout, "Slack simulator listening")
			fmt.Fprintf(a.stdout, "SLACK_API_URL=%s\n", api)
			fmt.Fprintf(a.stdout, "SLACK_BOT_TOKEN=%s\n", sim.BotToken())
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

// listenSim serves srv on the global and EU hosts of `keyir sim sendgrid`
// (--listen, --listen-eu; with --listen on port 0 the EU host takes a free
// port too) and prints the lines a responder's shell needs. The simulator's
// keys are made up for the rehearsal; printing them is the point, so they
// bypass the redacting writer.
func (a *app) listenSim(c *cli.Context, srv *sendgridsim.Server, what, responderKey string) (*sendgridsim.Hosts, error) {
	euAddr := c.String("listen-eu")
	if !c.IsSet("listen-eu") && strings.HasSuffix(c.String("listen"), ":0") {
		euAddr = "127.0.0.1:0"
	}
	hosts, err := sendgridsim.ListenHosts(c.String("listen"), euAddr, srv)
	if err != nil {
		return nil, usageErr(err)
	}
	fmt.Fprintf(a.stdout, "SendGrid simulator (%s) listening\n", what)
	fmt.Fprintf(a.stdout, "%s=%s\n", sendgridsim.EnvURL, hosts.URL)
	fmt.Fprintf(a.stdout, "%s=%s   # the EU host (api.eu.sendgrid.com)\n", sendgridsim.EnvURLEU, hosts.EUURL)
	fmt.Fprintf(a.stdout, "SENDGRID_API_KEY=%s   # responder key\n", responderKey)
	return hosts, nil
}
