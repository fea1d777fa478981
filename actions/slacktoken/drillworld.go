package slacktoken

import "context"
import "fmt"
import "maps"
import "math"
import "time"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// DrillWorld is a Slack token leak's drill world: the scenario's workspace in
// its own simulator, beside the drill's notification channel (the leaked
// token is checked and revoked through SLACK_TOKEN_API_URL, so the drill's
// SLACK_API_URL stays its channel's). Tests type-assert a drill's World to
// it to read the simulator.
type DrillWorld struct {
	w   slacksim.World
	sim *slacksim.Server
	env map[string]string
}

var (
	_ provider.World         = (*DrillWorld)(nil)
	_ provider.LiveKey       = (*DrillWorld)(nil)
	_ provider.FaultInjector = (*DrillWorld)(nil)
)

// drillWorld builds sc's world at built and serves it on loopback.
func drillWorld(sc slacksim.Scenario) provider.BuildWorld {
	return func(_ context.Context, built time.Time, o provider.WorldOptions) (provider.World, error) {
		if o.Mail || o.Eradicate {
			return nil, fmt.Errorf("a Slack token drill has no mail sink and no eradication")
		}
		w := sc.Build(built)
		w.Options.MethodLimitsOff = o.NoRateLimits
		sim := slacksim.New(w.Options)
		api, err := sim.Listen("127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("starting the Slack simulator: %w", err)
		}
		// Nothing of the leak's workspace comes from the caller: its URL
		// and admin token; the names a real shell might set are blanked.
		env := map[string]string{
			EnvTokenAPIURL: api, EnvAdminToken: w.Admin, EnvAdminToken + "_FILE": "",
			EnvOrgToken: "", EnvOrgToken + "_FILE": "", EnvAuditURL: "",
		}
		return &DrillWorld{w: w, sim: sim, env: env}, nil
	}
}

// Sim is the simulator of the leak's workspace.
func (d *DrillWorld) Sim() *slacksim.Server { return d.sim }

// Env implements provider.World.
func (d *DrillWorld) Env() map[string]string { return maps.Clone(d.env) }

// Given implements provider.World: the token and the window.
func (d *DrillWorld) Given() map[string]string {
	return map[string]string{"key": d.w.Leaked,
		"window_start": d.w.WindowStart.UTC().Format(time.RFC3339), "window_end": d.w.WindowEnd.UTC().Format(time.RFC3339)}
}

// Secrets implements provider.World.
func (d *DrillWorld) Secrets() []string { return []string{d.w.Leaked, d.w.Admin} }

// LeakedKey implements provider.World.
func (d *DrillWorld) LeakedKey() string { return d.w.Leaked }

// Attack implements provider.World. What the token's holder did is in the
// workspace's logs as the scenario builds them: there is no baseline to take
// before it.
func (d *DrillWorld) Attack() {}

// Replay revokes the token again when the interrupted run's revoke
// finished; one that did not finish is sent again by the resume.
func (d *DrillWorld) Replay(steps []report.Step) {
	provider.ReplayFinished(steps, func(s report.Step) bool { return s.ID == "revoke" }, func(at time.Time) {
		d.sim.RevokeToken(d.w.Leaked, at)
	})
}

// LeakedKeyLive implements provider.LiveKey.
func (d *DrillWorld) LeakedKeyLive() bool { return !d.sim.Dead(d.w.Leaked) }

// Close stops the simulator; its recorded calls stay readable.
func (d *DrillWorld) Close() error { return d.sim.Close() }

// InjectFault implements provider.FaultInjector: a fault's Route is a Web
// API method ("auth.revoke", "team.accessLogs"; "" any), its Method the
// HTTP method.
func (d *DrillWorld) InjectFault(f provider.Fault) {
	sf := slacksim.Fault{Method: f.Route, HTTPMethod: f.Method, Times: f.Times, After: f.After}
	if sf.Method == "" {
		sf.Method = "*"
	}
	if sf.Times == 0 {
		sf.Times = math.MaxInt32 // every matching request after After
	}
	switch f.Kind {
	case provider.FaultTimeout:
		sf.Hang = true
	case provider.FaultReset:
		sf.Reset = true
	case provider.FaultTruncate:
		sf.Truncate = true
	case provider.FaultLatency:
		sf.Latency = f.Latency
	default:
		sf.Status = f.Status
		if sf.Status == 0 {
			sf.Status = 500
		}
	}
	d.sim.Inject(sf)
}

// ClearFaults implements provider.FaultInjector.
func (d *DrillWorld) ClearFaults() { d.sim.ClearFaults() }
