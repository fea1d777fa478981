package githubsim

import "context"
import "fmt"
import "io"
import "time"

// StandaloneOptions configure Standalone.
type StandaloneOptions struct {
	Listen     string // loopback address ("127.0.0.1:0": a free port)
	Scenario   string
	Enterprise bool // serve as GitHub Enterprise Server (/api/v3)
}

// Standalone serves a scenario (its attack applied) for `keyir sim github`
// and writes the lines a responder's shell needs: the API root, the
// responder token, the organization and the scenario's made-up leaked token
// (printing them is the point of a rehearsal). stop shuts it down.
func Standalone(o StandaloneOptions, out io.Writer) (stop func(context.Context) error, err error) {
	sc, ok := LookupScenario(o.Scenario)
	if !ok {
		return nil, fmt.Errorf("no GitHub scenario %q (see keyir drill --list)", o.Scenario)
	}
	fx := sc.Build(time.Now())
	if fx.Attack != nil {
		fx.Attack(fx.State)
	}
	fx.Config.Enterprise = o.Enterprise
	srv := New(fx.State, fx.Config)
	for _, f := range fx.Faults {
		srv.InjectFault(f)
	}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	apiURL, stop, err := Listen(o.Listen, srv)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "GitHub simulator (scenario %s) listening\n", sc.Name)
	fmt.Fprintf(out, "%s=%s\n", EnvURL, apiURL)
	fmt.Fprintf(out, "GITHUB_TOKEN=%s   # responder token (%s)\n", fx.ResponderToken, fx.ResponderLogin)
	fmt.Fprintf(out, "GITHUB_ORG=%s\n", fx.Org)
	fmt.Fprintf(out, "LEAKED_TOKEN=%s   # the scenario's leaked token (%s of %s)\n", fx.LeakedToken, fx.LeakedKind, fx.LeakedLogin)
	return stop, nil
}
