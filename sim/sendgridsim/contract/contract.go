// Package contract checks simulated SendGrid responses against the official OpenAPI 3.1 spec
// (testdata/sendgrid-oai), one libopenapi-validator per spec file, each response routed to the
// file that owns its path. Where the live API (SENDGRID.md) or the simulator's own framing
// departs from the spec, the difference must be listed in Allowed, with its reason; nothing
// else is exempt.
//
// Other packages' tests call Observe to validate every response their simulator sends:
//
//	cfg := sendgridsim.DefaultConfig()
//	contract.Observe(t, &cfg)
//	srv := sendgridsim.New(st, cfg)
package contract

import "encoding/json"
import "errors"
import "fmt"
import "io"
import "maps"
import "net/http"
import "os"
import "path/filepath"
import "runtime"
import "slices"
import "sort"
import "strings"
import "sync"
import "testing"

import "github.com/pb33f/libopenapi"
import validator "github.com/pb33f/libopenapi-validator"
import "github.com/pb33f/libopenapi-validator/config"
import verrors "github.com/pb33f/libopenapi-validator/errors"
import "github.com/pb33f/libopenapi-validator/helpers"

import "github.com/keyir/keyir/sim/sendgridsim"

// Kind classifies a departure from the spec.
type Kind string

const (
	// UndocumentedStatus: the operation exists but the spec lists no such response code.
	UndocumentedStatus Kind = "undocumented-status"
	// Unrouted: no spec file has the path, or the path has no such method.
	Unrouted Kind = "unrouted"
	// Schema: the body or headers do not match the documented response.
	Schema Kind = "schema"
)

// Body is the check applied instead of the spec to an exempted response.
type Body string

const (
	ErrorBody Body = "errors-body" // {"errors":[{"message":"…","field":string|null}]}, JSON
	EmptyBody Body = "empty"       // no body at all
)

// Exemption is one allowed departure from the spec.
type Exemption struct {
	Method string
	Paths  []string // spec path templates; for Unrouted, the request paths as sent
	Status int
	Kind   Kind
	Body   Body
	Reason string
}

// Allowed is the single allow-list (with Fixes, the spec corrections applied at load) of departures from the spec. Each entry names where, what
// is checked instead, and why. The simulator's test asserts every (entry, path) is exercised.
//
// Deviations that need no entry because the spec's schema is loose enough to accept the live
// shape (asserted by the simulator's tests, so they stay visible):
//   - GET /v3/api_keys/{api_key_id} answers flat {"api_key_id","name","scopes"} (SENDGRID.md);
//     the spec wraps it in "result" but requires nothing, so the flat body validates.
//   - Rate-limit headers are spelled X-Ratelimit-* on the wire (SENDGRID.md); the spec
//     declares no rate-limit headers, and header names are case-insensitive anyway.
var Allowed = []Exemption{
	{
		Method: "GET", Status: 429, Kind: UndocumentedStatus, Body: ErrorBody,
		Paths: []string{
			"/v3/scopes", "/v3/api_keys", "/v3/api_keys/{api_key_id}", "/v3/stats", "/v3/teammates",
			"/v3/teammates/pending", "/v3/access_settings/activity", "/v3/access_settings/whitelist",
			"/v3/subusers", "/v3/user/webhooks/event/settings/all", "/v3/user/webhooks/parse/settings",
			"/v3/mail_settings/forward_bounce", "/v3/mail_settings/forward_spam", "/v3/alerts",
			"/v3/suppression/bounces", "/v3/suppression/spam_reports", "/v3/verified_senders",
		},
		Reason: "SENDGRID.md (Errors and limits): every call is rate limited and answers 429 " +
			`{"errors":[{"message":"too many requests"}]}; the spec documents 429 only on GET /v3/messages.`,
	},
	{
		Method: "POST", Status: 429, Kind: UndocumentedStatus, Body: ErrorBody, Paths: []string{"/v3/api_keys"},
		Reason: "as above: rate limiting applies to key creation too; the spec omits 429.",
	},
	{
		Method: "DELETE", Status: 429, Kind: UndocumentedStatus, Body: ErrorBody, Paths: []string{"/v3/api_keys/{api_key_id}"},
		Reason: "as above: rate limiting applies to revocation too; the spec omits 429.",
	},
	{
		Method: "GET", Status: 401, Kind: UndocumentedStatus, Body: ErrorBody,
		Paths: []string{
			"/v3/messages", "/v3/stats", "/v3/teammates", "/v3/teammates/pending",
			"/v3/user/webhooks/event/settings/all", "/v3/alerts", "/v3/suppression/spam_reports",
		},
		Reason: "every operation is secured by the document-level BearerAuth requirement, so a dead key " +
			`gets 401 "authorization required" (SENDGRID.md); these operations omit the 401 response.`,
	},
	{
		Method: "GET", Status: 403, Kind: UndocumentedStatus, Body: ErrorBody,
		Paths: []string{
			"/v3/messages", "/v3/stats", "/v3/teammates", "/v3/teammates/pending", "/v3/subusers",
			"/v3/user/webhooks/event/settings/all", "/v3/alerts", "/v3/suppression/bounces",
			"/v3/suppression/spam_reports",
		},
		Reason: `a restricted key without the route's scope gets 403 "access forbidden" (SENDGRID.md: ` +
			`"a 403 on an assessment call means not assessable"); these operations omit the 403 response.`,
	},
	{
		Method: "GET", Status: 400, Kind: UndocumentedStatus, Body: ErrorBody,
		Paths: []string{
			"/v3/api_keys", "/v3/stats", "/v3/access_settings/activity",
			"/v3/suppression/bounces", "/v3/suppression/spam_reports", "/v3/teammates",
		},
		Reason: "invalid query parameters (a missing start_date, which the spec marks required; a " +
			"non-numeric limit or start_time; a limit above the documented maximum) get a 400 errors " +
			"body; these operations omit the 400 response.",
	},
	{
		Method: "GET", Status: 404, Kind: UndocumentedStatus, Body: ErrorBody, Paths: []string{"/v3/messages"},
		Reason: "the EU host does not serve Email Activity (tsg_email_activity_v3.json lists only " +
			"https://api.sendgrid.com): the simulator's EU host answers its unknown-path 404 there.",
	},
	{
		Method: "POST", Status: 200, Kind: UndocumentedStatus, Body: EmptyBody, Paths: []string{"/v3/mail/send"},
		Reason: "mail_settings.sandbox_mode.enable=true answers 200 OK with no body instead of 202 " +
			"(SendGrid docs, Sandbox Mode; SENDGRID.md); the spec documents only 202.",
	},
	{
		Method: "GET", Status: 404, Kind: Unrouted, Body: ErrorBody, Paths: []string{"/v3/no_such_endpoint"},
		Reason: "the simulator's answer to a path no spec file defines: 404 with an errors body, as SendGrid answers unknown paths.",
	},
	{
		Method: "PUT", Status: 405, Kind: Unrouted, Body: ErrorBody, Paths: []string{"/v3/scopes"},
		Reason: "the simulator's answer to a method the path does not have: 405 with an errors body " +
			"(GET /v3/scopes has no PUT in the spec, so no response can be documented).",
	},
}

// Violation is one response that departs from the spec without an exemption.
type Violation struct {
	Method, Path, Template string
	Status                 int
	Kind                   Kind
	Details                []string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s %s -> %d: %s: %s", v.Method, v.Path, v.Status, v.Kind, strings.Join(v.Details, "; "))
}

type spec struct {
	file      string
	v         validator.Validator
	req       validator.Validator // strict: undeclared parameters, headers and body properties
	templates map[string][]string // path template -> methods (upper case)
}

// Checker validates responses. It is safe for concurrent use.
type Checker struct {
	mu    sync.Mutex
	specs []*spec
	used  map[string]int // exemption use counts by useKey
	fixed map[string]int // places changed by each SpecFix, over all files
}

// FixCounts reports how many places each SpecFix changed when the specs were loaded.
func (c *Checker) FixCounts() map[string]int { return maps.Clone(c.fixed) }

// New loads every tsg_*_v3.json in specDir and builds one validator per file.
func New(specDir string) (*Checker, error) {
	files, err := filepath.Glob(filepath.Join(specDir, "tsg_*_v3.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("contract: no spec files in %s", specDir)
	}
	sort.Strings(files)
	c := &Checker{used: map[string]int{}, fixed: map[string]int{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("contract: %w", err)
		}
		b, counts, err := applyFixes(b)
		if err != nil {
			return nil, fmt.Errorf("contract: %s: %w", filepath.Base(f), err)
		}
		for k, n := range counts {
			c.fixed[k] += n
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			return nil, fmt.Errorf("contract: %s: %w", filepath.Base(f), err)
		}
		model, err := doc.BuildV3Model()
		if err != nil {
			return nil, fmt.Errorf("contract: %s: %w", filepath.Base(f), err)
		}
		sp := &spec{file: filepath.Base(f), templates: map[string][]string{}}
		if model.Model.Paths != nil {
			for p, item := range model.Model.Paths.PathItems.FromOldest() {
				for m := range item.GetOperations().FromOldest() {
					sp.templates[p] = append(sp.templates[p], strings.ToUpper(m))
				}
			}
		}
		sp.v = validator.NewValidatorFromV3Model(&model.Model)
		sp.req = validator.NewValidatorFromV3Model(&model.Model, config.WithStrictMode())
		c.specs = append(c.specs, sp)
	}
	return c, nil
}

// SpecDir is testdata/sendgrid-oai of this source tree (found from this file's location).
func SpecDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "sendgrid-oai")
}

var (
	shared     *Checker
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns a process-wide Checker over SpecDir, loaded once.
func Shared() (*Checker, error) {
	sharedOnce.Do(func() { shared, sharedErr = New(SpecDir()) })
	return shared, sharedErr
}

// Observe makes cfg.OnResponse validate every simulator response and fail t on a violation
// (keeping any OnResponse already set).
func Observe(t testing.TB, cfg *sendgridsim.Config) *Checker {
	t.Helper()
	chk, err := Shared()
	if err != nil {
		t.Fatalf("sendgrid contract: %v", err)
	}
	prev := cfg.OnResponse
	cfg.OnResponse = func(r *http.Request, status int, h http.Header, body []byte) {
		if prev != nil {
			prev(r, status, h, body)
		}
		if err := chk.Check(r, status, h, body); err != nil {
			t.Errorf("sendgrid contract: %v", err)
		}
	}
	return chk
}

// owner finds the spec file and template owning path; literal segments beat parameters.
func (c *Checker) owner(path string) (*spec, string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best *spec
	bestT, bestScore := "", -1
	for _, sp := range c.specs {
		for t := range sp.templates {
			ts := strings.Split(strings.Trim(t, "/"), "/")
			if len(ts) != len(segs) {
				continue
			}
			score := 0
			ok := true
			for i, s := range ts {
				switch {
				case strings.HasPrefix(s, "{"):
				case s == segs[i]:
					score++
				default:
					ok = false
				}
			}
			if ok && (score > bestScore || score == bestScore && t < bestT) {
				best, bestT, bestScore = sp, t, score
			}
		}
	}
	return best, bestT
}

// Check validates one response. It returns a *Violation, or nil when the response matches the
// spec or an exemption (whose own body check then applies).
func (c *Checker) Check(r *http.Request, status int, h http.Header, body []byte) error {
	sp, tmpl := c.owner(r.URL.Path)
	v := &Violation{Method: r.Method, Path: r.URL.Path, Template: tmpl, Status: status}
	switch {
	case sp == nil:
		v.Kind, v.Details = Unrouted, []string{"no spec file defines this path"}
		return c.exempt(v, r.URL.Path, h, body)
	case !slices.Contains(sp.templates[tmpl], r.Method):
		v.Kind, v.Details = Unrouted, []string{fmt.Sprintf("%s defines %s without %s", sp.file, tmpl, r.Method)}
		return c.exempt(v, r.URL.Path, h, body)
	}
	resp := &http.Response{
		StatusCode: status, Header: h.Clone(), Request: r,
		Body: io.NopCloser(strings.NewReader(string(body))), ContentLength: int64(len(body)),
	}
	c.mu.Lock()
	ok, errs := sp.v.ValidateHttpResponse(r, resp)
	c.mu.Unlock()
	if ok {
		return nil
	}
	v.Kind = Schema
	for _, e := range errs {
		if e.ValidationSubType == helpers.ResponseBodyResponseCode {
			v.Kind = UndocumentedStatus
		}
		v.Details = append(v.Details, describe(e))
	}
	v.Details = append(v.Details, "spec file "+sp.file)
	if v.Kind == UndocumentedStatus && len(errs) == 1 {
		return c.exempt(v, tmpl, h, body)
	}
	return v
}

func describe(e *verrors.ValidationError) string {
	s := e.Message
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	for _, f := range e.SchemaValidationErrors {
		s += fmt.Sprintf(" [%s: %s]", f.FieldPath, f.Reason)
	}
	return s
}

func useKey(i int, path string) string { return fmt.Sprintf("%d %s", i, path) }

// exempt looks v up in Allowed; if an entry covers it, applies the entry's body check.
func (c *Checker) exempt(v *Violation, path string, h http.Header, body []byte) error {
	for i, e := range Allowed {
		if e.Method != v.Method || e.Status != v.Status || e.Kind != v.Kind || !slices.Contains(e.Paths, path) {
			continue
		}
		if err := checkBody(e.Body, h, body); err != nil {
			v.Details = append(v.Details, fmt.Sprintf("exempt by allow-list entry %d, but %v", i, err))
			return v
		}
		c.mu.Lock()
		c.used[useKey(i, path)]++
		c.mu.Unlock()
		return nil
	}
	return v
}

func checkBody(b Body, h http.Header, body []byte) error {
	switch b {
	case EmptyBody:
		if len(body) != 0 {
			return fmt.Errorf("body is not empty: %.80q", body)
		}
		return nil
	case ErrorBody:
		if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			return fmt.Errorf("content type %q, want application/json", ct)
		}
		var eb struct {
			Errors []struct {
				Field   *json.RawMessage `json:"field"`
				Message *string          `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(body, &eb); err != nil {
			return fmt.Errorf("error body is not JSON: %v", err)
		}
		if len(eb.Errors) == 0 {
			return errors.New(`error body has no "errors"`)
		}
		for _, e := range eb.Errors {
			if e.Message == nil || *e.Message == "" {
				return errors.New("an error has no message")
			}
			if e.Field != nil {
				var f any
				_ = json.Unmarshal(*e.Field, &f)
				if _, isStr := f.(string); f != nil && !isStr {
					return errors.New("an error's field is neither a string nor null")
				}
			}
		}
		return nil
	}
	return fmt.Errorf("unknown body rule %q", b)
}

// Unused lists the allow-list (entry, path) pairs no checked response has needed, as
// "METHOD path status kind". A test that exercises every endpoint asserts it is empty.
func (c *Checker) Unused() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for i, e := range Allowed {
		for _, p := range e.Paths {
			if c.used[useKey(i, p)] == 0 {
				out = append(out, fmt.Sprintf("%s %s %d %s", e.Method, p, e.Status, e.Kind))
			}
		}
	}
	return out
}
