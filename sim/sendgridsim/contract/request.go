package contract

import "bytes"
import "fmt"
import "io"
import "net/http"
import "os"
import "strings"
import "testing"

import verrors "github.com/pb33f/libopenapi-validator/errors"

import "github.com/keyir/keyir/sim/sendgridsim"

// The request direction of the contract: every request a client sends to the simulator is
// validated against the spec (libopenapi-validator's request validation in strict mode: path,
// query and header parameters, security, body, undeclared body properties), on top of the
// simulator's own check that every query parameter and header is declared for the operation
// (sim/sendgrid/reqcheck.go). Violations are recorded by the simulator; RunMain fails the
// package's tests on them.

// CheckRequest validates one request (its body given separately, since the simulator has read
// it) against the spec file owning its path, and returns one line per problem.
func (c *Checker) CheckRequest(r *http.Request, body []byte) []string {
	sp, tmpl := c.owner(r.URL.Path)
	if sp == nil {
		return []string{"no spec file defines this path"}
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	c.mu.Lock()
	ok, errs := sp.req.ValidateHttpRequestSync(r2)
	c.mu.Unlock()
	if ok {
		return nil
	}
	var out []string
	for _, e := range errs {
		// Undeclared query parameters and headers are the simulator's own check (its route
		// table is tied to the spec by TestRouteTableMatchesSpec): reported once, there.
		if e.ValidationType == verrors.StrictValidationType &&
			(e.ValidationSubType == verrors.StrictSubTypeQuery || e.ValidationSubType == verrors.StrictSubTypeHeader) {
			continue
		}
		out = append(out, fmt.Sprintf("spec %s %s: %s", sp.file, tmpl, describe(e)))
	}
	return out
}

// Install makes every simulator of this process validate each request it receives with
// CheckRequest (while request checking is on: by default under go test).
func Install() error {
	chk, err := Shared()
	if err != nil {
		return err
	}
	sendgridsim.SetRequestValidator(chk.CheckRequest)
	return nil
}

// RunMain runs a package's tests with the request contract on, and fails the run (exit 1,
// every violation listed with the test that created the simulator) when any request a test
// sent to a SendGrid simulator departs from the official spec, in this process or in a
// subprocess it started with its environment. Use it in TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(contract.RunMain(m)) }
func RunMain(m *testing.M) int {
	if err := Install(); err != nil {
		fmt.Fprintln(os.Stderr, "sendgrid contract:", err)
		return 1
	}
	log, err := os.CreateTemp("", "keyir-sim-contract-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, "sendgrid contract:", err)
		return 1
	}
	log.Close()
	defer os.Remove(log.Name())
	prev, had := os.LookupEnv(sendgridsim.ContractLogEnv)
	os.Setenv(sendgridsim.ContractLogEnv, log.Name())
	code := m.Run()
	if had {
		os.Setenv(sendgridsim.ContractLogEnv, prev)
	} else {
		os.Unsetenv(sendgridsim.ContractLogEnv)
	}
	b, _ := os.ReadFile(log.Name())
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(b) > 0 {
		fmt.Fprint(os.Stderr, reportLines(lines))
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Report renders violations for a failing test run, each distinct one once with its count.
func Report(vs []sendgridsim.Violation) string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.String()
	}
	return reportLines(lines)
}

func reportLines(lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "FAIL: %d request(s) to the SendGrid simulator depart from the official spec (testdata/sendgrid-oai):\n", len(lines))
	seen := map[string]int{}
	var order []string
	for _, s := range lines {
		if seen[s] == 0 {
			order = append(order, s)
		}
		seen[s]++
	}
	for _, s := range order {
		if n := seen[s]; n > 1 {
			fmt.Fprintf(&b, "  %s (×%d)\n", s, n)
		} else {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	return b.String()
}
