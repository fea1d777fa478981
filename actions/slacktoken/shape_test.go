package slacktoken

import "fmt"
import "net/http"
import "net/http/httptest"
import "time"
import "testing"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// TestLogsAnswerWithoutTheirListIsNoAllClear: a 200 {"ok":true} that holds
// no logins (logs, entries) list at all, from a proxy or a changed API, is not
// "no login in the window": the step fails, it never says it assessed.
func TestLogsAnswerWithoutTheirListIsNoAllClear(t *testing.T) {
	for _, body := range []string{`{"ok":true}`, `{"ok":true,"logins":null,"logs":null,"entries":null}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
		}))
		f := newFixture(t, "slack-user-token-leak", nil)
		f.vars[EnvAPIURL], f.vars[EnvAuditURL], f.vars[EnvOrgToken] = srv.URL, srv.URL, f.world.Admin
		for _, action := range []string{"slack.access_logs", "slack.integration_logs", "slack.audit_logs"} {
			env, rec := f.env(report.ModeLive)
			out, err := run(t, env, action, logArgs(f, nil))
			if out["assessed"] == true || (err == nil && len(rec.kinds()["assessment.not_assessable"]) == 0) {
				t.Errorf("%s on %s: %v, %v, notes %v: an answer without its list taken for an empty log", action, body, out, err, rec.notes)
			}
		}
		srv.Close()
	}
}

// TestIntegrationLogsCutShortIsNoAllClear: the pages read end before the
// window's start (max_pages reached on changes newer than the window): the
// changes in the window were not read, which is not "no change".
func TestIntegrationLogsCutShortIsNoAllClear(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", func(w *slacksim.World) {
		for i := range 1000 {
			w.Options.IntegrationLogs = append(w.Options.IntegrationLogs, slacksim.IntegrationLog{UserID: slacksim.BobUser, UserName: "bob",
				Date: w.WindowEnd.Add(-time.Duration(i) * time.Second), ChangeType: "updated", AppType: "app", AppID: "A0BUSY", Scope: "chat:write"})
		}
	})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.integration_logs", logArgs(f, map[string]any{"max_pages": 1, "window_end": f.world.WindowEnd.Add(-time.Hour)}))
	if err != nil {
		t.Fatal(err)
	}
	if out["assessed"] == true || len(rec.kinds()["assessment.not_assessable"]) != 1 {
		t.Fatalf("integration logs cut short before the window: %v, findings %+v, notes %v", out, rec.findings, rec.notes)
	}
}

// TestAuditLogsCutShortIsNoAllClear: a next cursor that names the page just
// read (or pages past max_pages) ends the reading: not "no entry".
func TestAuditLogsCutShortIsNoAllClear(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"entries":[],"response_metadata":{"next_cursor":"c2FtZQ=="}}`)
	}))
	defer srv.Close()
	f := newFixture(t, "slack-user-token-leak", nil)
	f.vars[EnvAuditURL], f.vars[EnvOrgToken] = srv.URL, slacksim.OrgAdminToken
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.audit_logs", logArgs(f, nil))
	if err != nil || out["assessed"] == true || len(rec.kinds()["assessment.not_assessable"]) != 1 {
		t.Fatalf("audit logs cut short: %v, %v, findings %+v, notes %v", out, err, rec.findings, rec.notes)
	}
}
