// Package ghtoken is keyir's GitHub provider: identify a leaked GitHub
// token, check whether it is live, record what it is, revoke it, prove it
// is dead, and assess what it did and left behind. One file per action;
// this file is the one shared client. (The package is not named github:
// that is go-github's package name.)
//
// Every request goes through env.HTTP (the guarded, recording client: a dry
// run's writes are refused there) and is built by go-github; pacing and the
// retry policy live in one round tripper under it (pacer.go).
package ghtoken

import "errors"
import "fmt"
import "net/http"
import "net/url"
import "strings"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/transport"

// Where GitHub is, and the responder's credential.
const (
	// DotComURL is the REST API of github.com.
	DotComURL = "https://api.github.com"
	// EnvAPIURL overrides it: a GitHub Enterprise Server (https://HOST/api/v3),
	// a simulator or a proxy.
	EnvAPIURL = "GITHUB_API_URL"
	// EnvToken is the responder's own token (or GITHUB_TOKEN_FILE): the
	// audit log, persistence and Enterprise Server revocation use it.
	EnvToken = "GITHUB_TOKEN"
	// EnvOrg is the organization keyir serve assesses for a GitHub token
	// (the `org` input; keyir sim github prints it).
	EnvOrg = "GITHUB_ORG"
)

// api is the GitHub API a step talks to.
type api struct {
	base *url.URL
	// enterprise is a GitHub Enterprise Server: its root is /api/v3, and
	// POST /credentials/revoke there needs authentication and takes only
	// ghp_ and github_pat_ tokens.
	enterprise bool
}

func (a api) String() string {
	if a.enterprise {
		return "the GitHub Enterprise Server at " + a.base.Host
	}
	return "GitHub at " + a.base.Host
}

// same reports whether root (a plan item's or a baseline's API, "" for one
// written before they recorded it) is this API, by the one rule of what
// names the same API (actions.SameAPI).
func (a api) same(root string) bool {
	return root == "" || actions.SameAPI(root, a.base.String())
}

// apiURL is how a step's api_url output names this API (actions.APIURL).
func (a api) apiURL() string { return actions.APIURL(a.base) }

// apiOf resolves GITHUB_API_URL (https, or http to loopback only), default
// api.github.com. A URL whose path ends in /api/v3 is an Enterprise Server.
func apiOf(env *actions.Env) (api, error) {
	raw := strings.TrimSpace(env.Lookup(EnvAPIURL))
	if raw == "" {
		raw = DotComURL
	} else if err := transport.CheckBaseURL(EnvAPIURL, raw); err != nil {
		return api{}, err
	}
	u, err := url.Parse(strings.TrimRight(raw, "/") + "/")
	if err != nil {
		return api{}, fmt.Errorf("%s: %w", EnvAPIURL, err)
	}
	return api{base: u, enterprise: strings.HasSuffix(u.Path, "/api/v3/")}, nil
}

// client is a go-github client over env.HTTP, authenticated with token
// ("" for none), paced by one pacer.
func (a api) client(env *actions.Env, p *pacer, token string) *github.Client {
	hc := *env.HTTP
	hc.Transport = p.wrap(env, hc.Transport)
	c := github.NewClient(&hc)
	if token != "" {
		if env.Redactor != nil {
			env.Redactor.Add(token)
		}
		c = c.WithAuthToken(token)
	}
	c.BaseURL = a.base
	c.UploadURL = a.base
	c.UserAgent = "keyir"
	// The pacer waits on the limits instead: go-github would refuse a
	// request without sending it, and without the wait.
	c.DisableRateLimitCheck = true
	return c
}

// responder is the responder's client (GITHUB_TOKEN), or why there is none.
func (a api) responder(env *actions.Env, p *pacer) (*github.Client, error) {
	tok, err := env.Credential(EnvToken)
	if err != nil {
		return nil, err
	}
	return a.client(env, p, tok), nil
}

// statusOf is the HTTP status of a go-github call (0 when none came back).
func statusOf(resp *github.Response, err error) int {
	if resp != nil && resp.Response != nil {
		return resp.StatusCode
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// isDryRun reports a write refused by the transport in a dry run.
func isDryRun(err error) bool { return errors.Is(err, transport.ErrDryRun) }

// accepted reports go-github's error for a 202 (which is no failure).
func accepted(err error) bool {
	var ae *github.AcceptedError
	return errors.As(err, &ae)
}

// callErr names a failed call without its query (a query may hold a
// search phrase with the hashed token).
func callErr(what string, resp *github.Response, err error) error {
	if st := statusOf(resp, err); st >= 200 && st < 300 && err != nil {
		// A success whose answer could not be used: say why.
		return fmt.Errorf("GitHub %s: %d, but %w", what, st, err)
	} else if st != 0 {
		msg := http.StatusText(st)
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Message != "" {
			msg = er.Message
		}
		return fmt.Errorf("GitHub %s: %d %s", what, st, msg)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("GitHub %s: %w", what, ue.Err)
	}
	return fmt.Errorf("GitHub %s: %w", what, err)
}

// note and progress are the package's short names for env.Note and
// env.Progress.
func note(env *actions.Env, text string)     { env.Note(text) }
func progress(env *actions.Env, text string) { env.Progress(text) }

// evidence records v as the step's evidence and returns what a finding
// cites of it (nothing when it could not be recorded).
func evidence(env *actions.Env, kind string, v any) []string {
	if env.Recorder == nil {
		return nil
	}
	if ref, err := env.Recorder.Evidence(kind, v); err == nil && ref != "" {
		return []string{ref}
	}
	return nil
}

// earlier is a string output of the last earlier step of this run that
// ran action, read from the journal ("" when none recorded it). Reading
// the journal rather than a template keeps a failed earlier step from
// failing this one.
func earlier(env *actions.Env, action, output string) string {
	v, _ := earlierOutput(env, action, output).(string)
	return v
}

// earlierOutput is an output of the last earlier step of this run that ran
// action for the same key as this step (a run of several keys runs it once
// per key), as the journal holds it (JSON-decoded); nil when none has it.
func earlierOutput(env *actions.Env, action, output string) any {
	if env.Report == nil {
		return nil
	}
	rep, err := env.Report()
	if err != nil || rep == nil {
		return nil
	}
	var v any
	for _, s := range rep.Steps {
		if s.Action == action && s.ID != env.Step && s.Outputs[output] != nil && rep.SameKey(s.ID, env.Step) {
			v = s.Outputs[output]
		}
	}
	return v
}
