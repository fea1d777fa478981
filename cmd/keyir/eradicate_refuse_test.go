package main

import "context"
import "os"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/githubsim"

// A plan keyir will refuse is refused before the operator is asked to
// approve it: the GitHub plan's items were found on one GitHub, and
// GITHUB_API_URL now names another (an Enterprise Server), or GITHUB_TOKEN
// is not set. keyir showed the plan, asked for a typed yes, then created a
// run whose eradicate step refused (exit 1). Now it refuses first: usage
// (exit 2, as for another account's baseline), no question, no run
// directory, nothing sent to either GitHub.
func TestEradicateRefusesBeforeAsking(t *testing.T) {
	_, srv, envv, dir := githubFootholdRun(t)
	root := strings.TrimSuffix(dir, "/"+lastElem(dir))
	before, _ := os.ReadDir(root)

	// Another GitHub: an Enterprise Server with the same token.
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	other := sc.Build(time.Now())
	other.Attack(other.State) // the same ids there: removing them would remove another's
	cfg := other.Config
	cfg.Enterprise = true
	osrv := githubsim.New(other.State, cfg)
	ou, stop, err := githubsim.Listen("127.0.0.1:0", osrv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })

	defer func(f func() bool) { stdinIsTerminal = f }(stdinIsTerminal)
	stdinIsTerminal = func() bool { return true }
	writes := func() int { return srv.Count("DELETE", "") + srv.Count("PATCH", "") }
	for name, env := range map[string]map[string]string{
		"another GitHub": {"GITHUB_API_URL": ou, "GITHUB_TOKEN": envv["GITHUB_TOKEN"]},
		"no token":       {"GITHUB_API_URL": envv["GITHUB_API_URL"]},
	} {
		t.Run(name, func(t *testing.T) {
			r := keyir(t, "yes\n", env, "eradicate", dir)
			if r.code != 2 || strings.Contains(r.stdout+r.stderr, "Type yes") {
				t.Errorf("exit %d (want 2, refused before the question)\n%s%s", r.code, r.stdout, r.stderr)
			}
			if after, _ := os.ReadDir(root); len(after) != len(before) {
				t.Errorf("a refused eradication created a run directory (%d, was %d)", len(after), len(before))
			}
			if n := writes() + osrv.Count("DELETE", "") + osrv.Count("PATCH", ""); n != 0 {
				t.Errorf("%d writes sent", n)
			}
			// --yes and --dry-run are refused the same way: the run would be.
			for _, args := range [][]string{{"--yes"}, {"--dry-run"}} {
				if r := keyir(t, "", env, append([]string{"eradicate", dir}, args...)...); r.code != 2 {
					t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
				}
			}
		})
	}
	// The right GitHub and token: asked, then carried out.
	r := keyir(t, "yes\n", envv, "eradicate", dir)
	if !strings.Contains(r.stdout, "Type yes") || r.code == 2 {
		t.Fatalf("the plan's own GitHub: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func lastElem(p string) string { return p[strings.LastIndex(p, "/")+1:] }
