package sendgridsim

import "encoding/json"
import "fmt"
import "net/http"
import "slices"
import "strconv"
import "time"

// MaxKeys is the number of API keys an account may hold.
const MaxKeys = 100

func (s *Server) getScopes(c *call) response {
	return jsonResp(http.StatusOK, map[string][]string{"scopes": nonNil(c.key.Scopes)})
}

type keyJSON struct {
	APIKeyID string   `json:"api_key_id"`
	Name     string   `json:"name"`
	Scopes   []string `json:"scopes,omitempty"`
}

func (s *Server) listKeys(c *call) response {
	limit, bad := intParam(c, "limit", 0, 1, 1<<30)
	if bad != nil {
		return *bad
	}
	res := []keyJSON{}
	for _, k := range s.st.Keys(c.acct) {
		res = append(res, keyJSON{APIKeyID: k.ID, Name: k.Name})
	}
	if limit > 0 && len(res) > limit {
		res = res[:limit]
	}
	return jsonResp(http.StatusOK, map[string][]keyJSON{"result": res})
}

// getKey answers the live API's flat shape (the spec wraps it in "result"; SENDGRID.md).
func (s *Server) getKey(c *call) response {
	k, ok := s.st.Key(c.params["api_key_id"])
	if !ok || k.Subuser != c.acct || !k.RevokedAt.IsZero() {
		return errResp(http.StatusNotFound, nil, "unable to find API Key")
	}
	return jsonResp(http.StatusOK, keyJSON{APIKeyID: k.ID, Name: k.Name, Scopes: nonNil(k.Scopes)})
}

func (s *Server) deleteKey(c *call) response {
	k, ok := s.st.Key(c.params["api_key_id"])
	if !ok || k.Subuser != c.acct || !s.st.RevokeKey(k.ID, c.now) {
		return errResp(http.StatusNotFound, nil, "unable to find API Key")
	}
	return response{Status: http.StatusNoContent}
}

func (s *Server) createKey(c *call) response {
	var req struct {
		Name   *string   `json:"name"`
		Scopes *[]string `json:"scopes"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return errResp(http.StatusBadRequest, nil, "invalid JSON body")
	}
	if req.Name == nil || *req.Name == "" {
		return errResp(http.StatusBadRequest, strp("name"), "missing required argument")
	}
	// Omitted scopes make a full-access key (spec: "omitting the scopes field … will create
	// a key with full access"), whatever the creator holds.
	scopes := FullAccessScopes()
	if req.Scopes != nil {
		for _, sc := range *req.Scopes {
			if !c.key.HasScope(sc) {
				return errResp(http.StatusBadRequest, strp("scopes"), "cannot grant a scope the requesting key does not have: "+sc)
			}
		}
		scopes = *req.Scopes
	}
	if len(s.st.Keys(c.acct)) >= MaxKeys {
		return errResp(http.StatusForbidden, nil, fmt.Sprintf("cannot create more than %d API keys", MaxKeys))
	}
	s.mu.Lock()
	k := NewKey(s.rng, *req.Name, scopes)
	s.mu.Unlock()
	k.Subuser = c.acct
	s.st.AddKey(k)
	return jsonResp(http.StatusCreated, struct {
		APIKey   string   `json:"api_key"`
		APIKeyID string   `json:"api_key_id"`
		Name     string   `json:"name"`
		Scopes   []string `json:"scopes"`
	}{k.Token(), k.ID, k.Name, nonNil(k.Scopes)})
}

// MaxMessagesLimit is the largest limit GET /v3/messages accepts; it has no pagination.
const MaxMessagesLimit = 1000

type messageJSON struct {
	FromEmail     string `json:"from_email"`
	MsgID         string `json:"msg_id"`
	Subject       string `json:"subject"`
	ToEmail       string `json:"to_email"`
	Status        string `json:"status"`
	OpensCount    int    `json:"opens_count"`
	ClicksCount   int    `json:"clicks_count"`
	LastEventTime string `json:"last_event_time"`
}

func (s *Server) messages(c *call) response {
	if !s.cfg.EmailActivityAddon {
		// What the live API answers without the Email Activity add-on (sendgrid-csharp#689).
		return jsonResp(http.StatusBadRequest, map[string][]apiErrorNoField{"errors": {{Message: "authorization required"}}})
	}
	limit := 10 // the spec's default; the bounds were checked by checkLimit
	if v, ok := c.query["limit"]; ok {
		limit, _ = strconv.Atoi(v[0])
	}
	q, err := ParseQuery(c.q("query"))
	if err != nil {
		return errResp(http.StatusBadRequest, strp("query"), err.Error())
	}
	ms := s.st.activityPage(c.acct, q, limit, s.seed(), c.r.URL.RawQuery+"\x00"+c.acct)
	out := make([]messageJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, messageJSON{
			FromEmail: m.From, MsgID: m.ID, Subject: m.Subject, ToEmail: m.To, Status: m.Status,
			OpensCount: m.OpensCount, ClicksCount: m.ClicksCount,
			LastEventTime: m.LastEventTime.UTC().Format(time.RFC3339),
		})
	}
	return jsonResp(http.StatusOK, map[string][]messageJSON{"messages": out})
}

// maxStatsDays bounds a stats range.
const maxStatsDays = 3 * 366

func (s *Server) stats(c *call) response {
	start, err := time.Parse(time.DateOnly, c.q("start_date"))
	if err != nil {
		return errResp(http.StatusBadRequest, strp("start_date"), "start_date is required and must be YYYY-MM-DD")
	}
	end := c.now.UTC().Truncate(24 * time.Hour)
	if v := c.q("end_date"); v != "" {
		if end, err = time.Parse(time.DateOnly, v); err != nil {
			return errResp(http.StatusBadRequest, strp("end_date"), "end_date must be YYYY-MM-DD")
		}
	}
	if end.Before(start) {
		return errResp(http.StatusBadRequest, strp("end_date"), "end_date must not be before start_date")
	}
	if end.Sub(start) > maxStatsDays*24*time.Hour {
		return errResp(http.StatusBadRequest, strp("start_date"), "date range too large")
	}
	agg := c.q("aggregated_by")
	if agg != "" && agg != "day" && agg != "week" && agg != "month" {
		return errResp(http.StatusBadRequest, strp("aggregated_by"), `aggregated_by must be "day", "week" or "month"`)
	}
	type bucket struct {
		date string
		m    DayStats
	}
	var out []*bucket
	idx := map[string]*bucket{}
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		key := d
		switch agg {
		case "week": // weeks start on Monday; the first bucket starts at start_date
			key = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		case "month":
			key = time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		}
		if key.Before(start) {
			key = start
		}
		k := key.Format(time.DateOnly)
		b := idx[k]
		if b == nil {
			b = &bucket{date: k}
			idx[k] = b
			out = append(out, b)
		}
		b.m = addStats(b.m, s.st.stats(c.acct, d.Format(time.DateOnly)))
	}
	type metrics struct {
		Blocks           int `json:"blocks"`
		BounceDrops      int `json:"bounce_drops"`
		Bounces          int `json:"bounces"`
		Clicks           int `json:"clicks"`
		Deferred         int `json:"deferred"`
		Delivered        int `json:"delivered"`
		InvalidEmails    int `json:"invalid_emails"`
		Opens            int `json:"opens"`
		Processed        int `json:"processed"`
		Requests         int `json:"requests"`
		SpamReportDrops  int `json:"spam_report_drops"`
		SpamReports      int `json:"spam_reports"`
		UniqueClicks     int `json:"unique_clicks"`
		UniqueOpens      int `json:"unique_opens"`
		UnsubscribeDrops int `json:"unsubscribe_drops"`
		Unsubscribes     int `json:"unsubscribes"`
	}
	type stat struct {
		Metrics metrics `json:"metrics"`
	}
	type day struct {
		Date  string `json:"date"`
		Stats []stat `json:"stats"`
	}
	res := make([]day, 0, len(out))
	for _, b := range out {
		m := b.m
		res = append(res, day{Date: b.date, Stats: []stat{{metrics{
			Blocks: m.Blocks, BounceDrops: m.BounceDrops, Bounces: m.Bounces, Clicks: m.Clicks,
			Deferred: m.Deferred, Delivered: m.Delivered, InvalidEmails: m.InvalidEmails, Opens: m.Opens,
			Processed: m.Processed, Requests: m.Requests, SpamReportDrops: m.SpamReportDrops,
			SpamReports: m.SpamReports, UniqueClicks: m.UniqueClicks, UniqueOpens: m.UniqueOpens,
			UnsubscribeDrops: m.UnsubscribeDrops, Unsubscribes: m.Unsubscribes,
		}}}})
	}
	return jsonResp(http.StatusOK, res)
}

func addStats(a, b DayStats) DayStats {
	a.Requests += b.Requests
	a.Delivered += b.Delivered
	a.Bounces += b.Bounces
	a.SpamReports += b.SpamReports
	a.Opens += b.Opens
	a.Clicks += b.Clicks
	a.Blocks += b.Blocks
	a.Deferred += b.Deferred
	a.InvalidEmails += b.InvalidEmails
	a.UniqueOpens += b.UniqueOpens
	a.UniqueClicks += b.UniqueClicks
	a.Unsubscribes += b.Unsubscribes
	a.Processed += b.Processed
	a.Drops += b.Drops
	a.BounceDrops += b.BounceDrops
	a.SpamReportDrops += b.SpamReportDrops
	a.UnsubscribeDrops += b.UnsubscribeDrops
	return a
}

func (s *Server) teammates(c *call) response {
	type tm struct {
		Username  string `json:"username"`
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		UserType  string `json:"user_type"`
		IsAdmin   bool   `json:"is_admin"`
	}
	res := []tm{}
	for _, t := range filter(s.st, func() []Teammate { return s.st.teammates }, c.acct, func(t Teammate) string { return t.Subuser }) {
		ut := t.UserType
		if ut == "" {
			ut = "teammate"
		}
		res = append(res, tm{t.Username, t.Email, t.FirstName, t.LastName, ut, t.IsAdmin})
	}
	return jsonResp(http.StatusOK, map[string][]tm{"result": page(c, res)})
}

func (s *Server) pending(c *call) response {
	type inv struct {
		Email          string   `json:"email"`
		Scopes         []string `json:"scopes"`
		IsAdmin        bool     `json:"is_admin"`
		Token          string   `json:"token"`
		ExpirationDate int64    `json:"expiration_date"`
	}
	res := []inv{}
	for _, i := range filter(s.st, func() []Invite { return s.st.invites }, c.acct, func(i Invite) string { return i.Subuser }) {
		res = append(res, inv{i.Email, nonNil(i.Scopes), i.IsAdmin, i.Token, i.Expiration.Unix()})
	}
	return jsonResp(http.StatusOK, map[string][]inv{"result": res})
}

func (s *Server) activity(c *call) response {
	limit, bad := intParam(c, "limit", 20, 1, 1000)
	if bad != nil {
		return *bad
	}
	as := filter(s.st, func() []AccessAttempt { return s.st.access }, c.acct, func(a AccessAttempt) string { return a.Subuser })
	sortByTimeDesc(as, func(a AccessAttempt) time.Time { return a.LastAt })
	type row struct {
		Allowed    bool   `json:"allowed"`
		AuthMethod string `json:"auth_method"`
		FirstAt    int64  `json:"first_at"`
		IP         string `json:"ip"`
		LastAt     int64  `json:"last_at"`
		Location   string `json:"location"`
	}
	res := []row{}
	for _, a := range as {
		if len(res) == limit {
			break
		}
		res = append(res, row{a.Allowed, a.AuthMethod, a.FirstAt.Unix(), a.IP, a.LastAt.Unix(), a.Location})
	}
	return jsonResp(http.StatusOK, map[string][]row{"result": res})
}

func (s *Server) whitelist(c *call) response {
	type row struct {
		ID        int    `json:"id"`
		IP        string `json:"ip"`
		CreatedAt int64  `json:"created_at"`
		UpdatedAt int64  `json:"updated_at"`
	}
	res := []row{}
	for _, a := range filter(s.st, func() []AllowListIP { return s.st.allow }, c.acct, func(a AllowListIP) string { return a.Subuser }) {
		res = append(res, row{a.ID, a.IP, a.CreatedAt.Unix(), a.UpdatedAt.Unix()})
	}
	return jsonResp(http.StatusOK, map[string][]row{"result": res})
}

func (s *Server) subusers(c *call) response {
	if c.acct != "" {
		return errResp(http.StatusForbidden, nil, "access forbidden")
	}
	type row struct {
		Disabled bool   `json:"disabled"`
		ID       int    `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
		Region   string `json:"region,omitempty"`
	}
	// region is returned only with include_region=true (spec); region filters (all, global, eu).
	withRegion := c.q("include_region") == "true"
	want := c.q("region")
	if want != "" && want != "all" && want != RegionGlobal && want != RegionEU {
		return errResp(http.StatusBadRequest, strp("region"), `region must be "all", "global" or "eu"`)
	}
	res := []row{}
	for _, u := range s.st.Subusers() {
		if name := c.q("username"); name != "" && u.Username != name {
			continue
		}
		reg := u.Region
		if reg != RegionEU {
			reg = RegionGlobal
		}
		if want != "" && want != "all" && reg != want {
			continue
		}
		if !withRegion {
			reg = ""
		}
		res = append(res, row{u.Disabled, u.ID, u.Username, u.Email, reg})
	}
	if _, ok := c.query["limit"]; !ok {
		c.query["limit"] = []string{itoa(SubusersPageSize)}
	}
	return jsonResp(http.StatusOK, page(c, res))
}

// SubusersPageSize is the page GET /v3/subusers answers when limit is omitted ("the default
// page size" of the spec, which does not say how large it is: this is the simulator's choice,
// small enough that an account with many subusers needs paging).
const SubusersPageSize = 100

// eventNames are the event webhook's per-event switches.
var eventNames = []string{"account_status_change", "group_resubscribe", "delivered", "group_unsubscribe",
	"spam_report", "bounce", "deferred", "unsubscribe", "processed", "open", "click", "dropped"}

func (s *Server) eventWebhooks(c *call) response {
	res := []map[string]any{}
	for _, w := range filter(s.st, func() []EventWebhook { return s.st.webhooks }, c.acct, func(w EventWebhook) string { return w.Subuser }) {
		m := webhookJSON(w)
		if w.PublicKey != "" {
			m["public_key"] = w.PublicKey
		}
		res = append(res, m)
	}
	return jsonResp(http.StatusOK, map[string]any{"max_allowed": 5, "webhooks": res})
}

func (s *Server) parseSettings(c *call) response {
	type row struct {
		URL       string `json:"url"`
		Hostname  string `json:"hostname"`
		SpamCheck bool   `json:"spam_check"`
		SendRaw   bool   `json:"send_raw"`
	}
	res := []row{}
	for _, p := range filter(s.st, func() []ParseSetting { return s.st.parse }, c.acct, func(p ParseSetting) string { return p.Subuser }) {
		res = append(res, row{p.URL, p.Hostname, p.SpamCheck, p.SendRaw})
	}
	return jsonResp(http.StatusOK, map[string][]row{"result": res})
}

type forwardJSON struct {
	Email   string `json:"email"`
	Enabled bool   `json:"enabled"`
}

func (s *Server) forwardBounce(c *call) response {
	b, _ := s.st.forwards(c.acct)
	return jsonResp(http.StatusOK, forwardJSON(b))
}

func (s *Server) forwardSpam(c *call) response {
	_, sp := s.st.forwards(c.acct)
	return jsonResp(http.StatusOK, forwardJSON(sp))
}

func (s *Server) alerts(c *call) response {
	type row struct {
		CreatedAt  int64  `json:"created_at"`
		EmailTo    string `json:"email_to"`
		ID         int    `json:"id"`
		Type       string `json:"type"`
		UpdatedAt  int64  `json:"updated_at"`
		Frequency  string `json:"frequency,omitempty"`
		Percentage int    `json:"percentage,omitempty"`
	}
	res := []row{}
	for _, a := range filter(s.st, func() []Alert { return s.st.alerts }, c.acct, func(a Alert) string { return a.Subuser }) {
		res = append(res, row{a.CreatedAt.Unix(), a.EmailTo, a.ID, a.Type, a.UpdatedAt.Unix(), a.Frequency, a.Percentage})
	}
	return jsonResp(http.StatusOK, res)
}

// timeRange reads the suppression endpoints' start_time/end_time (unix seconds, inclusive).
func timeRange(c *call) (from, to int64, bad *response) {
	from, to = 0, 1<<62
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"start_time", &from}, {"end_time", &to}} {
		if v := c.q(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				r := errResp(http.StatusBadRequest, strp(p.name), p.name+" must be a unix timestamp")
				return 0, 0, &r
			}
			*p.dst = n
		}
	}
	return from, to, nil
}

// suppressions answers a suppression list: the account's rows created in the
// start_time..end_time range, as the endpoint's row type, paged. Bounces and
// spam reports differ only in their rows.
func suppressions[T, R any](s *Server, c *call, all func() []T, sub func(T) string, created func(T) time.Time, row func(t int64, x T) R) response {
	from, to, bad := timeRange(c)
	if bad != nil {
		return *bad
	}
	res := []R{}
	for _, x := range filter(s.st, all, c.acct, sub) {
		if t := created(x).Unix(); t >= from && t <= to {
			res = append(res, row(t, x))
		}
	}
	return jsonResp(http.StatusOK, page(c, res))
}

func (s *Server) bounces(c *call) response {
	type row struct {
		Created int64  `json:"created"`
		Email   string `json:"email"`
		Reason  string `json:"reason"`
		Status  string `json:"status"`
	}
	return suppressions(s, c, func() []Bounce { return s.st.bounces },
		func(b Bounce) string { return b.Subuser },
		func(b Bounce) time.Time { return b.Created },
		func(t int64, b Bounce) row { return row{t, b.Email, b.Reason, b.Status} })
}

func (s *Server) spamReports(c *call) response {
	type row struct {
		Created int64  `json:"created"`
		Email   string `json:"email"`
		IP      string `json:"ip"`
	}
	return suppressions(s, c, func() []SpamReport { return s.st.spam },
		func(r SpamReport) string { return r.Subuser },
		func(r SpamReport) time.Time { return r.Created },
		func(t int64, r SpamReport) row { return row{t, r.Email, r.IP} })
}

func (s *Server) verifiedSenders(c *call) response {
	type row struct {
		ID        int    `json:"id"`
		Nickname  string `json:"nickname"`
		FromEmail string `json:"from_email"`
		FromName  string `json:"from_name"`
		ReplyTo   string `json:"reply_to"`
		Verified  bool   `json:"verified"`
		Locked    bool   `json:"locked"`
	}
	// Paged as the spec has it: ascending id, id > lastSeenID, at most limit; id selects one.
	// There is no offset here (an offset is ignored: the same page comes back).
	num := func(name string) (int, bool, *response) {
		v := c.q(name)
		if v == "" {
			return 0, false, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f != float64(int(f)) {
			r := errResp(http.StatusBadRequest, strp(name), name+" must be a non-negative integer")
			return 0, false, &r
		}
		return int(f), true, nil
	}
	limit, hasLimit, bad := num("limit")
	if bad != nil {
		return *bad
	}
	last, _, bad := num("lastSeenID")
	if bad != nil {
		return *bad
	}
	id, hasID, bad := num("id")
	if bad != nil {
		return *bad
	}
	vs := filter(s.st, func() []VerifiedSender { return s.st.senders }, c.acct, func(v VerifiedSender) string { return v.Subuser })
	slices.SortFunc(vs, func(a, b VerifiedSender) int { return a.ID - b.ID })
	res := []row{}
	for _, v := range vs {
		if v.ID <= last || hasID && v.ID != id {
			continue
		}
		if hasLimit && len(res) >= limit {
			break
		}
		res = append(res, row{v.ID, v.Nickname, v.FromEmail, v.FromName, v.ReplyTo, v.Verified, v.Locked})
	}
	return jsonResp(http.StatusOK, map[string][]row{"results": res})
}

// page applies the optional limit/offset query parameters (invalid values are ignored).
func page[T any](c *call, xs []T) []T {
	if n, err := strconv.Atoi(c.q("offset")); err == nil && n > 0 {
		xs = xs[min(n, len(xs)):]
	}
	if n, err := strconv.Atoi(c.q("limit")); err == nil && n >= 0 && n < len(xs) {
		xs = xs[:n]
	}
	return xs
}

// intParam reads an optional integer query parameter in [lo, hi]; def when absent.
func intParam(c *call, name string, def, lo, hi int) (int, *response) {
	v, ok := c.query[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil || n < lo || n > hi {
		r := errResp(http.StatusBadRequest, strp(name), fmt.Sprintf("%s must be an integer between %d and %d", name, lo, hi))
		return 0, &r
	}
	return n, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}
