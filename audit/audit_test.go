package audit_test

import "encoding/json"
import "fmt"
import "os"
import "path/filepath"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions/sendgrid"
import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/sim/sendgridsim"

func TestScenarioWellKeptIsClean(t *testing.T) {
	r := newRig(t, "well-kept")
	rs := r.audit(audit.Options{})
	if f := ids(rs, audit.Fail); len(f) > 0 {
		for _, x := range rs {
			if x.Status == audit.Fail {
				t.Errorf("%s %s: %s", x.ID, x.Subject, x.Detail)
			}
		}
	}
	if got := ids(rs, audit.NotAssessable); !slices.Equal(got, r.fx.NotAssessable) {
		t.Errorf("not assessable %v, want %v", got, r.fx.NotAssessable)
	}
	for _, x := range rs {
		if x.Status == audit.NotAssessable && !strings.HasPrefix(x.Detail, "not assessable: ") || x.Status == audit.NotAssessable && len(x.Detail) < 30 {
			t.Errorf("%s: no stated reason: %q", x.ID, x.Detail)
		}
	}
	// Every check of the catalog gave a verdict.
	for _, c := range audit.Catalog() {
		if !slices.ContainsFunc(rs, func(x audit.Result) bool { return x.ID == c.ID }) {
			t.Errorf("check %s gave no result", c.ID)
		}
	}
}

func TestScenarioPoorHygieneFailsItsGroundTruth(t *testing.T) {
	r := newRig(t, "poor-hygiene")
	rs := r.audit(audit.Options{})
	if got := ids(rs, audit.Fail); !slices.Equal(got, r.fx.Fails) {
		t.Errorf("failed %v\nwant   %v", got, r.fx.Fails)
	}
	if len(r.fx.Fails) < 10 {
		t.Errorf("ground truth has %d failing checks, the issue asks for at least 10", len(r.fx.Fails))
	}
	// Subjects name the offending thing.
	if s := subjects(rs, "IP-WIDE-ENTRY"); !slices.Contains(s, "allow-list entry 10.*.*.*") || !slices.Contains(s, "allow-list entry 192.0.0.0/8") {
		t.Errorf("IP-WIDE-ENTRY subjects %v", s)
	}
}

// Each check fails on a state built through the API from the well-kept account, and only the
// checks the condition concerns fail. (Well-kept itself is the passing state of every check.)
func TestEachCheckFailsOnBuiltState(t *testing.T) {
	cases := []struct {
		name  string
		build func(r *rig)
		want  []string
	}{
		{"full-access key", func(r *rig) {
			r.call("POST", "/v3/api_keys", `{"name":"ci"}`, 201) // no scopes: full access
		}, []string{"KEY-ADMIN-SCOPES", "KEY-FULL-ACCESS", "KEY-UNUSED"}},
		{"key that creates keys", func(r *rig) { r.createKey("deployer", "api_keys.read", "api_keys.create") }, []string{"KEY-ADMIN-SCOPES"}},
		{"key that manages webhooks", func(r *rig) { r.createKey("hooks", "user.webhooks.event.settings.update") }, []string{"KEY-ADMIN-SCOPES"}},
		{"mailer with broad scopes", func(r *rig) {
			r.createKey("billing-mailer", "mail.send", "stats.read", "alerts.read", "teammates.read", "subusers.read")
		}, []string{"KEY-BROAD-SCOPES", "KEY-UNUSED"}},
		{"sending key that never sent", func(r *rig) { r.createKey("receipts-mailer", "mail.send", "suppression.bounces.read") }, []string{"KEY-UNUSED"}},
		{"duplicate name", func(r *rig) { r.createKey("Analytics", "stats.read") }, []string{"KEY-DUP-NAME"}},
		{"same scopes", func(r *rig) { r.createKey("reporting", "email_activity.read", "stats.read") }, []string{"KEY-SAME-SCOPES"}},
		{"environments mixed", func(r *rig) { r.createKey("staging-stats", "stats.read") }, []string{"KEY-ENV-MIX"}},
		{"near the key limit", func(r *rig) {
			reads := []string{"stats.read", "alerts.read", "teammates.read", "subusers.read", "api_keys.read",
				"suppression.bounces.read", "suppression.spam_reports.read", "verified_senders.read", "access_settings.whitelist.read",
				"access_settings.activity.read", "user.webhooks.event.settings.read", "user.webhooks.parse.settings.read", "mail_settings.forward_bounce.read"}
			n := 0
			for _, s := range reads {
				r.createKey(fmt.Sprintf("svc%02d", n), s)
				n++
			}
			for i := range reads {
				for j := i + 1; j < len(reads) && n < 87; j++ {
					r.createKey(fmt.Sprintf("svc%02d", n), reads[i], reads[j])
					n++
				}
			}
		}, []string{"KEY-LIMIT"}},
		{"wildcard allow-list entry", func(r *rig) {
			r.call("POST", "/v3/access_settings/whitelist", `{"ips":[{"ip":"10.*.*.*"}]}`, 201)
		}, []string{"IP-WIDE-ENTRY"}},
		{"/8 allow-list entry", func(r *rig) {
			r.call("POST", "/v3/access_settings/whitelist", `{"ips":[{"ip":"10.0.0.0/8"}]}`, 201)
		}, []string{"IP-WIDE-ENTRY"}},
		{"no allow list", func(r *rig) {
			var l struct {
				Result []struct {
					ID int `json:"id"`
				} `json:"result"`
			}
			_ = json.Unmarshal(r.call("GET", "/v3/access_settings/whitelist", "", 200), &l)
			for _, e := range l.Result {
				r.call("DELETE", fmt.Sprintf("/v3/access_settings/whitelist/%d", e.ID), "", 204)
			}
		}, []string{"IP-NO-ALLOWLIST"}},
		{"http event webhook, unsigned", func(r *rig) {
			r.call("POST", "/v3/user/webhooks/event/settings", `{"enabled":true,"url":"http://collector.example.com/e","bounce":true}`, 201)
		}, []string{"HTTPS-EVENT-WEBHOOK", "WEBHOOK-UNSIGNED"}},
		{"signed webhook moved to http", func(r *rig) {
			var all struct {
				Webhooks []struct {
					ID string `json:"id"`
				} `json:"webhooks"`
			}
			_ = json.Unmarshal(r.call("GET", "/v3/user/webhooks/event/settings/all", "", 200), &all)
			r.call("PATCH", "/v3/user/webhooks/event/settings/"+all.Webhooks[0].ID, `{"url":"http://hooks.example.com/sendgrid/events"}`, 200)
		}, []string{"HTTPS-EVENT-WEBHOOK"}},
		{"https webhook, signature off", func(r *rig) {
			var all struct {
				Webhooks []struct {
					ID string `json:"id"`
				} `json:"webhooks"`
			}
			_ = json.Unmarshal(r.call("GET", "/v3/user/webhooks/event/settings/all", "", 200), &all)
			r.call("PATCH", "/v3/user/webhooks/event/settings/signed/"+all.Webhooks[0].ID, `{"enabled":false}`, 200)
		}, []string{"WEBHOOK-UNSIGNED"}},
		{"http inbound parse", func(r *rig) {
			r.call("POST", "/v3/user/webhooks/parse/settings", `{"hostname":"replies.example.com","url":"http://hooks.example.com/parse2"}`, 201)
		}, []string{"HTTPS-PARSE-WEBHOOK"}},
		{"spam forwarded outside", func(r *rig) {
			r.call("PATCH", "/v3/mail_settings/forward_spam", `{"email":"abuse@mailbox.example.net","enabled":true}`, 200)
		}, []string{"FWD-UNTRUSTED"}},
		{"bounces forwarded outside", func(r *rig) {
			r.call("PATCH", "/v3/mail_settings/forward_bounce", `{"email":"bounces@example.com.evil.test"}`, 200)
		}, []string{"FWD-UNTRUSTED"}},
		{"alert mails outside", func(r *rig) {
			r.call("POST", "/v3/alerts", `{"type":"stats_notification","email_to":"me@freemail.example.org","frequency":"weekly"}`, 201)
		}, []string{"ALERT-UNTRUSTED"}},
		{"no usage alert", func(r *rig) {
			var al []struct {
				ID int `json:"id"`
			}
			_ = json.Unmarshal(r.call("GET", "/v3/alerts", "", 200), &al)
			for _, a := range al {
				r.call("DELETE", fmt.Sprintf("/v3/alerts/%d", a.ID), "", 204)
			}
		}, []string{"ALERT-NO-USAGE"}},
		{"admin invite", func(r *rig) {
			r.call("POST", "/v3/teammates", `{"email":"root@example.com","scopes":[],"is_admin":true}`, 201)
		}, []string{"TEAM-ADMIN"}},
		{"invite pending over a week", func(r *rig) {
			r.call("POST", "/v3/teammates", `{"email":"late@example.com","scopes":["mail.send"],"is_admin":false}`, 201)
			r.clk.Advance(8 * 24 * time.Hour)
		}, []string{"TEAM-STALE-INVITE"}},
		{"non-admin invite within the week", func(r *rig) {
			r.call("POST", "/v3/teammates", `{"email":"new@example.com","scopes":["mail.send"],"is_admin":false}`, 201)
			r.clk.Advance(6 * 24 * time.Hour)
		}, nil},
		{"narrow allow-list entry, signed https webhook, forwarding inside", func(r *rig) {
			r.call("POST", "/v3/access_settings/whitelist", `{"ips":[{"ip":"192.0.2.0/24"}]}`, 201)
			b := r.call("POST", "/v3/user/webhooks/event/settings", `{"enabled":true,"url":"https://hooks.example.com/two"}`, 201)
			var w struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(b, &w)
			r.call("PATCH", "/v3/user/webhooks/event/settings/signed/"+w.ID, `{"enabled":true}`, 200)
			r.call("PATCH", "/v3/mail_settings/forward_spam", `{"email":"abuse@mail.example.com","enabled":true}`, 200)
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, "well-kept")
			c.build(r)
			rs := r.audit(audit.Options{})
			if got := ids(rs, audit.Fail); !slices.Equal(got, c.want) {
				t.Errorf("failed %v, want %v", got, c.want)
				for _, x := range rs {
					if x.Status == audit.Fail {
						t.Logf("  %s %s: %s", x.ID, x.Subject, x.Detail)
					}
				}
			}
		})
	}
}

// Access activity is what SendGrid records of logins: the API has no write for it, so these
// two conditions are the only ones built in the simulator's state.
func TestAccessActivityChecks(t *testing.T) {
	r := newRig(t, "well-kept")
	now := r.clk.Now()
	r.fx.State.AddAccessAttempt(sendgridsim.AccessAttempt{IP: "203.0.113.66", Allowed: false, FirstAt: now.Add(-50 * time.Hour), LastAt: now.Add(-48 * time.Hour), Location: "?"})
	r.fx.State.AddAccessAttempt(sendgridsim.AccessAttempt{IP: "192.0.2.80", Allowed: false, FirstAt: now.AddDate(0, -3, 0), LastAt: now.AddDate(0, -2, 0), Location: "?"}) // old: ignored
	r.fx.State.AddAccessAttempt(sendgridsim.AccessAttempt{IP: "203.0.113.99", Allowed: true, FirstAt: now.Add(-26 * time.Hour), LastAt: now.Add(-time.Hour), Location: "?"})
	rs := r.audit(audit.Options{})
	if got := ids(rs, audit.Fail); !slices.Equal(got, []string{"IP-NEW-ADDRESS", "IP-REFUSED-ACCESS"}) {
		t.Errorf("failed %v", got)
	}
	if s := subjects(rs, "IP-REFUSED-ACCESS"); !slices.Equal(s, []string{"address 203.0.113.66"}) {
		t.Errorf("refused subjects %v", s)
	}
}

// writeBaseline writes an inventory file in the format `keyir inventory save` writes.
func writeBaseline(t *testing.T, b sendgrid.Baseline) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "baseline.json")
	data, _ := json.Marshal(b)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func currentKeys(r *rig) []sendgrid.KeyRecord {
	var out []sendgrid.KeyRecord
	for _, k := range r.fx.State.Keys("") {
		if k.ID != r.setup.ID {
			out = append(out, sendgrid.KeyRecord{ID: k.ID, Name: k.Name, Scopes: k.Scopes})
		}
	}
	return out
}

func TestBaselineRotationAndDrift(t *testing.T) {
	t.Run("unchanged and young", func(t *testing.T) {
		r := newRig(t, "well-kept")
		p := writeBaseline(t, sendgrid.Baseline{Version: 1, TakenAt: r.clk.Now().AddDate(0, 0, -10), Captured: []string{"api_keys", "ip_allowlist"},
			Keys: currentKeys(r), AllowList: []string{"198.51.100.10/32", "203.0.113.0/24"}})
		b, err := sendgrid.LoadBaseline(p)
		if err != nil {
			t.Fatal(err)
		}
		rs := r.audit(audit.Options{Baselines: []*sendgrid.Baseline{b}, BaselinePaths: []string{p}})
		if f := ids(rs, audit.Fail); len(f) > 0 {
			t.Errorf("failed %v", f)
		}
		for _, id := range []string{"BASELINE-DRIFT", "KEY-ROTATION-AGE"} {
			if !slices.Contains(ids(rs, audit.Pass), id) {
				t.Errorf("%s did not pass", id)
			}
		}
	})
	t.Run("old and changed", func(t *testing.T) {
		r := newRig(t, "well-kept")
		keys := currentKeys(r)
		old := writeBaseline(t, sendgrid.Baseline{Version: 1, TakenAt: r.clk.Now().AddDate(0, 0, -120), Captured: []string{"api_keys"}, Keys: keys[:2]})
		recent := writeBaseline(t, sendgrid.Baseline{Version: 1, TakenAt: r.clk.Now().AddDate(0, 0, -5), Captured: []string{"api_keys", "ip_allowlist"},
			Keys: append(keys, sendgrid.KeyRecord{ID: "GoneGoneGoneGoneGone00", Name: "retired"}), AllowList: []string{"198.51.100.10/32", "203.0.113.0/24"}})
		var bs []*sendgrid.Baseline
		for _, p := range []string{old, recent} {
			b, err := sendgrid.LoadBaseline(p)
			if err != nil {
				t.Fatal(err)
			}
			bs = append(bs, b)
		}
		newID := r.createKey("events-reader", "user.webhooks.event.settings.read")
		r.call("POST", "/v3/access_settings/whitelist", `{"ips":[{"ip":"192.0.2.7"}]}`, 201)
		rs := r.audit(audit.Options{Baselines: bs, BaselinePaths: []string{old, recent}})
		if got := ids(rs, audit.Fail); !slices.Equal(got, []string{"BASELINE-DRIFT", "KEY-ROTATION-AGE"}) {
			t.Errorf("failed %v", got)
		}
		drift := strings.Join(subjects(rs, "BASELINE-DRIFT"), "\n")
		for _, want := range []string{newID + ` "events-reader" added`, `GoneGoneGoneGoneGone00 "retired" removed`, "ip_allowlist 192.0.2.7 added"} {
			if !strings.Contains(drift, want) {
				t.Errorf("drift lacks %q:\n%s", want, drift)
			}
		}
		if got := len(subjects(rs, "KEY-ROTATION-AGE")); got != 2 {
			t.Errorf("rotation-age failures %d, want the 2 keys of the 120-day-old baseline", got)
		}
	})
}

func baselineOf(r *rig) sendgrid.Baseline {
	return sendgrid.Baseline{Version: 1, TakenAt: r.clk.Now().AddDate(0, 0, -1), Captured: []string{"api_keys"}, Keys: currentKeys(r)}
}

func loadBaseline(t *testing.T, p string) []*sendgrid.Baseline {
	t.Helper()
	b, err := sendgrid.LoadBaseline(p)
	if err != nil {
		t.Fatal(err)
	}
	return []*sendgrid.Baseline{b}
}
