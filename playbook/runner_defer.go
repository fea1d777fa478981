package playbook

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// A step that tells someone (a notification) must not do so before
// everything journaled before it is on disk. Most such steps wait for a group
// commit before they act. A step whose action tells only through its
// recorder's AfterCommit (notify "opened": it queues an event for delivery in
// the background) needs no commit of its own: it acts at once, and what it
// tells waits for the next commit, which the next step makes before it acts
// (or the run's end). So a notification between the reads and a revocation
// costs the revocation no extra fsync: one commit covers the read step's
// end, the notification's start and end and the revocation's start, and the
// notification is queued right after it, before the DELETE leaves.

// afterCommitTeller is an action that tells anyone only through
// Recorder.AfterCommit when it says so (TellsAfterCommit).
type afterCommitTeller interface {
	TellsAfterCommit() bool
}

// tellsAfterCommit reports whether act tells only after the next commit.
func tellsAfterCommit(act actions.Action) bool {
	t, ok := act.(afterCommitTeller)
	return ok && t.TellsAfterCommit()
}

// deferCommit is beforeActing for a step that tells only after a commit:
// no fsync now; the commit that announces the previous step's end and this
// step's start, and runs what the step asked to run after it, is the next
// one made (see settle).
func (e *execution) deferCommit(s *report.Step, rec *stepRecorder, prev *report.Step) {
	c := &pendingCommit{done: make(chan struct{}), prev: e.commit, told: prev, started: *s, deferred: true}
	e.commit, rec.commit = c, c
}

// complete makes the deferred commit c: one group commit of everything
// written so far, then, in order after the commits before it, the
// announcements and what the step asked to run after it.
func (e *execution) complete(c *pendingCommit) {
	c.once.Do(func() { e.completeOnce(c) })
	<-c.done
}

func (e *execution) completeOnce(c *pendingCommit) {
	if p := c.prev; p != nil && p.deferred {
		e.complete(p) // announced first, in order
	}
	err := e.sync()
	if c.prev != nil {
		if <-c.prev.done; err == nil {
			err = c.prev.err
		}
	}
	c.mu.Lock()
	c.err, c.fired = err, true
	after := c.after
	c.after = nil
	c.mu.Unlock()
	if err == nil {
		e.announce(c.told, c.started)
		for _, fn := range after {
			fn()
		}
	}
	close(c.done)
}

// AfterCommit runs fn once everything the step journaled so far (its start
// included) is on disk: at once when that is so already, after the step's
// commit when it is pending. When that commit fails fn never runs (the run
// stops there). A step that tells anyone this way says so with
// TellsAfterCommit, and then does not wait for a commit before it acts.
func (r *stepRecorder) AfterCommit(fn func()) {
	c := r.commit
	if c == nil { // the step's commit completed before it acted
		fn()
		return
	}
	c.mu.Lock()
	if !c.fired {
		c.after = append(c.after, fn)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if <-c.done; c.err == nil {
		fn()
	}
}
