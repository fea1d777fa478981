package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	sgsim "github.com/keyir/keyir/sim/sendgrid"
)

// serveAuditScenario serves an audit scenario (keyir sim sendgrid --scenario
// poor-hygiene) so `keyir audit` can be tried, and says which checks it must
// fail.
func (a *app) serveAuditScenario(c *cli.Context, sc sgsim.AuditScenario) error {
	fx := sc.Build(time.Now())
	srv := sgsim.New(fx.State, fx.Config)
	euAddr := c.String("listen-eu")
	if !c.IsSet("listen-eu") && strings.HasSuffix(c.String("listen"), ":0") {
		euAddr = "127.0.0.1:0"
	}
	hosts, err := sgsim.ListenHosts(c.String("listen"), euAddr, srv)
	if err != nil {
		return usageErr(err)
	}
	// The simulator's key is made up for the rehearsal; printing it is the
	// point, so it bypasses the redacting writer.
	fmt.Fprintf(a.stdout, "SendGrid simulator (audit scenario %s) listening\n", sc.Name)
	fmt.Fprintf(a.stdout, "%s=%s\n", sgsim.EnvURL, hosts.URL)
	fmt.Fprintf(a.stdout, "%s=%s   # the EU host (api.eu.sendgrid.com)\n", sgsim.EnvURLEU, hosts.EUURL)
	fmt.Fprintf(a.stdout, "SENDGRID_API_KEY=%s   # responder key\n", fx.ResponderKey)
	fails := "none"
	if len(fx.Fails) > 0 {
		fails = strings.Join(fx.Fails, " ")
	}
	fmt.Fprintf(a.stdout, "# keyir audit must fail: %s\n", fails)
	fmt.Fprintln(a.stdout, "Ctrl-C to stop.")
	<-c.Context.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hosts.Shutdown(ctx)
}
