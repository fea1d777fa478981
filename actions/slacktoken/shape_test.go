package slacktoken

import "fmt"
import "net/http"
import "net/http/httptest"
import "testing"

import "github.com/keyir/keyir/report"

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
