package sendgridsim

import "encoding/json"
import "fmt"
import "net/http"
import "slices"
import "strings"
import "time"

// The write endpoints `keyir audit`'s tests use to build an account's posture through the API,
// as the official spec defines them: allow-list entries (wildcards included), event webhooks
// (create, update, signature verification), inbound parse hosts, forward_bounce/forward_spam,
// teammate invitations and alerts. They are appended to the route table here, before key.go's
// init derives the full-access scope set from it (init runs in file-name order), so a
// full-access key may call them. Each op is the spec's (TestRouteTableMatchesSpec).
func init() {
	routes = append(routes,
		rte("POST /v3/access_settings/whitelist", "access_settings.whitelist.create", (*Server).addAllowList, op{headers: obo}), // ip_access_management
		rte("DELETE /v3/access_settings/whitelist/{rule_id}", "access_settings.whitelist.delete", (*Server).deleteAllowList, op{headers: obo}),
		rte("POST /v3/user/webhooks/event/settings", "user.webhooks.event.settings.create", (*Server).createEventWebhook, op{headers: obo}), // webhooks
		rte("PATCH /v3/user/webhooks/event/settings/{id}", "user.webhooks.event.settings.update", (*Server).updateEventWebhook, op{query: q("include"), headers: obo}),
		rte("PATCH /v3/user/webhooks/event/settings/signed/{id}", "user.webhooks.event.settings.update", (*Server).signEventWebhook, op{headers: obo}),
		rte("POST /v3/user/webhooks/parse/settings", "user.webhooks.parse.settings.create", (*Server).createParse, op{headers: obo}),
		rte("PATCH /v3/mail_settings/forward_bounce", "mail_settings.forward_bounce.update", patchForward(true), op{headers: obo}), // mail_settings
		rte("PATCH /v3/mail_settings/forward_spam", "mail_settings.forward_spam.update", patchForward(false), op{headers: obo}),
		rte("POST /v3/teammates", "teammates.create", (*Server).inviteTeammate, op{headers: obo}), // teammates
		rte("POST /v3/alerts", "alerts.create", (*Server).createAlert, op{headers: obo}),          // alerts
		rte("DELETE /v3/alerts/{alert_id}", "alerts.delete", (*Server).deleteAlert, op{headers: obo}),
	)
}

// InviteLifetime is how long a teammate invitation stays valid (SendGrid: 7 days).
const InviteLifetime = 7 * 24 * time.Hour

func decodeBody(c *call, v any) *response {
	if err := json.Unmarshal(c.body, v); err != nil {
		r := errResp(http.StatusBadRequest, nil, "invalid JSON body")
		return &r
	}
	return nil
}

func (s *Server) addAllowList(c *call) response {
	var req struct {
		IPs []struct {
			IP string `json:"ip"`
		} `json:"ips"`
	}
	if bad := decodeBody(c, &req); bad != nil {
		return *bad
	}
	if len(req.IPs) == 0 {
		return errResp(http.StatusBadRequest, strp("ips"), "ips is required")
	}
	for _, e := range req.IPs {
		if strings.TrimSpace(e.IP) == "" {
			return errResp(http.StatusBadRequest, strp("ip"), "ip is required")
		}
	}
	for _, e := range req.IPs {
		s.st.AddAllowListIP(AllowListIP{Subuser: c.acct, IP: strings.TrimSpace(e.IP), CreatedAt: c.now, UpdatedAt: c.now})
	}
	// The live API answers with the whole list.
	r := s.whitelist(c)
	r.Status = http.StatusCreated
	return r
}

// eventWebhookReq is EventWebhookRequest: every field optional on update; url required on create.
type eventWebhookReq struct {
	Enabled      *bool   `json:"enabled"`
	URL          *string `json:"url"`
	FriendlyName *string `json:"friendly_name"`
	Events       map[string]bool
}

func decodeWebhook(c *call) (eventWebhookReq, *response) {
	var req eventWebhookReq
	if bad := decodeBody(c, &req); bad != nil {
		return req, bad
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &raw)
	req.Events = map[string]bool{}
	for _, e := range eventNames {
		if v, ok := raw[e]; ok {
			var b bool
			if json.Unmarshal(v, &b) != nil {
				r := errResp(http.StatusBadRequest, strp(e), e+" must be a boolean")
				return req, &r
			}
			req.Events[e] = b
		}
	}
	if req.URL != nil && !strings.HasPrefix(*req.URL, "http://") && !strings.HasPrefix(*req.URL, "https://") {
		r := errResp(http.StatusBadRequest, strp("url"), "url must be an http or https URL")
		return req, &r
	}
	return req, nil
}

func (w *EventWebhook) apply(req eventWebhookReq) {
	if req.Enabled != nil {
		w.Enabled = *req.Enabled
	}
	if req.URL != nil {
		w.URL = *req.URL
	}
	if req.FriendlyName != nil {
		w.FriendlyName = *req.FriendlyName
	}
	for e, on := range req.Events {
		w.Events = slices.DeleteFunc(w.Events, func(x string) bool { return x == e })
		if on {
			w.Events = append(w.Events, e)
		}
	}
}

// webhookJSON is EventWebhookUnsignedResponse (the create and update answer).
func webhookJSON(w EventWebhook) map[string]any {
	m := map[string]any{
		"id": w.ID, "url": w.URL, "enabled": w.Enabled,
		"friendly_name": nullable(w.FriendlyName), "created_date": nullableTime(w.Created),
		"updated_date": w.Updated.UTC().Format(time.RFC3339), "oauth_client_id": nil, "oauth_token_url": nil,
	}
	for _, e := range eventNames {
		m[e] = slices.Contains(w.Events, e)
	}
	return m
}

// maxEventWebhooks is the spec example's max_allowed.
const maxEventWebhooks = 5

func (s *Server) createEventWebhook(c *call) response {
	req, bad := decodeWebhook(c)
	if bad != nil {
		return *bad
	}
	if req.URL == nil || *req.URL == "" {
		return errResp(http.StatusBadRequest, strp("url"), "url is required")
	}
	if n := len(filter(s.st, func() []EventWebhook { return s.st.webhooks }, c.acct, func(w EventWebhook) string { return w.Subuser })); n >= maxEventWebhooks {
		return errResp(http.StatusBadRequest, nil, fmt.Sprintf("you may have at most %d event webhooks", maxEventWebhooks))
	}
	w := EventWebhook{Subuser: c.acct, Created: c.now, Updated: c.now}
	w.apply(req)
	s.st.mu.Lock()
	w.ID = "wh-" + itoa(s.st.id())
	s.st.webhooks = append(s.st.webhooks, w)
	s.st.mu.Unlock()
	return jsonResp(http.StatusCreated, webhookJSON(w))
}

// editWebhook applies f to the account's webhook id under the state lock.
func (s *Server) editWebhook(c *call, f func(*EventWebhook)) (EventWebhook, bool) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for i := range s.st.webhooks {
		w := &s.st.webhooks[i]
		if w.ID == c.params["id"] && w.Subuser == c.acct {
			f(w)
			w.Updated = c.now
			out := *w
			out.Events = slices.Clone(w.Events)
			return out, true
		}
	}
	return EventWebhook{}, false
}

func (s *Server) updateEventWebhook(c *call) response {
	req, bad := decodeWebhook(c)
	if bad != nil {
		return *bad
	}
	w, ok := s.editWebhook(c, func(w *EventWebhook) { w.apply(req) })
	if !ok {
		return errResp(http.StatusNotFound, nil, "webhook not found")
	}
	return jsonResp(http.StatusOK, webhookJSON(w))
}

// signEventWebhook turns signature verification on (a fresh public key) or off ("").
func (s *Server) signEventWebhook(c *call) response {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if bad := decodeBody(c, &req); bad != nil {
		return *bad
	}
	if req.Enabled == nil {
		return errResp(http.StatusBadRequest, strp("enabled"), "enabled is required")
	}
	key := ""
	if *req.Enabled {
		s.mu.Lock()
		key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + randString(s.rng, 32)
		s.mu.Unlock()
	}
	w, ok := s.editWebhook(c, func(w *EventWebhook) { w.PublicKey = key })
	if !ok {
		return errResp(http.StatusNotFound, nil, "webhook not found")
	}
	return jsonResp(http.StatusOK, map[string]string{"id": w.ID, "public_key": w.PublicKey})
}

func (s *Server) createParse(c *call) response {
	var req struct {
		URL       string `json:"url"`
		Hostname  string `json:"hostname"`
		SpamCheck bool   `json:"spam_check"`
		SendRaw   bool   `json:"send_raw"`
	}
	if bad := decodeBody(c, &req); bad != nil {
		return *bad
	}
	if req.URL == "" || req.Hostname == "" {
		return errResp(http.StatusBadRequest, nil, "url and hostname are required")
	}
	p := ParseSetting{Subuser: c.acct, Hostname: req.Hostname, URL: req.URL, SpamCheck: req.SpamCheck, SendRaw: req.SendRaw}
	s.st.AddParseSetting(p)
	return jsonResp(http.StatusCreated, map[string]any{"url": p.URL, "hostname": p.Hostname, "spam_check": p.SpamCheck, "send_raw": p.SendRaw})
}

// patchForward updates forward_bounce (bounce) or forward_spam: the fields sent replace the
// current ones.
func patchForward(bounce bool) func(*Server, *call) response {
	return func(s *Server, c *call) response {
		var req struct {
			Email   *string `json:"email"`
			Enabled *bool   `json:"enabled"`
		}
		if bad := decodeBody(c, &req); bad != nil {
			return *bad
		}
		if req.Email != nil && *req.Email != "" && !validEmail(*req.Email) {
			return errResp(http.StatusBadRequest, strp("email"), "email must be an email address")
		}
		s.st.mu.Lock()
		a := s.st.acct(c.acct)
		f := &a.fwdSpam
		if bounce {
			f = &a.fwdBounce
		}
		if req.Email != nil {
			f.Email = *req.Email
		}
		if req.Enabled != nil {
			f.Enabled = *req.Enabled
		}
		out := *f
		s.st.mu.Unlock()
		return jsonResp(http.StatusOK, forwardJSON(out))
	}
}

func (s *Server) inviteTeammate(c *call) response {
	var req struct {
		Email   *string   `json:"email"`
		Scopes  *[]string `json:"scopes"`
		IsAdmin *bool     `json:"is_admin"`
	}
	if bad := decodeBody(c, &req); bad != nil {
		return *bad
	}
	if req.Email == nil || !validEmail(*req.Email) || req.Scopes == nil || req.IsAdmin == nil {
		return errResp(http.StatusBadRequest, strp("email"), "email, scopes and is_admin are required")
	}
	s.mu.Lock()
	tok := randString(s.rng, 32)
	s.mu.Unlock()
	inv := Invite{Subuser: c.acct, Email: *req.Email, Scopes: *req.Scopes, IsAdmin: *req.IsAdmin, Token: tok, Expiration: c.now.Add(InviteLifetime)}
	s.st.AddInvite(inv)
	return jsonResp(http.StatusCreated, map[string]any{"token": tok, "email": inv.Email, "scopes": nonNil(inv.Scopes), "is_admin": inv.IsAdmin})
}

func (s *Server) createAlert(c *call) response {
	var req struct {
		Type       string `json:"type"`
		EmailTo    string `json:"email_to"`
		Frequency  string `json:"frequency"`
		Percentage *int   `json:"percentage"`
	}
	if bad := decodeBody(c, &req); bad != nil {
		return *bad
	}
	switch {
	case req.Type != "usage_limit" && req.Type != "stats_notification":
		return errResp(http.StatusBadRequest, strp("type"), "type must be usage_limit or stats_notification")
	case req.EmailTo != "" && !validEmail(req.EmailTo):
		return errResp(http.StatusBadRequest, strp("email_to"), "email_to must be an email address")
	case req.Type == "usage_limit" && req.Percentage == nil:
		return errResp(http.StatusBadRequest, strp("percentage"), "percentage is required for usage_limit")
	case req.Type == "stats_notification" && req.Frequency == "":
		return errResp(http.StatusBadRequest, strp("frequency"), "frequency is required for stats_notification")
	}
	a := Alert{Subuser: c.acct, Type: req.Type, EmailTo: req.EmailTo, Frequency: req.Frequency, CreatedAt: c.now, UpdatedAt: c.now}
	if req.Percentage != nil {
		a.Percentage = *req.Percentage
	}
	s.st.mu.Lock()
	a.ID = s.st.id()
	s.st.alerts = append(s.st.alerts, a)
	s.st.mu.Unlock()
	return jsonResp(http.StatusCreated, map[string]any{"created_at": a.CreatedAt.Unix(), "email_to": a.EmailTo, "id": a.ID, "type": a.Type, "updated_at": a.UpdatedAt.Unix(),
		"frequency": a.Frequency, "percentage": a.Percentage})
}

// deleteFrom removes the account's item whose id matches the path parameter; false if none.
func deleteFrom[T any](s *State, xs *[]T, match func(T) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(*xs)
	*xs = slices.DeleteFunc(*xs, match)
	return len(*xs) < n
}

func (s *Server) deleteAllowList(c *call) response {
	id := c.params["rule_id"]
	if !deleteFrom(s.st, &s.st.allow, func(a AllowListIP) bool { return a.Subuser == c.acct && itoa(a.ID) == id }) {
		return errResp(http.StatusNotFound, nil, "rule not found")
	}
	return response{Status: http.StatusNoContent}
}

func (s *Server) deleteAlert(c *call) response {
	id := c.params["alert_id"]
	if !deleteFrom(s.st, &s.st.alerts, func(a Alert) bool { return a.Subuser == c.acct && itoa(a.ID) == id }) {
		return errResp(http.StatusNotFound, nil, "alert not found")
	}
	return response{Status: http.StatusNoContent}
}
