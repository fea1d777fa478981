package chatops

import "context"
import "sync"
import "time"

// Work that may follow an acknowledgement (reading the key's details,
// posting the plan to Slack) must not compete with acknowledgements still
// owed: on two CPUs, a burst of 100 commands whose first plans are posted
// while the last commands wait for their answer spends the CPU on the
// former. So the adapters count every request from its arrival to its
// answer (ackGate.begin/end), and background work waits until none is
// owed, then runs a few at a time. The wait is bounded (maxDefer): a
// steady stream of commands delays plans, never starves them.
//
// "None owed" is not yet "answered": a request stops being owed when its
// answer is handed over (to the Socket Mode client's sender, to net/http),
// before it is written. Background work started at that instant kept the
// last answers of a burst off the wire: on 2 CPUs its goroutines fill the
// run queues, the Socket Mode client's sender waits behind them, and a
// reader woken by the network (the peer's, in a benchmark sharing the
// process; keyir's own, for the next envelopes) is noticed only when a CPU
// runs out of work. So background work also waits until none has been owed
// for ackGrace (scratch traces, 6 bursts each way: the last ack reached the
// simulator 0.5–7.4 ms after it was handed over without it, 0.03–0.3 ms
// with it).

// ackGate counts requests that are owed an acknowledgement.
type ackGate struct {
	mu    sync.Mutex
	owed  int
	idle  chan struct{} // closed while owed == 0
	since time.Time     // when owed last fell to 0 (zero: never owed)
	slots chan struct{} // bounds the background work running at once

	queue   []func() // afterAcks work not started yet (mu)
	running bool     // a dispatcher runs the queue (mu)
}

// Bounds of the background queue.
const (
	backgroundSlots = 4
	maxDefer        = 2 * time.Second
	ackGrace        = 3 * time.Millisecond
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
	disk.owed.Add(1)
}

func (g *ackGate) end() {
	disk.owed.Add(-1)
	disk.nudge() // a lingering commit may have been waiting for this one
	g.mu.Lock()
	g.owed--
	if g.owed == 0 {
		g.since = time.Now()
		close(g.idle)
	}
	g.mu.Unlock()
}

// quiet returns once no acknowledgement has been owed for ackGrace, after
// maxDefer at most, or when stop is closed.
func (g *ackGate) quiet(stop <-chan struct{}) {
	if g == nil {
		return
	}
	t := time.NewTimer(maxDefer)
	defer t.Stop()
	for {
		g.mu.Lock()
		idle, since := g.idle, g.since
		g.mu.Unlock()
		select {
		case <-idle:
		case <-t.C:
			return
		case <-stop:
			return
		}
		rest := ackGrace - time.Since(since)
		if since.IsZero() || rest <= 0 {
			g.mu.Lock()
			still := g.since.Equal(since) && g.owed == 0
			g.mu.Unlock()
			if still {
				return
			}
			continue // owed again meanwhile
		}
		grace := time.NewTimer(rest)
		select {
		case <-grace.C:
		case <-t.C:
			grace.Stop()
			return
		case <-stop:
			grace.Stop()
			return
		}
	}
}

// afterAcks runs fn in the background once no acknowledgement is owed (see
// ackGate); Wait and Shutdown wait for it. Stopping first, fn does not run:
// what it would have done is left to the next start (Start posts a plan
// that was never posted), not failed by a cancelled context. fn is queued,
// not given a goroutine of its own at once: a burst of 100 commands made
// 100 goroutines (creating them was about a tenth of a command's CPU
// before its answer) that only waited; one dispatcher waits instead.
func (s *Server) afterAcks(fn func()) {
	s.wg.Add(1)
	g := s.acks
	g.mu.Lock()
	g.queue = append(g.queue, fn)
	start := !g.running
	g.running = true
	g.mu.Unlock()
	if start {
		go s.dispatchAfterAcks()
	}
}

// dispatchAfterAcks starts the queued work once it is quiet, each in one
// of the background slots, until the queue is empty.
func (s *Server) dispatchAfterAcks() {
	g := s.acks
	for {
		g.quiet(s.runCtx.Done())
		g.mu.Lock()
		q := g.queue
		g.queue = nil
		if len(q) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		for _, fn := range q {
			g.slots <- struct{}{}
			s.pool.do(func() {
				defer s.wg.Done()
				defer func() { <-g.slots }()
				if s.runCtx.Err() == nil {
					fn()
				}
			})
		}
	}
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
