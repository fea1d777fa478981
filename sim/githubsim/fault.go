package githubsim

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

const (
	// FaultStatus answers Fault.Status (default 500) with GitHub's error body.
	FaultStatus FaultKind = "status"
	// FaultSecondary answers GitHub's secondary rate limit: Fault.Status
	// (403 by default, or 429) with Retry-After: Fault.RetryAfter seconds.
	FaultSecondary FaultKind = "secondary"
	// FaultReset closes the connection with a TCP RST. net/http retries an
	// idempotent request once on a reused connection, so inject two.
	FaultReset FaultKind = "reset"
	// FaultTimeout sends nothing until the client gives up (at most MaxHang).
	FaultTimeout FaultKind = "timeout"
	// FaultTruncate sends the real status and headers and half the body.
	FaultTruncate FaultKind = "truncate"
	// FaultLatency only delays the request by Fault.Latency.
	FaultLatency FaultKind = "latency"
)

// MaxHang bounds a FaultTimeout.
const MaxHang = 2 * time.Minute

// Fault is an injected failure.
type Fault struct {
	Method     string // "" = any
	Route      string // "GET /user", "" = any
	After      int    // let this many matching requests through first
	Times      int    // how many fail; 0 = every one after After
	Kind       FaultKind
	Status     int
	RetryAfter int // FaultSecondary: seconds (default 1)
	Latency    time.Duration
}

type faultState struct {
	Fault
	seen, fired int
}

// InjectFault adds a fault; every matching fault counts the request, the
// first one due fires.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFault(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due *Fault
	for _, f := range s.faults {
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

// applyFault acts f out; it reports whether the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, idx int) bool {
	if f.Latency > 0 && !sleep(r.Context(), f.Latency) {
		return true
	}
	var resp response
	switch f.Kind {
	case FaultStatus:
		st := f.Status
		if st == 0 {
			st = http.StatusInternalServerError
		}
		resp = ghError(st, http.StatusText(st), docsRoot)
	case FaultSecondary:
		st := f.Status
		if st == 0 {
			st = http.StatusForbidden
		}
		resp = ghError(st, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
		resp.header.Set("Retry-After", strconv.Itoa(max(f.RetryAfter, 1)))
	case FaultTimeout:
		sleep(r.Context(), MaxHang)
		drop(w)
		return true
	case FaultReset:
		drop(w)
		return true
	default:
		return false // latency and truncate: ServeHTTP goes on
	}
	s.mu.Lock()
	s.reqs[idx].Status = resp.status
	s.mu.Unlock()
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	return true
}

// drop closes the client connection without an answer (RST).
func drop(w http.ResponseWriter) {
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

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
