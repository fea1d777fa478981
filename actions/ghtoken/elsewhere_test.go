package ghtoken

import "context"
import "net/url"
import "testing"
import "time"

import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"

// TestEradicateRefusesAnotherGitHub: a run's footholds were found at one
// GitHub; keyir eradicate with GITHUB_API_URL naming another (github.com
// for a server's run, another server) would send their DELETEs by id to an
// organization of the same name there, and report a 404 as "already gone"
// while the footholds stay open where they are. It is refused before
// anything is sent.
func TestEradicateRefusesAnotherGitHub(t *testing.T) {
	a := newFixture(t, "github-pat-leak", true, nil)
	res, root := runPlaybook(t, a, report.ModeLive, map[string]string{"key": a.fx.LeakedToken, "org": a.fx.Org})
	if res.ExitCode != 5 {
		t.Fatalf("the run ended %d, want 5 (footholds open)", res.ExitCode)
	}

	// Another GitHub holding an organization of the same name, with the
	// same ids.
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	fx := sc.Build(time.Now())
	fx.Attack(fx.State)
	srv := githubsim.New(fx.State, fx.Config)
	other, stop, err := githubsim.Listen("127.0.0.2:0", srv)
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	env := map[string]string{EnvAPIURL: other, EnvToken: fx.ResponderToken}

	p, err := eradicate.Prepare(res.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	red := redact.New()
	red.Add(fx.ResponderToken)
	er, err := eradicate.Run(context.Background(), p, false, playbook.Options{Operator: "test", Redactor: red, ReportsRoot: root,
		Getenv: func(k string) string { return env[k] }, StepTimeout: time.Minute})
	if err == nil && er.ExitCode == 0 {
		t.Errorf("an eradication against another GitHub ended 0")
	}
	for _, it := range fx.Footholds {
		if it.Kind != "ssh_key" && !fx.State.Present(it) {
			t.Errorf("%s %s removed from another GitHub than the one the run assessed", it.Kind, it.Subject)
		}
	}
	for _, it := range a.fx.Footholds {
		if it.Kind != "ssh_key" && !a.fx.State.Present(it) {
			t.Errorf("%s %s gone from the GitHub assessed, though nothing was sent there", it.Kind, it.Subject)
		}
	}
}

// TestPersistenceRefusesABaselineOfAnotherGitHub: a baseline records the
// GitHub it was read at; the same organization name at another GitHub has
// other ids, so every item would look new (and go into the eradication
// plan): refused, as a baseline of another organization is.
func TestPersistenceRefusesABaselineOfAnotherGitHub(t *testing.T) {
	a := newFixture(t, "github-pat-leak", false, nil)
	env, _ := a.newEnv(report.ModeLive)
	env.Now = func() time.Time { return a.fx.WindowStart.Add(-time.Hour) }
	path := t.TempDir() + "/baseline.json"
	if _, err := SaveBaseline(context.Background(), env, a.fx.Org, path); err != nil {
		t.Fatal(err)
	}
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	fx := sc.Build(time.Now())
	srv := githubsim.New(fx.State, fx.Config)
	other, stop, err := githubsim.Listen("127.0.0.2:0", srv)
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	a.env[EnvAPIURL] = other
	env, rec := a.newEnv(report.ModeLive)
	out, err := run(t, env, "github.persistence", map[string]any{"org": fx.Org, "login": fx.LeakedLogin, "baseline": path})
	if err == nil {
		t.Errorf("a baseline of another GitHub was used: %v, %d findings", out, len(rec.findings))
	}
}

// TestAnotherPortIsAnotherGitHubOffLoopback: a plan item or a baseline
// records the API it was read at; off loopback the port is part of where
// GitHub is (two servers on one host), so one read at another port is
// refused as another GitHub's. On loopback only a simulator answers, and
// it comes back on another port when a drill is resumed: there the port
// is not compared (actions.SameAPI, the witness rule's too).
func TestAnotherPortIsAnotherGitHubOffLoopback(t *testing.T) {
	for _, c := range []struct {
		base, root string
		want       bool
	}{
		{"https://ghe.example/api/v3/", "https://ghe.example:8443/api/v3/", false},
		{"https://ghe.example/api/v3/", "https://ghe.example:443/api/v3", true},
		{"http://127.0.0.1:41000/", "http://127.0.0.1:42000/", true},
		{"http://127.0.0.1:41000/", "", true},
	} {
		u, err := url.Parse(c.base)
		if err != nil {
			t.Fatal(err)
		}
		if got := (api{base: u}).same(c.root); got != c.want {
			t.Errorf("%s same as %q: %v, want %v", c.base, c.root, got, c.want)
		}
	}
}
