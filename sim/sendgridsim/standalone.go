package sendgridsim

import "context"
import "fmt"
import "io"
import "strings"
import "time"

// StandaloneOptions configure Standalone.
type StandaloneOptions struct {
	Listen   string // the global host's address (loopback)
	ListenEU string // the EU host's address; "" follows Listen (a free port when Listen's is 0)
	Scenario string // a drill or audit scenario
}

// Standalone serves a scenario on both hosts for `keyir sim sendgrid` and
// writes the lines a responder's shell needs: the hosts' URLs and the
// scenario's made-up keys (printing them is the point of a rehearsal).
// stop shuts both hosts down.
func Standalone(o StandaloneOptions, out io.Writer) (stop func(context.Context, io.Writer) error, err error) {
	if o.ListenEU == "" {
		o.ListenEU = "127.0.0.1:8027"
		if strings.HasSuffix(o.Listen, ":0") {
			o.ListenEU = "127.0.0.1:0"
		}
	}
	serve := func(srv *Server, what, responderKey string) (*Hosts, error) {
		hosts, err := ListenHosts(o.Listen, o.ListenEU, srv)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "SendGrid simulator (%s) listening\n", what)
		fmt.Fprintf(out, "%s=%s\n", EnvURL, hosts.URL)
		fmt.Fprintf(out, "%s=%s   # the EU host (api.eu.sendgrid.com)\n", EnvURLEU, hosts.EUURL)
		fmt.Fprintf(out, "SENDGRID_API_KEY=%s   # responder key\n", responderKey)
		return hosts, nil
	}
	var hosts *Hosts
	if asc, ok := LookupAuditScenario(o.Scenario); ok {
		// well-kept, poor-hygiene: for keyir audit
		fx := asc.Build(time.Now())
		if hosts, err = serve(New(fx.State, fx.Config), "audit scenario "+asc.Name, fx.ResponderKey); err != nil {
			return nil, err
		}
		fails := "none"
		if len(fx.Fails) > 0 {
			fails = strings.Join(fx.Fails, " ")
		}
		fmt.Fprintf(out, "# keyir audit must fail: %s\n", fails)
	} else {
		sc, ok := LookupScenario(o.Scenario)
		if !ok {
			return nil, fmt.Errorf("no scenario %q (see keyir drill --list)", o.Scenario)
		}
		fx := sc.Build(time.Now())
		if fx.Attack != nil {
			fx.Attack(fx.State)
		}
		srv := New(fx.State, fx.Config)
		for _, f := range fx.Faults {
			srv.InjectFault(f)
		}
		if hosts, err = serve(srv, "scenario "+sc.Name, fx.ResponderKey); err != nil {
			return nil, err
		}
		if fx.IDOnly {
			fmt.Fprintf(out, "LEAKED_KEY=%s   # the scenario's leaked key: the responder knows only its id; use it to check by hand\n", fx.LeakedKey)
		} else {
			fmt.Fprintf(out, "LEAKED_KEY=%s   # the scenario's leaked key\n", fx.LeakedKey)
		}
		fmt.Fprintf(out, "LEAKED_KEY_ID=%s   # its id (keyir run … --key-id)\n", fx.LeakedKeyID)
	}
	return func(ctx context.Context, _ io.Writer) error { return hosts.Shutdown(ctx) }, nil
}
