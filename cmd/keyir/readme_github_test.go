package main

import "context"
import "os"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/githubsim"

// readmeGitHub runs the README's GitHub example against the GitHub
// simulator (scenario github-pat-leak, before its attack): the baseline is
// saved, the playbook dry-runs (the token stays live) and runs (the token is
// proven dead, nothing found against the fresh baseline: exit 0).
func readmeGitHub(t *testing.T, args []string) {
	t.Helper()
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	fx := sc.Build(time.Now())
	cfg := fx.Config
	cfg.PropagationDelay = 0
	srv := githubsim.New(fx.State, cfg)
	u, stop, err := githubsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	envv := map[string]string{"GITHUB_API_URL": u, "GITHUB_TOKEN": fx.ResponderToken}
	if args[0] == "inventory" {
		os.Remove(args[len(args)-1])
		if r := keyir(t, "", envv, args...); r.code != 0 || !strings.Contains(r.stdout, "acme-corp") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return
	}
	if r := keyir(t, "", envv, "inventory", "save", "--force", "--github-org", "acme-corp", "gh-baseline.json"); r.code != 0 {
		t.Fatalf("baseline: exit %d\n%s", r.code, r.stderr)
	}
	if r := keyir(t, fx.LeakedToken+"\n", envv, append(args, "--dry-run")...); r.code != 0 || !srv.Authenticates(fx.LeakedToken) {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
	}
	if r := keyir(t, fx.LeakedToken+"\n", envv, args...); r.code != 0 || srv.Authenticates(fx.LeakedToken) {
		t.Fatalf("live run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
