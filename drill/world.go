package drill

import "context"
import "errors"
import "fmt"
import "io/fs"
import "maps"
import "net/http"
import "os"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"

// world is one drill's simulated world, as its provider built it, and the
// environment the run sees: the drill's own configuration (Options.Env)
// with the world's laid over it.
type world struct {
	sc    provider.Scenario
	world provider.World
	env   map[string]string
	red   *redact.Redactor
	// truth is the scenario's ground truth, from its provider.
	truth provider.Truth
}

// start builds the scenario's world at built and registers its secrets
// before anything else happens.
func start(ctx context.Context, sc provider.Scenario, built time.Time, base map[string]string, red *redact.Redactor, o provider.WorldOptions) (*world, error) {
	w, err := sc.World(ctx, built, o)
	if err != nil {
		return nil, fmt.Errorf("building the world of drill scenario %s: %w", sc.Name, err)
	}
	for _, s := range w.Secrets() {
		red.Add(s)
	}
	if k := w.LeakedKey(); k != "" {
		red.Add(k)
	}
	if _, ok := w.(provider.MailSink); o.Mail && !ok {
		_ = w.Close()
		return nil, &playbook.UsageError{Err: fmt.Errorf("drill scenario %s (provider %s) has no mail sink, so its email could only go to a real provider: drop the email channel", sc.Name, sc.Provider)}
	}
	if _, ok := w.(provider.Eradicable); o.Eradicate && !ok {
		_ = w.Close()
		return nil, &playbook.UsageError{Err: fmt.Errorf("drill scenario %s (provider %s) does not rehearse an eradication", sc.Name, sc.Provider)}
	}
	env := maps.Clone(base)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, w.Env())
	return &world{sc: sc, world: w, env: env, red: red, truth: sc.Truth(built)}, nil
}

func (w *world) getenv(k string) string { return w.env[k] }

func (w *world) close() { _ = w.world.Close() }

// baseline saves the world's baseline to path (when it has one; with
// always false only if path is gone) and returns the playbook's inputs.
func (w *world) baseline(ctx context.Context, path string, always bool) (map[string]string, error) {
	given := w.world.Given()
	b, ok := w.world.(provider.Baseliner)
	if !ok {
		return given, nil
	}
	given["baseline"] = path
	if !always {
		if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
			return given, nil
		}
	}
	env := actions.StandaloneEnv("baseline", w.getenv, nil, w.red, http.DefaultTransport)
	if err := b.SaveBaseline(ctx, env, path); err != nil {
		return nil, fmt.Errorf("saving the scenario's baseline: %w", err)
	}
	return given, nil
}

// inject adds the caller's faults after the scenario's own (Run checked
// that the world can take them).
func (w *world) inject(faults []provider.Fault) {
	if fi, ok := w.world.(provider.FaultInjector); ok {
		for _, f := range faults {
			fi.InjectFault(f)
		}
	}
}

// hub builds the notification hub, with the email channel pointed at the
// world's mail sink.
func (w *world) hub(o Options) (*notify.Hub, map[string]any, playbook.Observer, error) {
	if o.Notify == nil {
		return nil, nil, o.Observer, nil
	}
	cfg := *o.Notify
	cfg.Channels = map[string]map[string]any{}
	for name, ch := range o.Notify.Channels {
		cfg.Channels[name] = maps.Clone(ch)
	}
	if em, ok := cfg.Channels["email"]; ok {
		sink, ok := w.world.(provider.MailSink)
		if !ok { // start refused it already; never fall back to a real host
			return nil, nil, nil, &playbook.UsageError{Err: errors.New("the drill's world has no mail sink")}
		}
		em["api_url"] = sink.MailURL()
		delete(em, "region")
		delete(em, "key_env")
	}
	hub, err := notify.StartRun(cfg, notify.HubEnv{Redactor: o.Redactor, Getenv: w.getenv, LeakedKey: w.world.LeakedKey()})
	if err != nil {
		return nil, nil, nil, &playbook.UsageError{Err: err}
	}
	if hub == nil { // no channel configured
		return nil, nil, o.Observer, nil
	}
	return hub, hub.Services(), playbook.Observers{o.Observer, hub}, nil
}
