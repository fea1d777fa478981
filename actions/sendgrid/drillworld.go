package sendgrid

import "context"
import "fmt"
import "maps"
import "math/rand/v2"
import "net/http"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// DrillWorld is a SendGrid drill's world: the scenario's account in the
// simulator, served on both hosts (global and EU), with the simulator's own
// mail.send key for the drill's email channel. Tests type-assert a drill's
// World to it to read the simulator.
type DrillWorld struct {
	provider.SimWorld[*sendgridsim.State, sendgridsim.Item]
	fx    *sendgridsim.Fixture
	srv   *sendgridsim.Server
	hosts *sendgridsim.Hosts
	env   map[string]string
	// eradicator is the key an eradication drill runs with (zero otherwise).
	eradicator sendgridsim.Key
	secrets    []string
}

var (
	_ provider.Baseliner     = (*DrillWorld)(nil)
	_ provider.MailSink      = (*DrillWorld)(nil)
	_ provider.Eradicable    = (*DrillWorld)(nil)
	_ provider.FaultInjector = (*DrillWorld)(nil)
	_ provider.LiveKey       = (*DrillWorld)(nil)
)

// drillWorld builds sc's world at built and serves it on both hosts.
func drillWorld(sc sendgridsim.Scenario) provider.BuildWorld {
	return func(_ context.Context, built time.Time, o provider.WorldOptions) (provider.World, error) {
		fx := sc.Build(built)
		if see := o.OnResponse; see != nil {
			if prev := fx.Config.OnResponse; prev != nil {
				see = func(r *http.Request, status int, h http.Header, body []byte) {
					prev(r, status, h, body)
					o.OnResponse(r, status, h, body)
				}
			}
			fx.Config.OnResponse = see
		}
		if o.NoRateLimits {
			fx.Config.Limits = nil
		}
		srv := sendgridsim.New(fx.State, fx.Config)
		hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
		if err != nil {
			return nil, fmt.Errorf("starting the simulator: %w", err)
		}
		w := &DrillWorld{fx: fx, srv: srv, hosts: hosts, secrets: []string{fx.ResponderKey, fx.LeakedKey}}
		w.SimWorld = provider.SimWorld[*sendgridsim.State, sendgridsim.Item]{FaultInjector: srv, State: fx.State, Truth: &fx.Truth, Leaked: fx.LeakedKey,
			Revokes: func(s report.Step) bool { return s.ID == "revoke" },
			Revoke:  func(at time.Time) { fx.State.RevokeKey(fx.LeakedKeyID, at) }}
		// Nothing of SendGrid comes from the caller: the simulator's
		// responder key and both hosts, and its notification key; the
		// names a real shell might set are blanked.
		w.env = map[string]string{
			"SENDGRID_API_KEY_FILE": "", "SENDGRID_NOTIFY_API_KEY_FILE": "", EnvRegion: "",
			"SENDGRID_NOTIFY_API_KEY": "",
		}
		maps.Copy(w.env, hosts.Env())
		w.env[EnvAPIKey] = fx.ResponderKey
		if o.Mail {
			// The email channel's key lives in the simulator: mail a drill
			// "sends" lands in its outbox, never with a real provider.
			nk := sendgridsim.NewKey(rand.New(rand.NewPCG(0x6b657969, 0x6e6f74)), "keyir-drill-notify", []string{"mail.send"})
			fx.State.AddKey(nk)
			w.env["SENDGRID_NOTIFY_API_KEY"] = nk.Token()
			w.secrets = append(w.secrets, nk.Token())
		}
		if o.Eradicate {
			// The responder's reads plus the scopes of every removal, added
			// before the baseline is taken: part of what the account had.
			k := sendgridsim.NewKey(rand.New(rand.NewPCG(uint64(built.Unix()), 0xe7ad)), "keyir-eradicator", append(sendgridsim.ResponderScopes(), sendgridsim.RemovalScopes()...))
			fx.State.AddKey(k)
			fx.Legitimate = append(fx.Legitimate, sendgridsim.Item{Kind: "api_key", Subject: k.ID})
			w.eradicator = k
			w.secrets = append(w.secrets, k.Token())
		}
		return w, nil
	}
}

// Sim is the simulator the drill ran against.
func (w *DrillWorld) Sim() *sendgridsim.Server { return w.srv }

// Fixture is the scenario as built.
func (w *DrillWorld) Fixture() *sendgridsim.Fixture { return w.fx }

// Env implements provider.World.
func (w *DrillWorld) Env() map[string]string { return maps.Clone(w.env) }

// Given implements provider.World: the window, and the key or only its id.
func (w *DrillWorld) Given() map[string]string {
	g := map[string]string{
		"window_start": w.fx.WindowStart.UTC().Format(time.RFC3339),
		"window_end":   w.fx.WindowEnd.UTC().Format(time.RFC3339),
	}
	if w.fx.IDOnly {
		g["key_id"] = w.fx.LeakedKeyID
	} else {
		g["key"] = w.fx.LeakedKey
	}
	return g
}

// Secrets implements provider.World.
func (w *DrillWorld) Secrets() []string { return w.secrets }

// LeakedKeyLive reports whether the leaked key still works on either host.
func (w *DrillWorld) LeakedKeyLive() bool { return w.srv.Authenticates(w.fx.LeakedKeyID) }

// Close stops both hosts; the simulator's state stays readable.
func (w *DrillWorld) Close() error { return w.hosts.Shutdown(context.Background()) }

// SaveBaseline is `keyir inventory save` against the simulator.
func (w *DrillWorld) SaveBaseline(ctx context.Context, env *actions.Env, path string) error {
	return SaveInventory(ctx, env, path)
}

// MailURL is the simulator's global host: its mail send fills the outbox.
func (w *DrillWorld) MailURL() string { return w.hosts.URL }

// MailsSent counts the mail in the simulator's outbox.
func (w *DrillWorld) MailsSent() int { return len(w.srv.State().Outbox()) }

// EradicationEnv runs the eradication with the eradicator's key.
func (w *DrillWorld) EradicationEnv() map[string]string {
	env := w.Env()
	env[EnvAPIKey] = w.eradicator.Token()
	return env
}

// Footholds are the scenario's footholds.
func (w *DrillWorld) Footholds() []provider.Item { return items(w.fx.Footholds) }

// Legitimate are the items the account must keep (the eradicator's key too).
func (w *DrillWorld) Legitimate() []provider.Item { return items(w.fx.Legitimate) }

// Present reports whether the account still holds it.
func (w *DrillWorld) Present(it provider.Item) bool {
	return w.fx.State.Present(sendgridsim.Item{Kind: it.Kind, Account: it.Account, Subject: it.Subject})
}

func items(in []sendgridsim.Item) []provider.Item {
	out := make([]provider.Item, len(in))
	for i, it := range in {
		out[i] = provider.Item{Kind: it.Kind, Account: it.Account, Subject: it.Subject}
	}
	return out
}
