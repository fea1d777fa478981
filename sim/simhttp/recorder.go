package simhttp

import "net/http"
import "time"

// Recorder is what a simulator's Server keeps of the requests it is sent,
// whatever the provider: the log of them with the contract violations
// found among them, where a test created the server, and the faults
// injected for it. Each Server embeds it, so the methods tests and drills
// call (Requests, Count, ContractViolations, InjectFault, ClearFaults) are
// written once; its ServeHTTP calls Receive, Intercept and CheckContract.
// The zero value records nothing against a contract until Record.
type Recorder struct {
	log      Log
	faults   Faults
	contract *Contract
	origin   string
}

// Record checks the server's requests against c, naming who is creating
// the server (c.Origin): a simulator's New calls it.
func (s *Recorder) Record(c *Contract) { s.contract, s.origin = c, c.Origin() }

// Requests returns a copy of every request received, in arrival order.
func (s *Recorder) Requests() []Request { return s.log.Requests() }

// Count counts requests by method and route ("" matches any).
func (s *Recorder) Count(method, route string) int { return s.log.Count(method, route) }

// ContractViolations returns the violations this server recorded.
func (s *Recorder) ContractViolations() []Violation { return s.log.Violations() }

// InjectFault adds a fault. Faults are checked in the order injected; every
// matching fault counts the request, the first one due fires.
func (s *Recorder) InjectFault(f Fault) { s.faults.Inject(f) }

// ClearFaults removes every fault.
func (s *Recorder) ClearFaults() { s.faults.Clear() }

// Receive logs rec, the request r (Log.Receive), and returns the exchange
// that answers it.
func (s *Recorder) Receive(w http.ResponseWriter, r *http.Request, rec Request) *Exchange {
	return s.log.Receive(w, r, rec)
}

// Intercept plays the faults injected for x's request (Exchange.Intercept).
func (s *Recorder) Intercept(x *Exchange, latency time.Duration, errorBody func(status int, msg string) Response, own func(*Fault) (Response, bool)) (done bool) {
	return x.Intercept(&s.faults, latency, errorBody, own)
}

// CheckContract records how r departs from the contract given to Record
// (Contract.Check); nothing before Record.
func (s *Recorder) CheckContract(host string, r *http.Request, body []byte, op *Operation, missing string) {
	if s.contract != nil {
		s.contract.Check(&s.log, host, s.origin, r, body, op, missing)
	}
}
