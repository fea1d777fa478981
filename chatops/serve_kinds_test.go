package chatops_test

import "context"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/githubsim"
import "github.com/keyir/keyir/sim/slacksim"

// ghWorld is a serve world with a GitHub simulator running the
// github-pat-leak scenario; the runs reach it through GITHUB_API_URL and
// the responder's GITHUB_TOKEN.
func ghWorld(t *testing.T) (*world, *githubsim.Server, *githubsim.Fixture) {
	t.Helper()
	sc, ok := githubsim.LookupScenario("github-pat-leak")
	if !ok {
		t.Fatal("no github-pat-leak scenario")
	}
	fx := sc.Build(time.Now())
	cfg := fx.Config
	cfg.PropagationDelay = 200 * time.Millisecond
	gh := githubsim.New(fx.State, cfg)
	u, stop, err := githubsim.Listen("127.0.0.1:0", gh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	w := newWorld(t, func(w *world) {
		w.env = map[string]string{"GITHUB_API_URL": u, "GITHUB_TOKEN": fx.ResponderToken}
	})
	return w, gh, fx
}

// everything keyir serve wrote or said (world.outputs), for
// notifytest.AssertLeaksNoSecret.
func (w *world) allOutput() [][]byte {
	hay, _ := w.outputs()
	return hay
}

func (w *world) threadText(ts string) string {
	var text string
	for _, m := range w.thread(ts) {
		text += m.Text + string(m.Blocks) + "\n"
	}
	return text
}

// A GitHub token given to /keyir revoke runs GitHub's own playbook with
// the two-person approval: the plan shows its steps, the requester cannot
// approve, a second person can, and the token is dead after; it is never
// shown, stored or logged. (Before, the token was refused and pointed at
// keyir respond.)
func TestServeRevokesAGitHubTokenWithItsOwnPlaybook(t *testing.T) {
	w, gh, fx := ghWorld(t)
	leaked := fx.LeakedToken
	fp := redact.Fingerprint(leaked)
	if !gh.Authenticates(leaked) {
		t.Fatal("the scenario's token is not live to begin with")
	}
	reply := w.command(alice, channel, "revoke "+leaked+" INC-9")
	if !strings.Contains(reply, fp) || !strings.Contains(reply, "github-token-compromise") {
		t.Fatalf("reply: %q", reply)
	}
	r := w.tokenRequest(fp, chatops.StatePending)
	if r.KeyID != "" || r.TokenKind == "" || r.Playbook != "github-token-compromise" || !r.HasSecret {
		t.Fatalf("request %+v", r)
	}
	plan := findMessage(t, w.slack.Messages(channel), r.MessageTS)
	body := string(plan.Blocks) + plan.Text
	for _, want := range []string{"github-token-compromise", fp, "INC-9", "keyir_approve", r.ID, "revoke", "other than the requester"} {
		if !strings.Contains(body, want) {
			t.Errorf("plan lacks %q:\n%s", want, body)
		}
	}
	// The plan is the playbook's (playbook.Plan): its revoking step is
	// marked as changing something.
	if !strings.Contains(body, "changes") {
		t.Errorf("the plan marks no step as changing something:\n%s", body)
	}
	w.click(alice, chatops.ActionApprove, r)
	waitFor(t, 5*time.Second, "self-approval refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "self-approval") == 1 })
	if got := w.srv.Requests()[0].State; got != chatops.StatePending {
		t.Fatalf("self-approval changed the state to %s", got)
	}
	if !gh.Authenticates(leaked) {
		t.Fatal("the token was revoked before a second person approved")
	}
	// A second revoke of the same token points at the first.
	if again := w.command(carol, channel, "revoke "+leaked); !strings.Contains(again, r.ID) {
		t.Errorf("second revoke: %q", again)
	}
	w.click(bob, chatops.ActionApprove, r)
	w.click(bob, chatops.ActionApprove, r)
	done := w.tokenRequest(fp, chatops.StateFinished)
	if done.RunDir == "" || done.ExitCode == nil {
		t.Fatalf("run ended %+v", done)
	}
	waitFor(t, 5*time.Second, "the token to die", func() bool { return !gh.Authenticates(leaked) })
	if n := w.countAudit(chatops.AuditRunStarted, ""); n != 1 {
		t.Errorf("runs started: %d, want 1", n)
	}
	var thread string
	waitFor(t, 20*time.Second, "the closing summary", func() bool {
		thread = w.threadText(r.MessageTS)
		return strings.Contains(thread, "Run "+done.RunID+" finished")
	})
	if !strings.Contains(thread, "Approved by <@"+bob+">") {
		t.Errorf("thread:\n%s", w.slack.Transcript(channel))
	}
	// The incident is named by the token's own kind, never as another
	// provider's key.
	if tr := w.slack.Transcript(channel); strings.Contains(tr, "SendGrid") || !strings.Contains(tr, "Leaked GitHub personal access token") {
		t.Errorf("the channel names the incident wrongly:\n%s", tr)
	}
	runJSON, err := os.ReadFile(filepath.Join(done.RunDir, "run.json"))
	if err != nil || !strings.Contains(string(runJSON), "github-token-compromise") {
		t.Errorf("run.json (%v) does not name GitHub's playbook", err)
	}
	if st := w.command(carol, channel, "status "+done.RunID); !strings.Contains(st, fp) {
		t.Errorf("status: %q", st)
	}
	// A new revoke of the same token may start once the first is done.
	if again := w.command(carol, channel, "revoke "+leaked+" --dry-run"); strings.Contains(again, "already has") {
		t.Errorf("the finished request still holds the token: %q", again)
	}
	w.settle()
	notifytest.AssertLeaksNoSecret(t, []string{leaked, fx.ResponderToken, w.slack.BotToken(), secret}, w.allOutput()...)
}

// A dry run of a GitHub token changes nothing: any authorized responder,
// the requester included, may approve it, and the token stays live.
func TestServeDryRunOfAGitHubTokenChangesNothing(t *testing.T) {
	w, gh, fx := ghWorld(t)
	leaked := fx.LeakedToken
	fp := redact.Fingerprint(leaked)
	w.command(alice, channel, "revoke "+leaked+" --dry-run")
	r := w.tokenRequest(fp, chatops.StatePending)
	plan := findMessage(t, w.slack.Messages(channel), r.MessageTS)
	if !strings.Contains(plan.Text, "[DRY RUN]") {
		t.Errorf("plan: %q", plan.Text)
	}
	w.click(alice, chatops.ActionApprove, r)
	w.tokenRequest(fp, chatops.StateFinished)
	if !gh.Authenticates(leaked) {
		t.Error("a dry run revoked the token")
	}
	w.settle()
	notifytest.AssertLeaksNoSecret(t, []string{leaked, fx.ResponderToken}, w.allOutput()...)
}

// A pending GitHub revoke does not survive a restart as runnable: the
// token was held in memory only and there is no id to revoke by, so it
// expires and says why.
func TestServeRestartExpiresAPendingTokenRevoke(t *testing.T) {
	w, gh, fx := ghWorld(t)
	fp := redact.Fingerprint(fx.LeakedToken)
	w.command(alice, channel, "revoke "+fx.LeakedToken)
	w.tokenRequest(fp, chatops.StatePending)
	w.stop()
	w.start()
	r := w.tokenRequest(fp, chatops.StateExpired)
	if !strings.Contains(r.Detail, "restarted") {
		t.Errorf("detail: %q", r.Detail)
	}
	if !gh.Authenticates(fx.LeakedToken) {
		t.Error("the token was revoked")
	}
}

// Every kind keyir responds to parses as a revoke of that kind, by its
// fingerprint and with its own playbook, registered with the redactor
// first; the same shape with a broken checksum is refused without quoting
// it.
func TestServeParseRevokeRecognisesEveryKind(t *testing.T) {
	n, checked := 0, 0
	for _, k := range provider.Kinds() {
		if k.Playbook == "" || k.Sample == "" || strings.HasPrefix(k.Sample, "SG.") {
			continue
		}
		n++
		red := redact.New()
		a, err := chatops.ParseArgs("revoke "+k.Sample+" INC-3 --dry-run", red)
		if err != nil {
			t.Errorf("%s: %v", k.Kind, err)
			continue
		}
		if a.Kind.KeyKind != k || a.Key != k.Sample || a.Info.ID != "" || a.Info.Fingerprint != redact.Fingerprint(k.Sample) || a.Incident != "INC-3" || !a.DryRun {
			t.Errorf("%s: parsed %+v", k.Kind, a.Info)
		}
		if !red.Contains(k.Sample) {
			t.Errorf("%s: not registered with the redactor", k.Kind)
		}
		bad := k.Sample[:len(k.Sample)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(k.Sample, "A")]
		if r, ok := provider.Identify(bad); !ok || r.ChecksumOK {
			continue // no checksum over the last character
		}
		checked++
		if _, err := chatops.ParseArgs("revoke "+bad, redact.New()); err == nil || !strings.Contains(err.Error(), "checksum") || strings.Contains(err.Error(), bad) {
			t.Errorf("%s: a broken checksum: %v", k.Kind, err)
		}
	}
	if n < 2 || checked == 0 {
		t.Fatalf("only %d token kinds with a playbook are linked, %d with a checksum checked", n, checked)
	}
}

// A leaked Slack user token is revoked through /keyir revoke the same way:
// its own playbook (auth.revoke with the token, then proof), approved by a
// second person, against a second Slack (the leak's workspace; the
// incident channel stays on the first).
func TestServeRevokesASlackTokenWithItsOwnPlaybook(t *testing.T) {
	sc, _ := slacksim.LookupScenario("slack-user-token-leak")
	lw := sc.Build(time.Now())
	lw.Options.RevokePropagation = 100 * time.Millisecond
	leak := slacksim.New(lw.Options)
	u, err := leak.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leak.Close() })
	w := newWorld(t, func(w *world) {
		w.env = map[string]string{"SLACK_API_URL": u, "SLACK_ADMIN_TOKEN": lw.Admin}
	})
	fp := redact.Fingerprint(lw.Leaked)
	w.command(alice, channel, "revoke "+lw.Leaked+" INC-11")
	r := w.tokenRequest(fp, chatops.StatePending)
	if r.TokenKind == "" || r.Playbook == "" || strings.HasPrefix(r.Playbook, "sendgrid") {
		t.Fatalf("request %+v", r)
	}
	plan := findMessage(t, w.slack.Messages(channel), r.MessageTS)
	if body := string(plan.Blocks) + plan.Text; !strings.Contains(body, r.Playbook) || !strings.Contains(body, fp) {
		t.Errorf("plan:\n%s", body)
	}
	w.click(bob, chatops.ActionApprove, r)
	done := w.tokenRequest(fp, chatops.StateFinished)
	if revoked, _ := leak.Revoked(lw.Leaked); !revoked {
		t.Errorf("the token was not revoked (run %+v)", done)
	}
	w.settle()
	notifytest.AssertLeaksNoSecret(t, []string{lw.Leaked, lw.Admin, w.slack.BotToken()}, w.allOutput()...)
}
