package simhttp

import "net/http"
import "slices"
import "sync"
import "time"

// Request is one request a simulator received.
type Request struct {
	Time time.Time
	// Host is which of a simulator's hosts received it (SendGrid's region);
	// "" for a simulator with one host.
	Host     string
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Status   int    // 0 when no status was sent (reset, timeout)
	Route    string // the simulator's route name, "" if no route matched
}

// Log is what a simulator received: every request, in arrival order, and
// the contract violations among them. The zero value is empty and ready.
// Safe for concurrent use.
type Log struct {
	mu   sync.Mutex
	reqs []Request
	viol []Violation
}

// Add records r and returns its index, for SetStatus.
func (l *Log) Add(r Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, r)
	return len(l.reqs) - 1
}

// SetStatus records the status the request at index i was answered with.
func (l *Log) SetStatus(i, status int) {
	l.mu.Lock()
	l.reqs[i].Status = status
	l.mu.Unlock()
}

// Requests returns a copy of every request received, in arrival order.
func (l *Log) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := slices.Clone(l.reqs)
	for i := range out {
		out[i].Header = out[i].Header.Clone()
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// Count counts received requests by method and route name ("" matches any).
func (l *Log) Count(method, route string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.reqs {
		if (method == "" || r.Method == method) && (route == "" || r.Route == route) {
			n++
		}
	}
	return n
}

// Violations returns the contract violations recorded in this log.
func (l *Log) Violations() []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.viol)
}

func (l *Log) addViolations(vs []Violation) {
	l.mu.Lock()
	l.viol = append(l.viol, vs...)
	l.mu.Unlock()
}
