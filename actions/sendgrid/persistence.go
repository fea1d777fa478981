package sendgrid

import "context"
import "errors"
import "fmt"
import "net/url"
import "sort"
import "strings"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// persistenceInfo declares sendgrid.persistence; provider.go registers it.
var persistenceInfo = actions.Info{
	Name:    "sendgrid.persistence",
	Summary: "Look for footholds an attacker may have left: teammates, invites, IP allow list, logins from new IPs, webhooks, parse, forwarding, alerts, senders",
	Outputs: []actions.Output{
		{Name: "counts", Type: actions.TypeMap, Description: "items found per surface"},
		{Name: "findings", Type: actions.TypeInt, Description: "items reported as findings"},
		{Name: "failed_access_attempts", Type: actions.TypeInt, Description: "refused access attempts in the window"},
		{Name: "not_assessable", Type: actions.TypeList, Description: "surfaces the responder key may not read"},
		{Name: "account", Type: actions.TypeMap, Description: "the account the responder key belongs to (GET /v3/user/username): its username and user_id, empty when unread; keyir eradicate refuses another account's key"},
	},
	New: func() actions.Action { return new(Persistence) },
}

// Persistence surfaces, as named in findings and the baseline.
const (
	surfTeammates = "teammates"
	surfPending   = "pending_invites"
	surfAllowList = "ip_allowlist"
	surfAccess    = "access_activity"
	surfWebhooks  = "event_webhooks"
	surfParse     = "inbound_parse"
	surfFwdBounce = "forward_bounce"
	surfFwdSpam   = "forward_spam"
	surfAlerts    = "alerts"
	surfSenders   = "verified_senders"
)

// Persistence checks each surface independently.
type Persistence struct {
	Baseline       string   `param:"baseline" desc:"inventory file written by 'keyir inventory save'; only items not in it are findings"`
	TrustedDomains []string `param:"trusted_domains" desc:"destinations in these domains (and subdomains) are downgraded to info"`
	actions.Window
	assessedAccount
}

// Validate checks the window and region.
func (a *Persistence) Validate() error {
	if err := a.CheckWindow(); err != nil {
		return err
	}
	return checkRegion(a.Region)
}

// item is one thing found on a surface.
type item struct {
	key     string    // identity in the baseline
	rid     string    // the API's id of it: what the removal request names
	subject string    // finding subject
	dest    string    // destination host or email, for trusted_domains
	created time.Time // zero when the API gives no creation time
	desc    string
	always  bool // a finding even without a baseline or timestamp (live forwarding, pending invites)
}

type surface struct {
	name, kind string
	sev        report.Severity
	fetch      func(ctx context.Context, c *Client) ([]item, error)
	planKind   string // the eradication plan's kind of its items
}

var surfaces = []surface{
	{surfTeammates, "persistence.teammate", report.High, fetchTeammates, KindTeammate},
	{surfPending, "persistence.pending_invite", report.High, fetchPending, KindPendingInvite},
	{surfAllowList, "persistence.ip_allowlist", report.High, fetchAllowList, KindIPAllow},
	{surfWebhooks, "persistence.event_webhook", report.High, fetchWebhooks, KindEventWebhook},
	{surfParse, "persistence.inbound_parse", report.High, fetchParse, KindParseSetting},
	{surfFwdBounce, "persistence.forward_bounce", report.High, fetchForward("/v3/mail_settings/forward_bounce"), KindForwardBounce},
	{surfFwdSpam, "persistence.forward_spam", report.High, fetchForward("/v3/mail_settings/forward_spam"), KindForwardSpam},
	{surfAlerts, "persistence.alert_email", report.Low, fetchAlerts, KindAlert},
	{surfSenders, "persistence.verified_sender", report.Medium, fetchSenders, KindSender},
}

func unix(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

func fetchTeammates(ctx context.Context, c *Client) ([]item, error) {
	var out []item
	const size = 500
	for off := 0; off < 20*size; off += size {
		var b struct {
			Result []struct {
				Username string `json:"username"`
				Email    string `json:"email"`
				UserType string `json:"user_type"`
				IsAdmin  bool   `json:"is_admin"`
			} `json:"result"`
		}
		if _, err := c.get(ctx, fmt.Sprintf("/v3/teammates?limit=%d&offset=%d", size, off), &b); err != nil {
			return out, err
		}
		for _, t := range b.Result {
			out = append(out, item{key: t.Username, rid: t.Username, subject: t.Username, dest: t.Email,
				desc: fmt.Sprintf("teammate %s <%s> (%s%s)", t.Username, t.Email, t.UserType, map[bool]string{true: ", admin"}[t.IsAdmin])})
		}
		if len(b.Result) < size {
			break
		}
	}
	return out, nil
}

func fetchPending(ctx context.Context, c *Client) ([]item, error) {
	var b struct {
		Result []struct {
			Email   string   `json:"email"`
			Scopes  []string `json:"scopes"`
			IsAdmin bool     `json:"is_admin"`
			Expires int64    `json:"expiration_date"`
			Token   string   `json:"token"`
		} `json:"result"`
	}
	if _, err := c.get(ctx, "/v3/teammates/pending", &b); err != nil {
		return nil, err
	}
	var out []item
	for _, p := range b.Result {
		role := fmt.Sprintf("%d scopes", len(p.Scopes))
		if p.IsAdmin {
			role = "admin"
		}
		out = append(out, item{key: strings.ToLower(p.Email), rid: p.Token, subject: p.Email, dest: p.Email, always: true,
			desc: fmt.Sprintf("pending teammate invite to %s (%s, expires %s)", p.Email, role, unix(p.Expires).Format(time.RFC3339))})
	}
	return out, nil
}

func fetchAllowList(ctx context.Context, c *Client) ([]item, error) {
	var b struct {
		Result []struct {
			ID        int    `json:"id"`
			IP        string `json:"ip"`
			CreatedAt int64  `json:"created_at"`
		} `json:"result"`
	}
	if _, err := c.get(ctx, "/v3/access_settings/whitelist", &b); err != nil {
		return nil, err
	}
	var out []item
	for _, r := range b.Result {
		out = append(out, item{key: r.IP, rid: fmt.Sprint(r.ID), subject: r.IP, created: unix(r.CreatedAt),
			desc: fmt.Sprintf("IP allow-list entry %s (rule %d, created %s): once an allow list exists, logins and API calls from other IPs are refused, a lock-out risk", r.IP, r.ID, unix(r.CreatedAt).Format(time.RFC3339))})
	}
	return out, nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return raw
	}
	return u.Hostname()
}

func fetchWebhooks(ctx context.Context, c *Client) ([]item, error) {
	var b struct {
		Webhooks []struct {
			ID      string  `json:"id"`
			URL     string  `json:"url"`
			Enabled bool    `json:"enabled"`
			Name    *string `json:"friendly_name"`
			Created *string `json:"created_date"`
		} `json:"webhooks"`
	}
	if _, err := c.get(ctx, "/v3/user/webhooks/event/settings/all", &b); err != nil {
		return nil, err
	}
	var out []item
	for _, w := range b.Webhooks {
		var created time.Time
		if w.Created != nil {
			created, _ = time.Parse(time.RFC3339, *w.Created)
		}
		host := hostOf(w.URL)
		state := "disabled"
		if w.Enabled {
			state = "enabled"
		}
		out = append(out, item{key: w.URL, rid: w.ID, subject: host, dest: host, created: created,
			desc: fmt.Sprintf("event webhook to %s (%s): every event, with recipient addresses, is posted there", redactURL(w.URL), state)})
	}
	return out, nil
}

// redactURL drops a URL's user info and query, which may hold credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func fetchParse(ctx context.Context, c *Client) ([]item, error) {
	var b struct {
		Result []struct {
			URL      string `json:"url"`
			Hostname string `json:"hostname"`
		} `json:"result"`
	}
	if _, err := c.get(ctx, "/v3/user/webhooks/parse/settings", &b); err != nil {
		return nil, err
	}
	var out []item
	for _, p := range b.Result {
		out = append(out, item{key: p.Hostname + " " + p.URL, rid: p.Hostname, subject: p.Hostname, dest: hostOf(p.URL),
			desc: fmt.Sprintf("inbound parse: mail to %s is posted to %s", p.Hostname, redactURL(p.URL))})
	}
	return out, nil
}

func fetchForward(path string) func(context.Context, *Client) ([]item, error) {
	return func(ctx context.Context, c *Client) ([]item, error) {
		var b struct {
			Email   *string `json:"email"`
			Enabled bool    `json:"enabled"`
		}
		if _, err := c.get(ctx, path, &b); err != nil {
			return nil, err
		}
		if !b.Enabled || b.Email == nil || strings.TrimSpace(*b.Email) == "" {
			return nil, nil
		}
		e := strings.TrimSpace(*b.Email)
		return []item{{key: strings.ToLower(e), rid: strings.TrimPrefix(path, "/v3/mail_settings/"), subject: e, dest: e, always: true,
			desc: fmt.Sprintf("%s forwards to %s", strings.TrimPrefix(path, "/v3/mail_settings/"), e)}}, nil
	}
}

func fetchAlerts(ctx context.Context, c *Client) ([]item, error) {
	var rows []struct {
		ID        int    `json:"id"`
		Type      string `json:"type"`
		EmailTo   string `json:"email_to"`
		CreatedAt int64  `json:"created_at"`
	}
	if _, err := c.get(ctx, "/v3/alerts", &rows); err != nil {
		return nil, err
	}
	var out []item
	for _, a := range rows {
		if strings.TrimSpace(a.EmailTo) == "" {
			continue
		}
		out = append(out, item{key: strings.ToLower(a.EmailTo) + " " + a.Type, rid: fmt.Sprint(a.ID), subject: a.EmailTo, dest: a.EmailTo, created: unix(a.CreatedAt),
			desc: fmt.Sprintf("%s alert %d emails %s", a.Type, a.ID, a.EmailTo)})
	}
	return out, nil
}

// sendersPage is the verified senders page size; the spec pages them with
// limit and lastSeenID (there is no offset).
const sendersPage = 100

func fetchSenders(ctx context.Context, c *Client) ([]item, error) {
	// The spec declares no on-behalf-of here: a subuser's senders cannot be
	// read (Run says so), and the header is never sent.
	c = c.parentOnly()
	var out []item
	last := 0
	for range 200 {
		var b struct {
			Results []struct {
				ID        int    `json:"id"`
				FromEmail string `json:"from_email"`
				Nickname  string `json:"nickname"`
				Verified  bool   `json:"verified"`
			} `json:"results"`
		}
		ep := fmt.Sprintf("/v3/verified_senders?limit=%d", sendersPage)
		if last > 0 {
			ep += fmt.Sprintf("&lastSeenID=%d", last)
		}
		if _, err := c.get(ctx, ep, &b); err != nil {
			return out, err
		}
		advanced := false
		for _, v := range b.Results {
			if v.ID > last {
				last, advanced = v.ID, true
			} else if last > 0 {
				continue // not after lastSeenID: already listed
			}
			out = append(out, item{key: strings.ToLower(v.FromEmail), rid: fmt.Sprint(v.ID), subject: v.FromEmail, dest: v.FromEmail,
				desc: fmt.Sprintf("verified sender %s (%q, verified %t)", v.FromEmail, v.Nickname, v.Verified)})
		}
		// An empty page ends the list; so does a page that does not move
		// past lastSeenID (an API ignoring it would repeat itself forever).
		if len(b.Results) == 0 || !advanced {
			return out, nil
		}
	}
	return out, nil
}

// collectSurfaces fills a baseline's persistence lists (SaveInventory).
func collectSurfaces(ctx context.Context, env *actions.Env, c *Client, b *Baseline) {
	for _, s := range surfaces {
		items, err := s.fetch(ctx, c)
		if err != nil {
			note(env, fmt.Sprintf("baseline: %s not captured: %v", s.name, err))
			continue
		}
		l := b.list(s.name)
		*l = []string{}
		for _, it := range items {
			*l = append(*l, it.key)
		}
		sort.Strings(*l)
		b.Captured = append(b.Captured, s.name)
	}
}

// trusted reports whether a destination (host or email) is in a trusted domain.
func trusted(dest string, domains []string) bool {
	d := strings.ToLower(strings.TrimSpace(dest))
	if i := strings.LastIndexByte(d, '@'); i >= 0 {
		d = d[i+1:]
	}
	for _, t := range domains {
		t = strings.ToLower(strings.Trim(strings.TrimSpace(t), "."))
		if t != "" && (d == t || strings.HasSuffix(d, "."+t)) {
			return true
		}
	}
	return false
}

// Run checks every surface, each independently.
func (a *Persistence) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	base, err := baselineIfAny(a.Baseline)
	if err != nil {
		return nil, err
	}
	acct := a.account(env)
	c0, err := newClient(env, RegionGlobal, "")
	if err != nil {
		return nil, err
	}
	c, err := c0.forAccount(acct)
	if err != nil {
		return nil, err
	}
	if acct.Subuser != "" || normRegion(acct.Region) == RegionEU {
		note(env, "assessing "+acct.String()+", the account that holds the key")
	}
	start, end := a.Bounds(env)
	// The account the footholds are found in: eradication refuses another.
	who := readAccountIdentity(ctx, c0)
	tainted, err := checkRunBaselineOf(env, who, base, start, end, true)
	if err != nil {
		return nil, err
	}
	counts := map[string]string{}
	notAss := []string{}
	var review []string
	var errs []error
	var fs footholds
	nFindings := 0
	for _, s := range surfaces {
		if s.name == surfSenders && acct.Subuser != "" {
			env.Finding(report.Finding{
				Kind: "assessment.not_assessable", Subject: s.name, Severity: report.Medium,
				Title:  "Could not assess " + s.name + " of " + acct.String(),
				Detail: "The verified senders API declares no on-behalf-of header, so the parent's responder key cannot read " + acct.String() + "'s senders (it would be answered with the parent's). Check them by hand: in the SendGrid app, switch to " + acct.String() + " and open Settings > Sender Authentication.",
			})
			notAss = append(notAss, s.name)
			continue
		}
		items, err := s.fetch(ctx, c)
		if st := statusOf(err); st == 403 {
			notAssessable(env, s.name, "the responder key may not read "+s.name, err)
			notAss = append(notAss, s.name)
			continue
		} else if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		counts[s.name] = fmt.Sprint(len(items))
		ref, _ := evidence(env, "persistence_"+s.name, items2evidence(items))
		var known map[string]bool
		if base.captured(s.name) {
			known = map[string]bool{}
			for _, k := range *base.list(s.name) {
				known[k] = true
			}
		}
		for _, it := range items {
			inWindow := !it.created.IsZero() && !it.created.Before(start) && !it.created.After(end)
			var why string
			switch {
			case known != nil && known[it.key] && !(tainted && inWindow):
				continue
			case known != nil && !known[it.key]:
				why = "not in the baseline inventory of " + base.TakenAt.Format(time.RFC3339)
			case inWindow:
				why = "created " + it.created.Format(time.RFC3339) + ", inside the exposure window"
			case it.always:
				why = "active now (no baseline to compare with)"
			default:
				review = append(review, it.desc)
				continue
			}
			sev := s.sev
			if s.name == surfAlerts && len(a.TrustedDomains) > 0 {
				sev = report.Medium
			}
			if it.dest != "" && trusted(it.dest, a.TrustedDomains) {
				sev = report.Info
			}
			nFindings++
			f := report.Finding{
				Kind: s.kind, Subject: it.subject, Severity: sev,
				Title:    firstUpper(it.desc),
				Detail:   firstUpper(it.desc) + "; " + why + ". Check it was set up by someone on your team; if not, remove it.",
				Evidence: refs(ref),
			}
			fs.add(f, s.planKind, it.rid, acct, []string{why, whyDest(it.dest, a.TrustedDomains)})
		}
	}
	fs.in = &acct
	if err := fs.emit(env, persistenceKinds()); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", report.PlanFile, err))
	}
	failed, nNew, err := a.accessActivity(ctx, env, c, start, end)
	switch st := statusOf(err); {
	case st == 403:
		notAssessable(env, surfAccess, "the responder key may not read IP access activity", err)
		notAss = append(notAss, surfAccess)
	case err != nil:
		errs = append(errs, fmt.Errorf("%s: %w", surfAccess, err))
	default:
		nFindings += nNew
	}
	if len(review) > 0 {
		env.Finding(report.Finding{
			Kind: "persistence.review", Severity: report.Info,
			Title:  fmt.Sprintf("%d existing item(s) to review (no baseline, no creation time)", len(review)),
			Detail: "keyir cannot tell whether these are new: " + strings.Join(review, "; ") + ". Save a baseline with `keyir inventory save FILE` to diff next time.",
		})
	}
	out := actions.Outputs{"counts": counts, "findings": nFindings, "failed_access_attempts": failed, "not_assessable": notAss,
		"account": who.outputs()}
	if len(errs) > 0 {
		return out, fmt.Errorf("%d persistence check(s) failed: %w", len(errs), errors.Join(errs...))
	}
	return out, nil
}

// accessActivity reports IPs first seen in the window and never before it.
func (a *Persistence) accessActivity(ctx context.Context, env *actions.Env, c *Client, start, end time.Time) (failed, found int, err error) {
	var b struct {
		Result []struct {
			Allowed    bool   `json:"allowed"`
			AuthMethod string `json:"auth_method"`
			FirstAt    int64  `json:"first_at"`
			LastAt     int64  `json:"last_at"`
			IP         string `json:"ip"`
			Location   string `json:"location"`
		} `json:"result"`
	}
	if _, err := c.get(ctx, "/v3/access_settings/activity?limit=1000", &b); err != nil {
		return 0, 0, err
	}
	ref, _ := evidence(env, "persistence_"+surfAccess, b.Result)
	first := map[string]time.Time{}
	info := map[string]string{}
	for _, r := range b.Result {
		f := unix(r.FirstAt)
		if unix(r.LastAt).Before(start) && f.Before(start) && !r.Allowed {
			// old failures are not counted
		} else if !r.Allowed && !unix(r.LastAt).Before(start) {
			failed++
		}
		if f.IsZero() || !r.Allowed {
			continue // refused attempts are counted, not footholds
		}
		if cur, ok := first[r.IP]; !ok || f.Before(cur) {
			first[r.IP] = f
			info[r.IP] = fmt.Sprintf("%s, %s, allowed %t", r.Location, r.AuthMethod, r.Allowed)
		}
	}
	ips := make([]string, 0, len(first))
	for ip := range first {
		ips = append(ips, ip)
	}
	sort.Strings(ips)
	for _, ip := range ips {
		f := first[ip]
		if f.Before(start) || f.After(end) {
			continue
		}
		found++
		env.Finding(report.Finding{
			Kind: "persistence.access_from_new_ip", Subject: ip, Severity: report.Medium,
			Title:    "Access from an IP first seen in the exposure window: " + ip,
			Detail:   fmt.Sprintf("%s first accessed the account at %s (%s) and never before the window.", ip, f.Format(time.RFC3339), info[ip]),
			Evidence: refs(ref),
		})
	}
	return failed, found, nil
}

func items2evidence(items []item) []map[string]any {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		m := map[string]any{"subject": it.subject, "description": it.desc}
		if !it.created.IsZero() {
			m["created"] = it.created
		}
		out = append(out, m)
	}
	return out
}

func firstUpper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	_ actions.Action    = (*Persistence)(nil)
	_ actions.Validator = (*Persistence)(nil)
)
