// Package sendgrid holds keyir's SendGrid actions: identify a leaked key,
// check whether it is live, snapshot and revoke exactly that key, prove it is
// dead, and assess what it could do and did (activity, stats, persistence,
// inventory). One file per action; this file is the one shared API client.
//
// Every request goes through env.HTTP (the guarded, recording client), is
// built with the official sendgrid-go request builders, and is retried here,
// not by the SDK: the SDK's 429 retry reads the reset header in the wrong
// case, ignores the context and drops the last response.
package sendgrid

import "bytes"
import "context"
import "encoding/json"
import "errors"
import "fmt"
import "math/rand/v2"
import "net"
import "net/http"
import "net/url"
import "regexp"
import "strconv"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/pace"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/transport"
import "github.com/sendgrid/rest"
import "github.com/sendgrid/sendgrid-go"

// Base URLs of the SendGrid API by region.
const (
	GlobalURL = "https://api.sendgrid.com"
	EUURL     = "https://api.eu.sendgrid.com"
)

// Environment variables the client reads.
const (
	EnvAPIURL   = "SENDGRID_API_URL"    // overrides the global base URL (simulator, proxy)
	EnvAPIURLEU = "SENDGRID_API_URL_EU" // overrides the EU base URL (simulator, proxy)
	EnvAPIKey   = "SENDGRID_API_KEY"    // the responder's key (or SENDGRID_API_KEY_FILE)
	EnvRegion   = "SENDGRID_REGION"     // default region for SaveInventory and Doctor
)

var (
	keyIDRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
	regionRE = regexp.MustCompile(`^(global|eu)$`)
)

// Retry policy defaults. Tests and benchmarks may shorten them through the
// package variables; actions never change them.
var (
	// maxRateWait caps one wait for a rate-limit reset.
	maxRateWait = 65 * time.Second
	// maxRateRetries bounds how often one request is retried after 429.
	maxRateRetries = 12
	// maxTransientRetries bounds retries after 5xx, connection errors and timeouts.
	maxTransientRetries = 3
	// backoffBase is the first transient backoff; it doubles per attempt, with jitter.
	backoffBase = 300 * time.Millisecond
	backoffMax  = 8 * time.Second
)

// baseURL resolves the base URL of one region's host:
//
//   - global: SENDGRID_API_URL when set (validated: https, or http to
//     loopback only), else https://api.sendgrid.com;
//   - eu: SENDGRID_API_URL_EU when set; else, when SENDGRID_API_URL is set
//     (a simulator or a proxy), the EU host is unknown and this is an error
//     (*UnknownHostError): falling back to the global URL would read a 401
//     from the wrong host as "dead", and reaching the real EU host from a
//     simulator run would send a real key to a real API; else
//     https://api.eu.sendgrid.com.
func baseURL(env *actions.Env, region string) (string, error) {
	global := strings.TrimSpace(env.Lookup(EnvAPIURL))
	switch region {
	case "", RegionGlobal:
		if global != "" {
			if err := transport.CheckBaseURL(EnvAPIURL, global); err != nil {
				return "", err
			}
			return strings.TrimRight(global, "/"), nil
		}
		return GlobalURL, nil
	case RegionEU:
		if raw := strings.TrimSpace(env.Lookup(EnvAPIURLEU)); raw != "" {
			if err := transport.CheckBaseURL(EnvAPIURLEU, raw); err != nil {
				return "", err
			}
			return strings.TrimRight(raw, "/"), nil
		}
		if global != "" {
			return "", &UnknownHostError{Region: RegionEU}
		}
		return EUURL, nil
	}
	return "", fmt.Errorf("region %q: want global or eu", region)
}

// Regions.
const (
	RegionGlobal = "global"
	RegionEU     = "eu"
)

// UnknownHostError says a region's host is not configured: SENDGRID_API_URL
// points at a simulator or proxy and SENDGRID_API_URL_EU is not set.
type UnknownHostError struct{ Region string }

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("the %s host is unknown: %s is set (a simulator or proxy) but %s is not; set it to reach %s accounts", e.Region, EnvAPIURL, EnvAPIURLEU, e.Region)
}

// normRegion maps "" to global.
func normRegion(r string) string {
	if r == "" {
		return RegionGlobal
	}
	return r
}

// Client calls the SendGrid API with one key, through env.HTTP.
type Client struct {
	env     *actions.Env
	host    string
	region  string // of host: global or eu
	key     string
	subuser string // on-behalf-of; empty for the parent account
	// who names the key in messages: "responder key" or "leaked key".
	who string
	// pacer is shared by the copies of one client (onBehalfOf, forAccount):
	// one key's requests, keyed by host and route template (sendgridRoutes).
	pacer *pace.Pacer
}

// sendgridRoutes are the templates of the endpoints keyir calls with an id
// in the path: SendGrid limits each endpoint template on its own, so
// DELETE /v3/api_keys/A and /B spend one window.
var sendgridRoutes = pace.NewRoutes(
	"/v3/api_keys/{api_key_id}",
	"/v3/access_settings/whitelist/{rule_id}",
	"/v3/alerts/{alert_id}",
	"/v3/teammates/{username}",
	"/v3/teammates/pending/{token}",
	"/v3/user/webhooks/event/settings/{id}",
	"/v3/user/webhooks/event/settings/signed/{id}",
	"/v3/user/webhooks/parse/settings/{hostname}",
	"/v3/verified_senders/{id}",
)

// newPacer paces one key's requests by SendGrid's X-RateLimit-* headers.
func newPacer() *pace.Pacer { return pace.New(pace.XRateLimit, maxRateWait) }

// newClient is the responder's client: its key comes from SENDGRID_API_KEY
// (or SENDGRID_API_KEY_FILE), never from a playbook parameter.
func newClient(env *actions.Env, region, subuser string) (*Client, error) {
	host, err := baseURL(env, region)
	if err != nil {
		return nil, err
	}
	key, err := env.Credential(EnvAPIKey)
	if err != nil {
		return nil, err
	}
	return &Client{env: env, host: host, region: normRegion(region), key: key, subuser: subuser, who: "responder key", pacer: newPacer()}, nil
}

// newLeakedClient authenticates with the leaked key itself: only liveness
// checks (GET /v3/scopes) use it.
func newLeakedClient(env *actions.Env, region, key string) (*Client, error) {
	host, err := baseURL(env, region)
	if err != nil {
		return nil, err
	}
	if env.Redactor != nil {
		env.Redactor.Add(key)
	}
	return &Client{env: env, host: host, region: normRegion(region), key: key, who: "leaked key", pacer: newPacer()}, nil
}

// onBehalfOf returns a copy of c acting for subuser ("" = parent), on the
// same host.
func (c *Client) onBehalfOf(subuser string) *Client {
	cc := *c
	cc.subuser = subuser
	return &cc
}

// forAccount returns a copy of c acting for an account on its region's
// host: the parent (subuser "") or a subuser (on-behalf-of).
func (c *Client) forAccount(a Account) (*Client, error) {
	host, err := baseURL(c.env, a.Region)
	if err != nil {
		return nil, err
	}
	cc := *c
	cc.subuser, cc.host, cc.region = a.Subuser, host, normRegion(a.Region)
	return &cc, nil
}

// parentOnly returns a copy of c without on-behalf-of, for operations whose
// spec declares no on-behalf-of header (GET /v3/messages, the verified
// senders, GET /v3/subusers): SendGrid ignores an unknown header and would
// answer for the parent, so sending it would only make a wrong call look
// right.
func (c *Client) parentOnly() *Client { return c.onBehalfOf("") }

// Response is a completed exchange: any status, body read. Body is shared
// with the exchange's evidence record (send): read it, never write to it.
type Response struct {
	Status int
	Body   []byte
	Header http.Header
}

// APIError is a non-2xx answer, with the messages of either error body shape.
type APIError struct {
	Method   string
	Endpoint string // path only, no query (queries may hold search terms)
	Status   int
	Messages []string
	// Who names the key that was answered ("responder key", "leaked key"):
	// a 401 means opposite things for the two.
	Who string
}

func (e *APIError) Error() string {
	msg := http.StatusText(e.Status)
	if len(e.Messages) > 0 {
		msg = strings.Join(e.Messages, "; ")
	}
	if e.Who != "" {
		return fmt.Sprintf("SendGrid %s %s with the %s: %d %s", e.Method, e.Endpoint, e.Who, e.Status, msg)
	}
	return fmt.Sprintf("SendGrid %s %s: %d %s", e.Method, e.Endpoint, e.Status, msg)
}

// statusOf returns the HTTP status of an *APIError in err's chain, or 0.
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// errorMessages parses {"errors":[{"field","message"}]} and {"error":"…"}.
func errorMessages(body []byte) []string {
	var b struct {
		Errors []struct {
			Field   *string `json:"field"`
			Message string  `json:"message"`
		} `json:"errors"`
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []string
	for _, e := range b.Errors {
		m := e.Message
		if e.Field != nil && *e.Field != "" {
			m = *e.Field + ": " + m
		}
		if m != "" {
			out = append(out, m)
		}
	}
	if len(b.Error) > 0 {
		var s string
		if json.Unmarshal(b.Error, &s) == nil && s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 && b.Message != "" {
		out = append(out, b.Message)
	}
	return out
}

func pathOf(endpoint string) string {
	if i := strings.IndexByte(endpoint, '?'); i >= 0 {
		return endpoint[:i]
	}
	return endpoint
}

// idempotent methods may be retried after a transient failure; a POST is
// retried only after 429, which guarantees it was not processed.
func idempotent(method rest.Method) bool {
	return method == rest.Get || method == rest.Delete || method == rest.Put
}

// do sends one request with the shared retry policy and returns the final
// response whatever its status. endpoint is a path with an already-escaped
// query (repeated parameters cannot go through rest.Request.QueryParams).
// The error is a transport failure after retries, a dry-run refusal
// (errors.Is(err, transport.ErrDryRun)), or the context's.
func (c *Client) do(ctx context.Context, method rest.Method, endpoint string, body any) (*Response, error) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		payload = b
	}
	rc := &rest.Client{HTTPClient: c.env.HTTP}
	rateRetries, transientRetries := 0, 0
	paceKey := c.host + " " + sendgridRoutes.Key(string(method), pathOf(endpoint))
	for {
		for d := c.pacer.Reserve(paceKey); d > 0; d = c.pacer.Reserve(paceKey) {
			c.progress(fmt.Sprintf("rate limited: no requests left in this window before %s %s; waiting %s for the limit to reset", method, pathOf(endpoint), d.Round(time.Millisecond)))
			if err := actions.Sleep(ctx, d); err != nil {
				return nil, err
			}
		}
		var req rest.Request
		if c.subuser != "" {
			req = sendgrid.GetRequestSubuser(c.key, endpoint, c.host, c.subuser)
		} else {
			req = sendgrid.GetRequest(c.key, endpoint, c.host)
		}
		req.Method = method
		req.Body = payload
		r, err := send(ctx, rc, req)
		if err != nil {
			c.pacer.Observe(paceKey, 0, nil)
			if errors.Is(err, transport.ErrDryRun) || ctx.Err() != nil {
				return nil, err
			}
			if !retryableErr(err) || !idempotent(method) || transientRetries >= maxTransientRetries {
				return nil, fmt.Errorf("SendGrid %s %s: %w", method, pathOf(endpoint), err)
			}
			transientRetries++
			d := backoff(transientRetries)
			c.progress(fmt.Sprintf("%s %s failed (%s); retry %d/%d in %s", method, pathOf(endpoint), shortErr(err), transientRetries, maxTransientRetries, d.Round(time.Millisecond)))
			if err := actions.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		c.pacer.Observe(paceKey, r.Status, r.Header)
		switch {
		case r.Status == http.StatusTooManyRequests:
			if rateRetries >= maxRateRetries {
				return r, nil
			}
			rateRetries++
			d := rateWait(r.Header, rateRetries)
			c.progress(fmt.Sprintf("rate limited on %s %s: waiting %s for the limit to reset (retry %d/%d)", method, pathOf(endpoint), d.Round(time.Millisecond), rateRetries, maxRateRetries))
			if err := actions.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		case r.Status >= 500 && idempotent(method) && transientRetries < maxTransientRetries:
			transientRetries++
			d := backoff(transientRetries)
			c.progress(fmt.Sprintf("%s %s answered %d; retry %d/%d in %s", method, pathOf(endpoint), r.Status, transientRetries, maxTransientRetries, d.Round(time.Millisecond)))
			if err := actions.Sleep(ctx, d); err != nil {
				return nil, err
			}
			continue
		}
		return r, nil
	}
}

// maxAnswer bounds the body of one answer: the transport's bound, so an
// answer read here (a client without the guard) is held to the same one (a
// variable for tests). SendGrid's largest, a page of 1,000 Email Activity
// messages, is about 200 KB.
var maxAnswer = transport.MaxAnswer

// send is the rest library's SendWithContext with the answer read once:
// the SDK builds and sends the request, and the body is the one the guard
// (transport) read to record it, handed over through transport.WithAnswer;
// rest's BuildResponse read it again with io.ReadAll from 512 bytes and
// copied it twice more (a string, then bytes again). A client without the
// guard has the body read here, bounded.
func send(ctx context.Context, rc *rest.Client, req rest.Request) (*Response, error) {
	hreq, err := rest.BuildRequestObject(req)
	if err != nil {
		return nil, err
	}
	var ans transport.Answer
	resp, err := rc.MakeRequest(hreq.WithContext(transport.WithAnswer(ctx, &ans)))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, ok := ans.Body()
	if !ok {
		body, err = safefile.ReadAll(resp.Body, int64(maxAnswer))
	} else if len(body) > maxAnswer {
		err = fmt.Errorf("answer %w: more than %s", safefile.ErrTooLarge, safefile.Size(int64(maxAnswer)))
	}
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Body: body, Header: resp.Header}, nil
}

// call is do plus status mapping: a non-2xx becomes an *APIError; a 2xx body
// is decoded into out (when non-nil). A 2xx whose body does not decode
// (a truncated answer) is retried like a transient failure for idempotent
// methods.
func (c *Client) call(ctx context.Context, method rest.Method, endpoint string, body, out any) (*Response, error) {
	for attempt := 0; ; attempt++ {
		r, err := c.do(ctx, method, endpoint, body)
		if err != nil {
			return nil, err
		}
		if r.Status < 200 || r.Status > 299 {
			return r, &APIError{Method: string(method), Endpoint: pathOf(endpoint), Status: r.Status, Messages: errorMessages(r.Body), Who: c.who}
		}
		if out == nil || r.Status == http.StatusNoContent && len(bytes.TrimSpace(r.Body)) == 0 {
			return r, nil
		}
		var derr error
		if d, ok := out.(bodyDecoder); ok {
			derr = d.decodeBody(r.Body)
		} else {
			derr = json.Unmarshal(r.Body, out)
		}
		if derr == nil && method == rest.Get {
			derr = wantFields(r.Body, out)
		}
		if derr == nil {
			return r, nil
		}
		if !idempotent(method) || attempt >= maxTransientRetries {
			return r, fmt.Errorf("SendGrid %s %s: unreadable %d answer: %v", method, pathOf(endpoint), r.Status, derr)
		}
		d := backoff(attempt + 1)
		c.progress(fmt.Sprintf("%s %s: unreadable answer (%v); retrying in %s", method, pathOf(endpoint), derr, d.Round(time.Millisecond)))
		if err := actions.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// get is call for GET.
func (c *Client) get(ctx context.Context, endpoint string, out any) (*Response, error) {
	return c.call(ctx, rest.Get, endpoint, nil, out)
}

func (c *Client) progress(text string) {
	if c.env.Recorder != nil {
		c.env.Recorder.Progress(text)
	}
}

// retryableErr: timeouts, resets, refused connections, truncated bodies.
func retryableErr(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true // connection reset, EOF, refused: all transient here
	}
	// A body that ended early surfaces as unexpected EOF from the reader.
	return strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset")
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		s = s[i+2:]
	}
	return s
}

// rateWait is how long to wait after a 429: until X-RateLimit-Reset (unix
// seconds; on the wire X-Ratelimit-Reset, so read it with Header.Get) plus a
// little jitter, at least a short floor that grows per retry, at most
// maxRateWait.
func rateWait(h http.Header, retry int) time.Duration {
	floor := time.Duration(retry) * 100 * time.Millisecond
	d := floor
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
			if until := time.Until(time.Unix(sec, 0)); until > d {
				d = until
			}
		}
	}
	d += time.Duration(rand.Int64N(int64(50 * time.Millisecond)))
	return min(d, maxRateWait)
}

// backoff is the n-th (1-based) exponential backoff with full jitter on the
// upper half.
func backoff(n int) time.Duration {
	d := backoffBase << (n - 1)
	if d > backoffMax || d <= 0 {
		d = backoffMax
	}
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// isDryRun reports a write refused by the transport in a dry run.
func isDryRun(err error) bool { return errors.Is(err, transport.ErrDryRun) }

// authRequired reports an answer whose message says "authorization required"
// (what SendGrid answers for an add-on the account lacks).
func authRequired(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	for _, m := range ae.Messages {
		if strings.Contains(strings.ToLower(m), "authoriz") {
			return true
		}
	}
	return false
}

func escape(s string) string { return url.PathEscape(s) }
