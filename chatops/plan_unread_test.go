package chatops_test

import "net/http"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/sim/sendgridsim"

// A key whose details SendGrid did not give (a refused read) is never
// later shown as "not found … already revoked?": on the old code the plan
// knew the read had failed only from the request's Detail, which the next
// state (expired, failed, restored) overwrote, and the updated message
// then claimed a 404.
func TestServeUnreadKeyIsNeverShownAsAlreadyRevoked(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.sg.InjectFault(sendgridsim.Fault{Method: http.MethodGet, Times: 10, Kind: sendgridsim.FaultStatus, Status: http.StatusForbidden})
	w.command(alice, channel, "revoke "+id+" INC-UNREAD")
	r := w.request(id, chatops.StatePending)
	plan := string(findMessage(t, w.slack.Messages(channel), r.MessageTS).Blocks)
	if !strings.Contains(plan, "could not be read") {
		t.Fatalf("the plan does not say the key could not be read: %s", plan)
	}
	w.clock.Add(16 * time.Minute)
	w.request(id, chatops.StateExpired)
	waitFor(t, 10*time.Second, "the message to show the expiry", func() bool {
		plan = string(findMessage(t, w.slack.Messages(channel), r.MessageTS).Blocks)
		return strings.Contains(plan, "Expired")
	})
	if strings.Contains(plan, "already revoked") || strings.Contains(plan, "404") {
		t.Errorf("a key SendGrid refused to describe is shown as not found: %s", plan)
	}
	if !strings.Contains(plan, "could not be read") {
		t.Errorf("the expired plan no longer says the key could not be read: %s", plan)
	}
}
