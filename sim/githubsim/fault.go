package githubsim

import "net/http"
import "strconv"

import "github.com/keyir/keyir/sim/simhttp"

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
	// FaultLinkLoop answers 200 with an empty list whose Link header names
	// a next page that is always page 2: a broken or hostile server's
	// pagination that never ends.
	FaultLinkLoop FaultKind = "link-loop"
	// FaultNull answers 200 with the JSON null: no list at all.
	FaultNull FaultKind = "null"
)

// MaxHang bounds a FaultTimeout.
const MaxHang = simhttp.MaxHang

// secondary answers a FaultSecondary, FaultLinkLoop or FaultNull (simhttp
// plays the other kinds).
func secondary(f *Fault) (response, bool) {
	if f.Kind == FaultNull {
		return jsonResp(http.StatusOK, nil), true
	}
	if f.Kind == FaultLinkLoop {
		return jsonResp(http.StatusOK, []any{}).With(http.Header{"Link": {`<https://api.github.com/loop?per_page=100&page=2>; rel="next"`}}), true
	}
	if f.Kind != FaultSecondary {
		return response{}, false
	}
	resp := ghError(f.StatusOr(http.StatusForbidden), "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits")
	resp.Header.Set("Retry-After", strconv.Itoa(max(f.RetryAfter, 1)))
	return resp, true
}
