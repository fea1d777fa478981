// The Enterprise Grid Audit Logs API (GET /audit/v1/logs): an org-level user
// token with auditlogs:read, filters oldest/latest/action/actor, cursor paging.

package slacksim

import "net/http"
import "net/url"
import "sort"
import "strconv"
import "strings"
import "time"

// AuditEntry is one audit log entry: who (actor user), did what (action,
// "user_login", "app_installed" …), to what (entity), from where.
type AuditEntry struct {
	ID         string
	Date       time.Time
	Action     string
	ActorID    string
	ActorName  string
	EntityType string // "user", "app", "workspace" …
	EntityID   string
	EntityName string
	IP         string
	UserAgent  string
}

// Audit Logs API paging: limit defaults to 100 and is at most 9999.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 9999
)

func (s *Server) auditLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	call := Call{Time: s.o.Now(), Method: "audit.logs", Path: r.URL.Path, Header: cleanHeader(r.Header), Token: token(r), Fields: url.Values{}}
	for k, v := range q {
		if k != "token" {
			call.Fields[k] = v
		}
	}
	if s.applyFault(w, r, &call) || s.throttle(w, &call) {
		return
	}
	t, code := s.authenticate(call.Token)
	switch {
	case code != "":
	case !t.Enterprise:
		// A workspace token, even an admin's: the API is Enterprise Grid's.
		code = "feature_not_enabled"
	case !t.hasScope("auditlogs:read"):
		s.failWith(w, &call, "missing_scope", reply{"needed": "auditlogs:read", "provided": strings.Join(t.Scopes, ",")})
		return
	}
	if code != "" {
		s.fail(w, &call, code)
		return
	}
	num := func(name string) int64 {
		n, err := strconv.ParseInt(q.Get(name), 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	oldest, latest := num("oldest"), num("latest")
	limit := DefaultAuditLimit
	if n := num("limit"); n > 0 {
		limit = int(min(n, MaxAuditLimit))
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			s.fail(w, &call, "invalid_cursor")
			return
		}
		start = n
	}
	s.mu.Lock()
	var rows []AuditEntry
	for _, e := range s.o.AuditLogs {
		d := e.Date.Unix()
		if (oldest < 0 || d >= oldest) && (latest < 0 || d <= latest) &&
			(q.Get("action") == "" || q.Get("action") == e.Action) && (q.Get("actor") == "" || q.Get("actor") == e.ActorID) {
			rows = append(rows, e)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Date.After(rows[j].Date) })
	start = min(start, len(rows))
	end := min(start+limit, len(rows))
	entries := []reply{}
	for _, e := range rows[start:end] {
		entries = append(entries, reply{
			"id": e.ID, "date_create": e.Date.Unix(), "action": e.Action,
			"actor":   reply{"type": "user", "user": reply{"id": e.ActorID, "name": e.ActorName}},
			"entity":  reply{"type": e.EntityType, e.EntityType: reply{"id": e.EntityID, "name": e.EntityName}},
			"context": reply{"ip_address": e.IP, "ua": e.UserAgent, "location": reply{"type": "enterprise", "id": "E0SIMORG"}},
		})
	}
	next := ""
	if end < len(rows) {
		next = strconv.Itoa(end)
	}
	s.ok(w, &call, reply{"entries": entries, "response_metadata": reply{"next_cursor": next}})
}
