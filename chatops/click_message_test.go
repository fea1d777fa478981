package chatops_test

import "testing"
import "time"

import "github.com/keyir/keyir/chatops"

// A click decides only the request whose approval message carries the
// button: Approve with request B's id from request A's message (a payload
// Slack never sends for a real click) is refused and audited, and B stays
// pending; so is a click before B's plan (its message) exists. On the old
// code the forged click approved B, whose plan the clicker never saw.
func TestServeClickOnAnotherRequestsMessageIsRefused(t *testing.T) {
	w := newWorld(t)
	idA := keyIDOf(w.fx.LeakedKey)
	idB := "bbbbbbbbbbbbbbbbbbbbbb"
	w.command(alice, channel, "revoke "+idA+" INC-A")
	a := w.request(idA, chatops.StatePending)
	w.command(alice, channel, "revoke "+idB+" INC-B --dry-run")
	b := w.request(idB, chatops.StatePending)

	forged := b
	forged.MessageTS = a.MessageTS
	w.click(bob, chatops.ActionApprove, forged)
	noMessage := b
	noMessage.MessageTS = ""
	w.click(bob, chatops.ActionApprove, noMessage)
	waitFor(t, 10*time.Second, "both refusals audited", func() bool {
		return w.countAudit(chatops.AuditApprovalRefused, "not its approval message") == 2
	})
	for _, r := range w.srv.Requests() {
		if r.State != chatops.StatePending {
			t.Errorf("%s (key %s) is %s after clicks on messages not its own", r.ID, r.KeyID, r.State)
		}
	}
	// The real button still works.
	w.click(bob, chatops.ActionCancel, b)
	w.request(idB, chatops.StateCancelled)
}
