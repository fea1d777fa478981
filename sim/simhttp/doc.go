// Package simhttp is the plumbing every keyir simulator shares: the knobs
// every simulator's Config has and the rule of a revocation's propagation
// (Base), what its Server keeps of the requests it is sent (Recorder), a
// loopback listener (Listen), injected faults (Faults, Act), the log of what
// a simulator received (Log), the way every answer goes out (Response,
// Exchange: logged, faults played, sent, observed), the scenario catalog
// (Named, Lookup, SeededRand) and the request-contract
// recorder that, under `go test`, records each request departing from the
// provider's published description (Contract). It knows no provider: each simulator supplies its
// own routes, error bodies and descriptions. It imports nothing of keyir, so
// any simulator can sit on it.
package simhttp
