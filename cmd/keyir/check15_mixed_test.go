package main

import "encoding/json"
import "maps"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/notify/notifytest"

// TestCheck15FromThreeProvidersDryRunThenLive: one gitleaks report with
// two SendGrid keys, a GitHub token, a Slack bot token and an unknown
// secret. The dry run sends no write to any of the three simulators
// (request logs: only GETs to SendGrid and GitHub, no auth.revoke to
// Slack) and its JSON plans each key; the live run then contains all four
// keys in one incident, one auth.revoke sent with the Slack token itself.
// No secret reaches any output or file.
func TestCheck15FromThreeProvidersDryRunThenLive(t *testing.T) {
	envv, sg, leaked := twoLeakedKeys(t)
	ghEnv, gh, fx := check15GitHub(t, false)
	maps.Copy(envv, ghEnv)
	slEnv, sl, w := check15Slack(t)
	maps.Copy(envv, slEnv)
	unknown := "sk_live_4eC39HqLyjWDarjtT1zdp7dcEXAMPLE1"
	fs := []glFinding{
		{"sendgrid-api-token", leaked[0].Token(), leaked[0].Token(), "app.env", "c0ffee", 1},
		{"github-pat", fx.LeakedToken, fx.LeakedToken, "ci.yml", "c0ffee", 2},
		{"slack-bot-token", w.Leaked, w.Leaked, "bot.js", "c0ffee", 3},
		{"stripe-access-token", unknown, unknown, "pay.go", "c0ffee", 4},
		{"sendgrid-api-token", leaked[1].Token(), leaked[1].Token(), "mail.env", "c0ffee", 5},
	}
	dir := t.TempDir()
	from := gitleaksFile(t, dir, fs)
	secrets := []string{leaked[0].Secret, leaked[1].Secret, fx.LeakedToken, w.Leaked, unknown, fx.ResponderToken, w.Admin}

	dry := filepath.Join(dir, "dry")
	r := keyir(t, "", envv, "respond", "--from", from, "--dry-run", "--output", "json", "--reports", dry)
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("dry run stdout: %v", err)
	}
	if len(out.Report.Keys) != 4 {
		t.Errorf("dry run: %d keys, want 4", len(out.Report.Keys))
	}
	for _, req := range sg.Requests() {
		if req.Method != "GET" {
			t.Errorf("dry run sent SendGrid %s %s", req.Method, req.Path)
		}
	}
	for _, req := range gh.Requests() {
		if req.Method != "GET" {
			t.Errorf("dry run sent GitHub %s %s", req.Method, req.Path)
		}
	}
	if n := len(sl.CallsTo("auth.revoke")); n != 0 {
		t.Errorf("dry run sent auth.revoke %d times", n)
	}
	if !strings.Contains(r.stderr, "not handled: stripe-access-token at pay.go:4") {
		t.Errorf("dry run stderr: %s", r.stderr)
	}
	notifytest.AssertLeaksNoSecret(t, secrets, everyOutput(r, dry)...)

	live := filepath.Join(dir, "live")
	r = keyir(t, "", envv, "respond", "--from", from, "--output", "json", "--reports", live)
	if r.code != 0 && r.code != 5 {
		t.Fatalf("live: exit %d\n%s", r.code, r.stderr)
	}
	out = runJSON{}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("live stdout: %v", err)
	}
	for _, k := range out.Report.Keys {
		if k.Containment.Status != "confirmed" {
			t.Errorf("%s (%s): %+v", k.Label, k.Kind, k.Containment)
		}
	}
	if calls := sl.CallsTo("auth.revoke"); len(calls) != 1 || calls[0].Token != w.Leaked {
		t.Errorf("auth.revoke: %d calls (want one, with the leaked token)", len(calls))
	}
	if gh.Authenticates(fx.LeakedToken) {
		t.Error("GitHub token live")
	}
	if n := len(dirsIn(live)); n != 1 {
		t.Errorf("%d run directories", n)
	}
	notifytest.AssertLeaksNoSecret(t, secrets, everyOutput(r, live)...)
}
