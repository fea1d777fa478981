// Package contract checks the GitHub simulator against GitHub's published
// REST description (testdata/ghec-subset.yaml, a subset of
// github/rest-api-description: see testdata/SOURCE.md) both ways: every
// response the simulator gives for a covered operation must be one the
// description documents (status, body schema), and every request a test
// sends to a covered operation must be one the description accepts
// (parameters, enums, body). Where the simulator answers a status the
// description does not list, Allowed names it with its reason and the body
// it must still have; nothing else is exempt.
//
//	cfg := githubsim.DefaultConfig()
//	contract.Observe(t, &cfg)
package contract

import "bytes"
import "encoding/json"
import "fmt"
import "io"
import "net/http"
import "os"
import "path/filepath"
import "runtime"
import "slices"
import "strings"
import "sync"
import "testing"

import "github.com/pb33f/libopenapi"
import "github.com/pb33f/libopenapi-validator"
import "github.com/pb33f/libopenapi-validator/config"
import "github.com/pb33f/libopenapi-validator/errors"
import "github.com/pb33f/libopenapi-validator/helpers"

import "github.com/keyir/keyir/sim/githubsim"

// Exemption is one status the simulator answers that the description does
// not list for the operation; the body must then be GitHub's basic error.
type Exemption struct {
	Method string
	Path   string // the description's template
	Status int
	Reason string
}

// Allowed is the one allow-list.
var Allowed = []Exemption{
	{"POST", "/credentials/revoke", 403, `the operation's own text: "Any authenticated requests will return a 403"; not among its responses.`},
	{"POST", "/credentials/revoke", 429, `the operation's text: "limited to only 60 unauthenticated requests per hour"; the status past it is not documented (GITHUB.md: 403 or 429 with Retry-After).`},
	{"POST", "/credentials/revoke", 401, "Enterprise Server mode: the revocation requires authentication there (GITHUB.md); the Cloud description has no 401."},
	{"DELETE", "/installation/token", 401, "a dead or unknown token gets 401 Bad credentials on every authenticated operation; the operation lists only 204."},
	{"DELETE", "/installation/token", 403, "the simulator's answer to a token that is not an installation token (unverified: GitHub documents none)."},
	{"GET", "/orgs/{org}/members", 401, "a dead or unknown token gets 401 Bad credentials on every authenticated operation; the operation lists only 200 and 422."},
	{"GET", "/orgs/{org}/members", 404, "an organization that does not exist (GitHub's 404 Not Found); the operation lists only 200 and 422."},
	{"GET", "/users/{username}/keys", 401, "a dead or unknown token gets 401 Bad credentials even on a public operation; the operation lists only 200."},
	{"GET", "/users/{username}/keys", 404, "a user that does not exist (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/repos/{owner}/{repo}/keys", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200."},
	{"GET", "/repos/{owner}/{repo}/keys", 404, "a repository that does not exist or that the token may not administer (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/orgs/{org}/invitations", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200 and 404."},
	{"GET", "/orgs/{org}/invitations", 422, "a role or invitation_source outside the documented enums (the simulator's choice, as for the members list, whose description does list 422; unverified here)."},
	{"GET", "/repos/{owner}/{repo}/hooks", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200 and 404."},
	{"GET", "/orgs/{org}/hooks", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200 and 404."},
	{"GET", "/orgs/{org}/credential-authorizations", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200."},
	{"GET", "/orgs/{org}/credential-authorizations", 403, `the operation's text: the user "must be an organization owner", classic tokens "need the read:org scope"; the operation lists only 200.`},
	{"GET", "/orgs/{org}/credential-authorizations", 404, "an organization that does not exist (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/orgs/{org}/repos", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200."},
	{"GET", "/orgs/{org}/repos", 404, "an organization that does not exist (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/orgs/{org}/repos", 422, "a type, sort or direction outside the documented enums (the simulator's choice, as for the members list, whose description does list 422; unverified here)."},
	{"GET", "/orgs/{org}/installations", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200."},
	{"GET", "/orgs/{org}/installations", 403, `the operation's text: the user "must be an organization owner"; classic tokens need a scope (the text says "admin:read", the simulator asks read:org, see SOURCE.md); the operation lists only 200.`},
	{"GET", "/orgs/{org}/installations", 404, "an organization that does not exist (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/orgs/{org}/audit-log", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 200."},
	{"GET", "/orgs/{org}/audit-log", 403, `the operation's text: the user "must be an organization owner", classic tokens "need the read:audit_log scope", and "a rate limit error (typically a 403 or 429)".`},
	{"GET", "/orgs/{org}/audit-log", 404, "an organization that does not exist (GitHub's 404 Not Found); the operation lists only 200."},
	{"GET", "/orgs/{org}/audit-log", 422, "a phrase the simulator cannot read, or an enum value outside the documented ones (the simulator's choice; unverified)."},
	{"DELETE", "/repos/{owner}/{repo}/keys/{key_id}", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 204."},
	{"DELETE", "/repos/{owner}/{repo}/keys/{key_id}", 404, "a key that is not there (already removed: GitHub's 404 Not Found); the operation lists only 204."},
	{"DELETE", "/repos/{owner}/{repo}/hooks/{hook_id}", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 204 and 404."},
	{"DELETE", "/orgs/{org}/hooks/{hook_id}", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 204 and 404."},
	{"DELETE", "/orgs/{org}/invitations/{invitation_id}", 401, "a dead or unknown token gets 401 Bad credentials; the operation lists only 204, 422 and 404."},
	{"DELETE", "/orgs/{org}/invitations/{invitation_id}", 403, "a classic token without admin:org (GitHub's OAuth scopes: cancelling an invitation is an owner's admin:org act); the operation lists only 204, 422 and 404."},
}

// Checker validates against the subset. It is safe for concurrent use.
type Checker struct {
	mu        sync.Mutex
	resp, req validator.Validator
	templates map[string][]string // template -> methods
	used      map[int]int
}

// New loads a description file.
func New(file string) (*Checker, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	doc, err := libopenapi.NewDocument(b)
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	c := &Checker{templates: map[string][]string{}, used: map[int]int{}}
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().FromOldest() {
			c.templates[p] = append(c.templates[p], strings.ToUpper(m))
		}
	}
	c.resp = validator.NewValidatorFromV3Model(&model.Model)
	c.req = validator.NewValidatorFromV3Model(&model.Model, config.WithStrictMode())
	return c, nil
}

// SpecFile is testdata/ghec-subset.yaml beside this file.
func SpecFile() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "ghec-subset.yaml")
}

var (
	shared     *Checker
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns a process-wide Checker over SpecFile.
func Shared() (*Checker, error) {
	sharedOnce.Do(func() { shared, sharedErr = New(SpecFile()) })
	return shared, sharedErr
}

// template finds the description's template for a path (the Enterprise
// Server root /api/v3 removed); "" when the subset does not cover it.
func (c *Checker) template(path string) string {
	path = strings.TrimPrefix(path, "/api/v3")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for t := range c.templates {
		ts := strings.Split(strings.Trim(t, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i, s := range ts {
			if !strings.HasPrefix(s, "{") && s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return t
		}
	}
	return ""
}

// Covered reports whether the subset describes method and path.
func (c *Checker) Covered(method, path string) bool {
	t := c.template(path)
	return t != "" && slices.Contains(c.templates[t], method)
}

// rootless is r with the Enterprise Server root removed from its path.
func rootless(r *http.Request, body []byte) *http.Request {
	r2 := r.Clone(r.Context())
	r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	return r2
}

// Check validates one response of a covered operation (others: nil).
func (c *Checker) Check(r *http.Request, status int, h http.Header, body []byte) error {
	if !c.Covered(r.Method, r.URL.Path) {
		return nil
	}
	tmpl := c.template(r.URL.Path)
	resp := &http.Response{StatusCode: status, Header: h.Clone(), Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
	r2 := rootless(r, nil)
	resp.Request = r2
	c.mu.Lock()
	ok, errs := c.resp.ValidateHttpResponse(r2, resp)
	c.mu.Unlock()
	if ok {
		return nil
	}
	undocumented := false
	var details []string
	for _, e := range errs {
		if e.ValidationSubType == helpers.ResponseBodyResponseCode {
			undocumented = true
		}
		s := e.Message
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		for _, f := range e.SchemaValidationErrors {
			s += fmt.Sprintf(" [%s: %s]", f.FieldPath, f.Reason)
		}
		details = append(details, s)
	}
	if undocumented && len(errs) == 1 {
		for i, ex := range Allowed {
			if ex.Method == r.Method && ex.Path == tmpl && ex.Status == status {
				if err := basicError(h, body); err != nil {
					return fmt.Errorf("%s %s -> %d: exempt (%s) but %v", r.Method, r.URL.Path, status, ex.Reason, err)
				}
				c.mu.Lock()
				c.used[i]++
				c.mu.Unlock()
				return nil
			}
		}
	}
	return fmt.Errorf("%s %s -> %d: %s", r.Method, r.URL.Path, status, strings.Join(details, "; "))
}

// basicError checks GitHub's basic error body: JSON, a message string.
func basicError(h http.Header, body []byte) error {
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return fmt.Errorf("content type %q", ct)
	}
	var e struct {
		Message *string `json:"message"`
		Doc     *string `json:"documentation_url"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return fmt.Errorf("body is not JSON: %v", err)
	}
	if e.Message == nil || *e.Message == "" || e.Doc == nil {
		return fmt.Errorf("body has no message or documentation_url")
	}
	return nil
}

// CheckRequest validates a request to a covered operation against the
// description (strict: undeclared parameters too); one line per problem.
func (c *Checker) CheckRequest(r *http.Request, body []byte) []string {
	if !c.Covered(r.Method, r.URL.Path) {
		return nil
	}
	r2 := rootless(r, body)
	c.mu.Lock()
	ok, errs := c.req.ValidateHttpRequestSync(r2)
	c.mu.Unlock()
	if ok {
		return nil
	}
	var out []string
	for _, e := range errs {
		// Headers are HTTP's and the client's own (Authorization, Accept, User-Agent …), which
		// the description does not declare; undeclared query parameters are the simulator's own
		// check (reqcheck.go), reported once, there.
		if e.ValidationType == errors.StrictValidationType &&
			(e.ValidationSubType == errors.StrictSubTypeHeader || e.ValidationSubType == errors.StrictSubTypeQuery) {
			continue
		}
		s := "description: " + e.Message
		if e.Reason != "" {
			s += " (" + e.Reason + ")"
		}
		out = append(out, s)
	}
	return out
}

// Install makes every simulator of the process check each request with
// CheckRequest (while request checking is on: under go test).
func Install() error {
	c, err := Shared()
	if err != nil {
		return err
	}
	githubsim.SetRequestValidator(c.CheckRequest)
	return nil
}

// Observe makes cfg.OnResponse check every response and fail t on a violation.
func Observe(t testing.TB, cfg *githubsim.Config) *Checker {
	t.Helper()
	c, err := Shared()
	if err != nil {
		t.Fatalf("github contract: %v", err)
	}
	prev := cfg.OnResponse
	cfg.OnResponse = func(r *http.Request, status int, h http.Header, body []byte) {
		if prev != nil {
			prev(r, status, h, body)
		}
		if err := c.Check(r, status, h, body); err != nil {
			t.Errorf("github contract: %v", err)
		}
	}
	return c
}

// Unused lists the exemptions no checked response needed.
func (c *Checker) Unused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for i, e := range Allowed {
		if c.used[i] == 0 {
			out = append(out, fmt.Sprintf("%s %s %d", e.Method, e.Path, e.Status))
		}
	}
	return out
}
