package main

import "context"
import "encoding/json"
import "maps"
import "net/http"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/planfile"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/githubsim"

// githubFootholdRun runs github-token-compromise live against githubsim's
// github-pat-leak (baseline before the attack): the token is contained and
// four footholds are found (exit 5): a deploy key, a webhook and an
// invitation keyir can remove, devon's SSH key it cannot.
func githubFootholdRun(t *testing.T) (*githubsim.Fixture, *githubsim.Server, map[string]string, string) {
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
	base := filepath.Join(t.TempDir(), "gh-baseline.json")
	if r := keyir(t, "", envv, "inventory", "save", "--force", "--github-org", fx.Org, base); r.code != 0 {
		t.Fatalf("baseline: exit %d\n%s", r.code, r.stderr)
	}
	fx.Attack(fx.State)
	root := filepath.Join(t.TempDir(), "r")
	r := keyir(t, fx.LeakedToken+"\n", envv, "run", "github-token-compromise", "--key", "-", "--input", "org="+fx.Org, "--input", "baseline="+base,
		"--incident", "INC-GH", "--reports", root)
	if r.code != 5 {
		t.Fatalf("run: exit %d, want 5\n%s%s", r.code, r.stdout, r.stderr)
	}
	return fx, srv, envv, onlyRunDir(t, root)
}

// planIDs maps each GitHub item of a run's plan by kind to its id.
func planIDs(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, ok, err := planfile.Read(dir)
	if err != nil || !ok {
		t.Fatalf("plan of %s: %v %v", dir, ok, err)
	}
	ids := map[string]string{}
	for _, h := range f.Heads() {
		if h.Provider != "github" {
			t.Errorf("item %s of provider %q", h.ID, h.Provider)
		}
		ids[h.Kind] = h.ID
	}
	return ids
}

// keyir eradicate carries out a GitHub run's plan as it does SendGrid's: it
// shows the plan with the SSH key by hand (and why), refuses --only on that
// item, dry-runs without a write, removes what the responder's token may
// (deploy key, webhook), leaves the invitation its token may not cancel
// (403: open, exit 5, in the new run's plan under the parent's id), and a
// second eradication with an owner's admin:org token removes the invitation
// and finds the rest already gone (404), exit 0. devon's SSH key is never
// touched.
func TestEradicateGitHubPlan(t *testing.T) {
	fx, srv, envv, dir := githubFootholdRun(t)
	ids := planIDs(t, dir)
	sshKey := githubsim.Item{Kind: "ssh_key", Subject: "880001"}
	deploy, hook, invite := githubsim.Item{Kind: "deploy_key", Subject: "880002"}, githubsim.Item{Kind: "webhook", Subject: "relay.hooks-collect.example"}, githubsim.Item{Kind: "invitation", Subject: "ops-helper-7"}

	if r := keyir(t, "", envv, "eradicate", dir, "--yes", "--only", ids["github_ssh_key_added"]); r.code != 2 || !strings.Contains(r.stderr, "cannot remove") {
		t.Fatalf("--only the SSH key: exit %d\n%s", r.code, r.stderr)
	}
	r := keyir(t, "", envv, "eradicate", dir, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "by hand: an organization owner cannot delete a user's SSH key") || !strings.Contains(r.stdout, "DELETE /repos/acme-corp/api/keys/880002") {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := srv.Count("DELETE", "") + srv.Count("PATCH", ""); n != 0 {
		t.Fatalf("a dry run sent %d writes", n)
	}
	// KEYIR_DRY_RUN asks for the same, even with --yes; eradicate ignored
	// it and removed the footholds.
	// (Flags read the process's environment, not the test's map.)
	t.Setenv("KEYIR_DRY_RUN", "1")
	r = keyir(t, "", envv, "eradicate", dir, "--yes")
	os.Unsetenv("KEYIR_DRY_RUN")
	if r.code != 0 || !strings.Contains(r.stdout, "DELETE /repos/acme-corp/api/keys/880002") {
		t.Fatalf("KEYIR_DRY_RUN: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := srv.Count("DELETE", "") + srv.Count("PATCH", ""); n != 0 || !fx.State.Present(deploy) {
		t.Fatalf("with KEYIR_DRY_RUN, %d writes reached the simulator", n)
	}

	var doc struct {
		ExitCode    int    `json:"exit_code"`
		ReportDir   string `json:"report_dir"`
		Eradication struct {
			Removed     int      `json:"removed"`
			AlreadyGone int      `json:"already_gone"`
			Open        []string `json:"open"`
			Parent      string   `json:"parent"`
			ParentHead  string   `json:"parent_head"`
		} `json:"eradication"`
	}
	// --only the deploy key: that one alone.
	r = keyir(t, "", envv, "eradicate", dir, "--yes", "--only", ids["github_deploy_key_added"], "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || doc.Eradication.Removed != 1 || fx.State.Present(deploy) || !fx.State.Present(hook) {
		t.Fatalf("--only the deploy key: exit %d, %v %+v\n%s", r.code, err, doc, r.stderr)
	}
	r = keyir(t, "", envv, "eradicate", dir, "--yes", "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("eradicate: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r.code != 5 || doc.Eradication.Removed != 1 || doc.Eradication.AlreadyGone != 1 || strings.Join(doc.Eradication.Open, ",") != ids["github_member_invited"] || doc.Eradication.Parent != dir || len(doc.Eradication.ParentHead) != 64 {
		t.Fatalf("with the responder's token (no admin:org): exit %d, %+v", r.code, doc)
	}
	if fx.State.Present(deploy) || fx.State.Present(hook) || !fx.State.Present(invite) || !fx.State.Present(sshKey) {
		t.Fatalf("after the first eradication: deploy key %v, webhook %v, invitation %v, ssh key %v",
			fx.State.Present(deploy), fx.State.Present(hook), fx.State.Present(invite), fx.State.Present(sshKey))
	}
	if left := planIDs(t, doc.ReportDir); len(left) != 1 || left["github_member_invited"] != ids["github_member_invited"] {
		t.Errorf("the eradication run's plan: %v, want the invitation under the parent's id", left)
	}

	owner := fx.State.AddToken(githubsim.Token{Value: fx.ResponderToken[:len(fx.ResponderToken)-6] + "Zz0000", Kind: "github_classic_pat", Login: fx.ResponderLogin,
		Scopes: append(githubsim.ResponderScopes(), "admin:org")})
	envv["GITHUB_TOKEN"] = owner.Value
	r = keyir(t, "", envv, "eradicate", dir, "--yes", "--output", "json")
	doc.Eradication.Open = nil
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || doc.Eradication.Removed != 1 || doc.Eradication.AlreadyGone != 2 || len(doc.Eradication.Open) != 0 {
		t.Fatalf("with an owner's admin:org token: exit %d, %v %+v\n%s", r.code, err, doc, r.stderr)
	}
	if fx.State.Present(invite) || !fx.State.Present(sshKey) {
		t.Fatalf("after the second eradication: invitation %v, ssh key %v", fx.State.Present(invite), fx.State.Present(sshKey))
	}
	if runs, _ := os.ReadDir(filepath.Dir(dir)); len(runs) != 6 { // the run, two dry runs, three eradications
		t.Errorf("%d run directories, want 6", len(runs))
	}
}

// A composed run's plan holds a SendGrid key's and a GitHub token's
// footholds: keyir eradicate carries out each provider's items as its own
// run (one approval, two runs each naming the parent), every removable
// foothold of both worlds is gone and nothing legitimate was touched.
func TestEradicateComposedPlanOneRunPerProvider(t *testing.T) {
	envv, erad := map[string]string{}, map[string]string{}
	var fs []glFinding
	var args []string
	var worlds []provider.Eradicable
	for i, name := range []string{"persistence", "github-pat-leak"} {
		sc, _ := provider.LookupScenario(name)
		pw, err := sc.World(context.Background(), time.Now().UTC().Truncate(time.Second), provider.WorldOptions{NoRateLimits: true, Eradicate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pw.Close() })
		given := pw.Given()
		path := filepath.Join(t.TempDir(), "baseline.json")
		env := actions.StandaloneEnv("baseline", func(k string) string { return pw.Env()[k] }, nil, redact.New(pw.Secrets()...), http.DefaultTransport)
		if err := pw.(provider.Baseliner).SaveBaseline(context.Background(), env, path); err != nil {
			t.Fatal(err)
		}
		given["baseline"] = path
		pw.Attack()
		maps.Copy(envv, pw.Env())
		maps.Copy(erad, pw.(provider.Eradicable).EradicationEnv())
		worlds = append(worlds, pw.(provider.Eradicable))
		fs = append(fs, glFinding{"leak", given["key"], given["key"], "leak.env", "3f9c2a7e41b05d8c6e1f", i + 1})
		for _, k := range slices.Sorted(maps.Keys(given)) {
			if k != "key" {
				args = append(args, "--input", "k"+string(rune('1'+i))+"_"+k+"="+given[k])
			}
		}
	}
	b, _ := json.Marshal(fs)
	from := writeFile(t, t.TempDir(), "gitleaks.json", string(b))
	reports := filepath.Join(t.TempDir(), "reports")
	if r := keyir(t, "", envv, append([]string{"respond", "--from", from, "--incident", "INC-54", "--reports", reports}, args...)...); r.code != 5 {
		t.Fatalf("respond: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	dir := onlyRunDir(t, reports)
	maps.Copy(envv, erad)
	r := keyir(t, "", envv, "eradicate", dir, "--yes", "--output", "json")
	var docs []struct {
		ExitCode    int `json:"exit_code"`
		Eradication struct {
			Parent string   `json:"parent"`
			Open   []string `json:"open"`
		} `json:"eradication"`
		Report struct {
			Run struct {
				Playbook string `json:"playbook"`
			} `json:"run"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &docs); err != nil || r.code != 0 || len(docs) != 2 {
		t.Fatalf("eradicate: exit %d, %v, %d runs\n%s%s", r.code, err, len(docs), r.stdout, r.stderr)
	}
	var pbs []string
	for _, d := range docs {
		pbs = append(pbs, d.Report.Run.Playbook)
		if d.Eradication.Parent != dir || len(d.Eradication.Open) != 0 || d.ExitCode != 0 {
			t.Errorf("eradication run: %+v", d)
		}
	}
	if strings.Join(pbs, " ") != "builtin:sendgrid-eradicate builtin:github-eradicate" {
		t.Errorf("playbooks %v", pbs)
	}
	for _, w := range worlds {
		for _, f := range w.Footholds() {
			if w.Present(f) {
				t.Errorf("foothold still there: %+v", f)
			}
		}
		for _, l := range w.Legitimate() {
			if !w.Present(l) {
				t.Errorf("legitimate item removed: %+v", l)
			}
		}
	}
}
