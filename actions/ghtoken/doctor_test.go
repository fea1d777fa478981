package ghtoken

import "errors"
import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"

// TestDoctorChecksTheResponderTokenAgainstGitHub: against githubsim over
// HTTP, the scenario's responder token has every scope the playbook's
// assessment needs (admin:org standing in for read:org); one short of
// read:audit_log is named missing, with its excess; a token GitHub refuses
// fails; a fine-grained one, and none at all, are warnings; a
// GITHUB_API_URL that does not answer fails.
func TestDoctorChecksTheResponderTokenAgainstGitHub(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	needed := doctor.Needs([]string{"github.identify_token", "github.revoke_token", "github.activity", "github.persistence"})
	if !slices.Equal(needed, []string{"admin:org_hook", "read:audit_log", "read:org", "read:public_key", "read:repo_hook", "repo"}) {
		t.Fatalf("needed %v", needed)
	}
	check := func(env map[string]string) ([]string, []string, error) {
		f.env = env
		e, _ := f.newEnv(report.ModeLive)
		return Doctor(t.Context(), e, needed)
	}
	missing, excess, err := check(map[string]string{EnvAPIURL: f.url, EnvToken: f.fx.ResponderToken})
	if err != nil || len(missing) != 0 || len(excess) != 0 {
		t.Fatalf("the scenario's responder: missing %v, excess %v, %v", missing, excess, err)
	}

	short := mint(t, "ghp_", 41)
	f.fx.State.AddToken(githubsim.Token{Value: short, Kind: "github_classic_pat", Login: f.fx.ResponderLogin,
		Scopes: []string{"admin:org", "admin:org_hook", "read:public_key", "read:repo_hook", "repo", "delete_repo"}})
	missing, excess, err = check(map[string]string{EnvAPIURL: f.url, EnvToken: short})
	if err != nil || !slices.Equal(missing, []string{"read:audit_log"}) || !slices.Equal(excess, []string{"delete_repo"}) {
		t.Errorf("a token without read:audit_log: missing %v, excess %v, %v", missing, excess, err)
	}

	fine := mint(t, "github_pat_", 42)
	f.fx.State.AddToken(githubsim.Token{Value: fine, Kind: "github_fine_grained_pat", Login: f.fx.ResponderLogin, Org: f.fx.Org,
		Permissions: map[string]string{"organization_administration": "read"}})
	var w *provider.DoctorWarning
	if _, _, err := check(map[string]string{EnvAPIURL: f.url, EnvToken: fine}); !errors.As(err, &w) || !strings.Contains(err.Error(), "lists no scopes") {
		t.Errorf("a fine-grained token: %v", err)
	}

	_, _, err = check(map[string]string{EnvAPIURL: f.url, EnvToken: mint(t, "ghp_", 43)})
	if err == nil || errors.As(err, &w) || !strings.Contains(err.Error(), "refuses GITHUB_TOKEN (GET /user answered 401)") {
		t.Errorf("a token GitHub never issued: %v", err)
	}

	_, _, err = check(map[string]string{EnvAPIURL: f.url})
	if !errors.As(err, &w) || !strings.Contains(err.Error(), "answers; GITHUB_TOKEN is not set") || !strings.Contains(err.Error(), "not assessable") {
		t.Errorf("no token: %v", err)
	}
	if n := f.srv.Count("GET", "GET /user"); n != 4 {
		t.Errorf("GET /user was asked %d times, want once per token", n)
	}

	dead := "http://127.0.0.1:1"
	if _, _, err := check(map[string]string{EnvAPIURL: dead}); err == nil || errors.As(err, &w) || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("an API that does not answer: %v", err)
	}
}
