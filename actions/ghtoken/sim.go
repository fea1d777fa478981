package ghtoken

import "context"
import "io"
import "time"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/sim/githubsim"

// simulators is `keyir sim github`.
func simulators() []provider.Simulator {
	return []provider.Simulator{{
		Name:  "github",
		Usage: "serve the simulated GitHub REST API loaded with a drill scenario",
		Flags: []provider.Flag{
			{Name: "listen", Value: "127.0.0.1:8029", EnvVar: "KEYIR_SIM_GITHUB_LISTEN", Usage: "address to serve on (loopback)"},
			{Name: "scenario", Value: "github-pat-leak", EnvVar: "KEYIR_GITHUB_SCENARIO", Usage: "scenario to load (keyir drill --list)"},
			{Name: "enterprise", Value: "false", Usage: "serve as a GitHub Enterprise Server (API under /api/v3)"},
		},
		Start: func(o provider.SimOptions, out io.Writer) (func(context.Context, io.Writer) error, error) {
			stop, err := githubsim.Standalone(githubsim.StandaloneOptions{
				Listen: o.String("listen"), Scenario: o.String("scenario"), Enterprise: o.String("enterprise") == "true",
			}, out)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, _ io.Writer) error { return stop(ctx) }, nil
		},
	}}
}

// scenarios are the drill scenarios of the GitHub simulator that rehearse
// this provider's playbook.
func scenarios() []provider.Scenario {
	var out []provider.Scenario
	for _, sc := range githubsim.Scenarios() {
		out = append(out, provider.Scenario{
			Name: sc.Name, Description: sc.Description, Playbook: PlaybookName, Truth: truthOf(sc), World: worldOf(sc),
		})
	}
	return out
}

// truthOf is a scenario's ground truth: the simulator builds a scenario the
// same way for the same instant, so this is the truth of the world a drill
// built then.
func truthOf(sc githubsim.Scenario) func(time.Time) provider.Truth {
	return func(built time.Time) provider.Truth {
		fx := sc.Build(built)
		return provider.TruthFrom(fx.Containment, fx.ExitCode, fx.Expected)
	}
}
