package sendgridsim

import "crypto/subtle"
import "hash/fnv"
import "io"
import "math/rand/v2"
import "net/http"
import "slices"
import "strconv"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/sim/simhttp"

// Limit is a fixed-window rate limit: Requests per Window, counted per route and per key.
type Limit = simhttp.Limit

// Config tunes the simulator. The zero value is usable; DefaultConfig gives SendGrid-like limits.
type Config struct {
	// Base: the clock, the propagation delay of a revocation (after a key's
	// RevokedAt), the latency and the response observer every simulator has.
	simhttp.Base
	// Limits by route name ("GET /v3/messages", "DELETE /v3/api_keys/{api_key_id}", …) with "*"
	// as the default. A route without an entry and no "*" is not limited. POST /v3/mail/send is
	// limited only by an explicit entry and never carries rate-limit headers.
	Limits map[string]Limit
	// EmailActivityAddon: false makes GET /v3/messages answer as the live API does for an
	// account without the paid add-on: 400 {"errors":[{"message":"authorization required"}]}.
	EmailActivityAddon bool
	// Seed seeds the generator of key ids, secrets and message ids (default 1).
	Seed uint64
}

// DefaultConfig returns the live API's documented behaviour: Email Activity at 6 requests per
// minute, other routes at 600 per minute, the add-on present, no propagation delay (set
// PropagationDelay to model one), seed 1.
func DefaultConfig() Config {
	return Config{
		Base: simhttp.Base{Now: time.Now},
		Limits: map[string]Limit{
			"*":                {Requests: 600, Window: time.Minute},
			"GET /v3/messages": {Requests: 6, Window: time.Minute},
		},
		EmailActivityAddon: true,
		Seed:               1,
	}
}

// Request is one request the simulator received (Host: RegionGlobal or RegionEU).
type Request = simhttp.Request

// Server is the simulated SendGrid v3 API. It implements http.Handler.
type Server struct {
	st  *State
	cfg Config

	// Recorder: the requests received, their contract violations, the
	// injected faults.
	simhttp.Recorder

	mu      sync.Mutex
	rng     *rand.Rand
	windows simhttp.Windows
}

// New returns a server over st. A nil st is a new empty State.
func New(st *State, cfg Config) *Server {
	if st == nil {
		st = NewState()
	}
	cfg.Base = cfg.WithClock()
	seed := cfg.Seed
	if seed == 0 {
		seed = 1
	}
	s := &Server{st: st, cfg: cfg, rng: rand.New(rand.NewPCG(seed, 0x5347))}
	s.Record(contract)
	return s
}

func (s *Server) seed() uint64 {
	if s.cfg.Seed == 0 {
		return 1
	}
	return s.cfg.Seed
}

// State returns the simulated account.
func (s *Server) State() *State { return s.st }

// Authenticates reports whether the key with that id would authenticate now on any host (a
// key authenticates only on its account's host, so this is the question "does the key still
// work anywhere?"), counting the propagation delay after revocation.
func (s *Server) Authenticates(id string) bool {
	k, ok := s.st.Key(id)
	return ok && s.authenticates(k, s.cfg.Now())
}

// AuthenticatesOn reports whether the key with that id would authenticate now on the host of
// region (RegionGlobal or RegionEU): only on its own account's host, and only until the
// propagation delay after revocation has passed.
func (s *Server) AuthenticatesOn(region, id string) bool {
	k, ok := s.st.Key(id)
	return ok && s.authenticates(k, s.cfg.Now()) && s.st.RegionOf(k.Subuser) == region
}

func (s *Server) authenticates(k Key, now time.Time) bool {
	return !s.cfg.Revoked(k.RevokedAt, now)
}

func (s *Server) randID(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return randString(s.rng, n)
}

// response is a buffered answer.
type response = simhttp.Response

// call is one authenticated request being handled.
type call struct {
	r      *http.Request
	body   []byte
	now    time.Time
	key    Key
	acct   string // the account acted for: the key's own, or on-behalf-of
	params map[string]string
	query  map[string][]string
}

func (c *call) q(name string) string {
	if v := c.query[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

const maxBody = 32 << 20

// ServeHTTP serves the global host (https://api.sendgrid.com); EU serves the EU host.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(RegionGlobal, w, r) }

// EU returns the handler of the EU host (https://api.eu.sendgrid.com) over the same state,
// rate limits, faults and request log. Only EU regional subusers' keys, and calls on behalf
// of an EU subuser, authenticate there; operations the spec serves only on the global host
// (Email Activity) are unknown paths there (404).
func (s *Server) EU() http.Handler { return euHost{s} }

type euHost struct{ s *Server }

func (h euHost) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.s.serve(RegionEU, w, r) }

func (s *Server) serve(region string, w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	rt, params, known := match(region, r.Method, r.URL.Path)
	rec := Request{
		Time: s.cfg.Now(), Host: region, Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body,
	}
	if rt != nil {
		rec.Route = rt.name
	}
	x := s.Receive(w, r, rec)
	waitCheck := s.checkWhile(s.cfg.Latency > 0, region, rt, known, r, body)
	done := s.Intercept(x, s.cfg.Latency, statusFault, nil)
	waitCheck()
	if done {
		return
	}

	var resp response
	switch {
	case rt == nil && known:
		resp = errResp(http.StatusMethodNotAllowed, nil, "method not allowed")
	case rt == nil:
		resp = errResp(http.StatusNotFound, nil, "not found")
	default:
		resp = s.handle(region, r, rt, params, body)
	}
	x.Send(resp, contentType, s.cfg.OnResponse)
}

func (s *Server) handle(region string, r *http.Request, rt *route, params map[string]string, body []byte) response {
	now := s.cfg.Now()
	tok, _ := bearer(r.Header.Get("Authorization"))
	id, _, wellFormed := ParseToken(tok)
	if !wellFormed {
		id = "anonymous"
	}

	// Rate limit first, per key (as named by the token) and route: the live API counts
	// rejected calls too.
	rl := http.Header{}
	if lim, ok := s.limitFor(rt); ok {
		used, reset := s.windows.Take(id, rt.name, lim, now)
		if !rt.mail {
			rl["X-Ratelimit-Limit"] = []string{strconv.Itoa(lim.Requests)}
			rl["X-Ratelimit-Remaining"] = []string{strconv.Itoa(max(lim.Requests-used, 0))}
			rl["X-Ratelimit-Reset"] = []string{strconv.FormatInt(reset.Unix(), 10)}
		}
		if used > lim.Requests {
			return errResp(http.StatusTooManyRequests, nil, "too many requests").With(rl)
		}
	}

	k, ok := s.st.Key(id)
	if !wellFormed || !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(k.Token())) != 1 || !s.authenticates(k, now) {
		return errResp(http.StatusUnauthorized, nil, "authorization required").With(rl)
	}

	c := &call{r: r, body: body, now: now, key: k, acct: k.Subuser, params: params, query: declared(rt, r.URL.Query())}
	// on-behalf-of is honoured only where the spec declares it; elsewhere SendGrid ignores it
	// like any unknown header, so the call acts for the key's own account. Mail send is the
	// exception SENDGRID.md records: the header is refused there.
	if sub := r.Header.Get("On-Behalf-Of"); sub != "" {
		switch {
		case rt.mail:
			return errResp(http.StatusBadRequest, strp("on-behalf-of"), "the on-behalf-of header is not supported on this endpoint").With(rl)
		case !rt.onBehalf():
		case k.Subuser != "" || !s.st.hasSubuser(sub):
			return errResp(http.StatusForbidden, nil, "access forbidden").With(rl)
		default:
			c.acct = sub
		}
	}
	// An account's data lives on its region's host: an EU subuser's keys, and calls on its
	// behalf, authenticate only on the EU host; the parent's and global subusers' only on the
	// global host.
	if s.st.RegionOf(c.acct) != region {
		return errResp(http.StatusUnauthorized, nil, "authorization required").With(rl)
	}
	if rt.scope != "" && !k.HasScope(rt.scope) {
		return errResp(http.StatusForbidden, nil, "access forbidden").With(rl)
	}
	if bad := checkLimit(rt, c); bad != nil {
		return bad.With(rl)
	}
	return rt.h(s, c).With(rl)
}

// declared keeps only the query parameters the spec declares for the operation: the rest
// are ignored, as the live API ignores what it does not know.
func declared(rt *route, q map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range q {
		if slices.Contains(rt.query, k) {
			out[k] = v
		}
	}
	return out
}

// checkLimit refuses a limit outside the operation's documented bounds with a 400, as the
// live API does; operations without a documented maximum check their own limit.
func checkLimit(rt *route, c *call) *response {
	if rt.limitMax == 0 {
		return nil
	}
	v, ok := c.query["limit"]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < rt.limitMin || n > rt.limitMax {
		r := errResp(http.StatusBadRequest, strp("limit"), "limit must be an integer between "+itoa(rt.limitMin)+" and "+itoa(rt.limitMax))
		return &r
	}
	return nil
}

func (s *Server) limitFor(rt *route) (Limit, bool) {
	if l, ok := s.cfg.Limits[rt.name]; ok && l.On() {
		return l, true
	}
	if rt.mail {
		return Limit{}, false
	}
	l, ok := s.cfg.Limits["*"]
	return l, ok && l.On()
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// apiError is one entry of the SendGrid error body.
type apiError struct {
	Field   *string `json:"field"`
	Message string  `json:"message"`
}

// apiErrorNoField is the variant without "field" (Email Activity).
type apiErrorNoField struct {
	Message string `json:"message"`
}

func strp(s string) *string { return &s }

func errResp(status int, field *string, msg string) response {
	return jsonResp(status, map[string][]apiError{"errors": {{Field: field, Message: msg}}})
}

// statusFault is the answer of a status fault.
func statusFault(status int, msg string) response { return errResp(status, nil, msg) }

// contentType is what SendGrid's JSON answers say they are.
const contentType = "application/json"

func jsonResp(status int, v any) response { return simhttp.JSON(status, contentType, v) }

func itoa(i int) string { return strconv.Itoa(i) }

// shuffle permutes xs the same way for the same seed and salt: an order no client can rely on,
// yet reproducible from run to run.
func shuffle[T any](seed uint64, xs []T, salt string) {
	h := fnv.New64a()
	h.Write([]byte(salt))
	rand.New(rand.NewPCG(seed, h.Sum64())).Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}
