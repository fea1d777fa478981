package main

import "context"
import "fmt"
import "strings"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/notify"
import _ "github.com/keyir/keyir/notify/all" // slack, email, webhook
import "github.com/keyir/keyir/playbook"

// notifyOptions say where a run's notifications go. Each channel is
// optional; with none, notify steps succeed with sent: false. Credentials
// (SLACK_BOT_TOKEN, SENDGRID_NOTIFY_API_KEY, KEYIR_WEBHOOK_SECRET, each also
// as _FILE) come from the environment, never from these flags.
type notifyOptions struct {
	slackChannel      string
	slackDrillChannel string
	emailTo           []string
	emailFrom         string
	webhookURL        string
}

func notifyFlags(withSlack bool) []cli.Flag {
	var fs []cli.Flag
	if withSlack {
		fs = append(fs,
			&cli.StringFlag{Name: "slack-channel", EnvVars: []string{"KEYIR_SLACK_CHANNEL"}, Usage: "Slack incident channel (an id like C0123 is best); token from SLACK_BOT_TOKEN"},
			&cli.StringFlag{Name: "slack-drill-channel", EnvVars: []string{"KEYIR_SLACK_DRILL_CHANNEL"}, Usage: "Slack channel for dry runs instead of --slack-channel"},
		)
	}
	return append(fs,
		&cli.StringSliceFlag{Name: "email-to", EnvVars: []string{"KEYIR_EMAIL_TO"}, Usage: "email the incident to these addresses (repeatable; key from SENDGRID_NOTIFY_API_KEY)"},
		&cli.StringFlag{Name: "email-from", EnvVars: []string{"KEYIR_EMAIL_FROM"}, Usage: "verified sender address for --email-to"},
		&cli.StringFlag{Name: "webhook-url", EnvVars: []string{"KEYIR_WEBHOOK_URL"}, Usage: "POST signed incident JSON here (secret from KEYIR_WEBHOOK_SECRET)"},
	)
}

func notifyOptionsOf(c *cli.Context) notifyOptions {
	return notifyOptions{
		slackChannel: c.String("slack-channel"), slackDrillChannel: c.String("slack-drill-channel"),
		emailTo: c.StringSlice("email-to"), emailFrom: c.String("email-from"), webhookURL: c.String("webhook-url"),
	}
}

// hubConfig turns the options into the hub's channel configuration.
// SLACK_API_URL points Slack elsewhere (the simulator: keyir sim slack);
// SENDGRID_API_URL applies to mail send as to the rest of SendGrid.
func (a *app) hubConfig(o notifyOptions) (notify.HubConfig, error) {
	cfg := notify.HubConfig{Channels: map[string]map[string]any{}}
	if o.slackChannel == "" && o.slackDrillChannel != "" {
		return cfg, usageErr(fmt.Errorf("--slack-drill-channel needs --slack-channel"))
	}
	if o.slackChannel != "" {
		m := map[string]any{"channel": o.slackChannel}
		if o.slackDrillChannel != "" {
			m["drill_channel"] = o.slackDrillChannel
		}
		if u := a.getenv("SLACK_API_URL"); u != "" {
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			m["api_url"] = u
		}
		cfg.Channels["slack"] = m
	}
	if len(o.emailTo) > 0 || o.emailFrom != "" {
		if len(o.emailTo) == 0 || o.emailFrom == "" {
			return cfg, usageErr(fmt.Errorf("--email-to and --email-from go together"))
		}
		m := map[string]any{"to": o.emailTo, "from": o.emailFrom}
		if u := a.getenv("SENDGRID_API_URL"); u != "" {
			m["api_url"] = u
		}
		cfg.Channels["email"] = m
	}
	if o.webhookURL != "" {
		cfg.Channels["webhook"] = map[string]any{"url": o.webhookURL}
	}
	return cfg, nil
}

// startHub builds the run's notification hub, or returns nil when no
// channel is configured. A channel that cannot be built (a missing token, a
// bad address) is a usage error before anything runs.
func (a *app) startHub(o notifyOptions, leakedKey string) (*notify.Hub, error) {
	cfg, err := a.hubConfig(o)
	if err != nil {
		return nil, err
	}
	hub, err := notify.StartRun(cfg, notify.HubEnv{Redactor: a.red, Getenv: a.getenv, ReadFile: a.readFile, LeakedKey: leakedKey})
	if err != nil {
		return nil, usageErr(err)
	}
	return hub, nil
}

// withHub adds the hub to a run's options: as the "notify" service for the
// notify steps, and as an observer for progress.
func withHub(o playbook.Options, hub *notify.Hub) playbook.Options {
	if hub == nil {
		return o
	}
	o.Services = hub.Services()
	o.Observer = playbook.Observers{o.Observer, hub}
	return o
}

// stopHub lets deliveries still queued after the run finish (a run that
// stopped before its closing step is closed by the hub), bounded, then
// stops it. Failures here cannot change the finished report; they are
// reported on stderr (those of a notify step are in the report as well).
func (a *app) stopHub(hub *notify.Hub) {
	if err := hub.Finish(context.Background(), 30*time.Second); err != nil {
		fmt.Fprintf(a.errOut, "keyir: notifications: %v\n", err)
	}
}
