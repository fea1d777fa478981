// Injected faults: a Slack error, an HTTP status, a hang or a reset, per method.

package slacksim

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// fault returns the fault that applies to method, consuming one use.
func (s *Server) fault(method string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method == method || f.Method == "*" {
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
	f := s.fault(call.Method)
	if f == nil {
		return false
	}
	switch {
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
	case f.Reset:
		call.Error = "reset"
		s.record(*call)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	default:
		return false
	}
	return true
}
