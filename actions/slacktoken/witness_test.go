package slacktoken

import "strings"
import "sync/atomic"
import "testing"
import "time"

import "github.com/keyir/keyir/internal/witnesstest"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// TestConfirmInvalidAuthNeedsTheWitnessAtThisSlack: a run saw the token
// live at one Slack and revoked it there (revoked:true); its confirm ran
// out of time while the revocation propagated (exit 4). Resumed with the
// Slack API URL naming another Slack, which does not know the token and
// answers invalid_auth, the old rule counted the steps made at the first
// Slack and said "confirmed", exit 0: invalid_auth from a Slack that never
// issued the token proves nothing about it. It is not confirmed (exit 4),
// and the detail names the API that saw it accepted. Resumed against the
// first Slack once the revocation took effect, it is confirmed.
func TestConfirmInvalidAuthNeedsTheWitnessAtThisSlack(t *testing.T) {
	var ahead atomic.Int64 // the first Slack's clock runs ahead by this
	f := newFixture(t, "slack-bot-token-leak", func(w *slacksim.World) {
		w.Options.RevokePropagation = time.Hour
		w.Options.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	pb := witnesstest.Playbook(t, "slack-witness-test",
		`xoxb-[0-9]{6,15}-[0-9]{6,15}-[A-Za-z0-9]{20,40}|xoxp-[0-9]{6,15}-[0-9]{6,15}-[0-9]{6,15}-[A-Za-z0-9]{24,64}`,
		tokenLivenessInfo.Name, snapshotTokenInfo.Name, revokeTokenInfo.Name, confirmRevokedInfo.Name)
	vars := f.vars
	opts := func() playbook.Options {
		return playbook.Options{Mode: report.ModeLive, Incident: "INC-SLACK-W", Operator: "test", ReportsRoot: t.TempDir(),
			Given: map[string]string{"key": slacksim.LeakedBotToken}, Redactor: redact.New(),
			Getenv: func(k string) string { return vars[k] }, StepTimeout: time.Minute}
	}
	res := witnesstest.RunUnconfirmed(t, pb, opts())

	// Another Slack: another host, which never knew the token.
	other := slacksim.New(slacksim.Options{})
	api, err := other.Listen("127.0.0.2:0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	vars = map[string]string{EnvAPIURL: api}
	c := witnesstest.Resume(t, res.Dir, opts(), report.ExitNotContained, report.ContainmentNotConfirmed, "another Slack")
	if !strings.Contains(c.Detail, "invalid_auth") || !strings.Contains(c.Detail, "accepted at "+f.api) || !strings.Contains(c.Detail, "another API URL") {
		t.Errorf("the detail does not say where the token was seen accepted: %s", c.Detail)
	}
	if n := len(other.CallsTo("auth.test")); n == 0 {
		t.Errorf("the other Slack was not asked")
	}

	// The first Slack, once the revocation took effect.
	ahead.Store(int64(2 * time.Hour))
	vars = f.vars
	witnesstest.Resume(t, res.Dir, opts(), report.ExitDone, report.ContainmentConfirmed, "the first Slack")
}
