package sendgridsim_test

import "context"
import "encoding/json"
import "errors"
import "fmt"
import "io"
import "math/rand/v2"
import "net/http"
import "slices"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

func newServer(t *testing.T, f *fixture, mut func(*sendgridsim.Config)) (*sendgridsim.Server, string, *clock) {
	t.Helper()
	clk := newClock()
	cfg := sendgridsim.DefaultConfig()
	cfg.Now = clk.Now
	cfg.Limits = map[string]sendgridsim.Limit{"*": {Requests: 1000, Window: time.Minute}}
	if mut != nil {
		mut(&cfg)
	}
	contract.Observe(t, &cfg)
	srv := sendgridsim.New(f.st, cfg)
	return srv, serve(t, srv), clk
}

var hc = &http.Client{Timeout: 10 * time.Second}

func TestKeyFormatDeterministic(t *testing.T) {
	a := sendgridsim.NewKey(rand.New(rand.NewPCG(1, 2)), "a", nil)
	b := sendgridsim.NewKey(rand.New(rand.NewPCG(1, 2)), "a", nil)
	if a.Token() != b.Token() {
		t.Fatal("same seed, different keys")
	}
	if !sendgridsim.ValidToken(a.Token()) || len(a.Token()) != 69 {
		t.Fatalf("bad token %q", a.Token())
	}
	if id, _, ok := sendgridsim.ParseToken(a.Token()); !ok || id != a.ID {
		t.Fatal("ParseToken")
	}
}

func TestAuthAndScopes(t *testing.T) {
	f := newFixture()
	_, base, _ := newServer(t, f, nil)
	cases := []struct {
		name, auth string
		path       string
		want       int
		msg        string
	}{
		{"no header", "", "/v3/api_keys", 401, "authorization required"},
		{"malformed", "Bearer SG.short.x", "/v3/api_keys", 401, "authorization required"},
		{"basic scheme", "Basic " + f.full.Token(), "/v3/api_keys", 401, "authorization required"},
		{"unknown key", "Bearer SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 43), "/v3/api_keys", 401, "authorization required"},
		{"right id wrong secret", "Bearer SG." + f.full.ID + "." + strings.Repeat("b", 43), "/v3/api_keys", 401, "authorization required"},
		{"lowercase bearer", "bearer " + f.full.Token(), "/v3/api_keys", 200, ""},
		{"missing scope", "Bearer " + f.ro.Token(), "/v3/api_keys", 403, "access forbidden"},
		{"scopes any live key", "Bearer " + f.statsOnly.Token(), "/v3/scopes", 200, ""},
		{"stats scope", "Bearer " + f.statsOnly.Token(), "/v3/stats?start_date=2026-03-09", 200, ""},
		{"stats key cannot read keys", "Bearer " + f.statsOnly.Token(), "/v3/api_keys/" + f.full.ID, 403, "access forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+c.path, nil)
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, b)
			}
			if c.msg != "" {
				want := `{"errors":[{"field":null,"message":"` + c.msg + `"}]}`
				if string(b) != want {
					t.Fatalf("body %s, want %s", b, want)
				}
			}
		})
	}
	var sc struct{ Scopes []string }
	do(t, hc, base, "GET", "/v3/scopes", f.ro.Token(), "").json(t, &sc)
	if len(sc.Scopes) != 1 || sc.Scopes[0] != "mail.send" {
		t.Fatalf("scopes %v", sc.Scopes)
	}
}

func TestOnBehalfOfIsolation(t *testing.T) {
	f := newFixture()
	_, base, _ := newServer(t, f, nil)
	var parent, sub struct {
		Result []struct {
			APIKeyID string `json:"api_key_id"`
		}
	}
	do(t, hc, base, "GET", "/v3/api_keys", f.full.Token(), "").json(t, &parent)
	do(t, hc, base, "GET", "/v3/api_keys", f.full.Token(), "", "On-Behalf-Of", subName).json(t, &sub)
	if len(parent.Result) != 4 || len(sub.Result) != 1 || sub.Result[0].APIKeyID != f.subK.ID {
		t.Fatalf("parent %v sub %v", parent, sub)
	}
	for _, k := range parent.Result {
		if k.APIKeyID == f.subK.ID {
			t.Fatal("subuser key listed in the parent")
		}
	}
	// The subuser's key is invisible and undeletable from the parent, and vice versa.
	if r := do(t, hc, base, "GET", "/v3/api_keys/"+f.subK.ID, f.full.Token(), ""); r.status != 404 {
		t.Fatalf("parent GET sub key: %d", r.status)
	}
	if r := do(t, hc, base, "DELETE", "/v3/api_keys/"+f.full.ID, f.full.Token(), "", "On-Behalf-Of", subName); r.status != 404 {
		t.Fatalf("sub DELETE parent key: %d", r.status)
	}
	if r := do(t, hc, base, "DELETE", "/v3/api_keys/"+f.subK.ID, f.full.Token(), "", "On-Behalf-Of", subName); r.status != 204 {
		t.Fatalf("sub DELETE own key: %d %s", r.status, r.body)
	}
	// Stats are per account.
	var st []struct {
		Date  string
		Stats []struct{ Metrics map[string]int }
	}
	do(t, hc, base, "GET", "/v3/stats?start_date=2026-03-09&end_date=2026-03-09", f.full.Token(), "", "On-Behalf-Of", subName).json(t, &st)
	if len(st) != 1 || st[0].Stats[0].Metrics["requests"] != 7 {
		t.Fatalf("subuser stats %+v", st)
	}
	// Unknown subuser; a subuser key cannot act on behalf of anyone.
	if r := do(t, hc, base, "GET", "/v3/api_keys", f.full.Token(), "", "On-Behalf-Of", "nobody"); r.status != 403 {
		t.Fatalf("unknown subuser: %d", r.status)
	}
	sk := sendgridsim.NewKey(rand.New(rand.NewPCG(9, 9)), "sub2", sendgridsim.FullAccessScopes())
	sk.Subuser = subName
	f.st.AddKey(sk)
	if r := do(t, hc, base, "GET", "/v3/api_keys", sk.Token(), "", "On-Behalf-Of", subName); r.status != 403 {
		t.Fatalf("subuser key with on-behalf-of: %d", r.status)
	}
	if r := do(t, hc, base, "GET", "/v3/subusers", sk.Token(), ""); r.status != 403 {
		t.Fatalf("subuser key listing subusers: %d", r.status)
	}
}

func TestPropagationDelay(t *testing.T) {
	f := newFixture()
	srv, base, clk := newServer(t, f, func(c *sendgridsim.Config) { c.PropagationDelay = 3 * time.Minute })
	if r := do(t, hc, base, "DELETE", "/v3/api_keys/"+f.victim.ID, f.full.Token(), ""); r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	if f.st.KeyLive(f.victim.ID, clk.Now()) {
		t.Fatal("State says the revoked key is live")
	}
	// Still authenticates with its own token, but is gone from the inventory.
	if r := do(t, hc, base, "GET", "/v3/scopes", f.victim.Token(), ""); r.status != 200 {
		t.Fatalf("within delay: %d", r.status)
	}
	if !srv.Authenticates(f.victim.ID) {
		t.Fatal("Authenticates within delay")
	}
	if r := do(t, hc, base, "GET", "/v3/api_keys/"+f.victim.ID, f.full.Token(), ""); r.status != 404 {
		t.Fatalf("GET revoked: %d", r.status)
	}
	clk.Advance(3*time.Minute - time.Second)
	if r := do(t, hc, base, "GET", "/v3/scopes", f.victim.Token(), ""); r.status != 200 {
		t.Fatalf("just before: %d", r.status)
	}
	clk.Advance(time.Second)
	if r := do(t, hc, base, "GET", "/v3/scopes", f.victim.Token(), ""); r.status != 401 {
		t.Fatalf("after delay: %d", r.status)
	}
	if r := do(t, hc, base, "DELETE", "/v3/api_keys/"+f.victim.ID, f.full.Token(), ""); r.status != 404 || !strings.Contains(string(r.body), "unable to find API Key") {
		t.Fatalf("second delete: %d %s", r.status, r.body)
	}
	if n := srv.Count("DELETE", "DELETE /v3/api_keys/{api_key_id}"); n != 2 {
		t.Fatalf("Count = %d", n)
	}
}

func TestRateLimit(t *testing.T) {
	f := newFixture()
	srv, base, clk := newServer(t, f, func(c *sendgridsim.Config) {
		c.Limits = sendgridsim.DefaultConfig().Limits // Email Activity: 6 per minute
	})
	wantReset := strconv.FormatInt(t0.Truncate(time.Minute).Add(time.Minute).Unix(), 10)
	for i := 1; i <= 7; i++ {
		r := do(t, hc, base, "GET", "/v3/messages?limit=1", f.full.Token(), "")
		want := 200
		if i == 7 {
			want = 429
		}
		if r.status != want {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if got := r.header["X-Ratelimit-Limit"]; len(got) != 1 || got[0] != "6" {
			t.Fatalf("limit header %v", r.header)
		}
		if got := r.header.Get("X-Ratelimit-Remaining"); got != strconv.Itoa(max(6-i, 0)) {
			t.Fatalf("request %d remaining %s", i, got)
		}
		if got := r.header.Get("X-Ratelimit-Reset"); got != wantReset {
			t.Fatalf("reset %s, want %s", got, wantReset)
		}
		if i == 7 {
			if r.header.Get("Retry-After") != "" || string(r.body) != `{"errors":[{"field":null,"message":"too many requests"}]}` {
				t.Fatalf("429: %v %s", r.header, r.body)
			}
		}
	}
	// Other keys and other routes have their own windows.
	if r := do(t, hc, base, "GET", "/v3/messages?limit=1", f.subK.Token(), ""); r.status != 200 {
		t.Fatalf("other key: %d", r.status)
	}
	if r := do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), ""); r.status != 200 || r.header.Get("X-Ratelimit-Limit") != "600" {
		t.Fatalf("other route: %d %v", r.status, r.header)
	}
	// The wire spelling is X-Ratelimit-*.
	if _, ok := srv.Requests()[0].Header["Authorization"]; !ok {
		t.Fatal("request headers not recorded")
	}
	// Mail send carries no rate-limit headers.
	mail := `{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"b@example.com"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`
	if r := do(t, hc, base, "POST", "/v3/mail/send", f.ro.Token(), mail); r.status != 202 || r.header.Get("X-Ratelimit-Limit") != "" || r.header.Get("X-Message-Id") == "" {
		t.Fatalf("mail: %d %v", r.status, r.header)
	}
	clk.Advance(time.Minute)
	if r := do(t, hc, base, "GET", "/v3/messages?limit=1", f.full.Token(), ""); r.status != 200 || r.header.Get("X-Ratelimit-Remaining") != "5" {
		t.Fatalf("next window: %d %v", r.status, r.header)
	}
}

func TestRateLimitHeaderWireSpelling(t *testing.T) {
	f := newFixture()
	_, base, _ := newServer(t, f, nil)
	// Read the raw response head to see the spelling on the wire.
	req, _ := http.NewRequest("GET", base+"/v3/scopes", nil)
	req.Header.Set("Authorization", "Bearer "+f.full.Token())
	var raw strings.Builder
	resp, err := (&http.Client{Transport: &dumpTransport{&raw}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, h := range []string{"X-Ratelimit-Limit:", "X-Ratelimit-Remaining:", "X-Ratelimit-Reset:"} {
		if !strings.Contains(raw.String(), h) {
			t.Errorf("wire head lacks %s:\n%s", h, raw.String())
		}
	}
}

type dumpTransport struct{ w *strings.Builder }

func (d *dumpTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		// net/http keeps header keys exactly as received when they are already canonical;
		// the X-Ratelimit-* spelling is canonical, so the keys reflect the wire.
		for k := range resp.Header {
			fmt.Fprintf(d.w, "%s: %s\n", k, resp.Header.Get(k))
		}
	}
	return resp, err
}

func TestMessagesQueryAndCap(t *testing.T) {
	f := newFixture()
	var many []sendgridsim.Message
	for i := range 1500 {
		many = append(many, sendgridsim.Message{ID: fmt.Sprintf("bulk%04d", i), APIKeyID: "BULK", From: "a@example.com", To: "b@example.com", Subject: "s", Status: "processed", LastEventTime: t0.Add(-time.Duration(i) * time.Second)})
	}
	f.st.AddMessages(many...)
	_, base, _ := newServer(t, f, nil)
	type msgs struct {
		Messages []struct {
			MsgID         string `json:"msg_id"`
			LastEventTime string `json:"last_event_time"`
		}
	}
	get := func(q string, limit int) (reply, msgs) {
		var m msgs
		r := do(t, hc, base, "GET", fmt.Sprintf("/v3/messages?limit=%d&query=%s", limit, qEscape(q)), f.full.Token(), "")
		if r.status == 200 {
			r.json(t, &m)
		}
		return r, m
	}
	_, m := get(`api_key_id="BULK"`, 1000)
	if len(m.Messages) != 1000 {
		t.Fatalf("cap: %d", len(m.Messages))
	}
	// The spec promises no order: a capped page is neither sorted nor the newest rows, and the
	// same request gets the same answer.
	sorted, newest := true, true
	for i, msg := range m.Messages {
		if i > 0 && msg.LastEventTime > m.Messages[i-1].LastEventTime {
			sorted = false
		}
		var n int
		fmt.Sscanf(msg.MsgID, "bulk%d", &n)
		if n >= 1000 {
			newest = false
		}
	}
	if sorted || newest {
		t.Fatalf("messages come back in a reliable order (sorted %v, newest rows only %v)", sorted, newest)
	}
	if _, again := get(`api_key_id="BULK"`, 1000); fmt.Sprint(again) != fmt.Sprint(m) {
		t.Fatal("the same request gave another order")
	}
	if r, _ := get(`api_key_id="BULK"`, 1001); r.status != 400 {
		t.Fatalf("limit 1001: %d", r.status)
	}
	if r := do(t, hc, base, "GET", "/v3/messages", f.full.Token(), ""); r.status != 200 {
		t.Fatal("default limit")
	} else {
		var d msgs
		r.json(t, &d)
		if len(d.Messages) != 10 {
			t.Fatalf("default limit gave %d", len(d.Messages))
		}
	}
	// BETWEEN is inclusive at both ends: bulk0000 is at t0, bulk0010 at t0-10s.
	from, to := t0.Add(-10*time.Second).Format(time.RFC3339), t0.Format(time.RFC3339)
	q := fmt.Sprintf(`api_key_id="BULK" AND last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`, from, to)
	if _, m := get(q, 1000); len(m.Messages) != 11 || !slices.ContainsFunc(m.Messages, func(x struct {
		MsgID         string `json:"msg_id"`
		LastEventTime string `json:"last_event_time"`
	}) bool {
		return x.MsgID == "bulk0010"
	}) {
		t.Fatalf("between: %d", len(m.Messages))
	}
	if r, _ := get(`api_key_id="BULK" AND nope="x"`, 10); r.status != 400 || !strings.Contains(string(r.body), `nope`) || !strings.Contains(string(r.body), `"field":"query"`) {
		t.Fatalf("unknown field: %d %s", r.status, r.body)
	}
	if _, m := get(`msg_id="bulk0001" OR msg_id="bulk0002"`, 10); len(m.Messages) != 2 {
		t.Fatalf("OR: %d", len(m.Messages))
	}
}

func TestParseQuery(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse(time.RFC3339, s); return tm }
	m := sendgridsim.Message{ID: "m1", APIKeyID: "K1", From: "a@x.com", To: "B@Y.com", Subject: "Hi there", Status: "delivered", LastEventTime: at("2026-01-01T12:00:00Z")}
	cases := []struct {
		q       string
		match   bool
		wantErr string
	}{
		{``, true, ""},
		{`api_key_id="K1"`, true, ""},
		{`API_KEY_ID="K1"`, true, ""},
		{`api_key_id="K2"`, false, ""},
		{`to_email="b@y.com"`, true, ""},
		{`subject="Hi there" and status="delivered"`, true, ""},
		{`status="processed" OR msg_id="m1"`, true, ""},
		{`status="processed" OR msg_id="m1" AND api_key_id="K2"`, false, ""},
		{`(status="processed" OR msg_id="m1") AND api_key_id="K1"`, true, ""},
		{`subject="say \"hi\""`, false, ""},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-01T12:00:00Z" AND TIMESTAMP "2026-01-01T12:00:00Z"`, true, ""},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-01T00:00:00Z" AND TIMESTAMP "2026-01-01T11:59:59Z"`, false, ""},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-01T12:00:00+01:00" AND TIMESTAMP "2026-01-01T13:00:00+01:00"`, true, ""},
		{`clicks="0"`, false, "unknown or unsupported field"},
		{`api_key_id!="K1"`, false, "unsupported operator"},
		{`api_key_id=K1`, false, "double-quoted"},
		{`api_key_id="K1`, false, "unterminated"},
		{`api_key_id="K1" AND`, false, "unexpected end"},
		{`api_key_id="K1" status="x"`, false, "unexpected"},
		{`(api_key_id="K1"`, false, "missing )"},
		{`last_event_time > TIMESTAMP "2026-01-01T00:00:00Z"`, false, "BETWEEN"},
		{`last_event_time BETWEEN "2026-01-01T00:00:00Z" AND TIMESTAMP "2026-01-02T00:00:00Z"`, false, "TIMESTAMP"},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-01" AND TIMESTAMP "2026-01-02T00:00:00Z"`, false, "RFC 3339"},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-02T00:00:00Z" AND TIMESTAMP "2026-01-01T00:00:00Z"`, false, "ends before"},
		{`last_event_time BETWEEN TIMESTAMP "2026-01-01T00:00:00Z" OR TIMESTAMP "2026-01-02T00:00:00Z"`, false, "expected AND"},
		{`api_key_id="K1" ; DROP`, false, "unexpected character"},
		{strings.Repeat("(", 40) + `msg_id="m1"` + strings.Repeat(")", 40), false, "too deeply"},
	}
	for _, c := range cases {
		q, err := sendgridsim.ParseQuery(c.q)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err %v, want %q", c.q, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.q, err)
			continue
		}
		if got := q.Match(m); got != c.match {
			t.Errorf("%s: match %v, want %v (parsed %s)", c.q, got, c.match, q)
		}
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		`api_key_id="K1"`, `(status="processed" OR msg_id="m1") AND api_key_id="K1"`,
		`last_event_time BETWEEN TIMESTAMP "2026-01-01T00:00:00Z" AND TIMESTAMP "2026-01-02T00:00:00Z"`,
		`subject="a\"b"`, `((((`, `"`, `a!=`, "",
	} {
		f.Add(s)
	}
	m := sendgridsim.Message{ID: "m", APIKeyID: "K1", Status: "delivered", LastEventTime: t0}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := sendgridsim.ParseQuery(s)
		if err != nil {
			return
		}
		_ = q.Match(m)
		// The canonical form parses to the same canonical form.
		q2, err := sendgridsim.ParseQuery(q.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", q.String(), s, err)
		}
		if q2.String() != q.String() {
			t.Fatalf("canonical form unstable: %q -> %q", q.String(), q2.String())
		}
	})
}

func TestFaults(t *testing.T) {
	f := newFixture()
	srv, base, _ := newServer(t, f, nil)
	scopes := "GET /v3/scopes"

	t.Run("status after and times", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Route: scopes, After: 1, Times: 2, Kind: sendgridsim.FaultStatus, Status: 503})
		defer srv.ClearFaults()
		var got []int
		for range 4 {
			got = append(got, do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), "").status)
		}
		if fmt.Sprint(got) != "[200 503 503 200]" {
			t.Fatalf("statuses %v", got)
		}
	})
	t.Run("status with Retry-After", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Route: scopes, Times: 1, Kind: sendgridsim.FaultStatus, Status: 429, RetryAfter: 7})
		defer srv.ClearFaults()
		if r := do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), ""); r.status != 429 || r.header.Get("Retry-After") != "7" {
			t.Fatalf("status %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
		}
	})
	t.Run("method filter", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Method: "DELETE", Kind: sendgridsim.FaultStatus, Status: 500})
		defer srv.ClearFaults()
		if r := do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), ""); r.status != 200 {
			t.Fatalf("GET hit a DELETE fault: %d", r.status)
		}
		if r := do(t, hc, base, "DELETE", "/v3/api_keys/"+f.victim.ID, f.full.Token(), ""); r.status != 500 {
			t.Fatalf("DELETE: %d", r.status)
		}
		if !f.st.KeyLive(f.victim.ID, t0) {
			t.Fatal("a failed DELETE revoked the key")
		}
	})
	t.Run("reset", func(t *testing.T) {
		// net/http retries an idempotent request once when a reused connection dies, so the
		// fault stays on until cleared.
		srv.InjectFault(sendgridsim.Fault{Route: scopes, Kind: sendgridsim.FaultReset})
		req, _ := http.NewRequest("GET", base+"/v3/scopes", nil)
		req.Header.Set("Authorization", "Bearer "+f.full.Token())
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("reset: got status %d", resp.StatusCode)
		}
		srv.ClearFaults()
		if r := do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), ""); r.status != 200 {
			t.Fatalf("after reset: %d", r.status)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Route: "GET /v3/api_keys", Times: 1, Kind: sendgridsim.FaultTruncate})
		defer srv.ClearFaults()
		r := do(t, hc, base, "GET", "/v3/api_keys", f.full.Token(), "")
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("truncate: %d %v", r.status, r.header)
		}
		var v any
		var se *json.SyntaxError
		if err := json.Unmarshal(r.body, &v); err == nil || (!errors.As(err, &se) && !strings.Contains(err.Error(), "unexpected end")) {
			t.Fatalf("truncated body decoded: %v %s", err, r.body)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Route: scopes, Times: 1, Kind: sendgridsim.FaultTimeout})
		defer srv.ClearFaults()
		short := &http.Client{Timeout: 200 * time.Millisecond}
		req, _ := http.NewRequest("GET", base+"/v3/scopes", nil)
		req.Header.Set("Authorization", "Bearer "+f.full.Token())
		start := time.Now()
		resp, err := short.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatal("timeout fault answered")
		}
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("not a timeout: %v", err)
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("took %v", el)
		}
	})
	t.Run("latency", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Route: scopes, Times: 1, Kind: sendgridsim.FaultLatency, Latency: 150 * time.Millisecond})
		defer srv.ClearFaults()
		start := time.Now()
		if r := do(t, hc, base, "GET", "/v3/scopes", f.full.Token(), ""); r.status != 200 {
			t.Fatalf("latency: %d", r.status)
		}
		if time.Since(start) < 150*time.Millisecond {
			t.Fatal("no latency")
		}
	})
	t.Run("context cancel ends a hang", func(t *testing.T) {
		srv.InjectFault(sendgridsim.Fault{Kind: sendgridsim.FaultTimeout})
		defer srv.ClearFaults()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v3/alerts", nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("answered")
		} else if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestGlobalLatencyAndRecording(t *testing.T) {
	f := newFixture()
	srv, base, _ := newServer(t, f, func(c *sendgridsim.Config) { c.Latency = 100 * time.Millisecond })
	start := time.Now()
	body := `{"name":"canary-CANARY123"}`
	do(t, hc, base, "POST", "/v3/api_keys?x=1", f.full.Token(), body)
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("no global latency")
	}
	rs := srv.Requests()
	last := rs[len(rs)-1]
	if last.Method != "POST" || last.Path != "/v3/api_keys" || last.RawQuery != "x=1" || string(last.Body) != body ||
		last.Status != 201 || last.Route != "POST /v3/api_keys" || !last.Time.Equal(t0) {
		t.Fatalf("recorded %+v", last)
	}
	// The created key is in State, deterministic for the seed, and authenticates.
	keys := f.st.Keys("")
	nk := keys[len(keys)-1]
	if nk.Name != "canary-CANARY123" || !sendgridsim.ValidToken(nk.Token()) {
		t.Fatalf("new key %+v", nk)
	}
	if r := do(t, hc, base, "GET", "/v3/scopes", nk.Token(), ""); r.status != 200 {
		t.Fatalf("new key: %d", r.status)
	}
}

func TestCreateKeyLimit(t *testing.T) {
	f := newFixture()
	rng := rand.New(rand.NewPCG(3, 3))
	for i := len(f.st.Keys("")); i < sendgridsim.MaxKeys; i++ {
		f.st.AddKey(sendgridsim.NewKey(rng, fmt.Sprint("k", i), []string{"mail.send"}))
	}
	_, base, _ := newServer(t, f, nil)
	if r := do(t, hc, base, "POST", "/v3/api_keys", f.full.Token(), `{"name":"one-too-many"}`); r.status != 403 {
		t.Fatalf("101st key: %d %s", r.status, r.body)
	}
	if r := do(t, hc, base, "POST", "/v3/api_keys", f.full.Token(), `{"name":"x"}`, "On-Behalf-Of", subName); r.status != 201 {
		t.Fatalf("subuser has its own quota: %d", r.status)
	}
}

func TestMailSend(t *testing.T) {
	f := newFixture()
	_, base, _ := newServer(t, f, nil)
	ok := `{"personalizations":[{"to":[{"email":"oncall@example.com"}],"subject":"p"}],"from":{"email":"keyir@example.com"},"content":[{"type":"text/plain","value":"v"}]}`
	if r := do(t, hc, base, "POST", "/v3/mail/send", f.ro.Token(), ok); r.status != 202 || len(r.body) != 0 {
		t.Fatalf("send: %d %s", r.status, r.body)
	}
	sandbox := strings.TrimSuffix(ok, "}") + `,"mail_settings":{"sandbox_mode":{"enable":true}}}`
	if r := do(t, hc, base, "POST", "/v3/mail/send", f.ro.Token(), sandbox); r.status != 200 || len(r.body) != 0 {
		t.Fatalf("sandbox: %d %s", r.status, r.body)
	}
	badSandbox := strings.TrimSuffix(ok, "}") + `,"mail_settings":{"sandbox_mode":{"enable":"true"}}}`
	for _, c := range []struct{ body, field string }{
		{`{`, "null"},
		{`{"from":{"email":"a@b.co"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, `"personalizations"`},
		{`{"personalizations":[{"to":[{"email":"nope"}]}],"from":{"email":"a@b.co"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, `"personalizations.0.to.0.email"`},
		{`{"personalizations":[{"to":[{"email":"x@y.co"}]}],"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, `"from"`},
		{`{"personalizations":[{"to":[{"email":"x@y.co"}]}],"from":{"email":"a@b.co"},"content":[{"type":"text/plain","value":"v"}]}`, `"subject"`},
		{`{"personalizations":[{"to":[{"email":"x@y.co"}]}],"from":{"email":"a@b.co"},"subject":"s"}`, `"content"`},
		{badSandbox, `"mail_settings.sandbox_mode.enable"`},
	} {
		if r := do(t, hc, base, "POST", "/v3/mail/send", f.ro.Token(), c.body); r.status != 400 || !strings.Contains(string(r.body), `"field":`+c.field) {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	out := f.st.Outbox()
	if len(out) != 2 || out[0].Sandbox || !out[1].Sandbox || out[0].MessageID == "" || out[0].To[0] != "oncall@example.com" || out[0].APIKeyID != f.ro.ID || out[0].Subject != "p" {
		t.Fatalf("outbox %+v", out)
	}
}

func TestStatsEveryDay(t *testing.T) {
	f := newFixture()
	_, base, _ := newServer(t, f, nil)
	var st []struct {
		Date  string
		Stats []struct{ Metrics map[string]int }
	}
	do(t, hc, base, "GET", "/v3/stats?start_date=2026-03-07&end_date=2026-03-10&aggregated_by=day", f.full.Token(), "").json(t, &st)
	if len(st) != 4 || st[0].Date != "2026-03-07" || st[2].Stats[0].Metrics["requests"] != 4210 || st[0].Stats[0].Metrics["requests"] != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok := st[0].Stats[0].Metrics["spam_reports"]; !ok {
		t.Fatal("zero metrics omitted")
	}
	do(t, hc, base, "GET", "/v3/stats?start_date=2026-03-01&end_date=2026-03-31&aggregated_by=month", f.full.Token(), "").json(t, &st)
	if len(st) != 1 || st[0].Stats[0].Metrics["requests"] != 4210 {
		t.Fatalf("month %+v", st)
	}
	if r := do(t, hc, base, "GET", "/v3/stats?start_date=2026-03-10&end_date=2026-03-01", f.full.Token(), ""); r.status != 400 {
		t.Fatalf("reversed range: %d", r.status)
	}
}

func TestListenRefusesNonLoopback(t *testing.T) {
	if _, _, err := sendgridsim.Listen("0.0.0.0:0", http.NotFoundHandler()); err == nil {
		t.Fatal("listened on all interfaces")
	}
}
