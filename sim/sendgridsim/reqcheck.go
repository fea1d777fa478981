package sendgridsim

import "net/http"

import "github.com/keyir/keyir/sim/simhttp"

// The request contract: under `go test` the simulator checks every request it receives
// against what the official spec declares for the operation (its query parameters and
// headers), and records each departure as a Violation. It never changes its answer because of
// one (it stays as faithful as SendGrid, which ignores what it does not know); the tests of
// each package that drives the simulator fail on the recorded violations (contract.RunMain in
// their TestMain).

// Violation is one request that departs from the official spec (Host: RegionGlobal or RegionEU).
type Violation = simhttp.Violation

// ContractLogEnv names a file every violation is also appended to, one line each, so a test
// that runs keyir in a subprocess (the test binary as main) still sees what a simulator
// inside that subprocess recorded. contract.RunMain sets it.
const ContractLogEnv = "KEYIR_SIM_CONTRACT_LOG"

var contract = simhttp.NewContract(simhttp.ContractOptions{
	Package: "github.com/keyir/keyir/sim/sendgridsim", Headers: true, LogEnv: ContractLogEnv,
})

// SetRequestChecking turns the request contract check on or off for the whole process and
// returns the previous setting. It is on by default under `go test`, off otherwise.
func SetRequestChecking(on bool) bool { return contract.SetChecking(on) }

// SetRequestValidator installs a process-wide check run on every request (with its body) while
// request checking is on, in addition to the declared-parameter check; each string it returns
// is recorded as a Violation. The contract package installs libopenapi-validator's request
// validation with it. nil removes it.
func SetRequestValidator(f func(r *http.Request, body []byte) []string) { contract.SetValidator(f) }

// ContractViolations returns every violation recorded by any server of this process, in order.
func ContractViolations() []Violation { return contract.Violations() }

// ResetContractViolations forgets the process-wide violations (a test that sends wrong
// requests on purpose clears what it caused).
func ResetContractViolations() { contract.Reset() }

// checkRequest records how r departs from the spec's declaration of its operation.
func (s *Server) checkRequest(region string, rt *route, known bool, r *http.Request, body []byte) {
	var op *simhttp.Operation
	missing := ""
	switch {
	case rt != nil:
		op = &simhttp.Operation{Name: rt.name, Query: rt.query, Headers: rt.headers}
	case region == RegionEU && euMissing(r.Method, r.URL.Path):
		missing = "the spec serves this operation only on the global host (https://api.sendgrid.com)"
	case known:
		missing = "the path has no such method"
	default:
		missing = "no such operation"
	}
	s.CheckContract(region, r, body, op, missing)
}

// euMissing reports whether a global-only route has this method and path.
func euMissing(method, path string) bool {
	rt, _, _ := match(RegionGlobal, method, path)
	return rt != nil && rt.globalOnly
}

// checkWhile runs checkRequest and returns a function that waits for it to be done: in the
// background when concurrent (the simulator then waits out its injected latency meanwhile),
// else before checkWhile returns. The check is the tests' instrument, not SendGrid's work: it
// never changes the answer, so at a latency it needs no time of its own on the request's path;
// the caller waits before it answers, so every violation is recorded before the client sees
// the answer, as when the check ran first. A panic in the check is raised again by the wait,
// in the handler's goroutine, where net/http contains it as before.
func (s *Server) checkWhile(concurrent bool, region string, rt *route, known bool, r *http.Request, body []byte) (wait func()) {
	if !concurrent {
		s.checkRequest(region, rt, known, r, body)
		return func() {}
	}
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		s.checkRequest(region, rt, known, r, body)
	}()
	return func() {
		if p := <-done; p != nil {
			panic(p)
		}
	}
}
