package githubsim

import (
	"net/http"
	"strconv"

	"github.com/keyir/keyir/sim/simhttp"
)

// Fault is an injected failure (simhttp.Fault: Method, Route such as
// "GET /user", After, Times, Kind, Status, RetryAfter, Latency).
type Fault = simhttp.Fault

// FaultKind is what an injected fault does to a request.
type FaultKind = simhttp.FaultKind

// The kinds of fault: simhttp's, and GitHub's secondary rate limit.
const (
	FaultStatus   = simhttp.FaultStatus // Fault.Status (default 500) with GitHub's error body
	FaultReset    = simhttp.FaultReset
	FaultTimeout  = simhttp.FaultTimeout
	FaultTruncate = simhttp.FaultTruncate
	FaultLatency  = simhttp.FaultLatency
	// FaultSecondary answers GitHub's secondary rate limit: Fault.Status
	// (403 by default, or 429) with Retry-After: Fault.RetryAfter seconds
	// (default 1).
	FaultSecondary FaultKind = "secondary"
)

// MaxHang bounds a FaultTimeout.
const MaxHang = simhttp.MaxHang

// InjectFault adds a fault; every matching fault counts the request, the
// first one due fires.
func (s *Server) InjectFault(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every fault.
func (s *Server) ClearFaults() { s.faults.Clear() }

// applyFault acts f out; it reports whether the request is finished.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, idx int) bool {
	if simhttp.Act(w, r, f) {
		return true
	}
	var resp response
	switch f.Kind {
	case FaultStatus:
		st := f.StatusOr(http.StatusInternalServerError)
		resp = ghError(st, http.StatusText(st), docsRoot)
		if f.RetryAfter > 0 {
			resp.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
		}
	case FaultSecondary:
		resp = ghError(f.StatusOr(http.StatusForbidden), "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
		resp.header.Set("Retry-After", strconv.Itoa(max(f.RetryAfter, 1)))
	default:
		return false // latency and truncate: ServeHTTP goes on
	}
	s.log.SetStatus(idx, resp.status)
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
	return true
}
