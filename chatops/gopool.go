package chatops

import "time"

// Socket Mode hands keyir a burst of envelopes at once, each handled on its
// own goroutine. A new goroutine starts on a 2 KiB stack and a command's
// handling (parse, audit, record: JSON encoding is deep) needs several
// times that: profiled over 30 bursts in a row, growing the stacks of the
// new goroutines (fresh stack memory, frames copied) was about a fifth of
// the CPU spent per envelope before its commit. A goroutine that has
// handled one envelope keeps its grown stack, so the pool keeps them for
// the next burst (the first burst after a pause gets new ones). The HTTP
// adapter does not use it: net/http runs each connection on its own
// goroutine, and handing the command to a pooled one showed no gain in the
// one-burst benchmark.

// goPool runs functions on goroutines it keeps for idle after their last
// one; a function that finds none idle gets a new goroutine. It never
// bounds or queues work: each function starts at once, as with go.
type goPool struct {
	work chan func()
	idle time.Duration
}

func newGoPool(idle time.Duration) *goPool {
	return &goPool{work: make(chan func()), idle: idle}
}

// goIdle: how long a pooled goroutine waits for the next function.
const goIdle = 10 * time.Second

// do runs fn on an idle pooled goroutine, or on a new one.
func (p *goPool) do(fn func()) {
	select {
	case p.work <- fn:
	default:
		go p.worker(fn)
	}
}

func (p *goPool) worker(fn func()) {
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		fn()
		fn = nil // not kept alive while waiting
		t.Reset(p.idle)
		select {
		case fn = <-p.work:
		case <-t.C:
			return
		}
	}
}
