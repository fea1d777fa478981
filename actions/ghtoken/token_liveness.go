package ghtoken

import "context"
import "errors"
import "fmt"
import "sort"
import "strings"
import "time"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// tokenLivenessInfo declares github.token_liveness; provider.go registers it.
var tokenLivenessInfo = actions.Info{
	Name:    "github.token_liveness",
	Summary: "Ask GitHub, with the leaked token itself, whether it still authenticates (GET /user)",
	Outputs: []actions.Output{
		actions.StatusOutput,
		{Name: "login", Type: actions.TypeString, Description: "the account the token acts as (empty for an installation token or when not live)"},
		{Name: "scopes", Type: actions.TypeList, Description: "its OAuth scopes (X-OAuth-Scopes; fine-grained and installation tokens have none)"},
		{Name: "expires_at", Type: actions.TypeString, Description: "its expiry (github-authentication-token-expiration), empty when none is set"},
		actions.APIURLOutput,
	},
	New: func() actions.Action { return new(Liveness) },
}

// Liveness checks whether the leaked token still authenticates.
type Liveness struct {
	Token string `param:"key,required,secret" desc:"the leaked token"`
}

// Validate checks the token's shape and checksum.
func (a *Liveness) Validate() error {
	_, err := parseValid(a.Token)
	return err
}

// liveness is one GET /user with the leaked token.
type liveness struct {
	Status  string
	HTTP    int
	Login   string
	Type    string
	Scopes  []string
	Expires string
	// Scoped reports whether the answer carried X-OAuth-Scopes at all.
	Scoped bool
}

// badCredentials reports GitHub's own word that a token is not valid: a 401
// whose message is "Bad credentials". A 401 without it (a proxy's, a
// gateway's) says nothing about the token, and proves nothing.
func badCredentials(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && strings.EqualFold(strings.TrimSpace(er.Message), "Bad credentials")
}

// probe asks GET /user with the token. A 401 saying "Bad credentials" is
// dead; a 200 live; a 403 is
// live only for an installation token (GitHub's answer to an installation
// on a user endpoint): for any other token it proves nothing.
func probe(ctx context.Context, env *actions.Env, a api, p *pacer, token string, t Token) (liveness, error) {
	if t.refresh() {
		// Its 401 would prove nothing: nothing is sent.
		return liveness{Status: actions.StatusUnknown}, nil
	}
	c := a.client(env, p, token)
	u, resp, err := c.Users.Get(ctx, "")
	l := liveness{Status: actions.StatusUnknown, HTTP: statusOf(resp, err)}
	if resp != nil && resp.Response != nil {
		h := resp.Header
		if v, ok := h["X-Oauth-Scopes"]; ok {
			l.Scoped = true
			for _, s := range strings.Split(strings.Join(v, ","), ",") {
				if s = strings.TrimSpace(s); s != "" {
					l.Scopes = append(l.Scopes, s)
				}
			}
			sort.Strings(l.Scopes)
		}
		l.Expires = strings.TrimSpace(h.Get("Github-Authentication-Token-Expiration"))
	}
	if until, limited := rateLimited(err); limited {
		// GitHub counts a refused token against the address's hourly limit
		// for requests without valid credentials (60): a 403 or 429 of a
		// spent limit says nothing about the token, and asking again before
		// the reset would only be refused again.
		return l, &RateLimitedError{What: "GET /user with the leaked token", Until: until}
	}
	switch {
	case l.HTTP == 200 && err == nil:
		l.Status = actions.StatusLive
		l.Login, l.Type = u.GetLogin(), u.GetType()
	case l.HTTP == 401 && badCredentials(err):
		l.Status = actions.StatusDead
	case l.HTTP == 403 && t.installation():
		l.Status = actions.StatusLive
	case l.HTTP == 0:
		return l, callErr("GET /user with the leaked token", resp, err)
	}
	return l, nil
}

// leaked is what every step that asks with the leaked token starts with:
// the token registered with the redactor, checked, and the API to ask.
func leaked(env *actions.Env, raw string) (token string, t Token, where api, err error) {
	token = strings.TrimSpace(raw)
	if env.Redactor != nil {
		env.Redactor.Add(token)
	}
	if t, err = parseValid(token); err != nil {
		return "", t, where, err
	}
	where, err = apiOf(env)
	return token, t, where, err
}

// Run checks liveness and records what it learnt.
func (a *Liveness) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	token, t, where, err := leaked(env, a.Token)
	if err != nil {
		return nil, err
	}
	l, err := probe(ctx, env, where, newPacer(), token, t)
	if err != nil {
		return nil, fmt.Errorf("liveness of the leaked token: %w", err)
	}
	switch l.Status {
	case actions.StatusLive:
		note(env, liveText(t, l, where))
	case actions.StatusDead:
		alreadyDead(env, t, where)
	default:
		if t.refresh() {
			note(env, "liveness unknown: a refresh token is exchanged for tokens at GitHub's OAuth endpoint, and the API refuses it whether it lives or not; keyir cannot test it")
			break
		}
		note(env, fmt.Sprintf("liveness unknown: GET /user answered %d at %s (neither 200 nor 401)", l.HTTP, where))
	}
	if l.Scopes == nil {
		l.Scopes = []string{}
	}
	return actions.Outputs{"status": l.Status, "login": l.Login, "scopes": l.Scopes, "expires_at": l.Expires, "api_url": where.apiURL()}, nil
}

func liveText(t Token, l liveness, where api) string {
	switch {
	case t.installation():
		return fmt.Sprintf("the leaked %s is LIVE at %s (403 on GET /user: an installation token is refused there while it lives)", t.Kind.Human, where)
	case l.Scoped:
		return fmt.Sprintf("the leaked %s is LIVE at %s: it acts as %s with scopes [%s]", t.Kind.Human, where, l.Login, strings.Join(l.Scopes, ", "))
	}
	return fmt.Sprintf("the leaked %s is LIVE at %s: it acts as %s (its permissions are not readable with the token itself)", t.Kind.Human, where, l.Login)
}

// alreadyDead records a token that answered 401 before keyir asked for its
// revocation. That is GitHub's answer for a token it issued that was
// revoked or expired, and also for one another GitHub issued (an
// Enterprise Server's, or github.com's when GITHUB_API_URL names a
// server): the finding says it was refused here, not that it was revoked.
func alreadyDead(env *actions.Env, t Token, where api) {
	env.Finding(report.Finding{
		Kind: actions.KindRefusedBeforeRevoke, Subject: t.Fingerprint, Severity: report.Info,
		Title:  fmt.Sprintf("The %s was refused at %s before keyir acted", t.Kind.Human, where),
		Detail: fmt.Sprintf("GET /user with the token answered 401 (Bad credentials) at %s before keyir asked for its revocation. %s", where, refusedMeans(where)),
	})
}

// refusedMeans says what a 401 from where proves, and what it does not.
func refusedMeans(where api) string {
	other := "If it was issued by a GitHub Enterprise Server, set GITHUB_API_URL to https://HOST/api/v3 and run again: there it was not tested."
	if where.enterprise {
		other = "If it was issued by github.com (or another server), unset or change GITHUB_API_URL and run again: there it was not tested."
	}
	return fmt.Sprintf("A token %s issued answers so once it is revoked or expired (GitHub revokes tokens its secret scanning finds in public); so does a token another GitHub issued, and keyir cannot tell which. %s", where.base.Host, other)
}

var (
	_ actions.Action    = (*Liveness)(nil)
	_ actions.Validator = (*Liveness)(nil)
)

// rateLimited tells a spent limit (go-github's primary or secondary rate
// limit error) from an answer about the token, and when it resets.
func rateLimited(err error) (time.Time, bool) {
	var primary *github.RateLimitError
	if errors.As(err, &primary) {
		return primary.Rate.Reset.Time, true
	}
	var secondary *github.AbuseRateLimitError
	if errors.As(err, &secondary) {
		return time.Now().Add(secondary.GetRetryAfter()), true
	}
	return time.Time{}, false
}
