package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/keyir/keyir/sim/sendgridsim"
)

// serveAuditScenario serves an audit scenario (keyir sim sendgrid --scenario
// poor-hygiene) so `keyir audit` can be tried, and says which checks it must
// fail.
func (a *app) serveAuditScenario(c *cli.Context, sc sendgridsim.AuditScenario) error {
	fx := sc.Build(time.Now())
	srv := sendgridsim.New(fx.State, fx.Config)
	hosts, err := a.listenSim(c, srv, "audit scenario "+sc.Name, fx.ResponderKey)
	if err != nil {
		return err
	}
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
