package simhttp

import "context"
import "net"
import "net/http"
import "sync"
import "time"

// FaultKind is what an injected fault does to a request.
type FaultKind string

const (
	// FaultStatus answers Fault.Status (default 500) with the simulator's
	// error body, and Retry-After when Fault.RetryAfter is set.
	FaultStatus FaultKind = "status"
	// FaultTimeout sends nothing until the client gives up or the server
	// shuts down (bounded by MaxHang), then drops the connection.
	FaultTimeout FaultKind = "timeout"
	// FaultReset hijacks the connection and closes it (SO_LINGER 0: a TCP
	// RST). net/http's client retries an idempotent request once on a reused
	// connection that dies before answering, so a single reset (Times: 1) can
	// be invisible to a Go client: inject two.
	FaultReset FaultKind = "reset"
	// FaultTruncate sends the real status and headers but only the first
	// half of the body.
	FaultTruncate FaultKind = "truncate"
	// FaultLatency only delays the request by Fault.Latency, then the
	// simulator handles it normally.
	FaultLatency FaultKind = "latency"
)

// MaxHang bounds a FaultTimeout.
const MaxHang = 2 * time.Minute

// Fault is an injected failure. A simulator may define kinds of its own
// (GitHub's secondary rate limit); Act leaves those to it.
type Fault struct {
	Method string // "" = any
	Route  string // the simulator's route name ("GET /user"), "" = any
	After  int    // let this many matching requests through first
	Times  int    // how many matching requests fail; 0 = every one after After
	Kind   FaultKind
	Status int // a status fault's status (default: the simulator's)
	// RetryAfter is the Retry-After (seconds) a status fault sends; 0: none.
	RetryAfter int
	Latency    time.Duration // delay before the fault acts
}

// StatusOr is f.Status, or def when it is not set.
func (f Fault) StatusOr(def int) int {
	if f.Status == 0 {
		return def
	}
	return f.Status
}

// Faults is a simulator's list of injected faults; the zero value is empty
// and ready. Safe for concurrent use.
type Faults struct {
	mu   sync.Mutex
	list []*faultState
}

type faultState struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults are checked in the order injected; every
// matching fault counts the request, the first one due fires.
func (q *Faults) Inject(f Fault) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = append(q.list, &faultState{Fault: f})
}

// Clear removes every fault.
func (q *Faults) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.list = nil
}

// Take counts a request of method and route (the simulator's route name, ""
// when none matched) and returns the fault due for it, nil for none.
func (q *Faults) Take(method, route string) *Fault {
	q.mu.Lock()
	defer q.mu.Unlock()
	var due *Fault
	for _, f := range q.list {
		if (f.Method != "" && f.Method != method) || (f.Route != "" && f.Route != route) {
			continue
		}
		f.seen++
		if due == nil && f.seen > f.After && (f.Times == 0 || f.fired < f.Times) {
			f.fired++
			ff := f.Fault
			due = &ff
		}
	}
	return due
}

// Act acts out the part of f that sends no answer: its latency, a timeout, a
// reset. It reports whether the request is finished; if not, the simulator
// answers (a status fault, its own kinds, or the real answer for latency and
// truncate).
func Act(w http.ResponseWriter, r *http.Request, f *Fault) (done bool) {
	if f.Latency > 0 && !Sleep(r.Context(), f.Latency) {
		return true
	}
	switch f.Kind {
	case FaultTimeout:
		Sleep(r.Context(), MaxHang)
		Drop(w)
		return true
	case FaultReset:
		Drop(w)
		return true
	}
	return false
}

// Drop closes the client connection without an answer (a TCP RST).
func Drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// Sleep waits d, or until ctx ends; it reports whether the whole d passed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
