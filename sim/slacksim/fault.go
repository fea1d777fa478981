// Injected faults: a Slack error, an HTTP status, a hang or a reset, per method.

package slacksim

import "io"
import "net/http"
import "strconv"
import "time"

import "github.com/keyir/keyir/sim/simhttp"

// fault returns the fault that applies to a request of method, consuming
// one use (or one of the requests it lets through first).
func (s *Server) fault(method, httpMethod string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method == method || f.Method == "*") && (f.HTTPMethod == "" || f.HTTPMethod == httpMethod) {
			if f.After > 0 {
				f.After--
				continue
			}
			c := *f
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return &c
		}
	}
	return nil
}

// applyFault answers with the fault and reports whether it did.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, call *Call) bool {
	f := s.fault(call.Method, r.Method)
	if f == nil {
		return false
	}
	switch {
	case f.Latency > 0:
		select {
		case <-time.After(f.Latency):
		case <-r.Context().Done():
		case <-s.hangs:
		}
		return false
	case f.Error != "":
		call.Status, call.Error = 200, f.Error
		s.record(*call)
		writeJSON(w, 200, reply{"ok": false, "error": f.Error})
	case f.Status != 0:
		call.Status = f.Status
		s.record(*call)
		if f.Status == http.StatusTooManyRequests {
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			w.Header().Set("Retry-After", strconv.Itoa(int((ra+time.Second-1)/time.Second)))
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.Status)
		io.WriteString(w, "<html>simulated failure</html>")
	case f.Hang:
		call.Error = "hang"
		s.record(*call)
		select {
		case <-r.Context().Done():
		case <-s.hangs:
		}
	case f.Truncate:
		call.Status, call.Error = 200, "truncated"
		s.record(*call)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", "96")
		w.WriteHeader(200)
		io.WriteString(w, `{"ok":true,"url":"https://keyir-sim.slack.com/","te`)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	case f.Reset:
		call.Error = "reset"
		s.record(*call)
		simhttp.Drop(w) // RST, not FIN
	case f.BareNotOK:
		call.Status, call.Error = 200, "ok:false without an error"
		s.record(*call)
		writeJSON(w, 200, reply{"ok": false})
	default:
		return false
	}
	return true
}

// ClearFaults removes every injected fault not yet used up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}
