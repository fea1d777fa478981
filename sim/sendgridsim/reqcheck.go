package sendgridsim

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The request contract: under `go test` the simulator checks every request it receives
// against what the official spec declares for the operation, and records each departure as
// a Violation. It never changes its answer because of one (it stays as faithful as SendGrid,
// which ignores what it does not know); the tests of each package that drives the simulator
// fail on the recorded violations (contract.RunMain in their TestMain).

// Violation is one request that departs from the official spec.
type Violation struct {
	Host   string // RegionGlobal or RegionEU
	Method string
	Path   string // as sent, with the query
	Route  string // the operation, "" when no operation matched
	// Problem says what is wrong: an undeclared query parameter or header, an operation the
	// spec does not have (on that host), or what the installed RequestValidator found.
	Problem string
	// Origin is where the server was created: the test function and the first caller outside
	// this package, so a failure names the test that sent the request.
	Origin string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s (%s host): %s [simulator created by %s]", v.Method, v.Path, v.Host, v.Problem, v.Origin)
}

// standardHeaders are HTTP's own headers, never declared per operation.
var standardHeaders = []string{
	"accept", "accept-encoding", "authorization", "connection", "content-length", "content-type",
	"host", "te", "transfer-encoding", "user-agent",
}

var (
	checking = testing.Testing()

	vmu       sync.Mutex
	violated  []Violation
	validator func(r *http.Request, body []byte) []string
)

// SetRequestChecking turns the request contract check on or off for the whole process and
// returns the previous setting. It is on by default under `go test`, off otherwise.
func SetRequestChecking(on bool) bool {
	vmu.Lock()
	defer vmu.Unlock()
	prev := checking
	checking = on
	return prev
}

// SetRequestValidator installs a process-wide check run on every request (with its body) while
// request checking is on, in addition to the declared-parameter check; each string it returns
// is recorded as a Violation. The contract package installs libopenapi-validator's request
// validation with it. nil removes it.
func SetRequestValidator(f func(r *http.Request, body []byte) []string) {
	vmu.Lock()
	validator = f
	vmu.Unlock()
}

// ContractViolations returns every violation recorded by any server of this process, in order.
func ContractViolations() []Violation {
	vmu.Lock()
	defer vmu.Unlock()
	return slices.Clone(violated)
}

// ResetContractViolations forgets the process-wide violations (a test that sends wrong
// requests on purpose clears what it caused).
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

// checkRequest records how r departs from the spec's declaration of its operation.
func (s *Server) checkRequest(region string, rt *route, known bool, r *http.Request, body []byte) {
	vmu.Lock()
	on, vf := checking, validator
	vmu.Unlock()
	if !on {
		return
	}
	var problems []string
	switch {
	case rt == nil && region == RegionEU && euMissing(r.Method, r.URL.Path):
		problems = append(problems, "the spec serves this operation only on the global host (https://api.sendgrid.com)")
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
		names = names[:0]
		for k := range r.Header {
			lk := strings.ToLower(k)
			if !slices.Contains(standardHeaders, lk) && !slices.Contains(rt.headers, lk) {
				names = append(names, lk)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			problems = append(problems, fmt.Sprintf("header %q is not declared for %s", k, rt.name))
		}
	}
	if vf != nil && rt != nil {
		problems = append(problems, vf(r, body)...)
	}
	if len(problems) == 0 {
		return
	}
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	route := ""
	if rt != nil {
		route = rt.name
	}
	var vs []Violation
	for _, p := range problems {
		vs = append(vs, Violation{Host: region, Method: r.Method, Path: path, Route: route, Problem: p, Origin: s.origin})
	}
	s.mu.Lock()
	s.viol = append(s.viol, vs...)
	s.mu.Unlock()
	vmu.Lock()
	violated = append(violated, vs...)
	vmu.Unlock()
	logViolations(vs)
}

// ContractLogEnv names a file every violation is also appended to, one line each, so a test
// that runs keyir in a subprocess (the test binary as main) still sees what a simulator
// inside that subprocess recorded. contract.RunMain sets it.
const ContractLogEnv = "KEYIR_SIM_CONTRACT_LOG"

func logViolations(vs []Violation) {
	path := os.Getenv(ContractLogEnv)
	if path == "" {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(strings.ReplaceAll(v.String(), "\n", " ") + "\n")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	_, _ = f.WriteString(b.String())
	_ = f.Close()
}

// euMissing reports whether a global-only route has this method and path.
func euMissing(method, path string) bool {
	rt, _, _ := match(RegionGlobal, method, path)
	return rt != nil && rt.globalOnly
}

// creator names the test and the first caller outside this package that created a server
// (only while request checking is on: it walks the stack).
func creator() string {
	vmu.Lock()
	on := checking
	vmu.Unlock()
	if !on {
		return ""
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	var first, test string
	for {
		f, more := frames.Next()
		fn := f.Function
		if first == "" && !strings.HasPrefix(fn, "github.com/keyir/keyir/sim/sendgrid.") {
			first = fmt.Sprintf("%s (%s:%d)", short(fn), filepath.Base(f.File), f.Line)
		}
		if i := strings.LastIndex(fn, ".Test"); i >= 0 && test == "" {
			test = short(fn)
		}
		if !more {
			break
		}
	}
	if test != "" && !strings.HasPrefix(first, test+" ") {
		return test + " via " + first
	}
	return first
}

func short(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}
