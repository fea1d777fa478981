// The token model: every credential the workspace knows (keyir's own bot and
// app tokens, and the tokens of a leak scenario), auth.test and auth.revoke.

package slacksim

import "net/http"
import "slices"
import "strings"
import "time"

// Token kinds, from the prefix Slack gives each.
const (
	KindBot      = "bot"      // xoxb-
	KindUser     = "user"     // xoxp-
	KindRotating = "rotating" // xoxe.xoxb- / xoxe.xoxp-: an access token with rotation on
	KindRefresh  = "refresh"  // xoxe-: a refresh token, good only for oauth.v2.access
	KindApp      = "app"      // xapp-: Socket Mode
)

// DefaultBotID is the bot id of keyir's own bot (Slack's shape: B and 8 or
// more upper-case letters and digits).
const DefaultBotID = "B0KEYIRBOT1"

// Token is one credential of the simulated workspace.
type Token struct {
	Value string
	// Kind is derived from Value's prefix when empty.
	Kind     string
	TeamID   string // default: the workspace's
	UserID   string // the user it acts as (a bot's bot user)
	UserName string
	BotID    string // bot tokens only
	Scopes   []string
	// Inactive: its user or app is deactivated (auth.test: account_inactive).
	Inactive bool
	// Enterprise marks an org-level token of an Enterprise Grid org (the
	// Audit Logs API accepts only those, with auditlogs:read).
	Enterprise bool
}

// KindOf names the kind of a token by its prefix; "" for none Slack issues.
func KindOf(value string) string {
	switch {
	case strings.HasPrefix(value, "xoxb-"):
		return KindBot
	case strings.HasPrefix(value, "xoxp-"):
		return KindUser
	case strings.HasPrefix(value, "xoxe.xoxb-"), strings.HasPrefix(value, "xoxe.xoxp-"):
		return KindRotating
	case strings.HasPrefix(value, "xoxe-"):
		return KindRefresh
	case strings.HasPrefix(value, "xapp-"):
		return KindApp
	}
	return ""
}

// tokenState is a token and what happened to it.
type tokenState struct {
	Token
	revoked   bool
	revokedAt time.Time
}

// isBot reports whether the token acts as a bot user.
func (t *tokenState) isBot() bool {
	return t.Kind == KindBot || strings.HasPrefix(t.Value, "xoxe.xoxb-")
}

func (t *tokenState) hasScope(scope string) bool { return slices.Contains(t.Scopes, scope) }

// addToken puts a token into the model; the caller holds mu or owns s.
func (s *Server) addToken(t Token) {
	if t.Kind == "" {
		t.Kind = KindOf(t.Value)
	}
	if t.TeamID == "" {
		t.TeamID = s.o.TeamID
	}
	s.tokens[t.Value] = &tokenState{Token: t}
}

// AddToken adds a credential to the workspace (a scenario's leaked token,
// a responder's admin token).
func (s *Server) AddToken(t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addToken(t)
}

// Revoked reports whether a token was revoked (whether or not the revocation
// has propagated yet) and when.
func (s *Server) Revoked(value string) (bool, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[value]
	if t == nil {
		return false, time.Time{}
	}
	return t.revoked, t.revokedAt
}

// Dead reports whether the token is refused now: revoked and propagated,
// inactive, or unknown.
func (s *Server) Dead(value string) bool {
	_, code := s.authenticate(value)
	return code != ""
}

// authenticate resolves a credential: the token, or the error Slack answers
// for it. Death is in the body: HTTP 200 with token_revoked (revoked, once
// the revocation has propagated), account_inactive, invalid_auth (unknown,
// or a refresh token, which no Web API method accepts) or not_authed.
func (s *Server) authenticate(value string) (*tokenState, string) {
	if value == "" {
		return nil, "not_authed"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[value]
	switch {
	case t == nil || t.Kind == KindRefresh:
		return nil, "invalid_auth"
	case t.revoked && !s.o.Now().Before(t.revokedAt.Add(s.o.RevokePropagation)):
		return nil, "token_revoked"
	case t.Inactive:
		return nil, "account_inactive"
	}
	c := *t
	c.Scopes = slices.Clone(t.Scopes)
	return &c, ""
}

// tokenMethods authenticate by the token model alone: any live token of the
// workspace may call them (each checks its own scope).
var tokenMethods = map[string]func(*Server, http.ResponseWriter, *http.Request, *Call, *tokenState){
	"auth.test":            (*Server).authTest,
	"auth.revoke":          (*Server).authRevoke,
	"team.accessLogs":      (*Server).accessLogs,
	"team.integrationLogs": (*Server).integrationLogs,
}

// tokenAPI serves a method of tokenMethods: rate limit, authentication,
// then the method, with the token's scopes in X-OAuth-Scopes as Slack sends
// them on every authenticated answer.
func (s *Server) tokenAPI(w http.ResponseWriter, r *http.Request, call *Call, h func(*Server, http.ResponseWriter, *http.Request, *Call, *tokenState)) {
	if s.throttle(w, call) {
		return
	}
	t, code := s.authenticate(call.Token)
	if code != "" {
		s.fail(w, call, code)
		return
	}
	w.Header().Set("X-OAuth-Scopes", strings.Join(t.Scopes, ","))
	h(s, w, r, call, t)
}

func (s *Server) authTest(w http.ResponseWriter, r *http.Request, c *Call, t *tokenState) {
	user := t.UserName
	if user == "" {
		user = "keyir"
	}
	out := reply{"url": "https://keyir-sim.slack.com/", "team": "keyir-sim", "user": user,
		"team_id": t.TeamID, "user_id": t.UserID, "is_enterprise_install": t.Enterprise}
	if t.BotID != "" {
		out["bot_id"] = t.BotID
	}
	s.ok(w, c, out)
}

// authRevoke revokes the token the request carries (auth.revoke takes no
// other). test=1 is Slack's own dry run: it answers revoked:false and
// changes nothing. The token is refused once RevokePropagation has passed.
func (s *Server) authRevoke(w http.ResponseWriter, r *http.Request, c *Call, t *tokenState) {
	if truthy(c.Fields.Get("test")) {
		s.ok(w, c, reply{"revoked": false})
		return
	}
	s.mu.Lock()
	st := s.tokens[t.Value]
	if !st.revoked {
		st.revoked, st.revokedAt = true, s.o.Now()
	}
	s.mu.Unlock()
	s.ok(w, c, reply{"revoked": true})
}

// truthy is how Slack reads a boolean argument: 1 or true.
func truthy(v string) bool { return v == "1" || strings.EqualFold(v, "true") }

// RevokeToken revokes a token as auth.revoke would have at the instant at
// (a drill's resume replays a finished revoke into a rebuilt workspace).
func (s *Server) RevokeToken(value string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[value]; t != nil && !t.revoked {
		t.revoked, t.revokedAt = true, at
	}
}
