package main

import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/sim/slacksim"

// check15Slack serves scenario slack-bot-token-leak without its
// propagation delay.
func check15Slack(t *testing.T) (map[string]string, *slacksim.Server, slacksim.World) {
	t.Helper()
	sc, _ := slacksim.LookupScenario("slack-bot-token-leak")
	w := sc.Build(time.Now())
	w.Options.RevokePropagation = 0
	sl := slacksim.New(w.Options)
	api, err := sl.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	return map[string]string{"SLACK_API_URL": api, "SLACK_ADMIN_TOKEN": w.Admin}, sl, w
}

// TestCheck15SlackRevokeIsNotRetriedPastTheLimit: auth.revoke answering
// 429 (Retry-After) or 500 on every call is sent a bounded number of times
// (Slack's Retry-After honoured; at most 5 sends for a 429 — one and the
// action's 4 retries —, 4 for a 5xx), the run ends 4 (not proven dead) and
// the token is never printed. A revoked token then gets exit 0 and "already".
func TestCheck15SlackRevokeIsNotRetriedPastTheLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		f    slacksim.Fault
		max  int
	}{
		{"429", slacksim.Fault{Method: "auth.revoke", Times: 1000, Status: 429, RetryAfter: time.Millisecond}, 5},
		{"500", slacksim.Fault{Method: "auth.revoke", Times: 1000, Status: 500}, 4},
		{"ratelimited body", slacksim.Fault{Method: "auth.revoke", Times: 1000, Error: "ratelimited"}, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			envv, sl, w := check15Slack(t)
			sl.Inject(c.f)
			reports := filepath.Join(t.TempDir(), "reports")
			start := time.Now()
			r := keyir(t, w.Leaked+"\n", envv, "respond", "--key", "-", "--reports", reports)
			n := len(sl.CallsTo("auth.revoke"))
			t.Logf("%s: exit %d, %d auth.revoke in %s", c.name, r.code, n, time.Since(start).Round(time.Millisecond))
			if r.code != 4 {
				t.Errorf("exit %d, want 4\n%s", r.code, r.stderr)
			}
			if n < 1 || n > c.max {
				t.Errorf("%d auth.revoke calls, want 1..%d", n, c.max)
			}
			notifytest.AssertLeaksNoSecret(t, []string{w.Leaked, w.Admin}, everyOutput(r, reports)...)
		})
	}
	envv, _, w := check15Slack(t)
	for i, want := range []int{0, 0} {
		reports := filepath.Join(t.TempDir(), "reports")
		r := keyir(t, w.Leaked+"\n", envv, "respond", "--key", "-", "--reports", reports)
		if r.code != want {
			t.Errorf("run %d: exit %d\n%s", i+1, r.code, r.stderr)
		}
		if i == 1 && !strings.Contains(r.stdout, "already") {
			t.Errorf("second run does not say the token was already refused:\n%s", r.stdout)
		}
	}
}
