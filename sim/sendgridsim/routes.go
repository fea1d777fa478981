package sendgridsim

import "slices"
import "strings"

// route is one endpoint of the simulator. Its name ("GET /v3/api_keys/{api_key_id}") is the
// key of Config.Limits, Fault.Route and Request.Route.
type route struct {
	name   string
	method string
	segs   []string
	scope  string // required scope; "" = any live key
	mail   bool   // mail send: no rate-limit headers, on-behalf-of refused (SENDGRID.md)
	h      func(*Server, *call) response
	op
}

// op is what the official spec declares for an operation. The simulator honours exactly
// this: a query parameter or header the spec does not declare is ignored, as SendGrid ignores
// what it does not know. TestRouteTableMatchesSpec checks every field against the spec files.
type op struct {
	query      []string // declared query parameters
	headers    []string // declared header parameters, lower case ("on-behalf-of", "accept", …)
	globalOnly bool     // the spec's servers list only https://api.sendgrid.com (no EU host)
	// limitMin/limitMax are the documented bounds of the limit query parameter; limitMax 0 means
	// the spec gives no maximum, and then limit is not range-checked here.
	limitMin, limitMax int
}

// onBehalf reports whether the spec declares the on-behalf-of header for the operation.
func (o op) onBehalf() bool { return slices.Contains(o.headers, "on-behalf-of") }

func q(names ...string) []string { return names }

var obo = []string{"on-behalf-of"}

// routes is the endpoint table. Scopes are the live API's permission names; see doc.go. The op
// of each route is copied from the official spec (testdata/sendgrid-oai; the file is named in
// the comment).
var routes = []*route{
	rte("GET /v3/scopes", "", (*Server).getScopes, op{headers: obo}),                                  // scopes
	rte("GET /v3/api_keys", "api_keys.read", (*Server).listKeys, op{query: q("limit"), headers: obo}), // api_keys
	rte("POST /v3/api_keys", "api_keys.create", (*Server).createKey, op{headers: obo}),
	rte("GET /v3/api_keys/{api_key_id}", "api_keys.read", (*Server).getKey, op{headers: obo}),
	rte("DELETE /v3/api_keys/{api_key_id}", "api_keys.delete", (*Server).deleteKey, op{headers: obo}),
	// email_activity: no on-behalf-of, and only the global server.
	rte("GET /v3/messages", "email_activity.read", (*Server).messages, op{query: q("query", "limit"), globalOnly: true, limitMin: 1, limitMax: MaxMessagesLimit}),
	rte("GET /v3/stats", "stats.read", (*Server).stats, op{query: q("limit", "offset", "aggregated_by", "start_date", "end_date"), headers: obo}), // stats
	rte("GET /v3/teammates", "teammates.read", (*Server).teammates, op{query: q("limit", "offset"), headers: obo, limitMin: 0, limitMax: 500}),    // teammates
	rte("GET /v3/teammates/pending", "teammates.read", (*Server).pending, op{headers: obo}),
	rte("GET /v3/access_settings/activity", "access_settings.activity.read", (*Server).activity, op{query: q("limit"), headers: obo}), // ip_access_management
	rte("GET /v3/access_settings/whitelist", "access_settings.whitelist.read", (*Server).whitelist, op{headers: obo}),
	// subusers: no on-behalf-of (a parent-only operation).
	rte("GET /v3/subusers", "subusers.read", (*Server).subusers, op{query: q("username", "limit", "region", "include_region", "offset")}),
	rte("GET /v3/user/webhooks/event/settings/all", "user.webhooks.event.settings.read", (*Server).eventWebhooks, op{query: q("include"), headers: obo}), // webhooks
	rte("GET /v3/user/webhooks/parse/settings", "user.webhooks.parse.settings.read", (*Server).parseSettings, op{headers: obo}),
	rte("GET /v3/mail_settings/forward_bounce", "mail_settings.forward_bounce.read", (*Server).forwardBounce, op{headers: obo}), // mail_settings
	rte("GET /v3/mail_settings/forward_spam", "mail_settings.forward_spam.read", (*Server).forwardSpam, op{headers: obo}),
	rte("GET /v3/alerts", "alerts.read", (*Server).alerts, op{headers: obo}), // alerts
	// suppressions
	rte("GET /v3/suppression/bounces", "suppression.bounces.read", (*Server).bounces, op{query: q("start_time", "end_time", "limit", "offset", "email"), headers: []string{"accept", "on-behalf-of"}, limitMin: 1, limitMax: 500}),
	rte("GET /v3/suppression/spam_reports", "suppression.spam_reports.read", (*Server).spamReports, op{query: q("start_time", "end_time", "limit", "offset", "email"), headers: obo, limitMin: 1, limitMax: 500}),
	// verified_senders: paged by limit + lastSeenID; no on-behalf-of.
	rte("GET /v3/verified_senders", "verified_senders.read", (*Server).verifiedSenders, op{query: q("limit", "lastSeenID", "id")}),
	rte("GET /v3/user/username", "user.username.read", (*Server).username, op{headers: obo}),              // user
	rte("POST /v3/mail/send", "mail.send", (*Server).mailSend, op{headers: []string{"content-encoding"}}), // mail
}

func rte(name, scope string, h func(*Server, *call) response, o op) *route {
	method, path, _ := strings.Cut(name, " ")
	return &route{name: name, method: method, segs: split(path), scope: scope, mail: name == "POST /v3/mail/send", h: h, op: o}
}

func split(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

// Route describes one endpoint for documentation and tests.
type Route struct {
	Name  string // "GET /v3/scopes"
	Scope string // required scope, "" = any live key
	// Query and Headers are the query parameters and header parameters the official spec
	// declares for the operation (headers in lower case); anything else is ignored.
	Query   []string
	Headers []string
	// OnBehalfOf: the spec declares the on-behalf-of header, so the simulator honours it.
	OnBehalfOf bool
	// EU: the EU host serves the operation too (the spec's servers list it).
	EU bool
	// LimitMin and LimitMax bound the limit query parameter (LimitMax 0: no documented maximum).
	LimitMin, LimitMax int
}

// Routes lists the simulator's endpoints in table order.
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = Route{
			Name: rt.name, Scope: rt.scope, Query: slices.Clone(rt.query), Headers: slices.Clone(rt.headers),
			OnBehalfOf: rt.onBehalf(), EU: !rt.globalOnly, LimitMin: rt.limitMin, LimitMax: rt.limitMax,
		}
	}
	return out
}

// match finds the route for method and path on a host. known reports whether some route has
// that path (with another method), for 405. The EU host does not serve global-only routes:
// they are unknown paths there.
func match(region, method, path string) (rt *route, params map[string]string, known bool) {
	segs := split(path)
	for _, c := range routes {
		if region == RegionEU && c.globalOnly {
			continue
		}
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
