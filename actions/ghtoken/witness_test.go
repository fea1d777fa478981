package ghtoken

import "context"
import "strings"
import "sync/atomic"
import "testing"
import "time"

import "github.com/keyir/keyir/internal/witnesstest"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"

// TestConfirmNeedsTheWitnessAtThisGitHub: a run saw the token live at one
// GitHub and asked it to revoke the token; its confirm ran out of time
// while the revocation propagated (exit 4). Resumed with GITHUB_API_URL
// naming another GitHub, which never issued the token and answers 401 Bad
// credentials, the old rule counted the liveness check made at the first
// GitHub and said "confirmed", exit 0: the other GitHub's refusal proves
// nothing about the token where it lives. It is not confirmed (exit 4),
// and the detail names the API that saw it accepted. Resumed against the
// first GitHub, come back on another port (as a drill's simulator does),
// once the revocation took effect, it is confirmed.
func TestConfirmNeedsTheWitnessAtThisGitHub(t *testing.T) {
	var ahead atomic.Int64 // the first GitHub's clock runs ahead by this
	a := newFixture(t, "github-pat-leak", false, func(c *githubsim.Config) {
		c.PropagationDelay = time.Hour
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	pb := witnesstest.Playbook(t, "github-witness-test",
		`(gh[pous]_[A-Za-z0-9]{36}|ghr_[A-Za-z0-9]{76}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})`,
		tokenLivenessInfo.Name, snapshotTokenInfo.Name, revokeTokenInfo.Name, confirmRevokedInfo.Name)
	given := map[string]string{"key": a.fx.LeakedToken}
	env := a.env
	opts := func() playbook.Options {
		red := redact.New()
		red.Add(a.fx.ResponderToken)
		return playbook.Options{Mode: report.ModeLive, Incident: "INC-GH-W", Operator: "test", ReportsRoot: t.TempDir(), Given: given,
			Redactor: red, Getenv: func(k string) string { return env[k] }, StepTimeout: time.Minute}
	}
	res := witnesstest.RunUnconfirmed(t, pb, opts())

	// Another GitHub: another host, a token it never issued.
	sc, _ := githubsim.LookupScenario("github-fine-grained-leak")
	fx := sc.Build(time.Now())
	b := githubsim.New(fx.State, fx.Config)
	if b.Authenticates(a.fx.LeakedToken) {
		t.Fatal("the other GitHub knows the token")
	}
	other, stop, err := githubsim.Listen("127.0.0.2:0", b)
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	env = map[string]string{EnvAPIURL: other, EnvToken: fx.ResponderToken}
	c := witnesstest.Resume(t, res.Dir, opts(), report.ExitNotContained, report.ContainmentNotConfirmed, "another GitHub")
	if !strings.Contains(c.Detail, "accepted at "+strings.TrimSuffix(a.url, "/")) || !strings.Contains(c.Detail, "another API") {
		t.Errorf("the detail does not say where the token was seen accepted: %s", c.Detail)
	}

	// The first GitHub, on a new port, once the revocation took effect.
	ahead.Store(int64(2 * time.Hour))
	again, stopAgain, err := githubsim.Listen("127.0.0.1:0", a.srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAgain(context.Background()) })
	if again == a.url {
		t.Fatalf("the simulator came back on the same URL %s", again)
	}
	env = map[string]string{EnvAPIURL: again, EnvToken: a.fx.ResponderToken}
	witnesstest.Resume(t, res.Dir, opts(), report.ExitDone, report.ContainmentConfirmed, "the first GitHub on a new port")
}
