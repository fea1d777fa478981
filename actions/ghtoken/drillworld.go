package ghtoken

import "context"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"

// DrillWorld is a GitHub drill's world: the simulator loaded with a
// scenario, on loopback.
type DrillWorld struct {
	provider.SimWorld[*githubsim.State, githubsim.Item]
	fx   *githubsim.Fixture
	srv  *githubsim.Server
	url  string
	stop func(context.Context) error
	// eradicator is the token an eradication drill runs with ("" otherwise).
	eradicator string
}

// worldOf is the World builder of a GitHub scenario.
func worldOf(sc githubsim.Scenario) provider.BuildWorld {
	return func(ctx context.Context, built time.Time, o provider.WorldOptions) (provider.World, error) {
		// Mail is not offered (no MailSink): the drill refuses it plainly
		// itself.
		fx := sc.Build(built)
		cfg := fx.Config
		cfg.OnResponse = o.OnResponse
		if o.NoRateLimits {
			// A zero limit is none: the fault matrix's retries must not
			// meet the simulator's limits instead of its faults.
			cfg.Core, cfg.Unauthenticated, cfg.Revoke, cfg.AuditLog = githubsim.Limit{}, githubsim.Limit{}, githubsim.Limit{}, githubsim.Limit{}
			// The fault matrix gives a step 2s: a revocation that takes
			// the scenario's 2s to propagate cannot be proven inside one.
			cfg.PropagationDelay = 0
		}
		srv := githubsim.New(fx.State, cfg)
		u, stop, err := githubsim.Listen("127.0.0.1:0", srv)
		if err != nil {
			return nil, err
		}
		w := &DrillWorld{fx: fx, srv: srv, url: u, stop: stop}
		w.SimWorld = provider.SimWorld[*githubsim.State, githubsim.Item]{FaultInjector: srv, State: fx.State, Truth: &fx.Truth, Leaked: fx.LeakedToken,
			Revokes: func(s report.Step) bool { return s.Action == "github.revoke_token" },
			Revoke:  func(at time.Time) { fx.State.RevokeToken(fx.LeakedToken, at) }}
		if o.Eradicate {
			if err := w.addEradicator(built); err != nil {
				_ = stop(ctx)
				return nil, err
			}
		}
		return w, nil
	}
}

// Sim is the simulator (tests read its requests).
func (w *DrillWorld) Sim() *githubsim.Server { return w.srv }

// Env points the playbook at the simulator with the scenario's responder
// token; GITHUB_TOKEN_FILE is unset so a caller's file never reaches it.
func (w *DrillWorld) Env() map[string]string {
	return map[string]string{EnvAPIURL: w.url, EnvToken: w.fx.ResponderToken, EnvToken + "_FILE": ""}
}

// Given are the playbook's inputs: the leaked token, the org, the window.
func (w *DrillWorld) Given() map[string]string {
	return map[string]string{
		"key": w.fx.LeakedToken, "org": w.fx.Org,
		"window_start": w.fx.WindowStart.UTC().Format(time.RFC3339),
		"window_end":   w.fx.WindowEnd.UTC().Format(time.RFC3339),
	}
}

// Secrets are the responder's and the leaked token.
func (w *DrillWorld) Secrets() []string {
	out := []string{w.fx.ResponderToken, w.fx.LeakedToken}
	if w.eradicator != "" {
		out = append(out, w.eradicator)
	}
	return out
}

// Close stops the simulator; its state stays readable.
func (w *DrillWorld) Close() error { return w.stop(context.Background()) }

// SaveBaseline is `keyir inventory save --github-org` against the simulator.
func (w *DrillWorld) SaveBaseline(ctx context.Context, env *actions.Env, path string) error {
	_, err := SaveBaseline(ctx, env, w.fx.Org, path)
	return err
}

// LeakedKeyLive reports whether the leaked token still authenticates at
// the simulator (propagation and expiry counted).
func (w *DrillWorld) LeakedKeyLive() bool { return w.srv.Authenticates(w.fx.LeakedToken) }

var (
	_ provider.World         = (*DrillWorld)(nil)
	_ provider.Baseliner     = (*DrillWorld)(nil)
	_ provider.FaultInjector = (*DrillWorld)(nil)
	_ provider.LiveKey       = (*DrillWorld)(nil)
)
