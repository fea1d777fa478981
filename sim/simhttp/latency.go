package simhttp

import "context"
import "runtime"
import "time"

// latencyTail is the end of an injected latency that Latency waits without
// a timer (see Latency).
const latencyTail = time.Millisecond

// Latency waits d, a simulator's injected latency, or until ctx ends; it
// reports whether the whole d passed. Unlike Sleep it ends within
// microseconds of d: when the process is idle the Go runtime's poller
// sleeps in whole milliseconds, so a timer alone fires up to a millisecond
// late (0.3–1 ms at 50 ms), and a benchmark whose floor counts the latency
// exactly would charge the client for the simulator's clock. A timer waits
// all but the last millisecond; the rest is waited yielding the processor
// (at most a millisecond of CPU per answer, only when a latency is set).
func Latency(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	if d > latencyTail && !Sleep(ctx, d-latencyTail) {
		return false
	}
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return false
		}
		runtime.Gosched()
	}
	return true
}
