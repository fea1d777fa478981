package slacktoken

import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

func TestParseTokenKinds(t *testing.T) {
	for _, c := range []struct {
		token, kind string
		bot         bool
	}{
		{slacksim.LeakedBotToken, "slack-bot-token", true},
		{slacksim.LeakedUserToken, "slack-user-token", false},
		{RotatingToken.Sample, "slack-rotating-token", false},
		{"xoxe.xoxb-1-" + strings.Repeat("Ab9", 14), "slack-rotating-token", true},
		{RefreshToken.Sample, "slack-refresh-token", false},
	} {
		ti, err := ParseToken(c.token)
		if err != nil || ti.Kind.Kind != c.kind || ti.Bot != c.bot {
			t.Errorf("%s: %+v %v", c.kind, ti, err)
		}
		if r, ok := provider.Identify(c.token); !ok || r.Kind != c.kind || r.Provider != "slack" {
			t.Errorf("provider.Identify(%s) = %+v %v", c.kind, r, ok)
		}
	}
	for _, bad := range []string{"", "xoxb-123", "xapp-1-A0000000000-0000000000-abcdefabcdef", "xoxp-4230001111-5230003333-notdigits-6b657969726472696c6c6c65616b6564", slacksim.LeakedBotToken + " x"} {
		_, err := ParseToken(bad)
		if err == nil {
			t.Errorf("%d characters accepted", len(bad))
			continue
		}
		if len(bad) > 8 && strings.Contains(err.Error(), bad[5:]) {
			t.Errorf("the error quotes the value: %v", err)
		}
	}
}

func TestLivenessAndSnapshot(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", func(w *slacksim.World) {
		w.Options.Tokens = append(w.Options.Tokens,
			slacksim.Token{Value: "xoxp-1000000001-2000000002-3000000003-" + strings.Repeat("ab", 16), UserID: "U0GONE001", Inactive: true})
	})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.snapshot_token", map[string]any{"key": slacksim.LeakedBotToken})
	if err != nil || out["status"] != actions.StatusLive || out["bot_id"] != slacksim.LeakedBot || out["user_id"] != slacksim.LeakedBotU ||
		out["team_id"] != slacksim.DefaultTeamID || out["risk"] != string(report.High) || out["bot"] != true {
		t.Fatalf("%v %v", out, err)
	}
	if sc := out["scopes"].([]string); len(sc) != 5 || sc[0] != "channels:history" {
		t.Errorf("scopes from X-OAuth-Scopes: %v", sc)
	}
	assertNoSecret(t, rec, out, slacksim.LeakedBotToken)

	// Dead, three ways: death is in the body of an HTTP 200.
	f.sim.AddToken(slacksim.Token{Value: slacksim.LeakedUserToken, UserID: slacksim.AliceUser})
	env, _ = f.env(report.ModeLive)
	if _, err := run(t, env, "slack.revoke_token", map[string]any{"key": slacksim.LeakedUserToken}); err != nil {
		t.Fatal(err)
	}
	for token, death := range map[string]string{
		slacksim.LeakedUserToken: "token_revoked",
		"xoxp-1000000001-2000000002-3000000003-" + strings.Repeat("ab", 16): "account_inactive",
		"xoxb-1000000001-2000000002-" + strings.Repeat("z", 24):             "invalid_auth",
	} {
		out, err := run(t, env, "slack.token_liveness", map[string]any{"key": token})
		if err != nil || out["status"] != actions.StatusDead || out["death"] != death {
			t.Errorf("want dead (%s): %v %v", death, out, err)
		}
	}
}

func TestRevokeAndConfirmPropagation(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", func(w *slacksim.World) { w.Options.RevokePropagation = 700 * time.Millisecond })
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.revoke_token", map[string]any{"key": slacksim.LeakedBotToken})
	if err != nil || out["revoked"] != true {
		t.Fatalf("%v %v", out, err)
	}
	if revoked, _ := f.sim.Revoked(slacksim.LeakedBotToken); !revoked || f.sim.Dead(slacksim.LeakedBotToken) {
		t.Fatal("revoked at once and refused at once: no propagation modelled")
	}
	out, err = run(t, env, "slack.confirm_revoked", map[string]any{"key": slacksim.LeakedBotToken, "interval": "100ms", "max_interval": "200ms", "timeout": "10s"})
	if err != nil || out["confirmed"] != true || out["refusal"] != "token_revoked" || out["polls"].(int) < 2 {
		t.Fatalf("%v %v", out, err)
	}
	c := rec.containment[len(rec.containment)-1]
	if c.Status != report.ContainmentConfirmed || c.TimeToContainment <= 0 || !strings.Contains(c.Detail, "token_revoked") {
		t.Fatalf("%+v", c)
	}
	// Idempotent: revoking again finds it already refused.
	out, err = run(t, env, "slack.revoke_token", map[string]any{"key": slacksim.LeakedBotToken})
	if err != nil || out["already_revoked"] != true || out["refusal"] != "token_revoked" || len(rec.kinds()["token.already_revoked"]) != 1 {
		t.Fatalf("%v %v", out, err)
	}
	assertNoSecret(t, rec, out, slacksim.LeakedBotToken)
}

func TestConfirmInvalidAuthNeedsPriorLiveness(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	stranger := "xoxb-1000000001-2000000002-" + strings.Repeat("q", 24) // a token this Slack never knew
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.confirm_revoked", map[string]any{"key": stranger, "interval": "50ms", "timeout": "2s"})
	if err == nil || out["confirmed"] != false || out["polls"] != 1 {
		t.Fatalf("invalid_auth from a token never seen live must not confirm: %v %v", out, err)
	}
	if c := rec.containment[0]; c.Status != report.ContainmentNotConfirmed || !strings.Contains(c.Detail, "allow list") {
		t.Fatalf("%+v", c)
	}
	// The same answer after this run saw the token live is the revocation
	// taking effect.
	env, rec = f.env(report.ModeLive)
	ti, _ := ParseToken(stranger)
	withJournal(env, report.Step{ID: "snapshot", Action: "slack.snapshot_token", Outputs: map[string]any{"fingerprint": ti.Fingerprint, "status": actions.StatusLive}})
	out, err = run(t, env, "slack.confirm_revoked", map[string]any{"key": stranger, "interval": "50ms", "timeout": "2s"})
	if err != nil || out["confirmed"] != true || out["refusal"] != "invalid_auth" || rec.containment[0].Status != report.ContainmentConfirmed {
		t.Fatalf("%v %v %+v", out, err, rec.containment)
	}
}

func TestConfirmTimesOutWhileLive(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.confirm_revoked", map[string]any{"key": slacksim.LeakedBotToken, "interval": "50ms", "timeout": "300ms"})
	if err == nil || out["confirmed"] != false || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("a live token must not be confirmed: %v %v", out, err)
	}
}

func TestDryRun(t *testing.T) {
	f := newFixture(t, "slack-user-token-leak", nil)
	env, rec := f.env(report.ModeDryRun)
	out, err := run(t, env, "slack.revoke_token", map[string]any{"key": slacksim.LeakedUserToken})
	if err != nil || out["planned"] != true || out["revoked"] != false {
		t.Fatalf("%v %v", out, err)
	}
	if len(rec.planned) != 1 || rec.planned[0].Method != "POST" || !strings.HasSuffix(rec.planned[0].URL, "/auth.revoke") {
		t.Fatalf("planned %+v", rec.planned)
	}
	if len(f.sim.CallsTo("auth.revoke")) != 0 || f.sim.Dead(slacksim.LeakedUserToken) {
		t.Fatal("a dry run reached auth.revoke")
	}
	// Reads still go out (GET): the dry run says whether the token is live.
	out, err = run(t, env, "slack.confirm_revoked", map[string]any{"key": slacksim.LeakedUserToken})
	if err != nil || out["confirmed"] != false {
		t.Fatalf("%v %v", out, err)
	}
	if c := rec.containment[0]; c.Status != report.ContainmentPlanned || !strings.Contains(c.Detail, "live") {
		t.Fatalf("%+v", c)
	}
	assertNoSecret(t, rec, out, slacksim.LeakedUserToken)
}

func TestRefreshTokenIsNeverProbed(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	env, rec := f.env(report.ModeLive)
	refresh := RefreshToken.Sample
	if out, err := run(t, env, "slack.token_liveness", map[string]any{"key": refresh}); err != nil || out["status"] != actions.StatusUnknown {
		t.Fatalf("%v %v", out, err)
	}
	if _, err := run(t, env, "slack.revoke_token", map[string]any{"key": refresh}); err == nil || !strings.Contains(err.Error(), "refresh token") {
		t.Fatalf("want a refusal, got %v", err)
	}
	if out, err := run(t, env, "slack.confirm_revoked", map[string]any{"key": refresh}); err == nil || out["confirmed"] != false || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("%v %v", out, err)
	}
	if n := len(f.sim.Calls()); n != 0 {
		t.Fatalf("a refresh token was sent to Slack %d times: its invalid_auth proves nothing", n)
	}
}

func TestOwnBotToken(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	env, rec := f.env(report.ModeLive)
	f.vars[EnvBotToken] = slacksim.LeakedBotToken
	out, err := run(t, env, "slack.identify_token", map[string]any{"key": slacksim.LeakedBotToken})
	if err != nil || out["keyir_bot"] != true || len(rec.kinds()["token.keyir_bot"]) != 1 || rec.kinds()["token.keyir_bot"][0].Severity != report.Critical {
		t.Fatalf("%v %v %v", out, err, rec.findings)
	}
	f.vars[EnvBotToken] = f.sim.BotToken()
	env, rec = f.env(report.ModeLive)
	if out, _ := run(t, env, "slack.identify_token", map[string]any{"key": slacksim.LeakedBotToken}); out["keyir_bot"] != false || len(rec.findings) != 0 {
		t.Fatalf("%v %v", out, rec.findings)
	}
}

func TestRateLimitedReadWaits(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	f.sim.Inject(slacksim.Fault{Method: "auth.test", Status: 429, RetryAfter: time.Second})
	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "slack.token_liveness", map[string]any{"key": slacksim.LeakedBotToken})
	if err != nil || out["status"] != actions.StatusLive || len(f.sim.CallsTo("auth.test")) != 2 || len(rec.progress) != 1 {
		t.Fatalf("%v %v calls %d", out, err, len(f.sim.CallsTo("auth.test")))
	}
	// A 5xx or a reset is tried again, a bounded number of times; one
	// that persists is not death: unknown, and the step fails.
	ob := backoff
	backoff = 10 * time.Millisecond
	t.Cleanup(func() { backoff = ob })
	f.sim.Inject(slacksim.Fault{Method: "auth.test", Status: 503})
	f.sim.Inject(slacksim.Fault{Method: "auth.test", Reset: true})
	if out, err := run(t, env, "slack.token_liveness", map[string]any{"key": slacksim.LeakedBotToken}); err != nil || out["status"] != actions.StatusLive {
		t.Fatalf("transient faults not absorbed: %v %v", out, err)
	}
	before := len(f.sim.CallsTo("auth.test"))
	f.sim.Inject(slacksim.Fault{Method: "auth.test", Status: 503, Times: 10})
	if out, err := run(t, env, "slack.token_liveness", map[string]any{"key": slacksim.LeakedBotToken}); err == nil || out != nil {
		t.Fatalf("%v %v", out, err)
	}
	if n := len(f.sim.CallsTo("auth.test")) - before; n != 1+maxTransient {
		t.Fatalf("%d attempts, want %d", n, 1+maxTransient)
	}
}

// invalid_auth is Slack's answer for a revoked token and also for one this
// Slack never issued: the revocation's finding says it was refused, never
// that it was already revoked (the old finding was token.already_revoked).
// token_revoked, Slack's own word, still is.
func TestRevokeRefusedWithInvalidAuthIsNotAlreadyRevoked(t *testing.T) {
	f := newFixture(t, "slack-bot-token-leak", nil)
	env, rec := f.env(report.ModeLive)
	unknown := "xoxb-111111111111-222222222222-" + strings.Repeat("Q", 24)
	out, err := run(t, env, "slack.revoke_token", map[string]any{"key": unknown})
	if err != nil || out["already_revoked"] != true || out["refusal"] != "invalid_auth" {
		t.Fatalf("%v %v", out, err)
	}
	kinds := rec.kinds()
	if n := len(kinds["token.already_revoked"]); n != 0 {
		t.Errorf("invalid_auth reported as already revoked (%d findings)", n)
	}
	if r := kinds[actions.KindRefusedBeforeRevoke]; len(r) != 1 || !strings.Contains(r[0].Detail, "never issued") || !strings.Contains(r[0].Detail, "not proof") {
		t.Errorf("want one %s finding saying what invalid_auth does not prove: %+v", actions.KindRefusedBeforeRevoke, r)
	}
	assertNoSecret(t, rec, out, unknown)
}
