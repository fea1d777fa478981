package chatops_test

import "context"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/playbook"

// interruptedRevoke: a live revoke approved and stopped (SIGTERM) while its
// revoke step runs, then keyir serve started again on the same data.
func interruptedRevoke(t *testing.T) (*world, string, chatops.Request) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	block := make(chan struct{})
	w.mods = func(o *chatops.Options) {
		o.RunOptions = func(po *playbook.Options) {
			po.Observer = playbook.Observers{po.Observer, stepGate{step: "revoke", ch: block, stopped: func() bool { return !w.srv.Ready() }}}
		}
	}
	w.stop()
	w.start()
	w.command(alice, channel, "revoke "+id+" INC-7")
	w.click(bob, chatops.ActionApprove, w.request(id, chatops.StatePending))
	<-block
	w.stop()
	w.mods = nil
	w.start()
	got := w.request(id, chatops.StateInterrupted)
	if got.RunDir == "" {
		t.Fatalf("interrupted request without a run directory: %+v", got)
	}
	return w, id, got
}

// An interrupted revoke blocks a second revoke of the same key, across a
// restart: the reply points at it (request, run, directory, how to resume
// or abandon) and nothing new is started. An authorized user's abandon
// releases the key; an unauthorized one's does not.
func TestServeInterruptedRevokeBlocksASecondRevoke(t *testing.T) {
	w, id, ir := interruptedRevoke(t)
	plans := countPlans(w)
	got := w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-8")
	for _, want := range []string{ir.ID, ir.RunID, ir.RunDir, "keyir resume " + ir.RunDir, "/keyir abandon " + ir.ID, "nothing new was started"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q: %q", want, got)
		}
	}
	if n := len(w.srv.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	if n := countPlans(w); n != plans {
		t.Errorf("a plan was posted for the blocked revoke")
	}
	// Status says it too.
	if st := w.command(bob, channel, "status"); !strings.Contains(st, "interrupted") || !strings.Contains(st, "abandon "+ir.ID) {
		t.Errorf("status: %q", st)
	}
	// Abandon: not by an outsider, not with a malformed id.
	if r := w.command(mallory, channel, "abandon "+ir.ID); !strings.Contains(r, "not allowed") {
		t.Errorf("mallory's abandon: %q", r)
	}
	if r := w.command(bob, channel, "abandon "+w.fx.LeakedKey); strings.Contains(r, w.fx.LeakedKey) || !strings.Contains(r, "usage") {
		t.Errorf("abandon with a key: %q", r)
	}
	if s := w.request(id, chatops.StateInterrupted, chatops.StateAbandoned); s.State != chatops.StateInterrupted {
		t.Fatalf("abandoned by a refused command: %+v", s)
	}
	r := w.command(bob, channel, "abandon "+ir.ID)
	if !strings.Contains(r, "abandoned") || !strings.Contains(r, ir.RunDir) {
		t.Errorf("abandon reply: %q", r)
	}
	ab := w.request(id, chatops.StateAbandoned)
	if ab.ID != ir.ID {
		t.Fatalf("abandoned %s, want %s", ab.ID, ir.ID)
	}
	if n := w.countAudit(chatops.AuditAbandon, ""); n != 1 {
		t.Errorf("abandon audited %d times", n)
	}
	waitFor(t, 5*time.Second, "the plan to say abandoned", func() bool {
		return strings.Contains(string(findMessage(t, w.slack.Messages(channel), ir.MessageTS).Blocks), "Abandoned")
	})
	if r := w.command(bob, channel, "abandon "+ir.ID); !strings.Contains(r, "nothing to abandon") {
		t.Errorf("second abandon: %q", r)
	}
	// The key is free: a new request, pending approval. A restart keeps the
	// abandoned request abandoned (it does not take the key back).
	w.stop()
	w.start()
	w.command(alice, channel, "revoke "+id+" INC-8")
	waitFor(t, 10*time.Second, "a new pending request", func() bool { return len(w.srv.Requests()) == 2 })
	for _, q := range w.srv.Requests() {
		if q.ID == ir.ID && q.State != chatops.StateAbandoned {
			t.Errorf("after restart the abandoned request is %s", q.State)
		}
		if q.ID != ir.ID && q.State != chatops.StatePending {
			t.Errorf("new request %s", q.State)
		}
	}
	w.assertNoLeak(w.fx.LeakedKey)
}

// Resolved by resume: once `keyir resume` has finished the interrupted run
// (sealed, intact), a new revoke is no longer blocked, and the interrupted
// request is recorded as finished with the run's status.
func TestServeInterruptedRevokeResolvedByResume(t *testing.T) {
	w, id, ir := interruptedRevoke(t)
	if got := w.command(alice, channel, "revoke "+id); !strings.Contains(got, ir.ID) {
		t.Fatalf("not blocked before resume: %q", got)
	}
	res, err := playbook.Resume(context.Background(), ir.RunDir, playbook.Options{Getenv: w.getenv,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Run.Status == "interrupted" {
		t.Fatalf("resume: %s", res.Report.Run.Status)
	}
	got := w.command(alice, channel, "revoke "+id+" --dry-run")
	if strings.Contains(got, ir.ID) || strings.Contains(got, "already") {
		t.Fatalf("still blocked after resume: %q", got)
	}
	waitFor(t, 10*time.Second, "the new request", func() bool { return len(w.srv.Requests()) == 2 })
	for _, q := range w.srv.Requests() {
		if q.ID == ir.ID && (q.State != chatops.StateFinished || q.RunStatus != string(res.Report.Run.Status)) {
			t.Errorf("resumed request: %s %s", q.State, q.RunStatus)
		}
	}
	if n := w.countAudit(chatops.AuditResolvedByResume, ""); n != 1 {
		t.Errorf("resolution audited %d times", n)
	}
}

func countPlans(w *world) int {
	n := 0
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.postMessage" && strings.Contains(c.Fields.Get("blocks"), chatops.ActionApprove) {
			n++
		}
	}
	return n
}
