// team.accessLogs and team.integrationLogs: what an admin token reads after a
// leak (logins by IP and user agent; apps and integrations added or changed).

package slacksim

import "net/http"
import "sort"
import "strconv"
import "strings"
import "time"

// Login is one row of team.accessLogs: a user's logins from one IP address
// with one user agent, first and last seen.
type Login struct {
	UserID, UserName, IP, UserAgent string
	ISP, Country, Region            string
	First, Last                     time.Time
	Count                           int
}

// IntegrationLog is one row of team.integrationLogs: an app or custom
// integration added, removed, enabled, disabled, expanded or updated.
type IntegrationLog struct {
	UserID, UserName string
	Date             time.Time
	// ChangeType: added, removed, enabled, disabled, expanded, updated.
	ChangeType string
	AppID      string
	AppType    string // "app" or "bot"…
	// ServiceID and ServiceType name a custom integration.
	ServiceID, ServiceType string
	Scope                  string // comma-separated scopes granted
	Channel                string
}

// Paging limits of the two methods (the spec's count/page paging).
const (
	DefaultLogCount = 100
	MaxLogCount     = 1000
	MaxLogPage      = 100
)

// needAdmin checks what both log methods require: a user token (bots get
// user_is_bot) with the admin scope, and for the access logs a paid plan
// (the integration logs have no paid_only error in Slack's description).
// It answers the error and reports false on a problem.
func (s *Server) needAdmin(w http.ResponseWriter, c *Call, t *tokenState, paidOnly bool) bool {
	switch {
	case t.isBot():
		s.fail(w, c, "user_is_bot")
	case !t.hasScope("admin"):
		// Slack's answer for a token without the method's scope, with the
		// scope needed and those the token has.
		s.failWith(w, c, "missing_scope", reply{"needed": "admin", "provided": strings.Join(t.Scopes, ",")})
	case paidOnly && s.o.FreePlan:
		s.fail(w, c, "paid_only")
	default:
		return true
	}
	return false
}

// page reads count and page as the spec describes them (strings holding
// integers); a value that is not one is the default. ok is false when the
// page is past Slack's pagination limit.
func page(c *Call) (count, pg int, ok bool) {
	count, pg = DefaultLogCount, 1
	if n, err := strconv.Atoi(c.Fields.Get("count")); err == nil && n > 0 {
		count = min(n, MaxLogCount)
	}
	if n, err := strconv.Atoi(c.Fields.Get("page")); err == nil && n > 0 {
		pg = n
	}
	return count, pg, pg <= MaxLogPage
}

func paging(count, pg, total int) reply {
	pages := (total + count - 1) / count
	return reply{"count": count, "total": total, "page": pg, "pages": max(pages, 1)}
}

// window returns the items [from, to) of a page.
func window(count, pg, total int) (int, int) {
	from := min((pg-1)*count, total)
	return from, min(from+count, total)
}

func (s *Server) accessLogs(w http.ResponseWriter, r *http.Request, c *Call, t *tokenState) {
	if !s.needAdmin(w, c, t, true) {
		return
	}
	count, pg, ok := page(c)
	if !ok {
		s.fail(w, c, "over_pagination_limit")
		return
	}
	before := int64(-1)
	if n, err := strconv.ParseInt(c.Fields.Get("before"), 10, 64); err == nil {
		before = n
	}
	s.mu.Lock()
	var rows []Login
	for _, l := range s.o.Logins {
		// before is the end of the time range, inclusive.
		if before < 0 || l.First.Unix() <= before {
			rows = append(rows, l)
		}
	}
	s.mu.Unlock()
	// Most recent first, as Slack lists them.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Last.After(rows[j].Last) })
	from, to := window(count, pg, len(rows))
	logins := []reply{}
	for _, l := range rows[from:to] {
		logins = append(logins, reply{"user_id": l.UserID, "username": l.UserName, "date_first": l.First.Unix(),
			"date_last": l.Last.Unix(), "count": max(l.Count, 1), "ip": nullable(l.IP), "user_agent": l.UserAgent,
			"isp": nullable(l.ISP), "country": nullable(l.Country), "region": nullable(l.Region)})
	}
	s.ok(w, c, reply{"logins": logins, "paging": paging(count, pg, len(rows))})
}

// nullable is a JSON null for an empty string (the spec's ["string","null"]).
func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) integrationLogs(w http.ResponseWriter, r *http.Request, c *Call, t *tokenState) {
	if !s.needAdmin(w, c, t, false) {
		return
	}
	count, pg, ok := page(c)
	if !ok {
		s.fail(w, c, "over_pagination_limit")
		return
	}
	match := func(field, v string) bool { f := c.Fields.Get(field); return f == "" || f == v }
	s.mu.Lock()
	var rows []IntegrationLog
	for _, l := range s.o.IntegrationLogs {
		if match("app_id", l.AppID) && match("change_type", l.ChangeType) && match("service_id", l.ServiceID) && match("user", l.UserID) {
			rows = append(rows, l)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Date.After(rows[j].Date) })
	from, to := window(count, pg, len(rows))
	logs := []reply{}
	for _, l := range rows[from:to] {
		e := reply{"user_id": l.UserID, "user_name": l.UserName, "date": strconv.FormatInt(l.Date.Unix(), 10),
			"change_type": l.ChangeType, "app_type": l.AppType, "app_id": l.AppID, "scope": l.Scope}
		for k, v := range map[string]string{"service_id": l.ServiceID, "service_type": l.ServiceType, "channel": l.Channel} {
			if v != "" {
				e[k] = v
			}
		}
		logs = append(logs, e)
	}
	s.ok(w, c, reply{"logs": logs, "paging": paging(count, pg, len(rows))})
}
