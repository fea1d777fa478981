package sendgridsim

import "net/http"
import "slices"
import "strconv"

// removalRoutes are the requests of an eradication plan (keyir eradicate)
// that no other table has, each as the official spec defines it (the file is
// named in the comment). The others are DELETE /v3/api_keys/{api_key_id}
// (routes.go) and the allow-list, alert and forward-setting writes
// (audit_routes.go). Appended here, before key.go's init derives the
// full-access scope set (init runs in file-name order), so a full-access key
// may call them. Each op is the spec's (TestRouteTableMatchesSpec).
var removalRoutes = []*route{
	rte("DELETE /v3/teammates/{username}", "teammates.delete", (*Server).deleteTeammate, op{headers: obo}), // teammates
	rte("DELETE /v3/teammates/pending/{token}", "teammates.delete", (*Server).deleteInvite, op{headers: obo}),
	rte("DELETE /v3/user/webhooks/event/settings/{id}", "user.webhooks.event.settings.delete", (*Server).deleteEventWebhook, op{headers: obo}), // webhooks
	rte("DELETE /v3/user/webhooks/parse/settings/{hostname}", "user.webhooks.parse.settings.delete", (*Server).deleteParse, op{headers: obo}),
	// verified_senders: no on-behalf-of, the parent's senders only.
	rte("DELETE /v3/verified_senders/{id}", "verified_senders.delete", (*Server).deleteSender, op{}),
}

func init() { routes = append(routes, removalRoutes...) }

// removalScopes: the scopes every request of an eradication plan needs.
var removalScopes = []string{
	"api_keys.delete", "teammates.delete", "access_settings.whitelist.delete", "user.webhooks.event.settings.delete",
	"user.webhooks.parse.settings.delete", "mail_settings.forward_bounce.update", "mail_settings.forward_spam.update",
	"alerts.delete", "verified_senders.delete",
}

// RemovalScopes are the scopes the requests of an eradication plan need, api_keys.delete
// included: what the key that runs `keyir eradicate` must hold.
func RemovalScopes() []string { return slices.Clone(removalScopes) }

// removeWhere deletes the first element of *xs in account sub that match
// accepts; it reports whether one was removed.
func removeWhere[T any](s *State, xs *[]T, sub string, of func(T) string, match func(T) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range *xs {
		if of(x) == sub && match(x) {
			*xs = slices.Delete(*xs, i, i+1)
			return true
		}
	}
	return false
}

// gone answers a removal: 204, or 404 with the error body the operation's
// spec declares (teammates name the field; verified senders carry an
// error_id; the others the common shape).
func gone(ok bool, what, field string) response {
	switch {
	case ok:
		return response{Status: http.StatusNoContent}
	case field == "error_id":
		return jsonResp(http.StatusNotFound, map[string][]map[string]string{"errors": {{"message": what + " not found", "error_id": "not_found"}}})
	case field != "":
		return errResp(http.StatusNotFound, strp(field), what+" not found")
	}
	return errResp(http.StatusNotFound, nil, what+" not found")
}

func (s *Server) deleteTeammate(c *call) response {
	u := c.params["username"]
	return gone(removeWhere(s.st, &s.st.teammates, c.acct, func(t Teammate) string { return t.Subuser }, func(t Teammate) bool { return t.Username == u }), "teammate", "username")
}

func (s *Server) deleteInvite(c *call) response {
	tok := c.params["token"]
	return gone(removeWhere(s.st, &s.st.invites, c.acct, func(i Invite) string { return i.Subuser }, func(i Invite) bool { return i.Token == tok }), "pending teammate", "token")
}

func (s *Server) deleteEventWebhook(c *call) response {
	id := c.params["id"]
	return gone(removeWhere(s.st, &s.st.webhooks, c.acct, func(w EventWebhook) string { return w.Subuser }, func(w EventWebhook) bool { return w.ID == id }), "event webhook", "")
}

func (s *Server) deleteParse(c *call) response {
	h := c.params["hostname"]
	return gone(removeWhere(s.st, &s.st.parse, c.acct, func(p ParseSetting) string { return p.Subuser }, func(p ParseSetting) bool { return p.Hostname == h }), "parse setting", "")
}

func (s *Server) deleteSender(c *call) response {
	id, err := strconv.Atoi(c.params["id"])
	// No on-behalf-of on this operation: always the parent's senders.
	ok := err == nil && removeWhere(s.st, &s.st.senders, "", func(v VerifiedSender) string { return v.Subuser }, func(v VerifiedSender) bool { return v.ID == id })
	return gone(ok, "verified sender", "error_id")
}
