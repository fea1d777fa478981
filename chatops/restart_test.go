package chatops_test

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"

// keyir serve stopped after recording a request and before posting its
// plan: at the next start the plan is posted (with its buttons), so the key
// does not sit blocked, unapprovable, until expiry.
func TestServeRestartPostsAPlanThatWasNeverPosted(t *testing.T) {
	w := newWorld(t)
	w.stop()
	id := keyIDOf(w.fx.LeakedKey)
	now := w.clock.Now().UTC()
	r := chatops.Request{ID: "req_0123456789abcdef01234567", State: chatops.StatePending, KeyID: id, Fingerprint: "0a1b2c3d",
		DryRun: true, Playbook: chatops.DefaultPlaybook, Team: team, Requester: alice, Channel: channel,
		Created: now, Expires: now.Add(15 * time.Minute), Updated: now, Version: 1}
	b, _ := json.Marshal(r)
	if err := os.WriteFile(filepath.Join(w.dataDir, "requests", r.ID+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	w.start()
	got := w.request(id, chatops.StatePending) // waits for the message ts
	if got.ID != r.ID {
		t.Fatalf("restored %s", got.ID)
	}
	m := findMessage(t, w.slack.Messages(channel), got.MessageTS)
	if !strings.Contains(string(m.Blocks), chatops.ActionApprove) {
		t.Fatalf("the plan has no buttons: %s", m.Blocks)
	}
	w.click(alice, chatops.ActionApprove, got)
	if done := w.request(id, chatops.StateFinished, chatops.StateFailed); done.State != chatops.StateFinished {
		t.Fatalf("after approval: %+v", done)
	}
}
