package sendgridsim_test

import "net/http"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// TestAuditWriteRoutes drives every write endpoint the audit tests build conditions with —
// success, bad body, missing scope — checks each answer against the spec and the effect
// through the matching read.
func TestAuditWriteRoutes(t *testing.T) {
	chk, err := contract.New(specDir)
	if err != nil {
		t.Fatal(err)
	}
	var vio violations
	clk := newClock()
	f := newFixture()
	cfg := sendgridsim.DefaultConfig()
	cfg.Now = clk.Now
	cfg.OnResponse = vio.observer(chk)
	srv := sendgridsim.New(f.st, cfg)
	base := serve(t, srv)
	hc := &http.Client{Timeout: 10 * time.Second}
	tok := f.full.Token()
	want := func(r reply, status int, what string) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: %d, want %d: %s", what, r.status, status, r.body)
		}
	}
	contains := func(path, s string) {
		t.Helper()
		r := do(t, hc, base, "GET", path, tok, "")
		if r.status != 200 || !strings.Contains(string(r.body), s) {
			t.Errorf("GET %s lacks %q: %d %s", path, s, r.status, r.body)
		}
	}

	// (The spec documents no 400 for POST /v3/access_settings/whitelist and no 403 for POST
	// /v3/user/webhooks/event/settings, so those answers are not exercised here.)
	// Allow list: wildcards and ranges are stored as given; the answer is the whole list.
	r := do(t, hc, base, "POST", "/v3/access_settings/whitelist", tok, `{"ips":[{"ip":"10.*.*.*"},{"ip":"192.0.0.0/8"}]}`)
	want(r, 201, "add allow list")
	var al struct {
		Result []struct {
			ID int    `json:"id"`
			IP string `json:"ip"`
		} `json:"result"`
	}
	r.json(t, &al)
	if len(al.Result) != 3 || al.Result[1].IP != "10.*.*.*" {
		t.Errorf("allow list after add: %+v", al.Result)
	}
	want(do(t, hc, base, "POST", "/v3/access_settings/whitelist", f.ro.Token(), `{"ips":[{"ip":"1.2.3.4"}]}`), 403, "allow list without scope")
	want(do(t, hc, base, "DELETE", "/v3/access_settings/whitelist/"+itoa(al.Result[1].ID), tok, ""), 204, "delete rule")
	if r := do(t, hc, base, "GET", "/v3/access_settings/whitelist", tok, ""); strings.Contains(string(r.body), "10.*") {
		t.Errorf("deleted rule still listed: %s", r.body)
	}

	// Event webhooks: create over http, update, sign.
	r = do(t, hc, base, "POST", "/v3/user/webhooks/event/settings", tok, `{"enabled":true,"url":"http://plain.example.com/e","bounce":true}`)
	want(r, 201, "create webhook")
	var wh struct {
		ID     string `json:"id"`
		Bounce bool   `json:"bounce"`
	}
	r.json(t, &wh)
	if wh.ID == "" || !wh.Bounce {
		t.Errorf("created webhook: %s", r.body)
	}
	want(do(t, hc, base, "POST", "/v3/user/webhooks/event/settings", tok, `{"enabled":true}`), 400, "webhook without url")
	contains("/v3/user/webhooks/event/settings/all", "http://plain.example.com/e")
	want(do(t, hc, base, "PATCH", "/v3/user/webhooks/event/settings/"+wh.ID, tok, `{"url":"https://tls.example.com/e"}`), 200, "update webhook")
	contains("/v3/user/webhooks/event/settings/all", "https://tls.example.com/e")
	want(do(t, hc, base, "PATCH", "/v3/user/webhooks/event/settings/no-such-id", tok, `{"enabled":false}`), 404, "update unknown webhook")
	r = do(t, hc, base, "PATCH", "/v3/user/webhooks/event/settings/signed/"+wh.ID, tok, `{"enabled":true}`)
	want(r, 200, "sign webhook")
	if !strings.Contains(string(r.body), `"public_key":"MF`) {
		t.Errorf("signing answered %s", r.body)
	}
	contains("/v3/user/webhooks/event/settings/all", `"public_key"`)

	// Inbound parse.
	want(do(t, hc, base, "POST", "/v3/user/webhooks/parse/settings", tok, `{"hostname":"in.example.com","url":"http://plain.example.com/p"}`), 201, "create parse")
	contains("/v3/user/webhooks/parse/settings", "http://plain.example.com/p")

	// Forwarding.
	want(do(t, hc, base, "PATCH", "/v3/mail_settings/forward_spam", tok, `{"email":"spam@outside.example.net","enabled":true}`), 200, "forward spam")
	contains("/v3/mail_settings/forward_spam", "spam@outside.example.net")
	want(do(t, hc, base, "PATCH", "/v3/mail_settings/forward_bounce", tok, `{"email":"not an address"}`), 400, "bad forward address")
	want(do(t, hc, base, "PATCH", "/v3/mail_settings/forward_bounce", f.ro.Token(), `{"enabled":false}`), 403, "forward without scope")

	// Teammate invitation: pending for InviteLifetime from now.
	r = do(t, hc, base, "POST", "/v3/teammates", tok, `{"email":"newhire@example.com","scopes":[],"is_admin":true}`)
	want(r, 201, "invite")
	if !strings.Contains(string(r.body), `"token"`) {
		t.Errorf("invite answered %s", r.body)
	}
	contains("/v3/teammates/pending", "newhire@example.com")
	r = do(t, hc, base, "GET", "/v3/teammates/pending", tok, "")
	if exp := clk.Now().Add(sendgridsim.InviteLifetime).Unix(); !strings.Contains(string(r.body), itoa(int(exp))) {
		t.Errorf("invite expiry is not now+7d (%d): %s", exp, r.body)
	}
	want(do(t, hc, base, "POST", "/v3/teammates", tok, `{"email":"x@example.com"}`), 400, "invite without scopes")

	// Alerts.
	r = do(t, hc, base, "POST", "/v3/alerts", tok, `{"type":"stats_notification","email_to":"stats@example.org","frequency":"daily"}`)
	want(r, 201, "create alert")
	var a struct {
		ID int `json:"id"`
	}
	r.json(t, &a)
	contains("/v3/alerts", "stats@example.org")
	want(do(t, hc, base, "POST", "/v3/alerts", tok, `{"type":"usage_limit","email_to":"x@example.org"}`), 400, "usage alert without percentage")
	want(do(t, hc, base, "DELETE", "/v3/alerts/"+itoa(a.ID), tok, ""), 204, "delete alert")
	if r := do(t, hc, base, "GET", "/v3/alerts", tok, ""); strings.Contains(string(r.body), "stats@example.org") {
		t.Errorf("deleted alert still listed: %s", r.body)
	}

	vio.mu.Lock()
	defer vio.mu.Unlock()
	for _, e := range vio.errs {
		t.Errorf("contract violation: %s", e)
	}
	for _, v := range srv.ContractViolations() {
		t.Errorf("request contract: %s", v)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
