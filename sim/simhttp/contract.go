package simhttp

import "fmt"
import "maps"
import "net/http"
import "os"
import "path/filepath"
import "reflect"
import "runtime"
import "slices"
import "strings"
import "sync"
import "testing"

// The request contract: under `go test` a simulator checks every request it
// receives against what the provider's published description declares for
// the operation, and records each departure as a Violation. It never changes
// its answer because of one (it stays as faithful as the provider, which
// ignores what it does not know); the tests of the packages that drive the
// simulator fail on the recorded violations.

// Violation is one request that departs from the provider's description.
type Violation struct {
	Host    string // which host received it ("" for a one-host simulator)
	Method  string
	Path    string // as sent, with the query
	Route   string // the operation, "" when no operation matched
	Problem string // an undeclared query parameter or header, no such operation, or what the validator found
	// Origin is where the server was created: the test function and the
	// first caller outside the simulator, so a failure names the test that
	// sent the request.
	Origin string
}

func (v Violation) String() string {
	if v.Host != "" {
		return fmt.Sprintf("%s %s (%s host): %s [simulator created by %s]", v.Method, v.Path, v.Host, v.Problem, v.Origin)
	}
	return fmt.Sprintf("%s %s: %s [simulator created by %s]", v.Method, v.Path, v.Problem, v.Origin)
}

// Operation is what the description declares for one operation's request.
type Operation struct {
	Name    string   // "GET /user"
	Query   []string // declared query parameters
	Headers []string // declared headers, lower case (checked only with ContractOptions.Headers)
}

// standardHeaders are HTTP's own headers, never declared per operation.
var standardHeaders = []string{
	"accept", "accept-encoding", "authorization", "connection", "content-length", "content-type",
	"host", "te", "transfer-encoding", "user-agent",
}

// ContractOptions configure a simulator's Contract.
type ContractOptions struct {
	// Package is the simulator's import path: its frames (and this
	// package's) are skipped when naming who created a server.
	Package string
	// Headers: a header that is neither HTTP's own nor declared for the
	// operation is a violation (SendGrid's description declares every
	// header it reads; GitHub's does not).
	Headers bool
	// LogEnv names an environment variable holding a file every violation is
	// also appended to, one line each, so a test running the simulator in a
	// subprocess still sees its violations. "" for none.
	LogEnv string
}

// Contract is one simulator's process-wide request check: whether it is on,
// the validator the simulator's contract package installs, and every
// violation any of the simulator's servers recorded.
type Contract struct {
	opt ContractOptions

	mu        sync.Mutex
	checking  bool
	violated  []Violation
	validator func(r *http.Request, body []byte) []string
}

// NewContract returns a Contract that is on under `go test`, off otherwise.
func NewContract(opt ContractOptions) *Contract {
	return &Contract{opt: opt, checking: testing.Testing()}
}

// SetChecking turns the check on or off and returns the previous setting.
func (c *Contract) SetChecking(on bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.checking
	c.checking = on
	return prev
}

// SetValidator installs a check run on every request of a known operation
// (with its body) while checking is on, besides the declared-parameter
// check; each string it returns is recorded as a Violation. nil removes it.
func (c *Contract) SetValidator(f func(r *http.Request, body []byte) []string) {
	c.mu.Lock()
	c.validator = f
	c.mu.Unlock()
}

// Violations returns every violation recorded through c, in order.
func (c *Contract) Violations() []Violation {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.violated)
}

// Reset forgets them (after a test that sends wrong requests on purpose).
func (c *Contract) Reset() {
	c.mu.Lock()
	c.violated = nil
	c.mu.Unlock()
}

// Check records in l (and c) how r departs from the description while
// checking is on. op is the operation r matched, nil for none; missing then
// says why ("no such operation"). host and origin are copied into each
// Violation.
func (c *Contract) Check(l *Log, host, origin string, r *http.Request, body []byte, op *Operation, missing string) {
	c.mu.Lock()
	on, vf := c.checking, c.validator
	c.mu.Unlock()
	if !on {
		return
	}
	var problems []string
	if op == nil {
		problems = append(problems, missing)
	} else {
		for _, k := range slices.Sorted(maps.Keys(r.URL.Query())) {
			if !slices.Contains(op.Query, k) {
				problems = append(problems, fmt.Sprintf("query parameter %q is not declared for %s", k, op.Name))
			}
		}
		if c.opt.Headers {
			var names []string
			for k := range r.Header {
				lk := strings.ToLower(k)
				if !slices.Contains(standardHeaders, lk) && !slices.Contains(op.Headers, lk) {
					names = append(names, lk)
				}
			}
			slices.Sort(names)
			for _, k := range names {
				problems = append(problems, fmt.Sprintf("header %q is not declared for %s", k, op.Name))
			}
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
	route := ""
	if op != nil {
		route = op.Name
	}
	vs := make([]Violation, 0, len(problems))
	for _, p := range problems {
		vs = append(vs, Violation{Host: host, Method: r.Method, Path: path, Route: route, Problem: p, Origin: origin})
	}
	l.addViolations(vs)
	c.mu.Lock()
	c.violated = append(c.violated, vs...)
	c.mu.Unlock()
	c.logViolations(vs)
}

func (c *Contract) logViolations(vs []Violation) {
	if c.opt.LogEnv == "" {
		return
	}
	path := os.Getenv(c.opt.LogEnv)
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

// Origin names the test and the first caller outside the simulator that is
// creating a server, "" while checking is off (it walks the stack).
func (c *Contract) Origin() string {
	c.mu.Lock()
	on := c.checking
	c.mu.Unlock()
	if !on {
		return ""
	}
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	var first, test string
	for {
		f, more := frames.Next()
		fn := f.Function
		if first == "" && !c.inside(fn) {
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

// self is this package's prefix in function names.
var self = reflect.TypeFor[Contract]().PkgPath() + "."

func (c *Contract) inside(fn string) bool {
	return strings.HasPrefix(fn, self) || (c.opt.Package != "" && strings.HasPrefix(fn, c.opt.Package+"."))
}

func short(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		return fn[i+1:]
	}
	return fn
}
