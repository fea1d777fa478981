package sendgrid

import "strings"

// route is one endpoint of the simulator. Its name ("GET /v3/api_keys/{api_key_id}") is the
// key of Config.Limits, Fault.Route and Request.Route.
type route struct {
	name   string
	method string
	segs   []string
	scope  string // required scope; "" = any live key
	mail   bool   // mail send: no rate-limit headers, no on-behalf-of
	h      func(*Server, *call) response
}

// routes is the endpoint table. Scopes are the live API's permission names; see doc.go.
var routes = []*route{
	rte("GET /v3/scopes", "", (*Server).getScopes),
	rte("GET /v3/api_keys", "api_keys.read", (*Server).listKeys),
	rte("POST /v3/api_keys", "api_keys.create", (*Server).createKey),
	rte("GET /v3/api_keys/{api_key_id}", "api_keys.read", (*Server).getKey),
	rte("DELETE /v3/api_keys/{api_key_id}", "api_keys.delete", (*Server).deleteKey),
	rte("GET /v3/messages", "email_activity.read", (*Server).messages),
	rte("GET /v3/stats", "stats.read", (*Server).stats),
	rte("GET /v3/teammates", "teammates.read", (*Server).teammates),
	rte("GET /v3/teammates/pending", "teammates.read", (*Server).pending),
	rte("GET /v3/access_settings/activity", "access_settings.activity.read", (*Server).activity),
	rte("GET /v3/access_settings/whitelist", "access_settings.whitelist.read", (*Server).whitelist),
	rte("GET /v3/subusers", "subusers.read", (*Server).subusers),
	rte("GET /v3/user/webhooks/event/settings/all", "user.webhooks.event.settings.read", (*Server).eventWebhooks),
	rte("GET /v3/user/webhooks/parse/settings", "user.webhooks.parse.settings.read", (*Server).parseSettings),
	rte("GET /v3/mail_settings/forward_bounce", "mail_settings.forward_bounce.read", (*Server).forwardBounce),
	rte("GET /v3/mail_settings/forward_spam", "mail_settings.forward_spam.read", (*Server).forwardSpam),
	rte("GET /v3/alerts", "alerts.read", (*Server).alerts),
	rte("GET /v3/suppression/bounces", "suppression.bounces.read", (*Server).bounces),
	rte("GET /v3/suppression/spam_reports", "suppression.spam_reports.read", (*Server).spamReports),
	rte("GET /v3/verified_senders", "verified_senders.read", (*Server).verifiedSenders),
	rte("POST /v3/mail/send", "mail.send", (*Server).mailSend),
}

func rte(name, scope string, h func(*Server, *call) response) *route {
	method, path, _ := strings.Cut(name, " ")
	return &route{name: name, method: method, segs: split(path), scope: scope, mail: name == "POST /v3/mail/send", h: h}
}

func split(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// Route describes one endpoint for documentation and tests.
type Route struct {
	Name  string // "GET /v3/scopes"
	Scope string // required scope, "" = any live key
}

// Routes lists the simulator's endpoints in table order.
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = Route{Name: rt.name, Scope: rt.scope}
	}
	return out
}

// match finds the route for method and path. known reports whether some route has that path
// (with another method), for 405.
func match(method, path string) (rt *route, params map[string]string, known bool) {
	segs := split(path)
	for _, c := range routes {
		p, ok := matchSegs(c.segs, segs)
		if !ok {
			continue
		}
		if c.method == method {
			return c, p, true
		}
		known = true
	}
	return nil, nil, known
}

func matchSegs(pat, segs []string) (map[string]string, bool) {
	if len(pat) != len(segs) {
		return nil, false
	}
	var p map[string]string
	for i, s := range pat {
		if strings.HasPrefix(s, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if p == nil {
				p = map[string]string{}
			}
			p[strings.Trim(s, "{}")] = segs[i]
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	return p, true
}
