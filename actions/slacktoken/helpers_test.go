package slacktoken

import "context"
import "encoding/json"
import "fmt"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"
import "github.com/keyir/keyir/sim/slacksim/slackspec"
import "github.com/keyir/keyir/transport"

// recorder collects what a step records.
type recorder struct {
	mu          sync.Mutex
	findings    []report.Finding
	evidence    []string // JSON
	notes       []string
	progress    []string
	containment []report.Containment
	planned     []report.PlannedChange
}

func (r *recorder) Evidence(kind string, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evidence = append(r.evidence, kind+" "+string(b))
	return fmt.Sprintf("evidence/test.jsonl#%d", len(r.evidence)), nil
}
func (r *recorder) Finding(f report.Finding) {
	r.mu.Lock()
	r.findings = append(r.findings, f)
	r.mu.Unlock()
}
func (r *recorder) Note(t string)     { r.mu.Lock(); r.notes = append(r.notes, t); r.mu.Unlock() }
func (r *recorder) Progress(t string) { r.mu.Lock(); r.progress = append(r.progress, t); r.mu.Unlock() }
func (r *recorder) Containment(c report.Containment) {
	r.mu.Lock()
	r.containment = append(r.containment, c)
	r.mu.Unlock()
}
func (r *recorder) Planned(c report.PlannedChange) {
	r.mu.Lock()
	r.planned = append(r.planned, c)
	r.mu.Unlock()
}

func (r *recorder) kinds() map[string][]report.Finding {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]report.Finding{}
	for _, f := range r.findings {
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

// all is everything recorded, as text, for leak searches.
func (r *recorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, s := range [][]string{r.evidence, r.notes, r.progress} {
		b.WriteString(strings.Join(s, "\n"))
	}
	for _, f := range r.findings {
		fb, _ := json.Marshal(f)
		b.Write(fb)
	}
	for _, c := range r.containment {
		b.WriteString(c.Detail)
	}
	for _, p := range r.planned {
		b.WriteString(p.URL + p.Body)
	}
	return b.String()
}

// fixture is a simulated workspace loaded with a scenario.
type fixture struct {
	t     testing.TB
	sim   *slacksim.Server
	api   string
	world slacksim.World
	vars  map[string]string
}

func newFixture(t testing.TB, scenario string, tune func(*slacksim.World)) *fixture {
	t.Helper()
	sc, ok := slacksim.LookupScenario(scenario)
	if !ok {
		t.Fatalf("no scenario %s", scenario)
	}
	w := sc.Build(time.Now())
	w.Options.RevokePropagation = 0
	if tune != nil {
		tune(&w)
	}
	sim := slacksim.New(w.Options)
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	// Every request keyir sent and every answer the simulator gave, against
	// Slack's own description of the Web API.
	if tt, ok := t.(*testing.T); ok {
		t.Cleanup(func() { slackspec.Check(tt, sim.Calls()) })
	}
	f := &fixture{t: t, sim: sim, api: api, world: w,
		vars: map[string]string{EnvAPIURL: api, EnvAdminToken: w.Admin, EnvBotToken: sim.BotToken()}}
	return f
}

func (f *fixture) env(mode report.Mode) (*actions.Env, *recorder) {
	rec := &recorder{}
	red := redact.New()
	return &actions.Env{
		Step: "test", RunID: "r1", Mode: mode, RunStarted: time.Now(),
		HTTP:     transport.NewClient(transport.Options{DryRun: mode == report.ModeDryRun, Step: "test", Redactor: red, Recorder: rec, Timeout: 5 * time.Second}),
		Now:      time.Now,
		Redactor: red,
		Recorder: rec,
		Getenv:   func(k string) string { return f.vars[k] },
	}, rec
}

// run decodes params like the runner and runs the action.
func run(t testing.TB, env *actions.Env, name string, params map[string]any) (actions.Outputs, error) {
	t.Helper()
	info, ok := actions.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	a, err := actions.Decode(info, params)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	for _, s := range actions.SecretValues(a) {
		env.Redactor.Add(s)
	}
	out, err := a.Run(context.Background(), env)
	if _, jerr := json.Marshal(out); jerr != nil {
		t.Fatalf("%s outputs not JSON: %v", name, jerr)
	}
	return out, err
}

// assertNoSecret fails if a secret, or its last 12 characters, appears in
// anything recorded or output.
func assertNoSecret(t *testing.T, rec *recorder, out actions.Outputs, secrets ...string) {
	t.Helper()
	b, _ := json.Marshal(out)
	all := string(b) + rec.all()
	for _, s := range secrets {
		if strings.Contains(all, s) || strings.Contains(all, s[len(s)-12:]) {
			t.Fatalf("a secret leaked into the step's records")
		}
	}
}

// withJournal makes env.Report return earlier steps of the run.
func withJournal(env *actions.Env, steps ...report.Step) {
	env.Report = func() (*report.Report, error) { return &report.Report{Steps: steps}, nil }
}
