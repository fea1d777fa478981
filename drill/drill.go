// Package drill runs a tabletop exercise: the built-in SendGrid playbook
// against an in-process simulator loaded with a scenario, with no
// credentials, then scores what the run found against the scenario's ground
// truth. `keyir drill` and the Slack `/keyir drill` command both use it.
package drill

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/keyir/keyir/actions"
	sgactions "github.com/keyir/keyir/actions/sendgrid"
	"github.com/keyir/keyir/notify"
	"github.com/keyir/keyir/playbook"
	"github.com/keyir/keyir/redact"
	"github.com/keyir/keyir/report"
	sgsim "github.com/keyir/keyir/sim/sendgrid"
)

// Playbook is the playbook a drill rehearses.
const Playbook = "sendgrid-key-compromise"

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
	// Env adds configuration (a Slack channel, say) to what the playbook
	// sees; SendGrid credentials always come from the simulator.
	Env map[string]string
	// SimConfig, when set, adjusts the simulator (the contract test observes
	// every response through it).
	SimConfig func(*sgsim.Config)
	// Notify, when it configures a channel, gives the run a notification
	// hub (built with Env overlaid, so Slack can be a simulator): the
	// playbook's notify steps and its progress go to it. The channel
	// packages must be linked (import notify/all).
	Notify *notify.HubConfig
}

// Result is a drill's run and its scorecard.
type Result struct {
	Scenario string
	Run      *playbook.Result
	Score    Scorecard
	// Sim is the simulator the drill ran against, for tests and transcripts.
	Sim *sgsim.Server
	// Notify is what each notification channel was sent (nil without
	// channels); NotifyErr the deliveries that failed.
	Notify    map[string]notify.Stat
	NotifyErr error
}

// Scorecard compares what the run found with the scenario's ground truth.
type Scorecard struct {
	TimeToContainment time.Duration
	StepsPassed       int
	StepsTotal        int
	Expected          []sgsim.Expected
	Found             []sgsim.Expected
	Missed            []sgsim.Expected
}

// Run runs one scenario end to end.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Scenario == "" {
		o.Scenario = "spam-burst"
	}
	sc, ok := sgsim.LookupScenario(o.Scenario)
	if !ok {
		return nil, &playbook.UsageError{Err: fmt.Errorf("no drill scenario %q%s (scenarios: %s)", o.Scenario, actions.Suggest(o.Scenario, ScenarioNames()), strings.Join(ScenarioNames(), ", "))}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	fx := sc.Build(o.Now())
	if o.SimConfig != nil {
		o.SimConfig(&fx.Config)
	}
	srv := sgsim.New(fx.State, fx.Config)
	base, shutdown, err := sgsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	defer shutdown(context.Background())
	o.Redactor.Add(fx.ResponderKey)
	o.Redactor.Add(fx.LeakedKey)

	env := map[string]string{
		"SENDGRID_API_KEY": fx.ResponderKey,
		"SENDGRID_API_URL": base,
	}
	for k, v := range o.Env {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }

	if err := os.MkdirAll(o.ReportsRoot, 0o700); err != nil {
		return nil, err
	}
	// The baseline is taken before the attack, exactly as an operator would
	// with `keyir inventory save`, so the drill exercises the baseline diff.
	baseline, err := saveBaseline(ctx, o, getenv)
	if err != nil {
		return nil, fmt.Errorf("saving the scenario's baseline: %w", err)
	}
	defer os.Remove(baseline)
	if fx.Attack != nil {
		fx.Attack(fx.State)
	}
	for _, f := range fx.Faults {
		srv.InjectFault(f)
	}

	pb, err := playbook.Builtin(Playbook)
	if err != nil {
		return nil, err
	}
	given := map[string]string{
		"key":          fx.LeakedKey,
		"window_start": fx.WindowStart.UTC().Format(time.RFC3339),
		"window_end":   fx.WindowEnd.UTC().Format(time.RFC3339),
		"baseline":     baseline,
	}
	incident := o.Incident
	if incident == "" {
		incident = "DRILL-" + sc.Name
	}
	var services map[string]any
	observer := o.Observer
	var hub *notify.Hub
	if o.Notify != nil && len(o.Notify.Channels) > 0 {
		hub, err = notify.NewHub(*o.Notify, notify.HubEnv{Redactor: o.Redactor, Getenv: getenv, LeakedKey: fx.LeakedKey})
		if err != nil {
			return nil, &playbook.UsageError{Err: err}
		}
		defer hub.Close()
		services = map[string]any{"notify": hub}
		observer = playbook.Observers{o.Observer, hub}
	}
	res, err := playbook.Run(ctx, pb, playbook.Options{
		Mode:        report.ModeDrill,
		Incident:    incident,
		Operator:    o.Operator,
		ReportsRoot: o.ReportsRoot,
		Given:       given,
		Redactor:    o.Redactor,
		Getenv:      getenv,
		Observer:    observer,
		Version:     o.Version,
		Now:         o.Now,
		Backoff:     drillBackoff,
		Services:    services,
	})
	if err != nil {
		return nil, err
	}
	out := &Result{Scenario: sc.Name, Run: res, Score: score(fx.Expected, res.Report), Sim: srv}
	if hub != nil {
		// A run that stopped before its closing step is closed by the hub
		// at RunFinished; give that delivery a bounded moment.
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out.NotifyErr = hub.Flush(fctx)
		cancel()
		out.Notify = hub.Stats()
	}
	return out, nil
}

// drillBackoff keeps retries of flaky scenarios short: the simulator's faults
// are over in milliseconds, and a drill should take seconds, not minutes.
func drillBackoff(n int) time.Duration { return time.Duration(n) * 50 * time.Millisecond }

func saveBaseline(ctx context.Context, o Options, getenv func(string) string) (string, error) {
	f, err := os.CreateTemp(o.ReportsRoot, ".drill-baseline-*.json")
	if err != nil {
		return "", err
	}
	path := f.Name()
	f.Close()
	os.Remove(path) // SaveInventory creates it exclusively, 0600
	env := actions.StandaloneEnv("baseline", getenv, nil, o.Redactor, http.DefaultTransport)
	if err := sgactions.SaveInventory(ctx, env, path); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// score matches findings to the ground truth by kind and, where the scenario
// names one, subject.
func score(expected []sgsim.Expected, rep *report.Report) Scorecard {
	sc := Scorecard{Expected: expected, TimeToContainment: rep.Run.Containment.TimeToContainment, StepsTotal: len(rep.Steps)}
	for _, s := range rep.Steps {
		if s.Status == report.StepOK || s.Status == report.StepSkipped {
			sc.StepsPassed++
		}
	}
	for _, want := range expected {
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

// ScenarioNames lists the built-in scenarios.
func ScenarioNames() []string {
	var out []string
	for _, s := range sgsim.Scenarios() {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}
