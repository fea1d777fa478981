package githubsim

import "net/http"

import "github.com/keyir/keyir/sim/simhttp"

// The request contract: under `go test` the simulator checks every request
// against what GitHub's REST description declares for the operation, and
// records each departure as a Violation without changing its answer (GitHub
// ignores a query parameter it does not know; an unknown path is a 404). The
// contract package installs the description's own request validation with
// SetRequestValidator; a test fails on ContractViolations. GitHub's
// description declares no headers, so headers are not checked.

// Violation is one request that departs from GitHub's description.
type Violation = simhttp.Violation

var contract = simhttp.NewContract(simhttp.ContractOptions{Package: "github.com/keyir/keyir/sim/githubsim"})

// SetRequestChecking turns the request check on or off for the process and
// returns the previous setting (on by default under go test).
func SetRequestChecking(on bool) bool { return contract.SetChecking(on) }

// SetRequestValidator installs a check run on every request with its body;
// each string it returns is recorded as a Violation. nil removes it.
func SetRequestValidator(f func(r *http.Request, body []byte) []string) { contract.SetValidator(f) }

// ContractViolations returns every violation any server of the process recorded.
func ContractViolations() []Violation { return contract.Violations() }

// ResetContractViolations forgets them (after a test that sends wrong requests on purpose).
func ResetContractViolations() { contract.Reset() }

func (s *Server) checkRequest(rt *route, known bool, r *http.Request, body []byte) {
	switch {
	case rt != nil:
		s.CheckContract("", r, body, &simhttp.Operation{Name: rt.name, Query: rt.query}, "")
	case known:
		s.CheckContract("", r, body, nil, "the path has no such method")
	default:
		s.CheckContract("", r, body, nil, "no such operation")
	}
}
