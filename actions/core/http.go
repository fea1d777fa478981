package core

import "context"
import "errors"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "slices"
import "strconv"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/credentials"
import "github.com/keyir/keyir/transport"

// MaxBodyOutput bounds the body output: outputs go to the journal, the
// report and later templates, where a megabyte of HTML helps nobody.
const MaxBodyOutput = 4 << 10

// maxBodyRead bounds what is read before redacting and truncating.
const maxBodyRead = 1 << 20

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// HTTP sends one request. Credentials never appear in the playbook: the
// playbook declares each under `credentials:` with the environment variable
// that holds it and the one host it may go to, and a step names it. The
// value is read at run time, registered with the redactor and sent as a
// bearer token, only to that host, checked here on the final URL, after
// templating, right before sending.
type HTTP struct {
	Method     string            `param:"method" default:"GET" desc:"GET, HEAD, POST, PUT, PATCH or DELETE"`
	URL        string            `param:"url,required,target" desc:"absolute https URL (http only to loopback)"`
	Headers    map[string]string `param:"headers" desc:"extra request headers; not Authorization (name a credential instead)"`
	Body       string            `param:"body" desc:"request body"`
	Expect     []int             `param:"expect" default:"200,201,202,204" desc:"statuses that count as success"`
	Credential string            `param:"credential,credential" desc:"a credential declared under the playbook's credentials:, sent as Authorization: Bearer, only to its host"`
	Write      bool              `param:"write" desc:"the request changes something whatever its method (a revocation URL that takes a GET): the plan counts it as a change and a dry run refuses it"`

	// bound is the declaration of Credential, given by the engine.
	bound *credentials.Binding
	// unknown are the parameters a plan cannot know before the run (set
	// only by actions.Configure, for Effect).
	unknown map[string]bool
}

// SetUnknown is actions.Unknowing.
func (h *HTTP) SetUnknown(params map[string]bool) { h.unknown = params }

// Retired: auth_env let a playbook send any environment variable (keyir's
// own SendGrid key included) to any host.
func (h *HTTP) Retired() map[string]string {
	return map[string]string{"auth_env": "auth_env is no longer supported: it could send any environment variable to any host. Declare the credential under the playbook's credentials: ({NAME: {env: VAR, host: api.example.com}}) and name it with credential: NAME"}
}

// CredentialName is the credential the step names, "" for none.
func (h *HTTP) CredentialName() string { return h.Credential }

// BindCredential gives the request the declaration its credential names.
func (h *HTTP) BindCredential(c credentials.Binding) { h.bound = &c }

// Validate checks everything that can be checked before sending, so a bad
// URL fails the plan instead of the run.
func (h *HTTP) Validate() error {
	if !slices.Contains(methods, h.Method) {
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
			return &actions.ParamError{Param: "headers", Msg: fmt.Sprintf("%s would put a credential in the playbook: declare it under credentials: and name it with credential instead", k)}
		}
	}
	for _, s := range h.Expect {
		if s < 100 || s > 599 {
			return &actions.ParamError{Param: "expect", Msg: fmt.Sprintf("%d is not an HTTP status", s)}
		}
	}
	if h.Credential != "" && !credentials.ValidName(h.Credential) {
		return &actions.ParamError{Param: "credential", Msg: fmt.Sprintf("want the name of a credential declared under credentials:, got %q", h.Credential)}
	}
	return nil
}

// token reads the bound credential, after checking that the request goes
// to its host. Every refusal happens before the value is read.
func (h *HTTP) token(env *actions.Env, u *url.URL) (string, error) {
	c := h.bound
	switch {
	case c == nil || c.Name != h.Credential:
		return "", fmt.Errorf("core.http: credential %q is not declared under the playbook's credentials", h.Credential)
	case credentials.IsOwn(c.Env):
		return "", fmt.Errorf("core.http: credential %q names %s, one of keyir's own credentials (%s): a playbook cannot send it", c.Name, c.Env, credentials.OwnPrefixes())
	case c.Host == "":
		return "", fmt.Errorf("core.http: credential %q is bound to no host", c.Name)
	case !credentials.SameHost(c.Host, u):
		return "", fmt.Errorf("core.http: refusing to send credential %q to %s: it is bound to %s", c.Name, credentials.URLHost(u), c.Host)
	}
	return env.Credential(c.Env)
}

// Mutates is false for GET and HEAD only: any other method may change
// something at the provider, so dry runs and plans must treat it as a write.
// So is a GET whose headers ask the server to take it as another method
// (X-HTTP-Method-Override: DELETE), as the dry-run transport already does,
// and one the step says is a write.
func (h *HTTP) Mutates() bool {
	return h.Method != "GET" && h.Method != "HEAD" || h.override() != "" || h.Write
}

// override is the method the step's headers ask for instead of Method, ""
// when none asks for another than GET or HEAD (transport.OverrideMethod).
func (h *HTTP) override() string {
	hd := http.Header{}
	for k, v := range h.Headers {
		hd.Add(k, v)
	}
	return transport.OverrideMethod(hd)
}

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
	if h.Write {
		// The transport refuses it in a dry run, whatever the method.
		ctx = transport.AsWrite(ctx)
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
	if h.Credential != "" {
		tok, err := h.token(env, req.URL)
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
	out := actions.Outputs{"status": resp.StatusCode, "body": env.Redactor.Clip(string(b), MaxBodyOutput)}
	if !slices.Contains(h.Expect, resp.StatusCode) {
		return out, fmt.Errorf("%s %s: status %d, want %s", h.Method, env.Redactor.String(h.URL), resp.StatusCode, joinInts(h.Expect))
	}
	return out, nil
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
