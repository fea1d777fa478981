package slacktoken

import "fmt"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

func logArgs(f *fixture, extra map[string]any) map[string]any {
	p := map[string]any{"user_id": slacksim.AliceUser, "window_start": f.world.WindowStart, "window_end": f.world.WindowEnd}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// 2,500 rows of other users page three times (count 1000, as the spec's
// paging says); the one new address of the token's user is found, the
// addresses it used before the window are not.
func TestAccessLogsPaging(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
		for i := range 2500 {
			w.Options.Logins = append(w.Options.Logins, slacksim.Login{UserID: fmt.Sprintf("U0CROWD%04d", i), UserName: "crowd", IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250),
				UserAgent: "x", First: w.WindowEnd.Add(-time.Duration(i) * time.Minute), Last: w.WindowEnd.Add(-time.Duration(i) * time.Minute)})
		}
	})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.access_logs", logArgs(f, nil))
	if err != nil || out["assessed"] != true || out["pages"] != 3 || out["logins_in_window"] != 1 {
		t.Fatalf("%v %v", out, err)
	}
	if ips := out["new_ips"].([]string); len(ips) != 1 || ips[0] != slacksim.ScenarioIP {
		t.Fatalf("new ips %v", ips)
	}
	if n := len(f.sim.CallsTo("team.accessLogs")); n != 3 {
		t.Fatalf("%d pages requested", n)
	}
	got := rec.kinds()["access.new_login"]
	if len(got) != 1 || got[0].Severity != report.High || !strings.Contains(got[0].Detail, slacksim.ScenarioUA) || len(got[0].Evidence) != 1 {
		t.Fatalf("%+v", got)
	}
	assertNoSecret(t, rec, out, f.world.Admin, f.world.Leaked)
}

// Every reason the logs cannot be read is a "not assessable" finding that
// says why: never a failure, never "no activity".
func TestLogsNotAssessable(t *testing.T) {
	noScope := "xoxp-4230001111-5230009999-5230006666-" + strings.Repeat("5a", 16)
	for _, c := range []struct {
		name, admin, want string
		freePlan, bot     bool
	}{
		{name: "no admin token", want: "no admin token"},
		{name: "no admin scope", admin: noScope, want: "missing_scope: needs admin"},
		{name: "a bot as admin", admin: slacksim.DefaultBotToken, want: "user_is_bot"},
		{name: "free plan", admin: slacksim.AdminToken, freePlan: true, want: "paid_only"},
		{name: "revoked admin token", admin: "xoxp-4230001111-5230009999-5230005555-" + strings.Repeat("7b", 16), want: "invalid_auth"},
		{name: "bot token leaked", admin: slacksim.AdminToken, bot: true, want: "bots do not log in"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
				w.Options.FreePlan = c.freePlan
				w.Options.Tokens = append(w.Options.Tokens, slacksim.Token{Value: noScope, UserID: "U0HELPDESK", Scopes: []string{"identify", "users:read"}})
			})
			f.vars[EnvAdminToken] = c.admin
			for _, action := range []string{"slack.access_logs", "slack.integration_logs"} {
				if (c.bot || c.freePlan) && action == "slack.integration_logs" {
					continue
				}
				env, rec := f.env(report.ModeLive)
				extra := map[string]any{}
				if action == "slack.access_logs" {
					extra["bot"] = c.bot
				}
				out, err := run(t, env, action, logArgs(f, extra))
				na := rec.kinds()["assessment.not_assessable"]
				if err != nil || out["assessed"] != false || len(na) != 1 || !strings.Contains(na[0].Detail, c.want) || !strings.Contains(na[0].Detail, "not a finding of no activity") {
					t.Fatalf("%s: %v %v %+v", action, out, err, rec.findings)
				}
				if c.admin != "" {
					assertNoSecret(t, rec, out, c.admin)
				}
			}
		})
	}
}

// The integration logs: changes in the window only, the token's user's
// rated high, others' medium; reading stops at the first older change.
func TestIntegrationLogs(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
		w.Options.IntegrationLogs = append(w.Options.IntegrationLogs, slacksim.IntegrationLog{UserID: slacksim.BobUser, UserName: "bob",
			Date: w.WindowEnd.Add(-time.Hour), ChangeType: "expanded", AppType: "app", AppID: "A0BOBSAPP", Scope: "chat:write"})
	})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.integration_logs", logArgs(f, nil))
	if err != nil || out["changes"] != 2 || out["pages"] != 1 {
		t.Fatalf("%v %v", out, err)
	}
	sev := map[string]report.Severity{}
	for _, x := range rec.kinds()["persistence.integration"] {
		sev[x.Subject] = x.Severity
	}
	if len(sev) != 2 || sev[slacksim.ExfilApp] != report.High || sev["A0BOBSAPP"] != report.Medium {
		t.Fatalf("%v", sev)
	}
}

// Enterprise Grid's audit logs: with an org token, the token's user's
// actions in the window; a workspace token is refused (not assessable);
// without an org token, a note and no finding.
func TestAuditLogs(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", nil)
	f.vars[EnvAuditURL] = f.sim.URL() + "/audit/v1/"
	f.vars[EnvOrgToken] = slacksim.OrgAdminToken
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.audit_logs", logArgs(f, nil))
	if err != nil || out["entries"] != 2 || strings.Join(out["actions"].([]string), ",") != "app_installed,user_login" {
		t.Fatalf("%v %v", out, err)
	}
	if got := rec.kinds()["audit.action"]; len(got) != 2 || !strings.Contains(got[1].Detail, slacksim.ScenarioIP) {
		t.Fatalf("%+v", got)
	}
	assertNoSecret(t, rec, out, slacksim.OrgAdminToken)
	f.vars[EnvOrgToken] = slacksim.AdminToken
	env, rec = f.env(report.ModeLive)
	if out, err := run(t, env, "slack.audit_logs", logArgs(f, nil)); err != nil || out["assessed"] != false || len(rec.kinds()["assessment.not_assessable"]) != 1 {
		t.Fatalf("%v %v %+v", out, err, rec.findings)
	}
	delete(f.vars, EnvOrgToken)
	env, rec = f.env(report.ModeLive)
	if out, err := run(t, env, "slack.audit_logs", logArgs(f, nil)); err != nil || out["assessed"] != false || len(rec.findings) != 0 || len(rec.notes) != 1 {
		t.Fatalf("%v %v %+v", out, err, rec.findings)
	}
}
