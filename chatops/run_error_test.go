package chatops_test

import "os"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/report"

// loseRunDir removes the run's directory when step starts: the run's
// steps so far have acted, and its end cannot be written (as on a disk
// that fails mid-run).
type loseRunDir struct {
	step string
	mu   sync.Mutex
	dir  string
}

func (g *loseRunDir) RunStarted(_ *report.Report, dir string) {
	g.mu.Lock()
	g.dir = dir
	g.mu.Unlock()
}
func (g *loseRunDir) StepStarted(s report.Step) {
	if s.ID == g.step {
		g.mu.Lock()
		os.RemoveAll(g.dir)
		g.mu.Unlock()
	}
}
func (g *loseRunDir) StepProgress(report.Step, string)   {}
func (g *loseRunDir) StepFinished(report.Step)           {}
func (g *loseRunDir) RunFinished(*report.Report, string) {}

// A run that fails after it started (its revoke done, its end not
// written) did start: on the old code serve said "The run could not
// start", failed the request and freed the key, as if nothing had been
// done. It is interrupted: it holds its key, and the thread says it may
// have changed things and how to go on.
func TestServeRunErrorAfterStartIsNotCalledNotStarted(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.stop()
	w.mods = func(o *chatops.Options) {
		o.RunOptions = func(po *playbook.Options) {
			po.Observer = playbook.Observers{po.Observer, &loseRunDir{step: "notify_close"}}
		}
	}
	w.start()
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-BROKE")
	r := w.request(id, chatops.StatePending)
	w.click(bob, chatops.ActionApprove, r)
	done := w.request(id, chatops.StateFinished, chatops.StateFailed, chatops.StateInterrupted)
	if w.sg.State().KeyLive(id, time.Now()) {
		t.Fatal("the test needs the revoke done before the run breaks")
	}
	if done.State != chatops.StateInterrupted || strings.Contains(done.Detail, "could not start") || !strings.Contains(done.Detail, "keyir resume "+done.RunDir) {
		t.Errorf("a run that revoked the key, then failed: %s %q", done.State, done.Detail)
	}
	var thread string
	waitFor(t, 10*time.Second, "the thread to say the run stopped", func() bool {
		thread = ""
		for _, m := range w.slack.Messages(channel) {
			if m.ThreadTS == r.MessageTS {
				thread += m.Text + "\n"
			}
		}
		return strings.Contains(thread, "stopped with an error after it started")
	})
	if strings.Contains(thread, "could not start") {
		t.Errorf("the thread says the run could not start:\n%s", thread)
	}
	if got := w.command(alice, channel, "revoke "+id); !strings.Contains(got, "interrupted revoke") {
		t.Errorf("the key is not held by the broken run: %q", got)
	}
	w.assertNoLeak(w.fx.LeakedKey)
}
