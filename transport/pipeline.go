package transport

import "context"
import "sync"

// Recording an exchange (redacting a 180 KB answer, encoding it, writing
// and hashing the record) costs keyir more CPU than reading the answer. A
// caller that sends request after request (the Email Activity sweep) can
// let that work run while it decodes the answer and while the next request
// is in flight: Pipelined.

type pipelineKey struct{}

// pipeline orders the records made under one Pipelined context. At most one
// is outstanding: the guard waits for the previous record before it starts
// the next (or writes any record itself), so records keep the order of
// their exchanges and memory holds one answer more than a synchronous guard.
type pipeline struct {
	mu   sync.Mutex
	last chan struct{} // closed when the latest record is written
	// panicked: what a background record panicked with, raised again in
	// the caller's goroutine by the next settle, where the step's own
	// recover (playbook) turns it into a failed attempt as before.
	panicked any
}

// Pipelined returns a context under which the guard records each answered
// exchange in the background, after handing the answer to the caller, and
// settle, which returns once every such record is written. The caller must
// call settle before its step ends (defer it): a record still being written
// when the step's evidence file closes would be lost. What is recorded, and
// its redaction, is the same as without it; only when differs (a process
// killed mid-step loses the record of the last answered exchange, besides
// the exchange in flight). Requests under any other context are recorded
// before RoundTrip returns, as always.
func Pipelined(ctx context.Context) (context.Context, func()) {
	p := &pipeline{}
	return context.WithValue(ctx, pipelineKey{}, p), p.settle
}

func pipelineOf(ctx context.Context) *pipeline {
	p, _ := ctx.Value(pipelineKey{}).(*pipeline)
	return p
}

// settle waits for the outstanding record, if any. A nil pipeline has none.
func (p *pipeline) settle() {
	if p == nil {
		return
	}
	p.mu.Lock()
	c := p.last
	p.mu.Unlock()
	if c != nil {
		<-c
	}
	p.mu.Lock()
	v := p.panicked
	p.panicked = nil
	p.mu.Unlock()
	if v != nil {
		panic(v)
	}
}

// start waits for the outstanding record, then runs record in the
// background as the new outstanding one.
func (p *pipeline) start(record func()) {
	p.settle()
	done := make(chan struct{})
	p.mu.Lock()
	p.last = done
	p.mu.Unlock()
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				p.mu.Lock()
				p.panicked = v
				p.mu.Unlock()
			}
		}()
		record()
	}()
}
