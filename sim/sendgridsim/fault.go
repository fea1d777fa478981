package sendgridsim

import (
	"net"
	"net/http"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind string

const (
	// FaultStatus answers Fault.Status with a SendGrid error body.
	FaultStatus FaultKind = "status"
	// FaultTimeout sends nothing until the client gives up or the server shuts down (bounded
	// by MaxHang), then drops the connection.
	FaultTimeout FaultKind = "timeout"
	// FaultReset hijacks the connection and closes it (with SO_LINGER 0, so a TCP RST).
	// net/http's client retries an idempotent request once on a reused connection that dies
	// before answering, so a single reset (Times: 1) can be invisible to a Go client.
	FaultReset FaultKind = "reset"
	// FaultTruncate sends the real status and headers but only the first half of the body.
	FaultTruncate FaultKind = "truncate"
	// FaultLatency only delays the request by Fault.Latency, then handles it normally.
	FaultLatency FaultKind = "latency"
)

// MaxHang bounds a FaultTimeout.
const MaxHang = 2 * time.Minute

// Fault is an injected failure.
type Fault struct {
	Method  string // "" = any
	Route   string // route name as in Config.Limits ("GET /v3/scopes"), "" = any
	After   int    // let this many matching requests through first
	Times   int    // how many matching requests fail; 0 = every one after After
	Kind    FaultKind
	Status  int           // FaultStatus: the status to answer (default 500)
	Latency time.Duration // delay before the fault acts
}

type faultState struct {
	Fault
	seen, fired int
}

// InjectFault adds a fault. Faults are checked in the order injected; every matching fault
// counts the request, the first one due fires.
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

// applyFault acts out f; it reports whether the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, idx int) bool {
	if f.Latency > 0 && !sleep(r.Context(), f.Latency) {
		return true
	}
	switch f.Kind {
	case FaultStatus:
		st := f.Status
		if st == 0 {
			st = http.StatusInternalServerError
		}
		resp := errResp(st, nil, http.StatusText(st))
		s.setStatus(idx, st)
		for k, v := range resp.header {
			w.Header()[k] = v
		}
		w.WriteHeader(st)
		_, _ = w.Write(resp.body)
		return true
	case FaultTimeout:
		sleep(r.Context(), MaxHang)
		drop(w)
		return true
	case FaultReset:
		drop(w)
		return true
	}
	return false // latency and truncate: ServeHTTP handles the request
}

// drop closes the client connection without an answer.
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
