package chatops

import "context"
import "runtime"
import "sync/atomic"
import "testing"
import "time"

// Background work starts only once no answer has been owed for ackGrace:
// the last answer handed over is not on the wire yet.
func TestBackgroundWaitsForAQuietMomentAfterTheLastAnswer(t *testing.T) {
	g := newAckGate()
	g.begin()
	g.end()
	g.begin() // owed again: quiet must wait for the end below, then ackGrace
	returned := make(chan time.Time)
	go func() {
		g.quiet(nil)
		returned <- time.Now()
	}()
	time.Sleep(time.Millisecond)
	ended := time.Now()
	g.end()
	if d := (<-returned).Sub(ended); d < ackGrace {
		t.Fatalf("quiet returned %s after the last answer was handed over, want at least %s", d, ackGrace)
	}
	// A gate never owed anything is quiet at once.
	start := time.Now()
	newAckGate().quiet(nil)
	if d := time.Since(start); d >= ackGrace {
		t.Fatalf("quiet on an unused gate took %s", d)
	}
}

// Work queued behind answers owed waits without a goroutine each, and all
// of it runs once they are answered; Wait waits for it.
func TestAfterAcksQueuesWithoutAGoroutineEach(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &Server{acks: newAckGate(), pool: newGoPool(time.Second), runCtx: ctx}
	s.acks.begin()
	before := runtime.NumGoroutine()
	const n = 100
	var ran atomic.Int64
	for range n {
		s.afterAcks(func() { ran.Add(1) })
	}
	if grew := runtime.NumGoroutine() - before; grew > 5 {
		t.Errorf("%d goroutines more for %d queued functions, want a dispatcher", grew, n)
	}
	time.Sleep(2 * ackGrace)
	if got := ran.Load(); got != 0 {
		t.Fatalf("%d functions ran while an answer was owed", got)
	}
	s.acks.end()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := s.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	if got := ran.Load(); got != n {
		t.Fatalf("%d of %d functions ran", got, n)
	}
}
