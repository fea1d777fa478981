package main

import "context"
import "errors"
import "fmt"
import "net"
import "net/http"
import "strings"
import "time"

import "github.com/urfave/cli/v2"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/transport"

// serveOptions are the options of `keyir serve`.
type serveOptions struct {
	config      string
	listen      string
	socketMode  bool
	slackAPIURL string
	// ready, if set, is told the listening address (tests).
	ready func(addr string)
}

func (a *app) serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "answer /keyir in Slack: verified requests, authorization, two-person approval, runs posted in the thread",
		Description: "Credentials come from the environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN\n" +
			"(--socket-mode), each also as <NAME>_FILE, and SENDGRID_API_KEY for the runs.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "config", EnvVars: []string{"KEYIR_SERVE_CONFIG"}, Usage: "the serve configuration file (YAML)"},
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:3000", EnvVars: []string{"KEYIR_LISTEN"}, Usage: "HTTP address for /slack/commands, /slack/interactions, /healthz, /readyz"},
			&cli.BoolFlag{Name: "socket-mode", EnvVars: []string{"KEYIR_SOCKET_MODE"}, Usage: "connect to Slack over Socket Mode (SLACK_APP_TOKEN) instead of receiving HTTP requests"},
			&cli.StringFlag{Name: "slack-api-url", EnvVars: []string{"SLACK_API_URL"}, Usage: "Slack Web API base URL (the simulator: keyir sim slack)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErr(fmt.Errorf("serve takes no arguments"))
			}
			return a.serve(c.Context, serveOptions{config: c.String("config"), listen: c.String("listen"),
				socketMode: c.Bool("socket-mode"), slackAPIURL: c.String("slack-api-url")})
		},
	}
}

func (a *app) serve(ctx context.Context, o serveOptions) error {
	if o.config == "" {
		return usageErr(errors.New("serve needs --config FILE (see the README: From Slack)"))
	}
	cfg, err := chatops.LoadConfig(o.config)
	if err != nil {
		var probs playbook.Problems
		if errors.As(err, &probs) {
			for _, p := range probs {
				fmt.Fprintln(a.errOut, p.Error())
			}
			return &exitError{code: report.ExitUsage, err: err, reported: true}
		}
		return usageErr(fmt.Errorf("--config: %w", err))
	}
	bot, err := credentials.Read("SLACK_BOT_TOKEN", a.getenv, a.readFile, a.red)
	if err != nil {
		return usageErr(err)
	}
	var secret, appToken string
	if o.socketMode {
		if appToken, err = credentials.Read("SLACK_APP_TOKEN", a.getenv, a.readFile, a.red); err != nil {
			return usageErr(err)
		}
	} else if secret, err = credentials.Read("SLACK_SIGNING_SECRET", a.getenv, a.readFile, a.red); err != nil {
		return usageErr(err)
	}
	apiURL := o.slackAPIURL
	if apiURL != "" && !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if apiURL != "" { // refused before the bot token is sent anywhere
		if err := transport.CheckBaseURL("--slack-api-url", apiURL); err != nil {
			return usageErr(err)
		}
	}
	srv, err := chatops.New(chatops.Options{
		Config: cfg, BotToken: bot, SlackAPIURL: apiURL, Getenv: a.getenv, ReadFile: a.readFile,
		Redactor: a.red, Version: version, Log: a.errOut,
	})
	if err != nil {
		// A link, a special file or an outsized file in the data directory
		// is the operator's to fix, like a bad config: exit 2, naming it.
		var sf *safefile.Error
		if errors.As(err, &sf) {
			return usageErr(err)
		}
		return err
	}
	// Local problems (the config, the data directory) first, then Slack.
	if err := a.checkServeSlack(ctx, apiURL, bot, o.config, cfg); err != nil {
		_ = srv.Shutdown(ctx) // releases the data directory (never started: nothing to wait for)
		return err
	}
	srv.Start(ctx)
	defer func() {
		// SIGINT/SIGTERM: runs in flight are interrupted and journaled, so
		// `keyir resume DIR` can finish them; pending approvals stay on disk.
		sctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			fmt.Fprintf(a.errOut, "keyir serve: %v\n", err)
		}
		fmt.Fprintln(a.errOut, "keyir serve: stopped")
		a.errOut.Flush()
	}()

	if o.socketMode {
		fmt.Fprintln(a.errOut, "keyir serve: Socket Mode")
		a.errOut.Flush()
		if o.ready != nil {
			o.ready("")
		}
		return srv.RunSocketMode(ctx, appToken)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return usageErr(fmt.Errorf("--listen: %w", err))
	}
	hs := &http.Server{Handler: srv.Handler(secret), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: 16 << 10}
	fmt.Fprintf(a.errOut, "keyir serve: listening on http://%s (POST /slack/commands, POST /slack/interactions)\n", ln.Addr())
	a.errOut.Flush()
	if o.ready != nil {
		o.ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	return nil
}
