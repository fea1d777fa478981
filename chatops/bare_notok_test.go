package chatops_test

import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/sim/slacksim"

// Slack answering chat.postMessage with {"ok":false} and no error (slack-go
// takes it for success, with no ts: SLACK.md) did not post the plan. On the
// old code keyir recorded the plan as posted (audit: plan_posted) with no
// message: no buttons anywhere, the key held until expiry, the requester
// told nothing. Now the request fails as any unposted plan does, the
// requester is told that nothing was started, and the key is free again.
func TestServePlanAnsweredOkFalseWithoutErrorIsNotPosted(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.slack.Inject(slacksim.Fault{Method: "chat.postMessage", BareNotOK: true})
	w.command(alice, channel, "revoke "+id+" INC-NOTOK")
	var r chatops.Request
	waitFor(t, 20*time.Second, "the plan's outcome", func() bool {
		for _, q := range w.srv.Requests() {
			r = q
		}
		return r.State == chatops.StateFailed || w.countAudit(chatops.AuditPlanPosted, "") > 0
	})
	if r.State != chatops.StateFailed || !strings.Contains(r.Detail, "the plan could not be posted") {
		t.Fatalf("a plan Slack did not post: %s %q (message ts %q)", r.State, r.Detail, r.MessageTS)
	}
	if n := w.countAudit(chatops.AuditPlanPosted, ""); n != 0 {
		t.Errorf("%d plan_posted audit lines for a plan that was not posted", n)
	}
	waitFor(t, 10*time.Second, "the requester to be told", func() bool {
		for _, m := range w.slack.Messages(channel) {
			if m.Ephemeral && m.User == alice && strings.Contains(m.Text, "Nothing was started") {
				return true
			}
		}
		return false
	})
	// The key is free: a new request posts its plan.
	w.command(alice, channel, "revoke "+id+" INC-NOTOK")
	w.requestWhere(id, func(q chatops.Request) bool { return q.KeyID == id && q.ID != r.ID }, chatops.StatePending)
}
