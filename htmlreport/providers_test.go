package htmlreport_test

import "context"
import "crypto/sha256"
import "encoding/hex"
import "html"
import "path/filepath"
import "strings"
import "testing"

import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

// section is the page's <section> whose heading has id, up to its end.
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %s in report.html", id)
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return html.UnescapeString(rest)
}

// providerPage runs a provider's drill (its built-in playbook through
// playbook.Run against its simulator, in a temp directory) and returns the
// report.html the run wrote, its report and the drill.
func providerPage(t *testing.T, scenario string) (string, *report.Report, *drill.Result) {
	t.Helper()
	res, err := drill.Run(context.Background(), drill.Options{Scenario: scenario, ReportsRoot: t.TempDir(), Incident: "INC-HTML", Operator: "test", Redactor: redact.New()})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Score.Passed() {
		t.Fatalf("the drill itself did not pass: %+v", res.Score)
	}
	page := testrun.ReadFile(t, filepath.Join(res.Run.Dir, runstore.ReportHTML))
	notifytest.AssertLeaksNoSecret(t, res.World.Secrets(), []byte(page))
	return page, res.Run.Report, res
}

func fingerprint(key string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return hex.EncodeToString(sum[:])[:8]
}

// snapshotScopes are the scopes the run's blast-radius step recorded.
func snapshotScopes(t *testing.T, rep *report.Report) []string {
	t.Helper()
	for _, s := range rep.Steps {
		if _, ok := s.Outputs["risk"]; !ok {
			continue
		}
		var out []string
		if l, ok := s.Outputs["scopes"].([]any); ok {
			for _, v := range l {
				if str, ok := v.(string); ok {
					out = append(out, str)
				}
			}
		}
		if l, ok := s.Outputs["scopes"].([]string); ok {
			out = append(out, l...)
		}
		return out
	}
	t.Fatal("no step recorded the key's risk")
	return nil
}

// TestHTMLGitHubRun: a GitHub token's run shows the token's kind and
// fingerprint in the key panel (and says which SendGrid fields it has
// none of, rather than showing them empty), its blast radius by scope
// category with the risk, and its footholds (the eradication plan's items)
// under Persistence; no token reaches the page.
func TestHTMLGitHubRun(t *testing.T) {
	page, rep, res := providerPage(t, "github-pat-leak")
	key := section(t, page, "h-key")
	if fp := fingerprint(res.World.LeakedKey()); !strings.Contains(key, "<dt>Fingerprint</dt><dd><code>"+fp+"</code>") {
		t.Errorf("key panel lacks the token's fingerprint %s:\n%s", fp, key)
	}
	if !strings.Contains(key, "<dt>Kind</dt><dd><code>") || !strings.Contains(key, "GitHub") {
		t.Errorf("key panel lacks the token's kind:\n%s", key)
	}
	if !strings.Contains(key, "Not reported for this kind of key: key id, name, key type.") || strings.Contains(key, "<dt>Key id</dt>") {
		t.Errorf("key panel shows SendGrid's fields for a GitHub token:\n%s", key)
	}
	if !strings.Contains(key, "<dt>State at start</dt><dd><code>live</code>") {
		t.Errorf("key panel lacks the token's state at the start:\n%s", key)
	}
	if !strings.Contains(page, "GitHub") || strings.Contains(page, "SendGrid key incident") {
		t.Errorf("the page's header does not name the token's kind")
	}

	checkBlast(t, page, rep, "by scope category", func(s string) string { return s })

	persist := section(t, page, "h-persist")
	footholds := 0
	for _, f := range rep.Findings {
		if !report.IsFoothold(f) {
			continue
		}
		footholds++
		if !strings.Contains(persist, f.Title) {
			t.Errorf("Persistence lacks the foothold %q (%s)", f.Title, f.Kind)
		}
	}
	if footholds == 0 {
		t.Fatal("test is vacuous: the drill reported no foothold")
	}
}

// TestHTMLSlackRun: a Slack token's run shows its kind and fingerprint and
// its blast radius one scope a row (Slack's snapshot rates the risk but
// does not group scopes); no token reaches the page.
func TestHTMLSlackRun(t *testing.T) {
	page, rep, res := providerPage(t, "slack-bot-token-leak")
	key := section(t, page, "h-key")
	if fp := fingerprint(res.World.LeakedKey()); !strings.Contains(key, "<dt>Fingerprint</dt><dd><code>"+fp+"</code>") {
		t.Errorf("key panel lacks the token's fingerprint %s:\n%s", fp, key)
	}
	if !strings.Contains(key, "<dt>Kind</dt><dd><code>Slack bot token</code>") {
		t.Errorf("key panel lacks the token's kind:\n%s", key)
	}
	if strings.Contains(key, "<dt>Key id</dt>") || strings.Contains(key, "<dt>Name</dt>") {
		t.Errorf("key panel shows fields a Slack token does not have:\n%s", key)
	}
	checkBlast(t, page, rep, "by scope:", func(s string) string { return "<tr><td><code>" + s + "</code></td></tr>" })
}

// TestHTMLSendGridRunKeepsItsPanel: the SendGrid run found by outputs
// rather than action names still fills every field it always had.
func TestHTMLSendGridRunKeepsItsPanel(t *testing.T) {
	page, rep, res := providerPage(t, "persistence")
	key := section(t, page, "h-key")

	if fp := fingerprint(res.World.LeakedKey()); !strings.Contains(key, "<dt>Fingerprint</dt><dd><code>"+fp+"</code>") {
		t.Errorf("key panel lacks the key's fingerprint %s:\n%s", fp, key)
	}
	if strings.Contains(key, "Not reported") || !strings.Contains(key, "<dt>Key id</dt><dd><code>") || !strings.Contains(key, "<dt>Key type</dt><dd><code>") {
		t.Errorf("key panel lost SendGrid's fields:\n%s", key)
	}
	blast := section(t, page, "h-blast")
	if !strings.Contains(blast, "by scope category") {
		t.Errorf("blast radius is not by scope category:\n%s", blast)
	}
	persist := section(t, page, "h-persist")
	for _, f := range rep.Findings {
		if report.IsFoothold(f) && !strings.Contains(persist, f.Title) {
			t.Errorf("Persistence lacks the foothold %q (%s)", f.Title, f.Kind)
		}
	}
}

// checkBlast: the blast radius says how it groups the scopes (phrase), rates
// the risk, and shows each scope the snapshot recorded as row(scope).
func checkBlast(t *testing.T, page string, rep *report.Report, phrase string, row func(string) string) {
	t.Helper()
	blast := section(t, page, "h-blast")
	scopes := snapshotScopes(t, rep)
	if len(scopes) == 0 {
		t.Fatal("test is vacuous: the snapshot recorded no scope")
	}
	if !strings.Contains(blast, phrase) || !strings.Contains(blast, "risk: <strong>") {
		t.Errorf("blast radius is not %q with its risk:\n%s", phrase, blast)
	}
	for _, s := range scopes {
		if !strings.Contains(blast, row(s)) {
			t.Errorf("blast radius lacks scope %q:\n%s", s, blast)
		}
	}
}
