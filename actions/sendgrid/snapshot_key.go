package sendgrid

import "context"
import "encoding/json"
import "fmt"
import "sort"
import "strings"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/report"

// snapshotKeyInfo declares sendgrid.snapshot_key; provider.go registers it.
var snapshotKeyInfo = actions.Info{
	Name:    "sendgrid.snapshot_key",
	Summary: "Record the leaked key's name and scopes (before it is gone) and rate its blast radius",
	Outputs: snapshotOutputs,
	New:     func() actions.Action { return new(Snapshot) },
}

// Snapshot reads a key's name and scopes with the responder key.
type Snapshot struct {
	KeyID   string `param:"key_id,required" desc:"the leaked key's id"`
	Subuser string `param:"subuser" desc:"subuser to look in first (every account is searched when it does not hold the key)"`
	Region  string `param:"region" desc:"override of the owning account's region (global or eu)"`
}

// Validate checks the id and region.
func (a *Snapshot) Validate() error {
	if err := checkKeyID("key_id", a.KeyID); err != nil {
		return err
	}
	return checkRegion(a.Region)
}

func checkKeyID(param, id string) error {
	if !keyIDRE.MatchString(id) {
		return &actions.ParamError{Param: param, Msg: fmt.Sprintf("not a SendGrid API key id: expected 22 characters of A-Z a-z 0-9 _ -, got %s", shape(id))}
	}
	return nil
}

// keyDetails is GET /v3/api_keys/{id}: flat {"api_key_id","name","scopes"}
// on the live API; the spec wraps it in "result" (an object or a one-item
// array). All three are accepted.
type keyDetails struct {
	ID     string   `json:"api_key_id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func (k *keyDetails) UnmarshalJSON(b []byte) error {
	type flat keyDetails
	var w struct {
		flat
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*k = keyDetails(w.flat)
	if len(w.Result) == 0 || string(w.Result) == "null" {
		return nil
	}
	var one flat
	if err := json.Unmarshal(w.Result, &one); err == nil {
		*k = keyDetails(one)
		return nil
	}
	var many []flat
	if err := json.Unmarshal(w.Result, &many); err != nil {
		return fmt.Errorf("api key details: unexpected result shape")
	}
	if len(many) > 0 {
		*k = keyDetails(many[0])
	}
	return nil
}

func getKey(ctx context.Context, c *Client, id string) (keyDetails, error) {
	var k keyDetails
	_, err := c.get(ctx, "/v3/api_keys/"+escape(id), &k)
	if err == nil {
		sort.Strings(k.Scopes)
		if k.ID == "" {
			k.ID = id
		}
	}
	return k, err
}

// Category is a group of scopes by what they allow.
type Category struct {
	Category string   `json:"category"`
	Scopes   []string `json:"scopes"`
	Write    bool     `json:"write"` // any scope that creates, updates or deletes
}

// Scope categories.
const (
	CatMail      = "mail send"
	CatAPIKeys   = "api keys"
	CatUsers     = "teammates/users"
	CatSettings  = "settings"
	CatWebhooks  = "webhooks"
	CatSuppress  = "suppressions"
	CatStats     = "stats/activity"
	CatMarketing = "templates/marketing"
	CatBilling   = "billing"
	CatSubusers  = "subusers"
	CatIPAccess  = "ip access"
	CatOther     = "other"
)

var categoryOrder = []string{CatMail, CatAPIKeys, CatUsers, CatSettings, CatWebhooks, CatSuppress, CatStats, CatMarketing, CatBilling, CatSubusers, CatIPAccess, CatOther}

// categoryOf maps a scope to its category by prefix.
func categoryOf(s string) string {
	p := func(prefixes ...string) bool {
		for _, x := range prefixes {
			if strings.HasPrefix(s, x) {
				return true
			}
		}
		return false
	}
	switch {
	case p("mail.send", "mail.batch"):
		return CatMail
	case p("api_keys."):
		return CatAPIKeys
	case p("user.webhooks."):
		return CatWebhooks
	case p("access_settings."):
		return CatIPAccess
	case p("user.settings.", "mail_settings.", "partner_settings.", "tracking_settings.", "user.timezone", "whitelabel.", "ips."):
		return CatSettings
	case p("teammates.", "user.", "sso.", "credentials."):
		return CatUsers
	case p("suppression.", "asm."):
		return CatSuppress
	case p("stats.", "messages.", "email_activity.", "geo.", "browsers.", "clients.", "devices.", "mailbox_providers.", "categories.stats", "subusers.stats", "signup."):
		return CatStats
	case p("templates.", "marketing", "newsletter.", "categories.", "design_library.", "contacts", "recipients", "lists", "segments", "senders.", "verified_senders", "campaigns", "ui."):
		return CatMarketing
	case p("billing."):
		return CatBilling
	case p("subusers."):
		return CatSubusers
	}
	return CatOther
}

func isWrite(s string) bool {
	for _, suf := range []string{".create", ".update", ".delete", ".send"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// Categorize groups scopes into categories, in a fixed order.
func Categorize(scopes []string) []Category {
	by := map[string]*Category{}
	for _, s := range scopes {
		if IsPseudoScope(s) {
			continue
		}
		c := categoryOf(s)
		if by[c] == nil {
			by[c] = &Category{Category: c}
		}
		by[c].Scopes = append(by[c].Scopes, s)
		if isWrite(s) {
			by[c].Write = true
		}
	}
	out := []Category{}
	for _, name := range categoryOrder {
		if c := by[name]; c != nil {
			sort.Strings(c.Scopes)
			out = append(out, *c)
		}
	}
	return out
}

// Risk rates what a key with these scopes can do:
// critical: full access, or it can create keys or teammates or change IP
// access (persistence, lock-out); high: it can send mail or redirect data
// (webhooks, parse, settings writes); medium: it can read activity or
// contacts; low otherwise.
func Risk(scopes []string) report.Severity {
	if KeyType(scopes) == TypeFull {
		return report.Critical
	}
	risk := report.Low
	raise := func(s report.Severity) {
		if rank(s) < rank(risk) {
			risk = s
		}
	}
	for _, s := range scopes {
		cat := categoryOf(s)
		switch {
		case s == "api_keys.create" || s == "api_keys.update" || s == "teammates.create" ||
			(strings.HasPrefix(s, "access_settings.whitelist") && isWrite(s)):
			raise(report.Critical)
		case s == "mail.send" || ((cat == CatWebhooks || cat == CatSettings) && isWrite(s)):
			raise(report.High)
		case strings.HasPrefix(s, "messages.") || strings.HasPrefix(s, "email_activity.") ||
			strings.HasPrefix(s, "marketing") || strings.HasPrefix(s, "contacts") ||
			strings.HasPrefix(s, "recipients") || strings.HasPrefix(s, "lists") ||
			strings.HasPrefix(s, "user.webhooks.parse"):
			raise(report.Medium)
		}
	}
	return risk
}

func rank(s report.Severity) int {
	for i, x := range report.Severities {
		if x == s {
			return i
		}
	}
	return len(report.Severities)
}

// Run finds the key (the account named, else every account) and records
// its blast radius: sendgrid.locate_key without the liveness check.
func (a *Snapshot) Run(ctx context.Context, env *actions.Env) (actions.Outputs, error) {
	out, err := (&Locate{KeyID: a.KeyID, Subuser: a.Subuser, Region: a.Region}).Run(ctx, env)
	delete(out, "status")
	delete(out, "liveness")
	return out, err
}

// notAssessable records that something could not be assessed with the
// responder key (a 403): a finding, never a failure.
func notAssessable(env *actions.Env, subject, why string, err error) {
	detail := why
	if err != nil {
		detail += ": " + err.Error()
	}
	env.Finding(report.Finding{
		Kind: "assessment.not_assessable", Subject: subject, Severity: report.Medium,
		Title:  "Could not assess " + subject,
		Detail: detail + ". Grant the responder key the read scope, or check by hand.",
	})
}

func evidence(env *actions.Env, kind string, v any) (string, error) {
	if env.Recorder == nil {
		return "", nil
	}
	return env.Recorder.Evidence(kind, v)
}

func refs(r ...string) []string {
	var out []string
	for _, x := range r {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

var (
	_ actions.Action    = (*Snapshot)(nil)
	_ actions.Validator = (*Snapshot)(nil)
)
