package sendgridsim_test

import "context"
import "fmt"
import "net/http"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/sendgrid/rest"
import "github.com/sendgrid/sendgrid-go"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

const specDir = "../../testdata/sendgrid-oai"

// violations collects contract violations seen by OnResponse.
type violations struct {
	mu   sync.Mutex
	errs []string
	n    int
}

func (v *violations) observer(chk *contract.Checker) func(*http.Request, int, http.Header, []byte) {
	return func(r *http.Request, status int, h http.Header, body []byte) {
		err := chk.Check(r, status, h, body)
		v.mu.Lock()
		defer v.mu.Unlock()
		v.n++
		if err != nil {
			v.errs = append(v.errs, err.Error())
		}
	}
}

// TestContractEveryEndpoint drives every endpoint through success and each error it can
// answer, over real HTTP, and validates every response against the OpenAPI spec.
func TestContractEveryEndpoint(t *testing.T) {
	chk, err := contract.New(specDir)
	if err != nil {
		t.Fatal(err)
	}
	var vio violations
	clk := newClock()
	f := newFixture()
	cfg := sendgridsim.DefaultConfig()
	cfg.Now = clk.Now
	cfg.Limits = map[string]sendgridsim.Limit{"*": {Requests: 1000, Window: time.Minute}}
	cfg.OnResponse = vio.observer(chk)
	srv := sendgridsim.New(f.st, cfg)
	base := serve(t, srv)
	hc := &http.Client{Timeout: 10 * time.Second}

	bad := "SG." + strings.Repeat("A", 22) + "." + strings.Repeat("B", 43)
	obo := []string{"On-Behalf-Of", subName}
	type tc struct {
		method, path, token, body string
		hdr                       []string
		want                      int
	}
	var cases []tc
	add := func(method, path, token, body string, want int, hdr ...string) {
		cases = append(cases, tc{method, path, token, body, hdr, want})
	}
	// Every GET endpoint: success, dead key, missing scope.
	gets := []string{
		"/v3/api_keys", "/v3/messages?limit=5&query=" + qEscape(`api_key_id="`+f.victim.ID+`"`),
		"/v3/stats?start_date=2026-03-01&end_date=2026-03-10&aggregated_by=day",
		"/v3/teammates", "/v3/teammates/pending", "/v3/access_settings/activity?limit=10",
		"/v3/access_settings/whitelist", "/v3/subusers", "/v3/user/webhooks/event/settings/all",
		"/v3/user/webhooks/parse/settings", "/v3/mail_settings/forward_bounce",
		"/v3/mail_settings/forward_spam", "/v3/alerts",
		fmt.Sprintf("/v3/suppression/bounces?start_time=%d&end_time=%d", t0.Add(-24*time.Hour).Unix(), t0.Unix()),
		"/v3/suppression/spam_reports", "/v3/verified_senders", "/v3/api_keys/" + f.full.ID,
	}
	for _, p := range gets {
		add("GET", p, f.full.Token(), "", 200)
		add("GET", p, bad, "", 401)
		add("GET", p, f.ro.Token(), "", 403)
	}
	add("GET", "/v3/scopes", f.full.Token(), "", 200)
	add("GET", "/v3/scopes", f.ro.Token(), "", 200)
	add("GET", "/v3/scopes", bad, "", 401)
	add("GET", "/v3/scopes", "", "", 401)
	add("GET", "/v3/scopes", f.full.Token(), "", 403, "On-Behalf-Of", "no-such-subuser")
	add("GET", "/v3/api_keys", f.full.Token(), "", 200, obo...)
	add("GET", "/v3/stats?start_date=2026-03-09&end_date=2026-03-09", f.full.Token(), "", 200, obo...)
	// 400s
	add("GET", "/v3/api_keys?limit=abc", f.full.Token(), "", 400)
	add("GET", "/v3/messages?limit=0", f.full.Token(), "", 400)
	add("GET", "/v3/messages?query="+qEscape(`clicks="0"`), f.full.Token(), "", 400)
	add("GET", "/v3/stats", f.full.Token(), "", 400)
	add("GET", "/v3/access_settings/activity?limit=x", f.full.Token(), "", 400)
	add("GET", "/v3/suppression/bounces?start_time=yesterday", f.full.Token(), "", 400)
	add("GET", "/v3/suppression/spam_reports?end_time=x", f.full.Token(), "", 400)
	add("GET", "/v3/teammates?limit=501", f.full.Token(), "", 400) // above the documented maximum
	// keys: create, get, delete, 404s
	add("POST", "/v3/api_keys", f.full.Token(), `{"name":"rotated","scopes":["mail.send"]}`, 201)
	add("POST", "/v3/api_keys", f.full.Token(), `{"scopes":["mail.send"]}`, 400)
	add("POST", "/v3/api_keys", bad, `{"name":"x"}`, 401)
	add("POST", "/v3/api_keys", f.ro.Token(), `{"name":"x"}`, 403)
	add("GET", "/v3/api_keys/"+strings.Repeat("Z", 22), f.full.Token(), "", 404)
	add("DELETE", "/v3/api_keys/"+f.victim.ID, bad, "", 401)
	add("DELETE", "/v3/api_keys/"+f.victim.ID, f.ro.Token(), "", 403)
	add("DELETE", "/v3/api_keys/"+f.victim.ID, f.full.Token(), "", 204)
	add("DELETE", "/v3/api_keys/"+f.victim.ID, f.full.Token(), "", 404)
	add("GET", "/v3/api_keys/"+f.victim.ID, f.full.Token(), "", 404)
	// mail send
	mail := `{"personalizations":[{"to":[{"email":"oncall@example.com"}]}],"from":{"email":"keyir@example.com"},"subject":"INC-42","content":[{"type":"text/plain","value":"key revoked"}]}`
	add("POST", "/v3/mail/send", f.ro.Token(), mail, 202)
	add("POST", "/v3/mail/send", f.ro.Token(), strings.TrimSuffix(mail, "}")+`,"mail_settings":{"sandbox_mode":{"enable":true}}}`, 200)
	add("POST", "/v3/mail/send", f.ro.Token(), `{"personalizations":[]}`, 400)
	add("POST", "/v3/mail/send", f.ro.Token(), mail, 400, obo...)
	add("POST", "/v3/mail/send", bad, mail, 401)
	add("POST", "/v3/mail/send", f.statsOnly.Token(), mail, 403)
	// routing
	add("GET", "/v3/no_such_endpoint", f.full.Token(), "", 404)
	add("PUT", "/v3/scopes", f.full.Token(), "", 405)

	for _, c := range cases {
		r := do(t, hc, base, c.method, c.path, c.token, c.body, c.hdr...)
		if r.status != c.want {
			t.Errorf("%s %s (%v): status %d, want %d: %s", c.method, c.path, c.hdr, r.status, c.want, r.body)
		}
		if c.path != "/v3/mail/send" && r.header.Get("X-Ratelimit-Limit") == "" && c.want != 404 && c.want != 405 {
			t.Errorf("%s %s: no rate-limit headers", c.method, c.path)
		}
	}

	// Once through sendgrid-go with our own http.Client. Its requests (headers
	// included) are what keyir sends: they must pass the request direction of the
	// contract too.
	if err := contract.Install(); err != nil {
		t.Fatal(err)
	}
	defer sendgridsim.SetRequestValidator(nil)
	before := len(srv.ContractViolations())
	req := sendgrid.GetRequest(f.full.Token(), "/v3/scopes", base)
	req.Method = rest.Get
	resp, err := (&rest.Client{HTTPClient: hc}).SendWithContext(context.Background(), req)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, "user.email.read") {
		t.Errorf("sendgrid-go GET /v3/scopes: %v %+v", err, resp)
	}
	req = sendgrid.GetRequestSubuser(f.full.Token(), "/v3/api_keys", base, subName)
	resp, err = (&rest.Client{HTTPClient: hc}).SendWithContext(context.Background(), req)
	if err != nil || resp.StatusCode != 200 || !strings.Contains(resp.Body, f.subK.ID) {
		t.Errorf("sendgrid-go on-behalf-of GET /v3/api_keys: %v %+v", err, resp)
	}
	if vs := srv.ContractViolations()[before:]; len(vs) != 0 {
		t.Errorf("sendgrid-go's requests depart from the spec:\n%s", contract.Report(vs))
	}
	// The request direction is not vacuous on this server either: the same client
	// with on-behalf-of where the spec has none is flagged.
	req = sendgrid.GetRequestSubuser(f.full.Token(), "/v3/verified_senders", base, subName)
	if _, err := (&rest.Client{HTTPClient: hc}).SendWithContext(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if vs := srv.ContractViolations()[before:]; len(vs) != 1 || !strings.Contains(vs[0].Problem, `"on-behalf-of" is not declared`) {
		t.Errorf("on-behalf-of on GET /v3/verified_senders: %v", vs)
	}

	// Email Activity is not served by the EU host (its spec lists only the global server).
	if r := do(t, hc, serve(t, srv.EU()), "GET", "/v3/messages?limit=1&query="+qEscape(`status="delivered"`), f.full.Token(), ""); r.status != 404 {
		t.Errorf("messages on the EU host: %d %s", r.status, r.body)
	}

	// Email Activity without the add-on.
	cfg2 := cfg
	cfg2.EmailActivityAddon = false
	base2 := serve(t, sendgridsim.New(f.st, cfg2))
	if r := do(t, hc, base2, "GET", "/v3/messages?limit=1", f.full.Token(), ""); r.status != 400 || !strings.Contains(string(r.body), "authorization required") {
		t.Errorf("without add-on: %d %s", r.status, r.body)
	}

	// 429 on every route: a limit of one request per hour per key and route.
	cfg3 := cfg
	cfg3.Limits = map[string]sendgridsim.Limit{"*": {Requests: 1, Window: time.Hour}}
	base3 := serve(t, sendgridsim.New(newFixture().st, cfg3))
	f3 := newFixture()
	limited := []struct{ method, path, body string }{
		{"GET", "/v3/scopes", ""}, {"POST", "/v3/api_keys", `{"name":"n"}`},
		{"DELETE", "/v3/api_keys/" + strings.Repeat("Q", 22), ""}, {"GET", "/v3/messages", ""},
	}
	for _, p := range gets {
		limited = append(limited, struct{ method, path, body string }{"GET", p, ""})
	}
	for _, l := range limited {
		do(t, hc, base3, l.method, l.path, f3.full.Token(), l.body)
		r := do(t, hc, base3, l.method, l.path, f3.full.Token(), l.body)
		if r.status != 429 || r.header.Get("Retry-After") != "" || r.header.Get("X-Ratelimit-Remaining") != "0" {
			t.Errorf("%s %s: second request: %d %v %s", l.method, l.path, r.status, r.header, r.body)
		}
	}

	vio.mu.Lock()
	defer vio.mu.Unlock()
	for _, e := range vio.errs {
		t.Errorf("contract violation: %s", e)
	}
	if want := len(cases) + 3 + 1 + 1 + 2*len(limited); vio.n != want {
		t.Errorf("checked %d responses, want %d", vio.n, want)
	}
	for _, fx := range contract.Fixes {
		if chk.FixCounts()[fx.Name] == 0 {
			t.Errorf("spec fix %s changed nothing: remove it", fx.Name)
		}
	}
	// No dead exemptions: every allow-list entry was needed by some response.
	for _, u := range chk.Unused() {
		t.Errorf("allow-list entry never exercised: %s", u)
	}
}

func qEscape(s string) string {
	r := strings.NewReplacer(" ", "%20", `"`, "%22", "=", "%3D", ":", "%3A", "+", "%2B")
	return r.Replace(s)
}

// TestContractCatchesViolations proves the checker is not vacuous.
func TestContractCatchesViolations(t *testing.T) {
	chk, err := contract.New(specDir)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "/v3/scopes", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	if err := chk.Check(req, 200, h, []byte(`{"scopes":["a"]}`)); err != nil {
		t.Errorf("valid body rejected: %v", err)
	}
	for _, body := range []string{`{"scopes":"a"}`, `{}`, `{"scopes":[1]}`} {
		if err := chk.Check(req, 200, h, []byte(body)); err == nil {
			t.Errorf("GET /v3/scopes %s accepted", body)
		}
	}
	msgs, _ := http.NewRequest("GET", "/v3/messages", nil)
	if err := chk.Check(msgs, 200, h, []byte(`{"messages":[{"msg_id":"x","status":"bounced"}]}`)); err == nil {
		t.Error("message with missing fields and bad status accepted")
	}
	// An undocumented status outside the allow-list is a violation.
	if err := chk.Check(msgs, 418, h, []byte(`{"errors":[{"message":"teapot"}]}`)); err == nil {
		t.Error("GET /v3/messages 418 accepted")
	}
	// An allow-listed status with a body that is not an errors body is a violation.
	st, _ := http.NewRequest("GET", "/v3/stats", nil)
	if err := chk.Check(st, 401, h, []byte(`{"oops":1}`)); err == nil {
		t.Error("allow-listed 401 with a non-error body accepted")
	}
	// The flat GET /v3/api_keys/{id} passes without an exemption (see contract.Allowed).
	k, _ := http.NewRequest("GET", "/v3/api_keys/abc", nil)
	if err := chk.Check(k, 200, h, []byte(`{"api_key_id":"abc","name":"n","scopes":["mail.send"]}`)); err != nil {
		t.Errorf("flat api key rejected: %v", err)
	}
}
