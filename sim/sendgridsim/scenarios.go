package sendgridsim

import "fmt"
import "math/rand/v2"
import "sort"
import "time"

import "github.com/keyir/keyir/sim/simhttp"

// Expected is one finding a scenario's ground truth says a complete
// assessment must report: its kind and, where it matters, its subject.
type Expected = simhttp.Expected

// Truth is a fixture's attack (new keys, invites, webhooks …), faults and
// ground truth (simhttp.Truth); Footholds are what `keyir eradicate` must
// remove.
type Truth = simhttp.Truth[*State, Item]

// Fixture is a scenario made concrete at a point in time.
type Fixture struct {
	State        *State
	Config       Config
	ResponderKey string // the on-call responder's own key (least privilege)
	LeakedKey    string
	LeakedKeyID  string // the id of LeakedKey (its middle segment)
	// IDOnly: the responder knows only the key's id, not its secret; a drill names the key
	// with key_id (--key-id) and never gives the playbook the key itself.
	IDOnly      bool
	WindowStart time.Time
	WindowEnd   time.Time
	Truth
}

var scenarios = []Scenario{
	{Name: "spam-burst", Description: "the leaked key was used to send thousands of phishing mails in a day and a half", Build: spamBurst},
	{Name: "persistence", Description: "the holder of a full-access key created a key, invited a teammate, added a webhook, a forward address and an allow-list entry", Build: persistence},
	{Name: "already-revoked", Description: "SendGrid auto-deleted the key after finding it on public GitHub; the revoke finds it gone", Build: alreadyRevoked},
	{Name: "rate-limited", Description: "tight rate limits on every endpoint: keyir must wait them out and still retrieve everything", Build: rateLimited},
	{Name: "flaky-api", Description: "5xx answers, connection resets and a truncated body in the middle of the run", Build: flakyAPI},
	{Name: "subuser-key", Description: "the leaked key belongs to a subuser, and the responder does not say which one: keyir must find it", Build: subuserKey},
	{Name: "eu-subuser", Description: "the leaked key belongs to an EU regional subuser, served only by the EU host (api.eu.sendgrid.com)", Build: euSubuser},
	{Name: "id-only", Description: "only the leaked key's id is known (from a log line or an alert), not the key: revoked, but nothing can prove it dead", Build: idOnly},
}

// Scenarios lists the built-in scenarios.
func Scenarios() []Scenario { return append([]Scenario(nil), scenarios...) }

// LookupScenario finds a scenario by name.
func LookupScenario(name string) (Scenario, bool) { return simhttp.Lookup(scenarios, name) }

// ResponderScopes are the scopes of the responder key the scenarios give
// out: reads for the assessment plus api_keys.delete, nothing more.
func ResponderScopes() []string {
	return []string{
		"api_keys.read", "api_keys.delete", "email_activity.read", "stats.read",
		"teammates.read", "access_settings.activity.read", "access_settings.whitelist.read",
		"subusers.read", "user.webhooks.event.settings.read", "user.webhooks.parse.settings.read",
		"mail_settings.forward_bounce.read", "mail_settings.forward_spam.read", "alerts.read",
		"suppression.bounces.read", "suppression.spam_reports.read", "verified_senders.read",
		"user.username.read",
	}
}

// world is the account every scenario starts from: a small company with a
// few keys, two teammates, a legitimate webhook, a subuser, and three weeks
// of ordinary traffic.
type world struct {
	rng       *rand.Rand
	now       time.Time
	st        *State
	cfg       Config
	responder Key
	fx        *Fixture
}

func newWorld(name string, now time.Time) *world {
	rng := simhttp.SeededRand(name)
	now = now.UTC().Truncate(time.Second)
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return time.Now() }
	w := &world{rng: rng, now: now, st: NewState(), cfg: cfg}
	w.responder = NewKey(rng, "keyir-responder", ResponderScopes())
	w.st.AddKey(w.responder)
	prod := NewKey(rng, "prod-mailer", []string{"mail.send"})
	w.st.AddKey(prod)
	analytics := NewKey(rng, "analytics", []string{"stats.read", "email_activity.read"})
	w.st.AddKey(analytics)
	w.st.AddSubuser(Subuser{ID: 1001, Username: "marketing", Email: "marketing@example.com"})
	mk := NewKey(rng, "marketing-campaigns", []string{"mail.send"})
	mk.Subuser = "marketing"
	w.st.AddKey(mk)
	w.st.AddTeammate(Teammate{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Owner", UserType: "owner", IsAdmin: true})
	w.st.AddTeammate(Teammate{Username: "bob", Email: "bob@example.com", FirstName: "Bob", LastName: "Ops", UserType: "teammate"})
	w.st.AddVerifiedSender(VerifiedSender{Nickname: "support", FromEmail: "support@example.com", FromName: "Example Support", ReplyTo: "support@example.com", Verified: true})
	w.st.AddEventWebhook(EventWebhook{URL: "https://hooks.example.com/sendgrid/events", FriendlyName: "analytics", Enabled: true, Created: now.AddDate(0, -6, 0), Updated: now.AddDate(0, -6, 0), Events: []string{"delivered", "bounce"}})
	w.st.AddAccessAttempt(AccessAttempt{IP: "198.51.100.10", Allowed: true, AuthMethod: "basic", FirstAt: now.AddDate(0, -3, 0), LastAt: now.Add(-20 * time.Hour), Location: "Office"})
	w.st.AddAlert(Alert{Type: "usage_limit", EmailTo: "billing@example.com", Percentage: 90, CreatedAt: now.AddDate(-1, 0, 0), UpdatedAt: now.AddDate(-1, 0, 0)})
	// Three weeks of ordinary traffic: ~200 requests a day, a few bounces.
	for d := 21; d >= 0; d-- {
		day := now.AddDate(0, 0, -d)
		req := 180 + rng.IntN(40)
		w.st.SetStats("", DayStats{Date: day.Format("2006-01-02"), Requests: req, Processed: req, Delivered: req - 3, Bounces: 2 + rng.IntN(2), SpamReports: rng.IntN(2), Opens: req / 3, UniqueOpens: req / 4, Clicks: req / 10, UniqueClicks: req / 12})
	}
	w.fx = &Fixture{State: w.st, Config: cfg, ResponderKey: w.responder.Token(), WindowStart: now.AddDate(0, 0, -7), WindowEnd: now,
		Truth: Truth{Containment: "confirmed", ExitCode: 0,
			Legitimate: []Item{
				{Kind: "api_key", Subject: w.responder.ID}, {Kind: "api_key", Subject: prod.ID}, {Kind: "api_key", Subject: analytics.ID},
				{Kind: "api_key", Account: "marketing", Subject: mk.ID},
				{Kind: "teammate", Subject: "alice"}, {Kind: "teammate", Subject: "bob"},
				{Kind: "event_webhook", Subject: "hooks.example.com"}, {Kind: "alert", Subject: "billing@example.com"},
				{Kind: "verified_sender", Subject: "support@example.com"},
			}}}
	return w
}

// leak adds the key that leaked to the parent account and returns it.
func (w *world) leak(name string, scopes []string) Key { return w.leakIn("", name, scopes) }

// leakIn adds the key that leaked to an account ("" = parent) and returns it.
func (w *world) leakIn(subuser, name string, scopes []string) Key {
	k := NewKey(w.rng, name, scopes)
	k.Subuser = subuser
	w.st.AddKey(k)
	w.fx.LeakedKey = k.Token()
	w.fx.LeakedKeyID = k.ID
	return k
}

// sendBurst records n messages sent by key over the last span, and the
// matching jump in daily stats, bounces and spam reports, in the key's account.
func (w *world) sendBurst(key Key, n int, span time.Duration, subject string) {
	acct := key.Subuser
	domains := []string{"example.com", "example.net", "example.org", "mail.example", "inbox.example", "post.example"}
	msgs := make([]Message, 0, n)
	perDay := map[string]int{}
	for i := 0; i < n; i++ {
		at := w.now.Add(-time.Duration(w.rng.Int64N(int64(span)))).Truncate(time.Second)
		// Most recipients are distinct; a few got the mail twice.
		to := fmt.Sprintf("user%05d@%s", w.rng.IntN(n*12), domains[w.rng.IntN(len(domains))])
		status := "delivered"
		switch r := w.rng.IntN(100); {
		case r < 9:
			status = "not_delivered"
		case r < 12:
			status = "processed"
		}
		msgs = append(msgs, Message{ID: randString(w.rng, 22), APIKeyID: key.ID, From: "security@examp1e-support.example", To: to, Subject: subject, Status: status, LastEventTime: at, Subuser: acct})
		perDay[at.Format("2006-01-02")]++
	}
	w.st.AddMessages(msgs...)
	days := make([]string, 0, len(perDay))
	for d := range perDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		cur := w.st.stats(acct, d)
		sent := perDay[d]
		cur.Requests += sent
		cur.Processed += sent
		cur.Delivered += sent * 88 / 100
		cur.Bounces += sent * 9 / 100
		cur.SpamReports += sent * 2 / 100
		w.st.SetStats(acct, cur)
		t, _ := time.Parse("2006-01-02", d)
		for i := 0; i < 3; i++ {
			w.st.AddBounce(Bounce{Subuser: acct, Email: fmt.Sprintf("gone%d-%s@example.net", i, d), Reason: "550 5.1.1 user unknown", Status: "5.1.1", Created: t.Add(time.Duration(i) * time.Hour)})
			w.st.AddSpamReport(SpamReport{Subuser: acct, Email: fmt.Sprintf("angry%d-%s@example.org", i, d), IP: "192.0.2.25", Created: t.Add(time.Duration(i) * time.Hour)})
		}
	}
}

func spamBurst(now time.Time) *Fixture {
	w := newWorld("spam-burst", now)
	k := w.leak("web-app-prod", []string{"mail.send", "stats.read", "templates.read"})
	w.sendBurst(k, 4210, 36*time.Hour, "Your account has been suspended — verify now")
	w.fx.Expected = []Expected{
		{Kind: "key.blast_radius", Subject: k.ID},
		{Kind: "activity.messages_sent", Subject: k.ID},
		{Kind: "stats.requests_spike"},
		{Kind: "stats.bounces_spike"},
		{Kind: "stats.spam_reports_spike"},
	}
	return w.fx
}

func persistence(now time.Time) *Fixture {
	w := newWorld("persistence", now)
	k := w.leak("ci-deploy", FullAccessScopes())
	w.sendBurst(k, 35, 20*time.Hour, "test")
	backdoor := NewKey(w.rng, "backup-2", FullAccessScopes())
	at := w.now.Add(-30 * time.Hour)
	w.fx.Attack = func(st *State) {
		st.AddKey(backdoor)
		st.AddInvite(Invite{Email: "ops-helper@mailbox.example", IsAdmin: true, Token: randString(rand.New(rand.NewPCG(7, 0)), 20), Expiration: at.AddDate(0, 0, 7)})
		st.AddEventWebhook(EventWebhook{URL: "https://collect.hooks-relay.example/sg", FriendlyName: "metrics", Enabled: true, Created: at, Updated: at, Events: []string{"delivered", "open", "click"}})
		st.SetForwardBounce("", Forward{Email: "drop@mailbox.example", Enabled: true})
		st.AddAllowListIP(AllowListIP{IP: "203.0.113.66", CreatedAt: at, UpdatedAt: at})
		st.AddAccessAttempt(AccessAttempt{IP: "203.0.113.66", Allowed: true, AuthMethod: "api_key", FirstAt: at, LastAt: at.Add(2 * time.Hour), Location: "Unknown"})
	}
	w.fx.Expected = []Expected{
		{Kind: "key.blast_radius", Subject: k.ID},
		{Kind: "persistence.new_api_key", Subject: backdoor.ID},
		{Kind: "persistence.pending_invite", Subject: "ops-helper@mailbox.example"},
		{Kind: "persistence.event_webhook", Subject: "collect.hooks-relay.example"},
		{Kind: "persistence.forward_bounce", Subject: "drop@mailbox.example"},
		{Kind: "persistence.ip_allowlist", Subject: "203.0.113.66"},
		{Kind: "persistence.access_from_new_ip", Subject: "203.0.113.66"},
	}
	// Contained, but five footholds of high severity stay: exit 5.
	w.fx.ExitCode = 5
	w.fx.Footholds = []Item{
		{Kind: "api_key", Subject: backdoor.ID}, {Kind: "pending_invite", Subject: "ops-helper@mailbox.example"},
		{Kind: "event_webhook", Subject: "collect.hooks-relay.example"}, {Kind: "forward_bounce", Subject: "drop@mailbox.example"},
		{Kind: "ip_allow_entry", Subject: "203.0.113.66"},
	}
	return w.fx
}

func alreadyRevoked(now time.Time) *Fixture {
	w := newWorld("already-revoked", now)
	k := w.leak("staging-mailer", []string{"mail.send"})
	w.sendBurst(k, 40, 10*time.Hour, "Invoice overdue")
	// SendGrid found the key on public GitHub and deleted it an hour ago.
	w.st.RevokeKey(k.ID, w.now.Add(-time.Hour))
	w.fx.Expected = []Expected{
		{Kind: "key.already_revoked", Subject: k.ID},
		{Kind: "activity.messages_sent", Subject: k.ID},
	}
	return w.fx
}

func rateLimited(now time.Time) *Fixture {
	w := newWorld("rate-limited", now)
	k := w.leak("crm-integration", []string{"mail.send", "email_activity.read"})
	w.sendBurst(k, 2600, 48*time.Hour, "Action required: confirm your payment details")
	// Short windows keep the drill to seconds while still forcing keyir to
	// read X-RateLimit-Reset and wait.
	w.fx.Config.Limits = map[string]Limit{
		"*":                                {Requests: 8, Window: 2 * time.Second},
		"GET /v3/messages":                 {Requests: 2, Window: 2 * time.Second},
		"DELETE /v3/api_keys/{api_key_id}": {Requests: 1, Window: 2 * time.Second},
		"GET /v3/api_keys/{api_key_id}":    {Requests: 3, Window: 2 * time.Second},
		"GET /v3/user/webhooks/event/settings/all": {Requests: 1, Window: 2 * time.Second},
	}
	w.fx.Expected = burstFound(k)
	return w.fx
}

func flakyAPI(now time.Time) *Fixture {
	w := newWorld("flaky-api", now)
	k := w.leak("legacy-webhook-relay", []string{"mail.send", "api_keys.read"})
	w.sendBurst(k, 1500, 24*time.Hour, "Password reset requested")
	w.fx.Faults = []Fault{
		{Method: "GET", Route: "GET /v3/api_keys/{api_key_id}", Times: 1, Kind: FaultStatus, Status: 502},
		{Method: "DELETE", Route: "DELETE /v3/api_keys/{api_key_id}", Times: 1, Kind: FaultStatus, Status: 503},
		// Resets come in pairs: net/http retries an idempotent request once,
		// silently, when a reused connection dies, which would hide a single one.
		{Method: "GET", Route: "GET /v3/scopes", After: 1, Times: 2, Kind: FaultReset},
		{Method: "GET", Route: "GET /v3/messages", Times: 1, Kind: FaultTruncate},
		{Method: "GET", Route: "GET /v3/stats", Times: 2, Kind: FaultStatus, Status: 500},
		{Method: "GET", Route: "GET /v3/teammates", Times: 2, Kind: FaultReset},
	}
	w.fx.Expected = burstFound(k)
	return w.fx
}

// subuserKey: the key lives in the "marketing" subuser and the run is not told so. The
// parent gets 404 for its id; keyir must search the subusers, act there, and say that Email
// Activity cannot attribute a subuser's mail (the spec gives it no on-behalf-of).
func subuserKey(now time.Time) *Fixture {
	w := newWorld("subuser-key", now)
	k := w.leakIn("marketing", "marketing-automation", []string{"mail.send", "api_keys.create", "api_keys.read", "stats.read"})
	w.sendBurst(k, 900, 30*time.Hour, "Final notice: your parcel is waiting")
	return w.subuserBackdoor(k, "marketing", "marketing-sync", []string{"mail.send", "api_keys.create"})
}

// euSubuser: the key lives in an EU regional subuser. Its data is served only by the EU host:
// the key authenticates there and nowhere else, calls on the subuser's behalf go there, and
// a 401 from the global host proves nothing.
func euSubuser(now time.Time) *Fixture {
	w := newWorld("eu-subuser", now)
	w.st.AddSubuser(Subuser{ID: 1002, Username: "shop-eu", Email: "shop-eu@example.de", Region: RegionEU})
	eu := NewKey(w.rng, "shop-eu-orders", []string{"mail.send"})
	eu.Subuser = "shop-eu"
	w.st.AddKey(eu)
	k := w.leakIn("shop-eu", "shop-eu-newsletter", []string{"mail.send", "api_keys.create", "api_keys.read"})
	w.sendBurst(k, 700, 20*time.Hour, "Ihr Konto wurde gesperrt")
	fx := w.subuserBackdoor(k, "shop-eu", "shop-eu-backup", []string{"mail.send"})
	fx.Legitimate = append(fx.Legitimate, Item{Kind: "api_key", Account: "shop-eu", Subject: eu.ID})
	return fx
}

// idOnly: the responder has only the key's id. keyir revokes it by id, but without the
// secret nothing can show the key dead: containment is "revoked_unproven", exit 0.
func idOnly(now time.Time) *Fixture {
	w := newWorld("id-only", now)
	k := w.leak("billing-notifier", []string{"mail.send", "stats.read"})
	w.sendBurst(k, 600, 12*time.Hour, "Your invoice is attached")
	w.fx.IDOnly = true
	w.fx.Containment = "revoked_unproven"
	w.fx.Expected = []Expected{
		{Kind: "key.blast_radius", Subject: k.ID},
		{Kind: "activity.messages_sent", Subject: k.ID},
	}
	return w.fx
}

// subuserBackdoor finishes a fixture whose key k was leaked from subuser sub:
// the attacker makes a key there, and the run must rate k, say that Email
// Activity cannot attribute a subuser's mail, and find the new key.
func (w *world) subuserBackdoor(k Key, sub, name string, scopes []string) *Fixture {
	backdoor := NewKey(w.rng, name, scopes)
	backdoor.Subuser = sub
	w.fx.Attack = func(st *State) { st.AddKey(backdoor) }
	w.fx.Expected = []Expected{
		{Kind: "key.blast_radius", Subject: k.ID},
		{Kind: "activity.not_assessable"},
		{Kind: "persistence.new_api_key", Subject: backdoor.ID},
	}
	w.fx.ExitCode = 5 // the backdoor key stays open
	w.fx.Footholds = []Item{{Kind: "api_key", Account: sub, Subject: backdoor.ID}}
	return w.fx
}

// burstFound is what a run must find after a burst of mail sent with the
// leaked key k: its blast radius, the messages, and the spike in requests.
func burstFound(k Key) []Expected {
	return []Expected{
		{Kind: "key.blast_radius", Subject: k.ID},
		{Kind: "activity.messages_sent", Subject: k.ID},
		{Kind: "stats.requests_spike"},
	}
}
