package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keyir/keyir/planfile"
	"github.com/keyir/keyir/sim/githubsim"
)

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

	r = keyir(t, "", envv, "eradicate", dir, "--yes", "--output", "json")
	var doc struct {
		ExitCode    int    `json:"exit_code"`
		ReportDir   string `json:"report_dir"`
		Eradication struct {
			Removed    int      `json:"removed"`
			Open       []string `json:"open"`
			Parent     string   `json:"parent"`
			ParentHead string   `json:"parent_head"`
		} `json:"eradication"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("eradicate: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if r.code != 5 || doc.Eradication.Removed != 2 || strings.Join(doc.Eradication.Open, ",") != ids["github_member_invited"] || doc.Eradication.Parent != dir || len(doc.Eradication.ParentHead) != 64 {
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
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || doc.Eradication.Removed != 1 || len(doc.Eradication.Open) != 0 {
		t.Fatalf("with an owner's admin:org token: exit %d, %v %+v\n%s", r.code, err, doc, r.stderr)
	}
	if fx.State.Present(invite) || !fx.State.Present(sshKey) {
		t.Fatalf("after the second eradication: invitation %v, ssh key %v", fx.State.Present(invite), fx.State.Present(sshKey))
	}
	if runs, _ := os.ReadDir(filepath.Dir(dir)); len(runs) != 4 { // the run, the dry run, two eradications
		t.Errorf("%d run directories, want 4", len(runs))
	}
}
