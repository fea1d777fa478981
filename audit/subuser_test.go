package audit_test

import "slices"
import "strings"
import "testing"

import "github.com/keyir/keyir/audit"
import "github.com/keyir/keyir/sim/sendgridsim"

// Subusers are audited on behalf of, each with its own keys and settings; Email Activity has
// no on-behalf-of, so their unused-key check is not assessable.
func TestSubuserAccounts(t *testing.T) {
	build := func(t *testing.T) *rig {
		r := newRig(t, "well-kept")
		// Creating a subuser is not among the simulator's endpoints; the account has one.
		r.fx.State.AddSubuser(sendgridsim.Subuser{Username: "marketing", Email: "marketing@example.com"})
		obo := []string{"On-Behalf-Of", "marketing"}
		r.callAs(r.setup.Token(), "POST", "/v3/api_keys", `{"name":"campaigns","scopes":["mail.send"]}`, 201, obo...)
		r.callAs(r.setup.Token(), "POST", "/v3/access_settings/whitelist", `{"ips":[{"ip":"10.*.*.*"}]}`, 201, obo...)
		return r
	}
	t.Run("--subuser", func(t *testing.T) {
		r := build(t)
		rs := r.audit(audit.Options{Subuser: "marketing", Trusted: []string{"example.com"}})
		if got := ids(rs, audit.Fail); !slices.Equal(got, []string{"ALERT-NO-USAGE", "IP-WIDE-ENTRY"}) {
			t.Errorf("failed %v", got)
		}
		for _, x := range rs {
			if !strings.HasPrefix(x.Subject, "subuser marketing: ") {
				t.Errorf("%s subject %q does not name the subuser", x.ID, x.Subject)
			}
			if x.ID == "KEY-UNUSED" && (x.Status != audit.NotAssessable || !strings.Contains(x.Detail, "on behalf of a subuser")) {
				t.Errorf("KEY-UNUSED for a subuser: %s %s", x.Status, x.Detail)
			}
			if x.ID == "KEY-FULL-ACCESS" && !strings.Contains(x.Detail, "none of 1 keys") {
				t.Errorf("the subuser's keys were not the ones read: %s", x.Detail)
			}
		}
	})
	t.Run("--all-subusers", func(t *testing.T) {
		r := build(t)
		rs := r.audit(audit.Options{AllSubusers: true})
		want := map[string]bool{"subuser marketing: alerts": false, "subuser marketing: allow-list entry 10.*.*.*": false}
		for _, x := range rs {
			if x.Status != audit.Fail {
				continue
			}
			if _, ok := want[x.Subject]; !ok {
				t.Errorf("unexpected failure %s %s", x.ID, x.Subject)
			}
			want[x.Subject] = true
		}
		for s, seen := range want {
			if !seen {
				t.Errorf("no failure for %s", s)
			}
		}
	})
}

// An EU regional subuser's data is served by the EU host only: the audit reads it there,
// and says why it cannot when it does not know that host.
func TestEURegionalSubuser(t *testing.T) {
	build := func(t *testing.T) *rig {
		r := newRig(t, "well-kept")
		r.fx.State.AddSubuser(sendgridsim.Subuser{Username: "eu-brand", Email: "eu@example.com", Region: sendgridsim.RegionEU})
		r.callHost(r.euBase, r.setup.Token(), "POST", "/v3/api_keys", `{"name":"eu-mailer","scopes":["mail.send"]}`, 201, "On-Behalf-Of", "eu-brand")
		return r
	}
	r := build(t)
	rs := r.audit(audit.Options{Subuser: "eu-brand", Trusted: []string{"example.com"}})
	for _, x := range rs {
		if x.ID == "KEY-FULL-ACCESS" && (x.Status != audit.Pass || !strings.Contains(x.Detail, "none of 1 keys")) {
			t.Errorf("the EU subuser's keys were not read on the EU host: %s %s", x.Status, x.Detail)
		}
		if strings.Contains(x.Detail, "401") {
			t.Errorf("%s: %s", x.ID, x.Detail)
		}
	}
	euReads := 0
	for _, q := range r.srv.Requests() {
		if q.Host == sendgridsim.RegionEU && q.Method == "GET" {
			euReads++
		}
	}
	if euReads < 5 {
		t.Errorf("%d reads on the EU host", euReads)
	}

	r = build(t)
	r.euBase = ""
	rs = r.audit(audit.Options{Subuser: "eu-brand"})
	for _, x := range rs {
		if x.ID == "KEY-FULL-ACCESS" && (x.Status != audit.NotAssessable || !strings.Contains(x.Detail, "SENDGRID_API_URL_EU")) {
			t.Errorf("without the EU host: %s %s", x.Status, x.Detail)
		}
	}
}

// Forwarding and alert destinations need trusted domains only when something is forwarded or
// mailed: a subuser audited alone (the owner's domain unknown) with neither passes.
func TestTrustedDomainsOnlyWhenNeeded(t *testing.T) {
	r := newRig(t, "well-kept")
	r.fx.State.AddSubuser(sendgridsim.Subuser{Username: "quiet", Email: "quiet@example.com"})
	obo := []string{"On-Behalf-Of", "quiet"}
	r.callAs(r.setup.Token(), "PATCH", "/v3/mail_settings/forward_bounce", `{"email":"b@example.com","enabled":false}`, 200, obo...)
	rs := r.audit(audit.Options{Subuser: "quiet"})
	for _, x := range rs {
		if (x.ID == "FWD-UNTRUSTED" || x.ID == "ALERT-UNTRUSTED") && x.Status != audit.Pass {
			t.Errorf("%s: %s %s", x.ID, x.Status, x.Detail)
		}
	}
	r = newRig(t, "well-kept")
	r.fx.State.AddSubuser(sendgridsim.Subuser{Username: "loud", Email: "loud@example.com"})
	r.callAs(r.setup.Token(), "PATCH", "/v3/mail_settings/forward_spam", `{"email":"s@example.com","enabled":true}`, 200, "On-Behalf-Of", "loud")
	rs = r.audit(audit.Options{Subuser: "loud"})
	for _, x := range rs {
		if x.ID == "FWD-UNTRUSTED" && (x.Status != audit.NotAssessable || !strings.Contains(x.Detail, "--trusted-domain")) {
			t.Errorf("FWD-UNTRUSTED without trusted domains: %s %s", x.Status, x.Detail)
		}
	}
}
