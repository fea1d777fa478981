package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keyir/keyir/actions"
	"github.com/keyir/keyir/transport"
)

// MaxBodyOutput bounds the body output: outputs go to the journal, the
// report and later templates, where a megabyte of HTML helps nobody.
const MaxBodyOutput = 4 << 10

// maxBodyRead bounds what is read before redacting and truncating.
const maxBodyRead = 1 << 20

var (
	methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	envRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// HTTP sends one request. Credentials never appear in the playbook: auth_env
// names an environment variable (or NAME_FILE) whose value is sent as a
// bearer token and registered with the redactor.
type HTTP struct {
	Method  string            `param:"method" default:"GET" desc:"GET, HEAD, POST, PUT, PATCH or DELETE"`
	URL     string            `param:"url,required" desc:"absolute https URL (http only to loopback)"`
	Headers map[string]string `param:"headers" desc:"extra request headers; not Authorization (use auth_env)"`
	Body    string            `param:"body" desc:"request body"`
	Expect  []int             `param:"expect" default:"200,201,202,204" desc:"statuses that count as success"`
	AuthEnv string            `param:"auth_env" desc:"environment variable (or NAME_FILE) holding a token sent as Authorization: Bearer"`
}

// Validate checks everything that can be checked before sending, so a bad
// URL fails the plan instead of the run.
func (h *HTTP) Validate() error {
	if !contains(methods, h.Method) {
		return &actions.ParamError{Param: "method", Msg: fmt.Sprintf("want one of %s, got %q", strings.Join(methods, ", "), h.Method)}
	}
	u, err := url.Parse(h.URL)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return &actions.ParamError{Param: "url", Msg: fmt.Sprintf("want an absolute http(s) URL, got %q", h.URL)}
	}
	if err := transport.CheckURL(u); err != nil {
		return &actions.ParamError{Param: "url", Msg: err.Error()}
	}
	for k := range h.Headers {
		switch strings.ToLower(k) {
		case "authorization", "proxy-authorization", "cookie":
			return &actions.ParamError{Param: "headers", Msg: fmt.Sprintf("%s would put a credential in the playbook: name an environment variable with auth_env instead", k)}
		}
	}
	for _, s := range h.Expect {
		if s < 100 || s > 599 {
			return &actions.ParamError{Param: "expect", Msg: fmt.Sprintf("%d is not an HTTP status", s)}
		}
	}
	if h.AuthEnv != "" && !envRE.MatchString(h.AuthEnv) {
		return &actions.ParamError{Param: "auth_env", Msg: fmt.Sprintf("want the name of an environment variable, got %q", h.AuthEnv)}
	}
	return nil
}

// Mutates is false for GET and HEAD only: any other method may change
// something at the provider, so dry runs and plans must treat it as a write.
func (h *HTTP) Mutates() bool { return h.Method != "GET" && h.Method != "HEAD" }

// Run sends the request through env.HTTP, which refuses writes in a dry run
// and records the exchange as evidence. A refused request is the expected
// outcome of a dry run, not a failure: the output says it was planned.
func (h *HTTP) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	if env.HTTP == nil {
		return nil, errors.New("core.http: no HTTP client in the step environment")
	}
	var body io.Reader
	if h.Body != "" {
		body = strings.NewReader(h.Body)
	}
	req, err := http.NewRequestWithContext(ctx, h.Method, h.URL, body)
	if err != nil {
		return nil, err
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "keyir")
	}
	if h.AuthEnv != "" {
		tok, err := env.Credential(h.AuthEnv)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := env.HTTP.Do(req)
	if errors.Is(err, transport.ErrDryRun) {
		return actions.Outputs{"planned": true}, nil
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyRead))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the response: %w", h.Method, env.Redactor.String(h.URL), err)
	}
	// Redact before truncating: cutting first could leave half a secret
	// that the redactor no longer recognises.
	out := actions.Outputs{"status": resp.StatusCode, "body": truncate(env.Redactor.String(string(b)), MaxBodyOutput)}
	if !containsInt(h.Expect, resp.StatusCode) {
		return out, fmt.Errorf("%s %s: status %d, want %s", h.Method, env.Redactor.String(h.URL), resp.StatusCode, joinInts(h.Expect))
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary so the output stays valid UTF-8.
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, n := range list {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

var (
	_ actions.Action    = (*HTTP)(nil)
	_ actions.Validator = (*HTTP)(nil)
	_ actions.Mutator   = (*HTTP)(nil)
)
