package githubsim

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The request contract: under `go test` the simulator checks every request
// against what GitHub's REST description declares for the operation, and
// records each departure as a Violation without changing its answer (GitHub
// ignores a query parameter it does not know; an unknown path is a 404). The
// contract package installs the description's own request validation with
// SetRequestValidator; a test fails on ContractViolations.

// Violation is one request that departs from GitHub's description.
type Violation struct {
	Method  string
	Path    string // as sent, with the query
	Route   string // "" when no operation matched
	Problem string
	Origin  string // the test that created the server
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s [simulator created by %s]", v.Method, v.Path, v.Problem, v.Origin)
}

var (
	checking  = testing.Testing()
	vmu       sync.Mutex
	violated  []Violation
	validator func(r *http.Request, body []byte) []string
)

// SetRequestChecking turns the request check on or off for the process and
// returns the previous setting (on by default under go test).
func SetRequestChecking(on bool) bool {
	vmu.Lock()
	defer vmu.Unlock()
	prev := checking
	checking = on
	return prev
}

// SetRequestValidator installs a check run on every request with its body;
// each string it returns is recorded as a Violation. nil removes it.
func SetRequestValidator(f func(r *http.Request, body []byte) []string) {
	vmu.Lock()
	validator = f
	vmu.Unlock()
}

// ContractViolations returns every violation any server of the process recorded.
func ContractViolations() []Violation {
	vmu.Lock()
	defer vmu.Unlock()
	return slices.Clone(violated)
}

// ResetContractViolations forgets them (after a test that sends wrong requests on purpose).
func ResetContractViolations() {
	vmu.Lock()
	violated = nil
	vmu.Unlock()
}

// ContractViolations returns the violations this server recorded.
func (s *Server) ContractViolations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.viol)
}

func (s *Server) checkRequest(rt *route, known bool, r *http.Request, body []byte) {
	vmu.Lock()
	on, vf := checking, validator
	vmu.Unlock()
	if !on {
		return
	}
	var problems []string
	switch {
	case rt == nil && known:
		problems = append(problems, "the path has no such method")
	case rt == nil:
		problems = append(problems, "no such operation")
	default:
		var names []string
		for k := range r.URL.Query() {
			if !slices.Contains(rt.query, k) {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			problems = append(problems, fmt.Sprintf("query parameter %q is not declared for %s", k, rt.name))
		}
		if vf != nil {
			problems = append(problems, vf(r, body)...)
		}
	}
	if len(problems) == 0 {
		return
	}
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	name := ""
	if rt != nil {
		name = rt.name
	}
	vs := make([]Violation, 0, len(problems))
	for _, p := range problems {
		vs = append(vs, Violation{Method: r.Method, Path: path, Route: name, Problem: p, Origin: s.origin})
	}
	s.mu.Lock()
	s.viol = append(s.viol, vs...)
	s.mu.Unlock()
	vmu.Lock()
	violated = append(violated, vs...)
	vmu.Unlock()
}

// creator names the test that created a server (only while checking: it walks the stack).
func creator() string {
	vmu.Lock()
	on := checking
	vmu.Unlock()
	if !on {
		return ""
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if i := strings.LastIndex(f.Function, ".Test"); i >= 0 {
			return f.Function[strings.LastIndex(f.Function, "/")+1:]
		}
		if !more {
			return ""
		}
	}
}
