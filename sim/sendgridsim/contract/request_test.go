package contract_test

import "io"
import "math/rand/v2"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// TestRequestContract proves the request direction: requests as the spec has them pass, and
// each kind of departure (undeclared query parameter, undeclared header, on-behalf-of where
// the spec has none, an operation the EU host does not serve, a body the schema refuses, a
// missing required parameter) is recorded against the server that received it, without
// changing the simulator's answer.
func TestRequestContract(t *testing.T) {
	if err := contract.Install(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sendgridsim.SetRequestValidator(nil) })
	st := sendgridsim.NewState()
	st.AddSubuser(sendgridsim.Subuser{Username: "eu-shop", Email: "eu@example.de", Region: sendgridsim.RegionEU})
	k := sendgridsim.NewKey(rand.New(rand.NewPCG(1, 1)), "k", sendgridsim.FullAccessScopes())
	st.AddKey(k)
	srv := sendgridsim.New(st, sendgridsim.DefaultConfig())
	global := httptest.NewServer(srv)
	defer global.Close()
	eu := httptest.NewServer(srv.EU())
	defer eu.Close()

	send := func(base, method, path, body string, hdr ...string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+k.Token())
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	good := []struct{ method, path, body string }{
		{"GET", "/v3/scopes", ""},
		{"GET", "/v3/api_keys?limit=100", ""},
		{"POST", "/v3/api_keys", `{"name":"n","scopes":["mail.send"]}`},
		{"GET", "/v3/messages?limit=10&query=status%3D%22delivered%22", ""},
		{"GET", "/v3/stats?start_date=2026-03-01&aggregated_by=day", ""},
		{"GET", "/v3/teammates?limit=500&offset=0", ""},
		{"GET", "/v3/subusers?limit=500&offset=0&include_region=true", ""},
		{"GET", "/v3/verified_senders?limit=100&lastSeenID=0", ""},
		{"GET", "/v3/suppression/spam_reports?start_time=1&end_time=2&limit=500&offset=0", ""},
		{"GET", "/v3/access_settings/activity?limit=20", ""},
	}
	for _, g := range good {
		send(global.URL, g.method, g.path, g.body)
	}
	send(global.URL, "GET", "/v3/api_keys", "", "On-Behalf-Of", "eu-shop") // declared (answered 401: wrong host)
	if vs := srv.ContractViolations(); len(vs) != 0 {
		t.Fatalf("requests as the spec has them flagged:\n%s", contract.Report(vs))
	}

	bad := []struct {
		base, method, path, body string
		hdr                      []string
		want                     string // in the problem
		status                   int    // the simulator's answer, unchanged by the violation
	}{
		{global.URL, "GET", "/v3/verified_senders?limit=100&offset=100", "", nil, `query parameter "offset" is not declared for GET /v3/verified_senders`, 200},
		{global.URL, "GET", "/v3/scopes", "", []string{"X-Trace", "1"}, `header "x-trace" is not declared for GET /v3/scopes`, 200},
		{global.URL, "GET", "/v3/verified_senders", "", []string{"On-Behalf-Of", "eu-shop"}, `header "on-behalf-of" is not declared for GET /v3/verified_senders`, 200},
		{global.URL, "GET", "/v3/subusers", "", []string{"On-Behalf-Of", "eu-shop"}, `header "on-behalf-of" is not declared for GET /v3/subusers`, 200},
		{eu.URL, "GET", "/v3/messages?query=status%3D%22delivered%22", "", nil, "only on the global host", 404},
		{global.URL, "POST", "/v3/api_keys", `{"name":"n","scopes":null}`, nil, "spec tsg_api_keys_v3.json /v3/api_keys", 201},
		{global.URL, "GET", "/v3/messages?limit=10", "", nil, "query", 200},
		{global.URL, "GET", "/v3/no_such_thing", "", nil, "no such operation", 404},
	}
	for _, b := range bad {
		sendgridsim.ResetContractViolations()
		if got := send(b.base, b.method, b.path, b.body, b.hdr...); got != b.status {
			t.Errorf("%s %s: status %d, want %d", b.method, b.path, got, b.status)
		}
		vs := sendgridsim.ContractViolations()
		if len(vs) == 0 {
			t.Errorf("%s %s %v: not flagged", b.method, b.path, b.hdr)
			continue
		}
		if !strings.Contains(vs[0].Problem, b.want) || !strings.Contains(vs[0].Origin, "TestRequestContract") {
			t.Errorf("%s %s: %v, want a problem containing %q from TestRequestContract", b.method, b.path, vs, b.want)
		}
	}
	sendgridsim.ResetContractViolations()
	if n := len(srv.ContractViolations()); n < len(bad) {
		t.Errorf("server recorded %d violations, want at least %d", n, len(bad))
	}
}
