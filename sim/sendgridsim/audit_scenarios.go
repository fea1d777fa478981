package sendgridsim

import "math/rand/v2"
import "slices"
import "time"

import "github.com/keyir/keyir/sim/simhttp"

// AuditFixture is an account posture for `keyir audit`, with its ground truth.
type AuditFixture struct {
	State        *State
	Config       Config
	ResponderKey string // the auditor's key: ResponderScopes
	// Fails are the check ids an audit of the parent account (no baseline) must fail, sorted;
	// every other check must pass or be not assessable.
	Fails []string
	// NotAssessable are the check ids that cannot be judged here, sorted; the reason is
	// stated in the check's result.
	NotAssessable []string
}

var auditScenarios = []AuditScenario{
	{Name: "well-kept", Description: "restricted keys in use, a narrow allow list, signed https webhooks, forwarding and alerts to the company's domain, no admin teammates", Build: wellKept},
	{Name: "poor-hygiene", Description: "a full-access key, duplicated and unused keys, environments mixed, wildcard allow list, plain-http unsigned webhooks, forwarding and alerts outside, an admin teammate and a stale invite", Build: poorHygiene},
}

// AuditScenarios lists the audit scenarios.
func AuditScenarios() []AuditScenario { return slices.Clone(auditScenarios) }

// LookupAuditScenario finds an audit scenario by name.
func LookupAuditScenario(name string) (AuditScenario, bool) {
	return simhttp.Lookup(auditScenarios, name)
}

// auditNotAssessable: without a baseline a key's age and the drift are unknown, and the API
// shows no teammate's two-factor status.
var auditNotAssessable = []string{"BASELINE-DRIFT", "KEY-ROTATION-AGE", "TEAM-2FA"}

type auditWorld struct {
	rng *rand.Rand
	now time.Time
	st  *State
	fx  *AuditFixture
}

func newAuditWorld(name string, now time.Time) *auditWorld {
	w := &auditWorld{rng: simhttp.SeededRand("audit:" + name), now: now.UTC().Truncate(time.Second), st: NewState()}
	cfg := DefaultConfig()
	cfg.Now = time.Now
	resp := NewKey(w.rng, "keyir-responder", ResponderScopes())
	w.st.AddKey(resp)
	w.fx = &AuditFixture{State: w.st, Config: cfg, ResponderKey: resp.Token(), NotAssessable: slices.Clone(auditNotAssessable)}
	w.st.AddTeammate(Teammate{Username: "alice", Email: "alice@example.com", FirstName: "Alice", LastName: "Owner", UserType: "owner", IsAdmin: true})
	w.st.AddTeammate(Teammate{Username: "bob", Email: "bob@example.com", FirstName: "Bob", LastName: "Ops", UserType: "teammate"})
	return w
}

func (w *auditWorld) key(name string, scopes ...string) Key {
	k := NewKey(w.rng, name, scopes)
	w.st.AddKey(k)
	return k
}

func (w *auditWorld) sent(k Key, ago time.Duration) {
	w.st.AddMessages(Message{ID: "msg-" + randString(w.rng, 12), APIKeyID: k.ID, From: "noreply@example.com", To: "customer@example.net",
		Subject: "Your receipt", Status: "delivered", LastEventTime: w.now.Add(-ago)})
}

func wellKept(now time.Time) *AuditFixture {
	w := newAuditWorld("well-kept", now)
	mailer := w.key("prod-mailer", "mail.send")
	w.sent(mailer, 2*time.Hour)
	w.key("analytics", "stats.read", "email_activity.read")
	w.st.AddAllowListIP(AllowListIP{IP: "198.51.100.10/32", CreatedAt: w.now.AddDate(-1, 0, 0)})
	w.st.AddAllowListIP(AllowListIP{IP: "203.0.113.0/24", CreatedAt: w.now.AddDate(-1, 0, 0)})
	w.st.AddAccessAttempt(AccessAttempt{IP: "198.51.100.10", Allowed: true, AuthMethod: "basic", FirstAt: w.now.AddDate(0, -3, 0), LastAt: w.now.Add(-20 * time.Hour), Location: "Office"})
	w.st.AddEventWebhook(EventWebhook{URL: "https://hooks.example.com/sendgrid/events", FriendlyName: "analytics", Enabled: true, PublicKey: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwellkept",
		Created: w.now.AddDate(0, -6, 0), Updated: w.now.AddDate(0, -6, 0), Events: []string{"delivered", "bounce"}})
	w.st.AddParseSetting(ParseSetting{Hostname: "inbound.example.com", URL: "https://hooks.example.com/sendgrid/parse"})
	w.st.SetForwardBounce("", Forward{Email: "bounces@example.com", Enabled: true})
	w.st.AddAlert(Alert{Type: "usage_limit", EmailTo: "billing@example.com", Percentage: 90, CreatedAt: w.now.AddDate(-1, 0, 0), UpdatedAt: w.now.AddDate(-1, 0, 0)})
	return w.fx
}

func poorHygiene(now time.Time) *AuditFixture {
	w := newAuditWorld("poor-hygiene", now)
	w.key("legacy", FullAccessScopes()...)
	w.key("ops-tool", "api_keys.read", "api_keys.create", "teammates.create")
	w.key("newsletter-sender", "mail.send", "stats.read", "teammates.read", "alerts.read", "api_keys.read", "subusers.read")
	w.key("prod-mailer", "mail.send")
	w.key("prod-mailer", "mail.send") // never sent: unused, duplicate name, same scopes
	w.key("staging-mailer", "mail.send", "templates.read")
	w.st.AddAllowListIP(AllowListIP{IP: "10.*.*.*", CreatedAt: w.now.AddDate(0, -2, 0)})
	w.st.AddAllowListIP(AllowListIP{IP: "192.0.0.0/8", CreatedAt: w.now.AddDate(0, -2, 0)})
	w.st.AddAccessAttempt(AccessAttempt{IP: "198.51.100.10", Allowed: true, AuthMethod: "basic", FirstAt: w.now.AddDate(0, -3, 0), LastAt: w.now.Add(-20 * time.Hour), Location: "Office"})
	w.st.AddAccessAttempt(AccessAttempt{IP: "203.0.113.66", Allowed: false, AuthMethod: "basic", FirstAt: w.now.Add(-50 * time.Hour), LastAt: w.now.Add(-48 * time.Hour), Location: "Unknown"})
	w.st.AddAccessAttempt(AccessAttempt{IP: "203.0.113.99", Allowed: true, AuthMethod: "api_key", FirstAt: w.now.Add(-26 * time.Hour), LastAt: w.now.Add(-2 * time.Hour), Location: "Unknown"})
	w.st.AddEventWebhook(EventWebhook{URL: "http://hooks.example.com/sendgrid/events", FriendlyName: "legacy", Enabled: true,
		Created: w.now.AddDate(0, -6, 0), Updated: w.now.AddDate(0, -6, 0), Events: []string{"delivered", "bounce"}})
	w.st.AddParseSetting(ParseSetting{Hostname: "inbound.example.com", URL: "http://hooks.example.com/sendgrid/parse"})
	w.st.SetForwardSpam("", Forward{Email: "collector@mailbox.example.net", Enabled: true})
	w.st.AddAlert(Alert{Type: "stats_notification", EmailTo: "someone@freemail.example.org", Frequency: "daily", CreatedAt: w.now.AddDate(0, -1, 0), UpdatedAt: w.now.AddDate(0, -1, 0)})
	w.st.AddTeammate(Teammate{Username: "carol", Email: "carol@example.com", UserType: "teammate", IsAdmin: true})
	w.st.AddInvite(Invite{Email: "dave@example.com", Scopes: []string{"mail.send"}, Token: randString(w.rng, 32), Expiration: w.now.AddDate(0, 0, -3)})
	w.fx.Fails = []string{
		"ALERT-NO-USAGE", "ALERT-UNTRUSTED", "FWD-UNTRUSTED", "HTTPS-EVENT-WEBHOOK", "HTTPS-PARSE-WEBHOOK",
		"IP-NEW-ADDRESS", "IP-REFUSED-ACCESS", "IP-WIDE-ENTRY", "KEY-ADMIN-SCOPES", "KEY-BROAD-SCOPES",
		"KEY-DUP-NAME", "KEY-ENV-MIX", "KEY-FULL-ACCESS", "KEY-SAME-SCOPES", "KEY-UNUSED",
		"TEAM-ADMIN", "TEAM-STALE-INVITE", "WEBHOOK-UNSIGNED",
	}
	return w.fx
}
