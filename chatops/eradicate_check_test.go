package chatops_test

import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/eradicate"
import "github.com/keyir/keyir/sim/sendgridsim"

// A removal keyir would refuse is refused before anyone can approve it:
// the server's SENDGRID_API_KEY now answers as another account than the
// one the run assessed (the plan's ids would name other resources there).
// The approval message with its Approve button was posted, and a second
// person's approval started a run that failed. Now the request fails before
// any approval message, the thread says why, and nothing is run or removed.
func TestServeRefusesARemovalKeyirWouldRefuseBeforeApproval(t *testing.T) {
	w := newWorld(t, withFootholds)
	done := w.liveRun()
	if *done.ExitCode != 5 {
		t.Fatalf("persistence run: exit %d, want 5", *done.ExitCode)
	}
	pp, err := eradicate.Prepare(done.RunDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	footholds := planned(t, w.fx, pp)
	runsDir := filepath.Dir(done.RunDir)

	w.fx.State.SetOwner(sendgridsim.Owner{Username: "other-co", UserID: 777})
	w.click(alice, chatops.ActionEradicate, done)
	var er chatops.Request
	waitFor(t, 60*time.Second, "the eradication request to be offered or refused", func() bool {
		for _, r := range w.srv.Requests() {
			if r.Kind == chatops.KindEradicate && (r.State == chatops.StateFailed || r.State == chatops.StatePending && r.MessageTS != "") {
				er = r
				return true
			}
		}
		return false
	})
	w.settle()
	if er.State != chatops.StateFailed || er.MessageTS != "" {
		t.Fatalf("eradication request %s with message %q, want failed before its approval message:\n%s", er.State, er.MessageTS, w.slack.Transcript(channel))
	}
	for _, m := range w.thread(done.MessageTS) {
		if strings.Contains(string(m.Blocks), chatops.ActionApprove) {
			t.Errorf("an Approve button was offered for a removal keyir refuses:\n%s", w.slack.Transcript(channel))
		}
	}
	if text := w.threadText(done.MessageTS); !strings.Contains(text, "Nothing will be removed") || !strings.Contains(text, "other-co") {
		t.Errorf("the thread does not say why nothing will be removed:\n%s", w.slack.Transcript(channel))
	}
	for _, f := range footholds {
		if !w.fx.State.Present(f) {
			t.Errorf("removed: %v", f)
		}
	}
	if ents, _ := os.ReadDir(runsDir); len(ents) != 1 {
		t.Errorf("a refused removal left %d run directories", len(ents))
	}
	w.assertNoLeak(w.fx.LeakedKey, w.fx.ResponderKey, w.slack.BotToken(), secret)
}
