package chatops

import (
	"context"
	"sync"
	"time"
)

// Work that may follow an acknowledgement (reading the key's details,
// posting the plan to Slack) must not compete with acknowledgements still
// owed: on two CPUs, a burst of 100 commands whose first plans are posted
// while the last commands wait for their answer spends the CPU on the
// former. So the adapters count every request from its arrival to its
// answer (ackGate.begin/end), and background work waits until none is
// owed, then runs a few at a time. The wait is bounded (maxDefer): a
// steady stream of commands delays plans, never starves them.

// ackGate counts requests that are owed an acknowledgement.
type ackGate struct {
	mu    sync.Mutex
	owed  int
	idle  chan struct{} // closed while owed == 0
	slots chan struct{} // bounds the background work running at once
}

// Bounds of the background queue.
const (
	backgroundSlots = 4
	maxDefer        = 2 * time.Second
)

func newAckGate() *ackGate {
	g := &ackGate{idle: make(chan struct{}), slots: make(chan struct{}, backgroundSlots)}
	close(g.idle)
	return g
}

// begin: a request arrived and is owed an answer; end: it got it.
func (g *ackGate) begin() {
	g.mu.Lock()
	if g.owed == 0 {
		g.idle = make(chan struct{})
	}
	g.owed++
	g.mu.Unlock()
}

func (g *ackGate) end() {
	g.mu.Lock()
	g.owed--
	if g.owed == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
}

// quiet returns once no acknowledgement is owed, after maxDefer at most, or
// when stop is closed.
func (g *ackGate) quiet(stop <-chan struct{}) {
	if g == nil {
		return
	}
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	t := time.NewTimer(maxDefer)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-stop:
	}
}

// wait is quiet, then takes one of the background slots; the returned func
// gives it back.
func (g *ackGate) wait(stop <-chan struct{}) func() {
	g.quiet(stop)
	g.slots <- struct{}{}
	return func() { <-g.slots }
}

// afterAcks runs fn in the background once no acknowledgement is owed (see
// ackGate); Wait and Shutdown wait for it. Stopping first, fn does not run:
// what it would have done is left to the next start (Start posts a plan
// that was never posted), not failed by a cancelled context.
func (s *Server) afterAcks(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		release := s.acks.wait(s.runCtx.Done())
		defer release()
		if s.runCtx.Err() != nil {
			return
		}
		fn()
	}()
}

// Wait waits for background work (plans, runs, drills) to finish, or ctx.
func (s *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
