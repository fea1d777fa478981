package chatops_test

import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"

// TestSlashAudit: /keyir audit from an allow-listed user posts the summary in the channel with
// the self-contained HTML report attached, journals the outcome, and leaks no credential;
// anyone else is refused before anything is read.
func TestSlashAudit(t *testing.T) {
	w := newWorld(t)
	if got := w.command(mallory, channel, "audit"); strings.Contains(got, "Auditing") {
		t.Fatalf("a user not allowed started an audit: %s", got)
	}
	if got := w.command(alice, channel, "audit now"); !strings.Contains(got, "audit takes no arguments") {
		t.Errorf("audit with an argument: %s", got)
	}
	if got := w.command(alice, channel, "audit"); !strings.Contains(got, "Auditing") {
		t.Fatalf("reply: %s", got)
	}
	deadline := time.Now().Add(20 * time.Second)
	var summary string
	var html []byte
	for time.Now().Before(deadline) && (summary == "" || html == nil) {
		for _, m := range w.slack.Messages(channel) {
			if strings.HasPrefix(m.Text, "*keyir audit*") {
				summary = m.Text
			}
		}
		for _, f := range w.slack.Files() {
			if f.Name == "keyir-audit.html" && f.Shared {
				html = f.Content
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if summary == "" || html == nil {
		t.Fatalf("no summary (%q) or no report attached (%d bytes)", summary, len(html))
	}
	for _, want := range []string{"checks:", "Evidence on the keyir server", "MANIFEST head"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q: %s", want, summary)
		}
	}
	if !strings.HasPrefix(string(html), "<!doctype html>") || !strings.Contains(string(html), "<svg") {
		t.Errorf("attached report is not the audit page: %.80q", html)
	}
	outcome := 0
	for _, a := range w.audit() {
		if a.Verb == chatops.VerbAudit && a.Event == chatops.AuditRunOutcome && a.RunStatus == "succeeded" {
			outcome++
		}
	}
	if outcome != 1 {
		t.Errorf("%d audit outcomes journaled", outcome)
	}
	w.assertNoLeak(w.fx.ResponderKey[strings.LastIndexByte(w.fx.ResponderKey, '.')+1:], w.slack.BotToken())
}
