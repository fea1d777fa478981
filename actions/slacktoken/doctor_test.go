package slacktoken

import "errors"
import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// TestDoctorChecksTheResponderTokensAgainstSlack: against slacksim over
// HTTP, the scenario's admin and org tokens hold admin and auditlogs:read;
// an admin token without admin is named missing (its other scopes excess);
// a token Slack refuses fails; a token not set is a warning naming what
// the run will not read, and nothing is asked for it.
func TestDoctorChecksTheResponderTokensAgainstSlack(t *testing.T) {
	const weak = "xoxp-4230001111-5230009999-5230006666-7765616b746f6b656e6b657969723031"
	f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
		w.Options.Tokens = append(w.Options.Tokens, slacksim.Token{Value: weak, UserID: slacksim.AdminUser, UserName: "admin", Scopes: []string{"identify", "users:read"}})
	})
	needed := doctor.Needs([]string{"slack.identify_token", "slack.revoke_token", "slack.access_logs", "slack.integration_logs", "slack.audit_logs"})
	if !slices.Equal(needed, []string{"admin", "auditlogs:read"}) {
		t.Fatalf("needed %v", needed)
	}
	check := func(vars map[string]string, needed []string) ([]string, []string, error) {
		f.vars = vars
		env, _ := f.env(report.ModeLive)
		return Doctor(t.Context(), env, needed)
	}
	missing, excess, err := check(map[string]string{EnvAPIURL: f.api, EnvAdminToken: slacksim.AdminToken, EnvOrgToken: slacksim.OrgAdminToken}, needed)
	if err != nil || len(missing) != 0 || len(excess) != 0 {
		t.Fatalf("the scenario's tokens: missing %v, excess %v, %v", missing, excess, err)
	}
	missing, excess, err = check(map[string]string{EnvAPIURL: f.api, EnvAdminToken: weak}, []string{"admin"})
	if err != nil || !slices.Equal(missing, []string{"admin (SLACK_ADMIN_TOKEN)"}) || !slices.Equal(excess, []string{"users:read (SLACK_ADMIN_TOKEN)"}) {
		t.Errorf("an admin token without admin: missing %v, excess %v, %v", missing, excess, err)
	}
	_, _, err = check(map[string]string{EnvAPIURL: f.api, EnvAdminToken: "xoxp-1-2-3-" + strings.Repeat("0", 32)}, []string{"admin"})
	var w *provider.DoctorWarning
	if err == nil || errors.As(err, &w) || !strings.Contains(err.Error(), "SLACK_ADMIN_TOKEN is refused by Slack (auth.test: invalid_auth)") {
		t.Errorf("a token Slack never issued: %v", err)
	}
	before := len(f.sim.Calls())
	missing, _, err = check(map[string]string{EnvAPIURL: f.api, EnvAdminToken: slacksim.AdminToken}, needed)
	if !errors.As(err, &w) || len(missing) != 0 || !strings.Contains(w.Detail, "SLACK_ORG_TOKEN is not set") || strings.Contains(w.Detail, "SLACK_ADMIN_TOKEN is not set") {
		t.Errorf("no org token: missing %v, %v", missing, err)
	}
	_, _, err = check(map[string]string{EnvAPIURL: f.api}, needed)
	if !errors.As(err, &w) || !strings.Contains(w.Detail, "SLACK_ADMIN_TOKEN is not set") || !strings.Contains(w.Detail, "access logs") {
		t.Errorf("no tokens: %v", err)
	}
	if n := len(f.sim.Calls()) - before; n != 1 {
		t.Errorf("%d calls for one token set, want one auth.test", n)
	}
}
