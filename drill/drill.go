// Package drill runs a tabletop exercise: a scenario's built-in playbook
// against the scenario's simulated world, with no credentials, then scores
// what the run found against the scenario's ground truth. Scenarios, their
// playbooks, ground truth and worlds come from the provider registry
// (provider.Scenario.World builds the world: its simulators on loopback, the
// environment and inputs the playbook sees, the attack), so a provider's
// drill runs without a change here. `keyir drill` and the Slack
// `/keyir drill` command both use it.
//
// A drill is sealed off from real systems: the provider's API is its
// simulator, its configuration is Options.Env with the world's laid over it
// and nothing else (the process environment is never read), and mail its
// email channel sends goes to the world's mail sink (a world without one
// refuses the channel). Resume rebuilds the same world (see Resume).
package drill

import "context"
import "fmt"
import "net/http"
import "os"
import "path/filepath"
import "sort"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

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
	// channels see. It is the drill's whole environment: the provider's
	// credentials and URLs always come from the world (provider.World.Env
	// wins over Env), and the email channel's key and host are always the
	// world's mail sink's, whatever Env says.
	Env map[string]string
	// OnResponse, when set, observes every response the world's simulators
	// produce (the contract test checks each against the provider's spec).
	OnResponse func(r *http.Request, status int, h http.Header, body []byte)
	// Faults are injected after the scenario's own (tests hold a drill at a
	// step with a latency fault); the world must be a
	// provider.FaultInjector.
	Faults []provider.Fault
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
	// World is the world the drill ran against (closed, its recorded state
	// still readable), for tests and transcripts: they type-assert it to the
	// provider's own (*sendgrid.DrillWorld) to read its simulator.
	World provider.World
	// Notify is what each notification channel was sent (nil without
	// channels); NotifyErr the deliveries that failed.
	Notify    map[string]notify.Stat
	NotifyErr error
	// Eradication is set by Options.Eradicate; Score.Passed includes it.
	Eradication *Eradication
}

// MailsSent counts the mail the drill's email channel sent into its world's
// mail sink (0 when the world has none).
func (r *Result) MailsSent() int {
	if m, ok := r.World.(provider.MailSink); ok {
		return m.MailsSent()
	}
	return 0
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
	reg, err := lookup(o.Scenario)
	if err != nil {
		return nil, err
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
	mail := o.Notify != nil && o.Notify.Channels["email"] != nil
	built := o.Now().UTC().Truncate(time.Second)
	w, err := start(ctx, reg, built, o.Env, o.Redactor, provider.WorldOptions{Mail: mail, Eradicate: o.Eradicate, OnResponse: o.OnResponse})
	if err != nil {
		return nil, err
	}
	defer w.close()
	if _, ok := w.world.(provider.FaultInjector); len(o.Faults) > 0 && !ok {
		return nil, &playbook.UsageError{Err: fmt.Errorf("drill scenario %s: its world cannot inject faults", reg.Name)}
	}

	// The run's id is chosen here so the drill's record (scenario, build time)
	// can be named after it before the run directory exists.
	runID := playbook.NewRunID()
	rec := record{Version: 1, Scenario: reg.Name, Built: built, RunID: runID, Mail: mail, Eradicate: o.Eradicate}
	recPath, basePath := recordPaths(o.ReportsRoot, runID)
	if err := writeRecord(recPath, rec); err != nil {
		return nil, fmt.Errorf("recording the drill: %w", err)
	}
	// The baseline is taken before the attack, exactly as an operator would
	// with `keyir inventory save`, so the drill exercises the baseline diff.
	given, err := w.baseline(ctx, basePath, true)
	if err != nil {
		return nil, err
	}
	w.world.Attack()
	w.inject(o.Faults)

	pb, err := playbook.Builtin(reg.Playbook)
	if err != nil {
		return nil, err
	}
	incident := o.Incident
	if incident == "" {
		incident = "DRILL-" + reg.Name
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
		e, err := w.eradicate(ctx, o, res)
		if err != nil {
			return nil, err
		}
		out.Eradication, out.Score.Eradication = e, e
	}
	return out, nil
}

// lookup finds a scenario the registered providers bring, with its world.
func lookup(name string) (provider.Scenario, error) {
	reg, ok := provider.LookupScenario(name)
	if !ok {
		return reg, &playbook.UsageError{Err: fmt.Errorf("no drill scenario %q%s (scenarios: %s)", name, actions.Suggest(name, ScenarioNames()), strings.Join(ScenarioNames(), ", "))}
	}
	if reg.World == nil || reg.Truth == nil {
		return reg, &playbook.UsageError{Err: fmt.Errorf("drill scenario %q of provider %s cannot be run: its provider registers no simulated world or ground truth for it", reg.Name, reg.Provider)}
	}
	return reg, nil
}

// drillBackoff keeps retries of flaky scenarios short: the simulator's faults
// are over in milliseconds, and a drill should take seconds, not minutes.
func drillBackoff(n int) time.Duration { return time.Duration(n) * 50 * time.Millisecond }

// finish scores the run, lets the hub deliver, and removes the drill's
// record once the run cannot be resumed any more.
func (w *world) finish(ctx context.Context, res *playbook.Result, hub *notify.Hub, recPath, basePath string) *Result {
	out := &Result{Scenario: w.sc.Name, Run: res, Score: score(w.truth, res), World: w.world}
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
