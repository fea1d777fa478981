package audit

import "context"
import "errors"
import "fmt"
import "net/url"
import "slices"
import "sort"
import "strings"
import "sync"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/actions/sendgrid"

// Options say what to read.
type Options struct {
	Subuser       string   // audit this subuser only (on-behalf-of)
	AllSubusers   bool     // the parent and every subuser
	Trusted       []string // trusted domains for forwarding and alert addresses
	Baselines     []*sendgrid.Baseline
	BaselinePaths []string
	// Concurrency bounds parallel key reads (default 4).
	Concurrency int
}

// ErrUnknownSubuser: --subuser names no subuser of the account (a usage error).
var ErrUnknownSubuser = errors.New("no such subuser in this account")

// scopeOf names the scope each read needs, for a not_assessable reason.
var scopeOf = map[string]string{
	"/v3/api_keys":                         "api_keys.read",
	"/v3/messages":                         "email_activity.read",
	"/v3/access_settings/whitelist":        "access_settings.whitelist.read",
	"/v3/access_settings/activity":         "access_settings.activity.read",
	"/v3/user/webhooks/event/settings/all": "user.webhooks.event.settings.read",
	"/v3/user/webhooks/parse/settings":     "user.webhooks.parse.settings.read",
	"/v3/mail_settings/forward_bounce":     "mail_settings.forward_bounce.read",
	"/v3/mail_settings/forward_spam":       "mail_settings.forward_spam.read",
	"/v3/alerts":                           "alerts.read",
	"/v3/teammates":                        "teammates.read",
	"/v3/teammates/pending":                "teammates.read",
}

// gapOf turns a read error into a not_assessable reason, or returns the
// error when the audit cannot honestly go on (a server or network failure
// after retries: an empty answer would read as "nothing wrong").
func gapOf(path string, err error) (Gap, error) {
	if err == nil {
		return "", nil
	}
	switch st := sendgrid.StatusOf(err); {
	case path == "/v3/messages" && (st == 400 || st == 401 || st == 403) && sendgrid.AuthRequired(err):
		return "Email Activity is not available to this account (the add-on, or the email_activity.read scope, is missing)", nil
	case st == 403:
		return Gap(fmt.Sprintf("the responder key may not read %s (scope %s)", path, scopeOf[path])), nil
	case st == 401:
		// The key authenticated for /v3/scopes, so a 401 here is the account's host:
		// an EU regional subuser is served only by api.eu.sendgrid.com, unknown
		// when SENDGRID_API_URL is set without SENDGRID_API_URL_EU.
		return Gap(fmt.Sprintf("%s was refused (401) for this account on this host (an EU regional subuser is served by the EU host: set SENDGRID_API_URL_EU with SENDGRID_API_URL)", path)), nil
	case st == 404:
		return Gap(fmt.Sprintf("%s is not available to this account", path)), nil
	}
	return "", err
}

// Read gathers the snapshot: the responder's scopes, then each audited
// account's keys, settings and teammates.
func Read(ctx context.Context, env *actions.Env, o Options) (*Snapshot, error) {
	r, err := sendgrid.NewReader(env)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if env.Now != nil {
		now = env.Now()
	}
	s := &Snapshot{Now: now.UTC(), ResponderKeyID: r.KeyID(), Trusted: o.Trusted,
		ResponderNeeds: sendgrid.RequiredScopes([]string{"sendgrid.snapshot_key", "sendgrid.revoke_key", "sendgrid.confirm_revoked", "sendgrid.inventory", "sendgrid.activity", "sendgrid.stats", "sendgrid.persistence"})}
	var scopes struct {
		Scopes []string `json:"scopes"`
	}
	if err := r.Get(ctx, "", "/v3/scopes", &scopes); err != nil {
		return nil, fmt.Errorf("the responder key: %w", err)
	}
	for i, b := range o.Baselines {
		bl := Baseline{TakenAt: b.TakenAt, Surfaces: map[string][]string{}}
		if i < len(o.BaselinePaths) {
			bl.Path = o.BaselinePaths[i]
		}
		for _, k := range b.Keys {
			bl.Keys = append(bl.Keys, BaselineKey{ID: k.ID, Name: k.Name, Scopes: k.Scopes, Subuser: k.Subuser})
		}
		for _, name := range sendgrid.AuditSurfaces() {
			if items, ok := b.BaselineSurface(name); ok {
				bl.Surfaces[name] = items
			}
		}
		s.Baselines = append(s.Baselines, bl)
	}
	accounts := []string{""}
	if o.Subuser != "" || o.AllSubusers {
		// The region of each subuser decides its host: an EU regional subuser's
		// data is served by api.eu.sendgrid.com only.
		regions, err := r.SubuserRegions(ctx)
		switch {
		case err != nil && o.Subuser != "" && sendgrid.StatusOf(err) == 403:
			// Without subusers.read the named subuser is read on the global host.
			regions = map[string]string{o.Subuser: "global"}
		case err != nil:
			return nil, fmt.Errorf("listing subusers: %w", err)
		}
		var eu, all []string
		for name, reg := range regions {
			all = append(all, name)
			if reg == "eu" {
				eu = append(eu, name)
			}
		}
		sort.Strings(all)
		r.SetEUSubusers(eu)
		if o.Subuser != "" {
			if _, ok := regions[o.Subuser]; !ok {
				return nil, fmt.Errorf("%w: %q", ErrUnknownSubuser, o.Subuser)
			}
			accounts = []string{o.Subuser}
		} else {
			accounts = append(accounts, all...)
		}
	}
	for _, sub := range accounts {
		// Baselines hold the parent's persistence surfaces only.
		a, err := readAccount(ctx, r, s, sub, len(o.Baselines) > 0 && sub == "", max(1, o.Concurrency))
		if err != nil {
			if sub != "" {
				return nil, fmt.Errorf("subuser %s: %w", sub, err)
			}
			return nil, err
		}
		s.Accounts = append(s.Accounts, a)
	}
	return s, nil
}

func readAccount(ctx context.Context, r *sendgrid.Reader, s *Snapshot, sub string, withSurfaces bool, conc int) (*Account, error) {
	a := &Account{Subuser: sub}
	get := func(path, endpoint string, out any) (Gap, error) {
		return gapOf(path, r.Get(ctx, sub, endpoint, out))
	}
	var err error
	var list struct {
		Result []struct {
			ID   string `json:"api_key_id"`
			Name string `json:"name"`
		} `json:"result"`
	}
	if a.KeysGap, err = get("/v3/api_keys", "/v3/api_keys?limit=1000", &list); err != nil {
		return nil, err
	}
	if a.KeysGap == "" {
		a.Keys = make([]Key, len(list.Result))
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		next := make(chan int)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					k := list.Result[i]
					var body struct {
						Scopes []string `json:"scopes"`
					}
					e := r.Get(ctx, sub, "/v3/api_keys/"+url.PathEscape(k.ID), &body)
					if sendgrid.StatusOf(e) == 404 {
						e = nil // revoked between the list and the read
					}
					mu.Lock()
					if e != nil && firstErr == nil {
						firstErr = fmt.Errorf("key %s: %w", k.ID, e)
					}
					a.Keys[i] = Key{ID: k.ID, Name: k.Name, Scopes: body.Scopes}
					mu.Unlock()
				}
			}()
		}
		for i := range list.Result {
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		sort.Slice(a.Keys, func(i, j int) bool { return a.Keys[i].ID < a.Keys[j].ID })
	}
	if err := readSent(ctx, r, s, a); err != nil {
		return nil, err
	}

	var allow struct {
		Result []struct {
			ID        int    `json:"id"`
			IP        string `json:"ip"`
			CreatedAt int64  `json:"created_at"`
		} `json:"result"`
	}
	if a.AllowListGap, err = get("/v3/access_settings/whitelist", "/v3/access_settings/whitelist", &allow); err != nil {
		return nil, err
	}
	for _, e := range allow.Result {
		a.AllowList = append(a.AllowList, AllowEntry{ID: e.ID, IP: e.IP, Age: unix(e.CreatedAt)})
	}
	var act struct {
		Result []struct {
			IP       string `json:"ip"`
			Allowed  bool   `json:"allowed"`
			FirstAt  int64  `json:"first_at"`
			LastAt   int64  `json:"last_at"`
			Location string `json:"location"`
		} `json:"result"`
	}
	if a.AccessGap, err = get("/v3/access_settings/activity", "/v3/access_settings/activity?limit=1000", &act); err != nil {
		return nil, err
	}
	for _, e := range act.Result {
		a.Access = append(a.Access, Access{IP: e.IP, Allowed: e.Allowed, FirstAt: unix(e.FirstAt), LastAt: unix(e.LastAt), Location: e.Location})
	}
	var hooks struct {
		Webhooks []struct {
			ID        string  `json:"id"`
			URL       string  `json:"url"`
			Enabled   bool    `json:"enabled"`
			PublicKey *string `json:"public_key"`
		} `json:"webhooks"`
	}
	if a.WebhooksGap, err = get("/v3/user/webhooks/event/settings/all", "/v3/user/webhooks/event/settings/all", &hooks); err != nil {
		return nil, err
	}
	for _, h := range hooks.Webhooks {
		a.Webhooks = append(a.Webhooks, Webhook{ID: h.ID, URL: sendgrid.RedactURL(h.URL), Enabled: h.Enabled, Signed: h.PublicKey != nil && strings.TrimSpace(*h.PublicKey) != ""})
	}
	var parse struct {
		Result []ParseHost `json:"result"`
	}
	if a.ParseGap, err = get("/v3/user/webhooks/parse/settings", "/v3/user/webhooks/parse/settings", &parse); err != nil {
		return nil, err
	}
	// URLs lose user info and query (they may carry a receiver's credentials) before they are
	// kept: the checks need only the scheme and host.
	for _, p := range parse.Result {
		a.Parse = append(a.Parse, ParseHost{Hostname: p.Hostname, URL: sendgrid.RedactURL(p.URL)})
	}
	for _, f := range []struct {
		path string
		dst  *Forward
		gap  *Gap
	}{{"/v3/mail_settings/forward_bounce", &a.FwdBounce, &a.FwdBounceGap}, {"/v3/mail_settings/forward_spam", &a.FwdSpam, &a.FwdSpamGap}} {
		var b struct {
			Email   *string `json:"email"`
			Enabled bool    `json:"enabled"`
		}
		if *f.gap, err = get(f.path, f.path, &b); err != nil {
			return nil, err
		}
		if b.Email != nil {
			f.dst.Email = strings.TrimSpace(*b.Email)
		}
		f.dst.Enabled = b.Enabled
	}
	var alerts []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		EmailTo string `json:"email_to"`
	}
	if a.AlertsGap, err = get("/v3/alerts", "/v3/alerts", &alerts); err != nil {
		return nil, err
	}
	for _, al := range alerts {
		a.Alerts = append(a.Alerts, Alert{ID: al.ID, Type: al.Type, EmailTo: al.EmailTo})
	}
	if a.TeammatesGap, err = readTeammates(ctx, r, sub, a); err != nil {
		return nil, err
	}
	var pend struct {
		Result []struct {
			Email   string `json:"email"`
			IsAdmin bool   `json:"is_admin"`
			Expires int64  `json:"expiration_date"`
		} `json:"result"`
	}
	if a.PendingGap, err = get("/v3/teammates/pending", "/v3/teammates/pending", &pend); err != nil {
		return nil, err
	}
	for _, p := range pend.Result {
		a.Pending = append(a.Pending, Invite{Email: p.Email, IsAdmin: p.IsAdmin, Expires: unix(p.Expires)})
	}
	if withSurfaces {
		items, errs := r.Surfaces(ctx, sub)
		a.Surfaces, a.SurfaceGaps = items, map[string]Gap{}
		for name, e := range errs {
			g, ferr := gapOf(name, e)
			if ferr != nil {
				return nil, fmt.Errorf("%s: %w", name, ferr)
			}
			a.SurfaceGaps[name] = g
		}
	}
	return a, nil
}

// readTeammates pages through GET /v3/teammates (at most 500 a page).
func readTeammates(ctx context.Context, r *sendgrid.Reader, sub string, a *Account) (Gap, error) {
	const size = 500
	for off := 0; off < 20*size; off += size {
		var b struct {
			Result []Teammate `json:"result"`
		}
		if err := r.Get(ctx, sub, fmt.Sprintf("/v3/teammates?limit=%d&offset=%d", size, off), &b); err != nil {
			a.Teammates = nil
			return gapOf("/v3/teammates", err)
		}
		a.Teammates = append(a.Teammates, b.Result...)
		if len(b.Result) < size {
			break
		}
	}
	return "", nil
}

// unusedWindow is how far back a sending key must have sent mail.
const unusedWindow = 30 * 24 * time.Hour

// readSent asks Email Activity, per key that may send mail, whether it sent
// any in the last 30 days (limit=1: one row answers the question). Email
// Activity has no on-behalf-of, so a subuser's keys are not assessable.
func readSent(ctx context.Context, r *sendgrid.Reader, s *Snapshot, a *Account) error {
	if a.KeysGap != "" {
		return nil
	}
	if a.Subuser != "" {
		a.SentGap = "Email Activity cannot be read on behalf of a subuser (the spec declares no on-behalf-of)"
		return nil
	}
	a.Sent = map[string]bool{}
	for _, k := range a.Keys {
		if !maySend(k.Scopes) {
			continue
		}
		var b struct {
			Messages []struct {
				MsgID string `json:"msg_id"`
			} `json:"messages"`
		}
		err := r.Get(ctx, "", sendgrid.MessagesEndpoint(k.ID, s.Now.Add(-unusedWindow), s.Now, 1), &b)
		g, ferr := gapOf("/v3/messages", err)
		if ferr != nil {
			return ferr
		}
		if g != "" {
			a.SentGap, a.Sent = g, nil
			return nil
		}
		a.Sent[k.ID] = len(b.Messages) > 0
	}
	return nil
}

func maySend(scopes []string) bool { return slices.Contains(scopes, "mail.send") }

func unix(n int64) time.Time {
	if n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
