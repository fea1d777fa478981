package playbook

import "errors"
import "fmt"
import "sync"

import "github.com/keyir/keyir/report"

// The journal's durability rules for a run (see Run): lines written at
// once, one group commit before a step acts (in the background for a step
// that only reads), each event of a mutating step synced, the observers told
// of a step's end once it is durable.

// pendingCommit is a group commit running while a read-only step acts.
type pendingCommit struct {
	done    chan struct{}
	err     error          // set before done is closed
	prev    *pendingCommit // the one before, still running when this began
	told    *report.Step   // the step end it announces
	started report.Step    // the step start it announces
	// deferred: no fsync runs yet; the next one completes it (see
	// deferCommit).
	deferred bool

	once  sync.Once // complete runs once
	mu    sync.Mutex
	fired bool     // after was taken (err is set)
	after []func() // what the step runs once the commit is done (AfterCommit)
}

// write journals ev without waiting for the disk (see report.Store.Write):
// the next sync (before the next step acts, or while a read-only one does)
// makes it durable.
func (e *execution) write(ev report.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.st.Write(ev); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// sync makes everything journaled so far durable: concurrent callers share
// one fsync.
func (e *execution) sync() error {
	if err := e.st.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// append journals ev and waits until it is on disk.
func (e *execution) append(ev report.Event) error {
	if err := e.write(ev); err != nil {
		return err
	}
	return e.sync()
}

// tell gives the observers the end of the previous step, once it is durable
// (or the run cannot go on): they never announce what a crash could undo.
// The caller holds obsMu.
func (e *execution) tell() {
	if s := e.untold; s != nil {
		e.untold = nil
		e.o.Observer.StepFinished(*s)
	}
}

// announce tells the observers of the previous step's end, now durable, and
// of s's start.
func (e *execution) announce(prev *report.Step, s report.Step) {
	e.obsMu.Lock()
	defer e.obsMu.Unlock()
	if prev != nil {
		e.o.Observer.StepFinished(*prev)
	}
	e.o.Observer.StepStarted(s)
}

// beforeActing makes the step's start and everything before it durable
// before the step acts: at once (one group commit), or, for a step that only
// reads when no step since the last completed commit told anyone (each only
// read, or changed something and synced its events), in the background
// while it acts (see Run). The observers hear of the previous
// step's end and of this step's start once the commit has completed.
func (e *execution) beforeActing(s *report.Step, rec *stepRecorder, reads, tellsAfter bool) error {
	rec.reads = reads
	prev := e.untold
	e.untold = nil
	if tellsAfter {
		e.deferCommit(s, rec, prev)
		return nil
	}
	if !reads || e.acted {
		if err := errors.Join(e.settle(), e.sync()); err != nil {
			e.untold = prev
			return err
		}
		e.acted = false
		e.announce(prev, *s)
		return nil
	}
	c := &pendingCommit{done: make(chan struct{}), prev: e.commit, told: prev, started: *s}
	go e.complete(c)
	e.commit, rec.commit = c, c
	return nil
}

// settle waits for the commits read-only steps did not wait for.
func (e *execution) settle() error {
	c := e.commit
	if c == nil {
		return nil
	}
	if c.deferred {
		e.complete(c)
	}
	<-c.done
	e.commit = nil
	if c.err != nil && e.untold == nil {
		e.untold = c.told // never announced: the failure's report tells it
	}
	return c.err
}

// progress tells the observers of a step's progress, after its start.
func (e *execution) progress(rec *stepRecorder, s report.Step, text string) {
	if c := rec.commit; c != nil {
		if c.deferred {
			return // its start is not announced before the next commit: nor is its progress
		}
		if <-c.done; c.err != nil {
			return // the step's start was never announced; its failure will be
		}
	}
	e.obsMu.Lock()
	defer e.obsMu.Unlock()
	e.o.Observer.StepProgress(s, text)
}

// record journals an event of step s: at once on disk for a step that
// changes something outside keyir (what it did must not be lost before it
// does more), else with the step's end.
func (e *execution) record(s *report.Step, ev report.Event) error {
	if s.Mutates {
		return e.append(ev)
	}
	return e.write(ev)
}
