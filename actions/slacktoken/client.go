package slacktoken

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "strings"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/pace"
import "github.com/keyir/keyir/transport"

// Environment variables the provider reads.
const (
	// EnvAPIURL is the Web API base URL (a simulator, a proxy); the same
	// variable keyir's Slack notifications read: one Slack.
	EnvAPIURL = "SLACK_API_URL"
	// EnvTokenAPIURL, when set, is where the leaked token is checked and
	// revoked instead (a drill's leak world beside its notification
	// channel's simulator).
	EnvTokenAPIURL = "SLACK_TOKEN_API_URL"
	// EnvAdminToken is the responder's admin token (a user token with the
	// admin scope, xoxp-), or EnvAdminToken+"_FILE": it reads the team's
	// access and integration logs. Never the leaked token.
	EnvAdminToken = "SLACK_ADMIN_TOKEN"
	// EnvOrgToken is an Enterprise Grid org token with auditlogs:read (or
	// _FILE), for the Audit Logs API; EnvAuditURL overrides its base URL.
	EnvOrgToken = "SLACK_ORG_TOKEN"
	EnvAuditURL = "SLACK_AUDIT_API_URL"
	// EnvBotToken is keyir's own bot token (notifications, serve): a leaked
	// token equal to it is said so loudly.
	EnvBotToken = "SLACK_BOT_TOKEN"
)

// Default base URLs.
const (
	DefaultAPIURL   = "https://slack.com/api/"
	DefaultAuditURL = "https://api.slack.com/audit/v1/"
)

// maxBody bounds a Slack answer read into memory.
const maxBody = 16 << 20

// maxRateRetries bounds the retries of one request after a 429, and
// maxRateWait one wait: a longer Retry-After fails the request instead.
// maxTransient bounds the retries after a 5xx, a reset or a cut answer,
// backoff the first wait (doubled each time). Every request retried is
// safe to repeat: a read, or auth.revoke (revoking twice is revoking).
var (
	maxRateRetries = 4
	maxRateWait    = 65 * time.Second
	maxTransient   = 3
	backoff        = 500 * time.Millisecond
)

// transient reports whether err is worth another attempt: the network, a
// cut answer or a 5xx; never a dry run's refusal, a cancelled context or
// Slack's own ok:false.
func transient(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, transport.ErrDryRun) {
		return false
	}
	var st *StatusError
	var sc slack.StatusCodeError
	var se *SlackError
	var sr slack.SlackErrorResponse
	var rl *slack.RateLimitedError
	switch {
	case errors.As(err, &st):
		return st.Status >= 500
	case errors.As(err, &sc):
		return sc.Code >= 500
	case errors.As(err, &se), errors.As(err, &sr), errors.As(err, &rl):
		return false
	}
	return true
}

// retry runs do until it succeeds, fails for good, or maxTransient
// retries are spent.
func retry(ctx context.Context, env *actions.Env, what string, do func() error) error {
	wait := backoff
	for attempt := 0; ; attempt++ {
		err := do()
		if attempt >= maxTransient || !transient(ctx, err) {
			return err
		}
		env.Progress(fmt.Sprintf("%s failed (%v); trying again in %s", what, err, wait))
		if serr := actions.Sleep(ctx, wait); serr != nil {
			return err
		}
		wait *= 2
	}
}

// client reads with GET (token in the Authorization header) and revokes
// with slack-go's auth.revoke, all through the step's guarded client.
//
// Why reads are not slack-go calls: slack-go sends every method as a POST,
// and a dry run lets only GET and HEAD leave the machine (transport), so a
// dry run could not even ask whether the token is live. Slack accepts GET
// for every Web API method (its OpenAPI description declares them as GET)
// and a Bearer token on any of them; the one write, auth.revoke, stays a
// POST, which the transport refuses in a dry run and records as a planned
// change.
//
// Rate limits are Slack's per method: a 429 with Retry-After. One pacer
// (package pace, keyed by method) holds the client's later requests of that
// method back until the Retry-After has passed, instead of spending a 429
// each.
type client struct {
	env   *actions.Env
	base  string
	pacer *pace.Pacer
}

func newClient(env *actions.Env) (*client, error) {
	if strings.TrimSpace(env.Lookup(EnvTokenAPIURL)) != "" {
		return newClientAt(env, EnvTokenAPIURL, DefaultAPIURL)
	}
	return newClientAt(env, EnvAPIURL, DefaultAPIURL)
}

// apiURL is how a step's api_url output names the Slack the leaked token is
// asked at (actions.APIURL), "" when none is configured right (the step
// fails on that itself).
func apiURL(env *actions.Env) string {
	c, err := newClient(env)
	if err != nil {
		return ""
	}
	u, err := url.Parse(c.base)
	if err != nil {
		return ""
	}
	return actions.APIURL(u)
}

func newClientAt(env *actions.Env, urlVar, def string) (*client, error) {
	base := strings.TrimSpace(env.Lookup(urlVar))
	if base == "" {
		base = def
	}
	if err := transport.CheckBaseURL(urlVar, base); err != nil {
		return nil, err
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return &client{env: env, base: base, pacer: pace.New(pace.RetryAfterOnly, maxRateWait)}, nil
}

// SlackError is Slack's ok:false answer: death and refusals are in the body,
// with HTTP 200.
type SlackError struct {
	Method, Code, Needed, Provided string
}

func (e *SlackError) Error() string {
	s := fmt.Sprintf("Slack answered %s to %s", e.Code, e.Method)
	if e.Needed != "" {
		s += fmt.Sprintf(" (needs scope %s; the token has %q)", e.Needed, e.Provided)
	}
	return s
}

// StatusError is an HTTP status other than 200 (Slack's 429 once the
// retries are spent, a 5xx).
type StatusError struct {
	Method     string
	Status     int
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: HTTP %d", e.Method, e.Status)
}

// codeOf is Slack's error code of err, or "".
func codeOf(err error) string {
	var se *SlackError
	if errors.As(err, &se) {
		return se.Code
	}
	var sr slack.SlackErrorResponse
	if errors.As(err, &sr) {
		return sr.Err
	}
	return ""
}

// Death codes: Slack refuses the token itself. token_revoked and
// account_inactive are specific to a real token that is dead; invalid_auth
// is also Slack's answer to a token it does not know at this URL or one
// used from an IP address its allow list refuses.
var deathCodes = map[string]bool{"invalid_auth": true, "token_revoked": true, "account_inactive": true}

// read calls a read-only method with GET and decodes the answer into out
// (which must embed nothing of its own "ok"/"error"). A 429 waits for
// Retry-After and tries again, a bounded number of times.
func (c *client) read(ctx context.Context, method, token string, params url.Values, out any) (http.Header, error) {
	return c.get(ctx, c.base+method, method, token, params, out)
}

// get is one read, retried after a transient failure.
func (c *client) get(ctx context.Context, endpoint, method, token string, params url.Values, out any) (h http.Header, err error) {
	err = retry(ctx, c.env, method, func() error {
		h, err = c.getOnce(ctx, endpoint, method, token, params, out)
		return err
	})
	return h, err
}

func (c *client) getOnce(ctx context.Context, endpoint, method, token string, params url.Values, out any) (http.Header, error) {
	u := endpoint
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	for attempt := 0; ; attempt++ {
		if err := c.pacer.Wait(ctx, method); err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			c.pacer.Observe(method, 0, nil)
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.env.HTTP.Do(req)
		if err != nil {
			c.pacer.Observe(method, 0, nil)
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		c.pacer.Observe(method, resp.StatusCode, resp.Header)
		body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if rerr != nil {
			return nil, fmt.Errorf("%s: reading the answer: %w", method, rerr)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			wait := max(pace.RetryAfter(resp.Header.Get("Retry-After"), time.Now()), time.Second)
			if attempt >= maxRateRetries || wait > maxRateWait {
				return resp.Header, &StatusError{Method: method, Status: resp.StatusCode, RetryAfter: wait}
			}
			// The pacer holds the next attempt until Retry-After has passed.
			c.env.Progress(fmt.Sprintf("%s: rate limited by Slack, waiting %s", method, wait))
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return resp.Header, &StatusError{Method: method, Status: resp.StatusCode}
		}
		if len(body) > maxBody {
			return resp.Header, fmt.Errorf("%s: the answer is larger than %d bytes", method, maxBody)
		}
		if err := decode(method, body, out); err != nil {
			return resp.Header, err
		}
		return resp.Header, nil
	}
}

// decode reads Slack's envelope, then the method's fields. ok:false is a
// *SlackError; ok:false without an error code is still a failure (slack-go
// would call it a success).
func decode(method string, body []byte, out any) error {
	var env struct {
		OK       *bool  `json:"ok"`
		Error    string `json:"error"`
		Needed   string `json:"needed"`
		Provided string `json:"provided"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.OK == nil {
		return fmt.Errorf("%s: the answer is not Slack's JSON", method)
	}
	if !*env.OK {
		code := env.Error
		if code == "" {
			code = "unknown_error"
		}
		return &SlackError{Method: method, Code: code, Needed: env.Needed, Provided: env.Provided}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: unexpected answer: %w", method, err)
	}
	return nil
}

// revoke sends auth.revoke with the token itself (slack-go, through the
// guarded client: refused in a dry run).
func (c *client) revoke(ctx context.Context, token string) (resp *slack.AuthRevokeResponse, err error) {
	api := slack.New(token, slack.OptionHTTPClient(c.env.HTTP), slack.OptionAPIURL(c.base))
	err = retry(ctx, c.env, "auth.revoke", func() error {
		resp, err = api.SendAuthRevokeContext(ctx, token)
		return err
	})
	return resp, err
}

// identity is auth.test's answer.
type identity struct {
	URL        string `json:"url"`
	Team       string `json:"team"`
	User       string `json:"user"`
	TeamID     string `json:"team_id"`
	UserID     string `json:"user_id"`
	BotID      string `json:"bot_id"`
	Enterprise bool   `json:"is_enterprise_install"`
	Scopes     []string
}

// authTest asks Slack, with the token itself, who it is. The scopes come in
// the X-OAuth-Scopes header.
func (c *client) authTest(ctx context.Context, token string) (identity, error) {
	var id identity
	h, err := c.read(ctx, "auth.test", token, nil, &id)
	if err != nil {
		return identity{}, err
	}
	for _, s := range strings.Split(h.Get("X-OAuth-Scopes"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			id.Scopes = append(id.Scopes, s)
		}
	}
	return id, nil
}
