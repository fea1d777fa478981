package main

import "context"
import "math/rand/v2"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"
import "github.com/keyir/keyir/sim/slacksim"
import "github.com/keyir/keyir/tokenfmt"

// TestDoctorChecksGitHubAndSlackResponders: keyir doctor checks GitHub's
// and Slack's responder tokens against their simulators over HTTP, each a
// line of its own: ok when accepted with every scope their playbook needs,
// a failure (exit 1, as for SendGrid's key) naming the scope one lacks, and, asked about no
// playbook, a warning for each one not set that says what a run will not
// assess, the exit code unchanged.
func TestDoctorChecksGitHubAndSlackResponders(t *testing.T) {
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	fx := sc.Build(time.Now())
	short, err := tokenfmt.MintGitHub("ghp_", rand.NewChaCha8([32]byte{9}))
	if err != nil {
		t.Fatal(err)
	}
	fx.State.AddToken(githubsim.Token{Value: short, Kind: "github_classic_pat", Login: fx.ResponderLogin, Scopes: []string{"read:org", "repo"}})
	gh := githubsim.New(fx.State, fx.Config)
	ghURL, stop, err := githubsim.Listen("127.0.0.1:0", gh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	ssc, _ := slacksim.LookupScenario("slack-bot-token-leak")
	sw := ssc.Build(time.Now())
	slack := slacksim.New(sw.Options)
	slackURL, err := slack.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slack.Close() })
	reports := filepath.Join(t.TempDir(), "r")

	r := keyir(t, "", map[string]string{"GITHUB_API_URL": ghURL, "GITHUB_TOKEN": fx.ResponderToken}, "doctor", "github-token-compromise", "--reports", reports, "--output", "json")
	if c := checkOf(doctorDoc(t, r), "github_token"); r.code != 0 || c.Status != "ok" || !strings.Contains(c.Detail, "read:audit_log") {
		t.Errorf("GitHub's scenario responder: exit %d, %+v", r.code, c)
	}
	r = keyir(t, "", map[string]string{"GITHUB_API_URL": ghURL, "GITHUB_TOKEN": short}, "doctor", "github-token-compromise", "--reports", reports)
	if r.code != report.ExitCouldNotRun || !strings.Contains(r.stdout, "FAIL    github_token") || !strings.Contains(r.stdout, "read:audit_log") || strings.Contains(r.stdout+r.stderr, short) {
		t.Errorf("a GitHub token short of scopes: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = keyir(t, "", map[string]string{"SLACK_API_URL": slackURL, "SLACK_ADMIN_TOKEN": slacksim.AdminToken, "SLACK_ORG_TOKEN": slacksim.OrgAdminToken},
		"doctor", "slack-token-compromise", "--reports", reports, "--output", "json")
	if c := checkOf(doctorDoc(t, r), "slack_token"); r.code != 0 || c.Status != "ok" || !strings.Contains(c.Detail, "admin, auditlogs:read") {
		t.Errorf("Slack's scenario tokens: exit %d, %+v", r.code, c)
	}

	envv := doctorWorld(t, 0)
	r = keyir(t, "", envv, "doctor", "--reports", reports, "--output", "json")
	doc := doctorDoc(t, r)
	if r.code != 0 || !doc.OK || doc.Playbook != "sendgrid-key-compromise" {
		t.Fatalf("doctor: exit %d, %+v\n%s", r.code, doc, r.stderr)
	}
	for name, want := range map[string]string{"github_token": "GITHUB_TOKEN is not set", "slack_token": "SLACK_ADMIN_TOKEN is not set"} {
		if c := checkOf(doc, name); c.Status != "warn" || !strings.Contains(c.Detail, want) || !strings.Contains(c.Detail, "not assessable") {
			t.Errorf("%s: %+v", name, c)
		}
	}
}
