package chatops_test

import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/provider"

// The approver approves the plan that was posted: a revoke playbook file
// changed between the plan and the click is not run (on the old code the
// run read the file again at approval and ran whatever it then held). The
// request fails, the thread says why, and the key is untouched.
func TestServeRunsOnlyThePlaybookWhosePlanWasApproved(t *testing.T) {
	w := newWorld(t)
	data, _, _, err := provider.Playbook(chatops.DefaultPlaybook)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "revoke.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	w.stop()
	w.cfg.Playbooks = map[string]string{"revoke": path}
	w.start()
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+id+" INC-PB")
	r := w.request(id, chatops.StatePending)
	if err := os.WriteFile(path, append(data, []byte("\n# edited after the plan was posted\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	w.click(bob, chatops.ActionApprove, r)
	done := w.request(id, chatops.StateFinished, chatops.StateFailed)
	if done.State != chatops.StateFailed || !strings.Contains(done.Detail, "changed since its plan was posted") {
		t.Fatalf("a playbook changed after its plan was posted ran: %s %q", done.State, done.Detail)
	}
	if !w.sg.State().KeyLive(id, time.Now()) {
		t.Error("the key was revoked by a plan nobody approved")
	}
	waitFor(t, 10*time.Second, "the thread to say why", func() bool {
		for _, m := range w.slack.Messages(channel) {
			if m.ThreadTS == r.MessageTS && strings.Contains(m.Text, "changed since its plan was posted") {
				return true
			}
		}
		return false
	})
	// The approval message no longer says a run is under way.
	waitFor(t, 10*time.Second, "the approval message to say Failed", func() bool {
		return strings.Contains(string(findMessage(t, w.slack.Messages(channel), r.MessageTS).Blocks), "*Failed*")
	})
}
