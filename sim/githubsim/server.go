package githubsim

import "crypto/subtle"
import "fmt"
import "io"
import "net"
import "net/http"
import "strconv"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/sim/simhttp"
import "github.com/keyir/keyir/tokenfmt"

// Limit is a fixed-window rate limit (zero: none).
type Limit = simhttp.Limit

// Config tunes the simulator; DefaultConfig gives github.com's documented limits.
type Config struct {
	// Base: the clock, the propagation delay of a revocation, the latency
	// and the response observer every simulator has.
	simhttp.Base
	// Enterprise serves GitHub Enterprise Server: the API under /api/v3, and
	// POST /credentials/revoke authenticated and for ghp_ and github_pat_ only.
	Enterprise bool
	// Core limits each token's requests (X-RateLimit-Resource: core);
	// Unauthenticated limits each client address's requests without a token.
	Core, Unauthenticated Limit
	// Revoke limits POST /credentials/revoke per client address; AuditLog
	// limits the organization audit log per token (GitHub: 1,750 queries an
	// hour per user and address).
	Revoke, AuditLog Limit
}

// DefaultConfig: 5,000 requests an hour per token, 60 an hour per address
// without one, 60 revocation requests an hour per address.
func DefaultConfig() Config {
	return Config{
		Base:            simhttp.Base{Now: time.Now},
		Core:            Limit{Requests: 5000, Window: time.Hour},
		Unauthenticated: Limit{Requests: 60, Window: time.Hour},
		Revoke:          Limit{Requests: 60, Window: time.Hour},
		AuditLog:        Limit{Requests: 1750, Window: time.Hour},
	}
}

// Request is one request the simulator received (Host is always "").
type Request = simhttp.Request

// Server is the simulated GitHub REST API; it implements http.Handler.
type Server struct {
	st  *State
	cfg Config
	// Recorder: the requests received, their contract violations, the
	// injected faults.
	simhttp.Recorder

	windows simhttp.Windows

	mu   sync.Mutex
	reqN int
}

// New returns a server over st (nil: an empty State).
func New(st *State, cfg Config) *Server {
	if st == nil {
		st = NewState()
	}
	cfg.Base = cfg.WithClock()
	s := &Server{st: st, cfg: cfg}
	s.Record(contract)
	return s
}

// State returns the simulated GitHub.
func (s *Server) State() *State { return s.st }

// Authenticates reports whether the token would still authenticate now: it
// exists, is not expired, and was not revoked longer ago than the
// propagation delay. (A live refresh token authenticates nowhere in the API
// but is live in this sense: it can still mint tokens.)
func (s *Server) Authenticates(token string) bool {
	t, ok := s.st.Token(token)
	return ok && s.live(t, s.cfg.Now())
}

func (s *Server) live(t Token, now time.Time) bool {
	if !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
		return false
	}
	return !s.cfg.Revoked(t.RevokedAt, now)
}

// response is a buffered answer.
type response = simhttp.Response

// call is one request being handled.
type call struct {
	r      *http.Request
	body   []byte
	now    time.Time
	tok    *Token // nil: unauthenticated
	params map[string]string
	query  map[string]string // declared parameters only
	base   string            // scheme://host[/api/v3]: the API root in bodies
	origin string            // scheme://host: Link headers carry the request's own path
}

const maxBody = 1 << 20

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	path := r.URL.Path
	root := ""
	if s.cfg.Enterprise {
		root = "/api/v3"
	}
	rt, params, known := match(r.Method, path, root)
	rec := Request{Time: s.cfg.Now(), Method: r.Method, Path: path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	if rt != nil {
		rec.Route = rt.name
	}
	x := s.Receive(w, r, rec)
	s.mu.Lock()
	s.reqN++
	reqID := fmt.Sprintf("C0DE:%04X:%06X:%06X:%08X", s.reqN%0xffff, s.reqN*7, s.reqN*13, s.reqN)
	s.mu.Unlock()
	s.checkRequest(rt, known, r, body)
	if s.Intercept(x, s.cfg.Latency, ghStatus, secondary) {
		return
	}

	var resp response
	switch {
	case len(body) > maxBody:
		resp = ghError(http.StatusRequestEntityTooLarge, "Request body too large", docsRoot)
	case rt == nil && known:
		resp = ghError(http.StatusNotFound, "Not Found", docsRoot)
	case rt == nil:
		resp = ghError(http.StatusNotFound, "Not Found", docsRoot)
	default:
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		resp = s.handle(&call{r: r, body: body, now: s.cfg.Now(), params: params, base: scheme + "://" + r.Host + root, origin: scheme + "://" + r.Host}, rt)
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set("X-GitHub-Media-Type", "github.v3; format=json")
	resp.Header.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	resp.Header.Set("X-GitHub-Request-Id", reqID)
	x.Send(resp, contentType, s.cfg.OnResponse)
}

const docsRoot = "https://docs.github.com/rest"

func (s *Server) handle(c *call, rt *route) response {
	var rl http.Header
	tokVal, hasAuth := credential(c.r.Header.Get("Authorization"))
	client := clientAddr(c.r)

	// POST /credentials/revoke on github.com is anonymous and paced per address.
	if rt.revoke && !s.cfg.Enterprise {
		if c.r.Header.Get("Authorization") != "" {
			return ghError(http.StatusForbidden, "This endpoint must be called without authentication.", rt.doc)
		}
		if over, h := s.limit("revoke:"+client, "credentials_revoke", s.cfg.Revoke, c.now); over != nil {
			return *over
		} else {
			rl = h
		}
		c.query = declared(rt, c.r)
		return rt.h(s, c).With(rl)
	}

	var t Token
	ok := false
	if hasAuth {
		t, ok = s.st.Token(tokVal)
		ok = ok && subtle.ConstantTimeCompare([]byte(t.Value), []byte(tokVal)) == 1 && s.live(t, c.now)
		// A refresh token is exchanged for tokens at the OAuth endpoint; the API refuses it.
		ok = ok && t.Kind != "github_refresh"
	}
	if !ok && rt.anon && c.r.Header.Get("Authorization") == "" {
		over, h := s.limit("anon:"+client, "core", s.cfg.Unauthenticated, c.now)
		if over != nil {
			return *over
		}
		c.query = declared(rt, c.r)
		return rt.h(s, c).With(h)
	}
	if !ok {
		// Failed and missing credentials count against the address's unauthenticated limit.
		over, h := s.limit("anon:"+client, "core", s.cfg.Unauthenticated, c.now)
		if over != nil {
			return *over
		}
		if hasAuth || c.r.Header.Get("Authorization") != "" {
			return ghError(http.StatusUnauthorized, "Bad credentials", docsRoot).With(h)
		}
		return ghError(http.StatusUnauthorized, "Requires authentication", rt.doc).With(h)
	}
	c.tok = &t
	over, h := s.limit("tok:"+strconv.FormatInt(t.ID, 10), "core", s.cfg.Core, c.now)
	if over != nil {
		return *over
	}
	rl = h
	if rt.tmpl == "/orgs/{org}/audit-log" {
		// The audit log has its own limit; a refusal names it (X-RateLimit-Resource: audit_log).
		if over, _ := s.limit("audit:"+strconv.FormatInt(t.ID, 10), "audit_log", s.cfg.AuditLog, c.now); over != nil {
			return over.With(rl)
		}
	}
	if len(t.Scopes) > 0 || t.Kind == "github_classic_pat" || t.Kind == "github_oauth" {
		rl.Set("X-OAuth-Scopes", strings.Join(t.Scopes, ", "))
		rl.Set("X-Accepted-OAuth-Scopes", strings.Join(rt.scopes, ", "))
	}
	if !t.ExpiresAt.IsZero() {
		rl.Set("GitHub-Authentication-Token-Expiration", t.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if denied := s.authorize(c, rt); denied != nil {
		return denied.With(rl)
	}
	c.query = declared(rt, c.r)
	if bad := checkParams(rt, c); bad != nil {
		return bad.With(rl)
	}
	return rt.h(s, c).With(rl)
}

// limit counts one request against key's window; over is the answer once the
// window is spent (403 as GitHub answers a spent primary limit, with
// X-RateLimit-Remaining 0 and the reset time).
func (s *Server) limit(key, resource string, l Limit, now time.Time) (over *response, h http.Header) {
	h = http.Header{}
	if !l.On() {
		return nil, h
	}
	used, reset := s.windows.Take(key, resource, l, now)
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.Requests))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(l.Requests-used, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(used, l.Requests)))
	h.Set("X-RateLimit-Resource", resource)
	if used <= l.Requests {
		return nil, h
	}
	r := ghError(http.StatusForbidden, "API rate limit exceeded. Check the X-RateLimit-Reset header to see when you may retry.",
		"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api").With(h)
	if resource == "credentials_revoke" {
		// The revocation endpoint's own pacing: 429 with Retry-After.
		r.Status = http.StatusTooManyRequests
		r.Header.Set("Retry-After", strconv.Itoa(int(reset.Sub(now).Seconds())+1))
	}
	return &r, h
}

// credential reads "Bearer X" or "token X" (GitHub takes both).
func credential(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "token")) {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ghError is GitHub's basic error body.
func ghError(status int, msg, doc string) response {
	return jsonResp(status, map[string]string{"message": msg, "documentation_url": doc, "status": strconv.Itoa(status)})
}

// ghStatus is the answer of a status fault.
func ghStatus(status int, msg string) response { return ghError(status, msg, docsRoot) }

// contentType is what GitHub's JSON answers say they are.
const contentType = "application/json; charset=utf-8"

func jsonResp(status int, v any) response { return simhttp.JSON(status, contentType, v) }

// tokenKind names a token's kind by its shape, "" for none.
func tokenKind(tok string) string {
	if k, ok := tokenfmt.GitHubKindOf(tok); ok && tokenfmt.GitHubShapeOK(tok) {
		return k.Name
	}
	return ""
}
