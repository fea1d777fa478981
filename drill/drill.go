// Package drill runs a tabletop exercise: a scenario's built-in playbook
// against an in-process simulator loaded with the scenario, with no
// credentials, then scores what the run found against the scenario's ground
// truth. Scenarios, their playbooks and ground truth come from the provider
// registry; the world a scenario runs in is, so far, the SendGrid
// simulator's. `keyir drill` and the Slack `/keyir drill` command both use it.
//
// A drill is sealed off from real systems: its SendGrid (both hosts) is the
// simulator, its configuration is Options.Env and nothing else (the process
// environment is never read), and mail its email channel sends goes to the
// simulator too. Resume rebuilds the same simulator (see Resume).
package drill

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/notify"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/provider"
	"github.com/keyir/keyir/redact"
	"github.com/keyir/keyir/report"
	"github.com/keyir/keyir/sim/sendgridsim"
)

// Options configure a drill.
type Options struct {
	Scenario    string
	ReportsRoot string
	Incident    string
	Operator    string
	Version     string
	Observer    playbook.Observer
	Redactor    *redact.Redactor
	Now         func() time.Time
	// Env adds configuration (a Slack channel and token for the Slack
	// simulator, a webhook secret) to what the playbook and the notification
	// channels see. It is the drill's whole environment: SendGrid credentials
	// and URLs always come from the simulator, and the email channel's key and
	// host are always the simulator's, whatever Env says.
	Env map[string]string
	// SimConfig, when set, adjusts the simulator (the contract test observes
	// every response through it).
	SimConfig func(*sendgridsim.Config)
	// Faults are injected after the scenario's own (tests hold a drill at a
	// step with a latency fault).
	Faults []sendgridsim.Fault
	// Notify, when it configures a channel, gives the run a notification
	// hub (built with Env overlaid, so Slack can be a simulator): the
	// playbook's notify steps and its progress go to it. The channel
	// packages must be linked (import notify/all).
	Notify *notify.HubConfig
	// Eradicate applies the sealed run's eradication plan to the simulator
	// (as `keyir eradicate --yes`) and scores it (Result.Eradication).
	Eradicate bool
}

// Result is a drill's run and its scorecard.
type Result struct {
	Scenario string
	Run      *playbook.Result
	Score    Scorecard
	// Sim is the simulator the drill ran against, for tests and transcripts;
	// its State().Outbox() holds the mail the email channel sent.
	Sim *sendgridsim.Server
	// Notify is what each notification channel was sent (nil without
	// channels); NotifyErr the deliveries that failed.
	Notify    map[string]notify.Stat
	NotifyErr error
	// Eradication is set by Options.Eradicate; Score.Passed includes it.
	Eradication *Eradication
}

// Scorecard compares what the run found, and how it ended, with the
// scenario's ground truth.
type Scorecard struct {
	TimeToContainment time.Duration
	StepsPassed       int
	StepsTotal        int
	Expected          []provider.Finding
	Found             []provider.Finding
	Missed            []provider.Finding
	// Containment is the status the run reported, WantContainment the one a
	// correct run reports ("confirmed", or "revoked_unproven" when only the
	// key's id is known); ExitCode and WantExit likewise.
	Containment     string
	WantContainment string
	ExitCode        int
	WantExit        int
	// Eradicated: the drill ran with --eradicate; Eradication says how it went.
	Eradicated  bool
	Eradication *Eradication
}

// Passed reports whether the run matched the ground truth: every expected
// finding, the right containment status and the right exit code.
func (s Scorecard) Passed() bool {
	return len(s.Missed) == 0 && s.Containment == s.WantContainment && s.ExitCode == s.WantExit &&
		(!s.Eradicated || s.Eradication.Passed())
}

// Run runs one scenario end to end.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Scenario == "" {
		o.Scenario = "spam-burst"
	}
	// Scenarios come from the provider registry; the world a scenario runs
	// in is, so far, the SendGrid simulator's.
	reg, ok := provider.LookupScenario(o.Scenario)
	if !ok {
		return nil, &playbook.UsageError{Err: fmt.Errorf("no drill scenario %q%s (scenarios: %s)", o.Scenario, actions.Suggest(o.Scenario, ScenarioNames()), strings.Join(ScenarioNames(), ", "))}
	}
	sc, ok := sendgridsim.LookupScenario(reg.Name)
	if !ok || reg.Truth == nil {
		return nil, &playbook.UsageError{Err: fmt.Errorf("drill scenario %q of provider %s cannot be run yet: drills run in the SendGrid simulator's world only", reg.Name, reg.Provider)}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if err := os.MkdirAll(o.ReportsRoot, 0o700); err != nil {
		return nil, err
	}
	built := o.Now().UTC().Truncate(time.Second)
	w, err := start(sc, built, o)
	if err != nil {
		return nil, err
	}
	defer w.close()

	// The run's id is chosen here so the drill's record (scenario, build time)
	// can be named after it before the run directory exists.
	runID := playbook.NewRunID()
	rec := record{Version: 1, Scenario: sc.Name, Built: built, RunID: runID}
	recPath, basePath := recordPaths(o.ReportsRoot, runID)
	if err := writeRecord(recPath, rec); err != nil {
		return nil, fmt.Errorf("recording the drill: %w", err)
	}
	// The baseline is taken before the attack, exactly as an operator would
	// with `keyir inventory save`, so the drill exercises the baseline diff.
	var eradKey sendgridsim.Key
	if o.Eradicate {
		eradKey = w.addEradicatorKey(uint64(built.Unix()))
	}
	if err := w.saveBaseline(ctx, o.Redactor, basePath); err != nil {
		return nil, fmt.Errorf("saving the scenario's baseline: %w", err)
	}
	w.attack()
	for _, f := range o.Faults {
		w.srv.InjectFault(f)
	}

	pb, err := playbook.Builtin(reg.Playbook)
	if err != nil {
		return nil, err
	}
	given := map[string]string{
		"window_start": w.fx.WindowStart.UTC().Format(time.RFC3339),
		"window_end":   w.fx.WindowEnd.UTC().Format(time.RFC3339),
		"baseline":     basePath,
	}
	if w.fx.IDOnly {
		given["key_id"] = w.fx.LeakedKeyID
	} else {
		given["key"] = w.fx.LeakedKey
	}
	incident := o.Incident
	if incident == "" {
		incident = "DRILL-" + sc.Name
	}
	hub, services, observer, err := w.hub(o)
	if err != nil {
		return nil, err
	}
	if hub != nil {
		defer hub.Close()
	}
	res, err := playbook.Run(ctx, pb, playbook.Options{
		Mode:        report.ModeDrill,
		Incident:    incident,
		Operator:    o.Operator,
		ReportsRoot: o.ReportsRoot,
		RunID:       runID,
		Given:       given,
		Redactor:    o.Redactor,
		Getenv:      w.getenv,
		Observer:    observer,
		Version:     o.Version,
		Now:         o.Now,
		Backoff:     drillBackoff,
		Services:    services,
	})
	if err != nil {
		return nil, err
	}
	out := w.finish(ctx, res, hub, recPath, basePath)
	out.Score.Eradicated = o.Eradicate // a run that could not reach the eradication fails it
	if o.Eradicate && res.Report.Run.Status == report.RunSucceeded {
		e, err := w.eradicate(ctx, o, res, eradKey)
		if err != nil {
			return nil, err
		}
		out.Eradication, out.Score.Eradication = e, e
	}
	return out, nil
}

// drillBackoff keeps retries of flaky scenarios short: the simulator's faults
// are over in milliseconds, and a drill should take seconds, not minutes.
func drillBackoff(n int) time.Duration { return time.Duration(n) * 50 * time.Millisecond }

// world is one drill's simulator and the environment the run sees.
type world struct {
	sc    sendgridsim.Scenario
	fx    *sendgridsim.Fixture
	srv   *sendgridsim.Server
	hosts *sendgridsim.Hosts
	env   map[string]string
	// notifyKey is the simulator's own mail.send key for the email channel.
	notifyKey sendgridsim.Key
	// truth is the scenario's ground truth, from its provider.
	truth provider.Truth
}

// start builds the scenario at built and serves it on both hosts.
func start(sc sendgridsim.Scenario, built time.Time, o Options) (*world, error) {
	reg, ok := provider.LookupScenario(sc.Name)
	if !ok || reg.Truth == nil {
		return nil, fmt.Errorf("drill scenario %q has no ground truth registered", sc.Name)
	}
	truth := reg.Truth(built)
	fx := sc.Build(built)
	if o.SimConfig != nil {
		o.SimConfig(&fx.Config)
	}
	srv := sendgridsim.New(fx.State, fx.Config)
	hosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	o.Redactor.Add(fx.ResponderKey)
	o.Redactor.Add(fx.LeakedKey)
	// The email channel's key lives in the simulator: mail a drill "sends"
	// lands in its outbox, never with a real provider.
	var nk sendgridsim.Key
	if o.Notify != nil && o.Notify.Channels["email"] != nil {
		nk = sendgridsim.NewKey(rand.New(rand.NewPCG(0x6b657969, 0x6e6f74)), "keyir-drill-notify", []string{"mail.send"})
		fx.State.AddKey(nk)
		o.Redactor.Add(nk.Token())
	}
	env := maps.Clone(o.Env)
	if env == nil {
		env = map[string]string{}
	}
	// Nothing of SendGrid comes from the caller: the simulator's responder
	// key and both hosts, and the simulator's notification key.
	for _, k := range []string{"SENDGRID_API_KEY_FILE", "SENDGRID_NOTIFY_API_KEY_FILE", "SENDGRID_REGION"} {
		delete(env, k)
	}
	maps.Copy(env, hosts.Env())
	env["SENDGRID_API_KEY"] = fx.ResponderKey
	delete(env, "SENDGRID_NOTIFY_API_KEY")
	if nk.ID != "" {
		env["SENDGRID_NOTIFY_API_KEY"] = nk.Token()
	}
	return &world{sc: sc, fx: fx, srv: srv, hosts: hosts, env: env, notifyKey: nk, truth: truth}, nil
}

func (w *world) getenv(k string) string { return w.env[k] }

func (w *world) close() { _ = w.hosts.Shutdown(context.Background()) }

// attack applies what the key's holder did, then the scenario's faults.
func (w *world) attack() {
	if w.fx.Attack != nil {
		w.fx.Attack(w.fx.State)
	}
	for _, f := range w.fx.Faults {
		w.srv.InjectFault(f)
	}
}

func (w *world) saveBaseline(ctx context.Context, red *redact.Redactor, path string) error {
	env := actions.StandaloneEnv("baseline", w.getenv, nil, red, http.DefaultTransport)
	return sendgrid.SaveInventory(ctx, env, path)
}

// hub builds the notification hub, with the email channel pointed at the
// simulator's global host.
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
		em["api_url"] = w.hosts.URL
		delete(em, "region")
		delete(em, "key_env")
	}
	hub, err := notify.StartRun(cfg, notify.HubEnv{Redactor: o.Redactor, Getenv: w.getenv, LeakedKey: w.fx.LeakedKey})
	if err != nil {
		return nil, nil, nil, &playbook.UsageError{Err: err}
	}
	if hub == nil { // no channel configured
		return nil, nil, o.Observer, nil
	}
	return hub, hub.Services(), playbook.Observers{o.Observer, hub}, nil
}

// finish scores the run, lets the hub deliver, and removes the drill's
// record once the run cannot be resumed any more.
func (w *world) finish(ctx context.Context, res *playbook.Result, hub *notify.Hub, recPath, basePath string) *Result {
	out := &Result{Scenario: w.sc.Name, Run: res, Score: score(w.truth, res), Sim: w.srv}
	if hub != nil {
		// A run that stopped before its closing step is closed by the hub
		// at RunFinished; give that delivery a bounded moment.
		out.NotifyErr = hub.Finish(ctx, 10*time.Second)
		out.Notify = hub.Stats()
	}
	if st := res.Report.Run.Status; st == report.RunSucceeded || st == report.RunDegraded {
		os.Remove(recPath)
		os.Remove(basePath)
	}
	return out
}

// score matches findings to the ground truth (the scenario's provider
// gives it) by kind and, where the scenario names one, subject; and the
// run's containment status and exit code to the scenario's.
func score(truth provider.Truth, res *playbook.Result) Scorecard {
	rep := res.Report
	sc := Scorecard{
		Expected: truth.Findings, TimeToContainment: rep.Run.Containment.TimeToContainment, StepsTotal: len(rep.Steps),
		Containment: rep.Run.Containment.Status, WantContainment: truth.Containment,
		ExitCode: res.ExitCode, WantExit: truth.ExitCode,
	}
	for _, s := range rep.Steps {
		if s.Status == report.StepOK || s.Status == report.StepSkipped {
			sc.StepsPassed++
		}
	}
	for _, want := range truth.Findings {
		hit := false
		for _, f := range rep.Findings {
			if f.Kind == want.Kind && (want.Subject == "" || f.Subject == want.Subject) {
				hit = true
				break
			}
		}
		if hit {
			sc.Found = append(sc.Found, want)
		} else {
			sc.Missed = append(sc.Missed, want)
		}
	}
	return sc
}

// ScenarioNames lists the drill scenarios the registered providers bring.
func ScenarioNames() []string {
	var out []string
	for _, s := range provider.Scenarios() {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// recordPaths are where a drill keeps what its resume needs, beside the run
// directory (not in it: the run directory holds the sealed evidence only).
func recordPaths(root, runID string) (rec, baseline string) {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	return filepath.Join(abs, ".drill-"+runID+".json"), filepath.Join(abs, ".drill-"+runID+".baseline.json")
}
