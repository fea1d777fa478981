package sendgridsim_test

import "encoding/json"
import "fmt"
import "math/rand/v2"
import "os"
import "path/filepath"
import "slices"
import "sort"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// newHosts serves f on both hosts; it returns the server, the global and the EU base URLs.
func newHosts(t *testing.T, f *fixture, mut func(*sendgridsim.Config)) (*sendgridsim.Server, string, string, *clock) {
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
	return srv, serve(t, srv), serve(t, srv.EU()), clk
}

// euFixture adds an EU regional subuser with a key of its own.
func euFixture() (*fixture, sendgridsim.Key) {
	f := newFixture()
	f.st.AddSubuser(sendgridsim.Subuser{Username: "eu-shop", Email: "eu@example.de", Region: sendgridsim.RegionEU})
	k := sendgridsim.NewKey(rand.New(rand.NewPCG(3, 3)), "eu-mailer", []string{"mail.send", "api_keys.read"})
	k.Subuser = "eu-shop"
	f.st.AddKey(k)
	f.st.SetStats("eu-shop", sendgridsim.DayStats{Date: "2026-03-09", Requests: 99})
	return f, k
}

func TestRegionsTwoHosts(t *testing.T) {
	f, euKey := euFixture()
	srv, global, eu, clk := newHosts(t, f, func(c *sendgridsim.Config) { c.PropagationDelay = time.Minute })
	// A key authenticates only on its account's host.
	for _, c := range []struct {
		name, base, tok string
		want            int
	}{
		{"parent on global", global, f.full.Token(), 200},
		{"parent on EU", eu, f.full.Token(), 401},
		{"global subuser on global", global, f.subK.Token(), 200},
		{"global subuser on EU", eu, f.subK.Token(), 401},
		{"EU subuser on EU", eu, euKey.Token(), 200},
		{"EU subuser on global", global, euKey.Token(), 401},
	} {
		if r := do(t, hc, c.base, "GET", "/v3/scopes", c.tok, ""); r.status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.want)
		}
	}
	// Calls on behalf of an EU subuser are served by the EU host only.
	var keys struct {
		Result []struct {
			APIKeyID string `json:"api_key_id"`
		}
	}
	if r := do(t, hc, global, "GET", "/v3/api_keys", f.full.Token(), "", "On-Behalf-Of", "eu-shop"); r.status != 401 {
		t.Fatalf("on behalf of the EU subuser on the global host: %d", r.status)
	}
	do(t, hc, eu, "GET", "/v3/api_keys", f.full.Token(), "", "On-Behalf-Of", "eu-shop").json(t, &keys)
	if len(keys.Result) != 1 || keys.Result[0].APIKeyID != euKey.ID {
		t.Fatalf("EU subuser's keys via the EU host: %+v", keys)
	}
	// Email Activity is served only on the global host (its spec lists no EU server).
	if r := do(t, hc, eu, "GET", `/v3/messages?query=status%3D%22delivered%22`, euKey.Token(), ""); r.status != 404 {
		t.Fatalf("messages on the EU host: %d", r.status)
	}
	if !srv.Authenticates(euKey.ID) || !srv.AuthenticatesOn(sendgridsim.RegionEU, euKey.ID) || srv.AuthenticatesOn(sendgridsim.RegionGlobal, euKey.ID) {
		t.Fatal("Authenticates/AuthenticatesOn disagree with the hosts")
	}
	hosts := map[string]int{}
	for _, r := range srv.Requests() {
		hosts[r.Host]++
	}
	if hosts[sendgridsim.RegionEU] != 5 || hosts[sendgridsim.RegionGlobal] != 4 {
		t.Fatalf("requests by host %v", hosts)
	}
	// Revoking the EU key (on its host) makes it stop authenticating everywhere after the delay.
	if r := do(t, hc, eu, "DELETE", "/v3/api_keys/"+euKey.ID, f.full.Token(), "", "On-Behalf-Of", "eu-shop"); r.status != 204 {
		t.Fatalf("revoke on the EU host: %d %s", r.status, r.body)
	}
	// It keeps working on the EU host for the propagation delay, and Authenticates says so.
	if r := do(t, hc, eu, "GET", "/v3/scopes", euKey.Token(), ""); r.status != 200 || !srv.Authenticates(euKey.ID) {
		t.Fatalf("within the propagation delay: %d, Authenticates %v", r.status, srv.Authenticates(euKey.ID))
	}
	clk.Advance(time.Minute)
	if r := do(t, hc, eu, "GET", "/v3/scopes", euKey.Token(), ""); r.status != 401 || srv.Authenticates(euKey.ID) || srv.AuthenticatesOn(sendgridsim.RegionEU, euKey.ID) {
		t.Fatalf("after the delay: %d, Authenticates %v", r.status, srv.Authenticates(euKey.ID))
	}
}

func TestListenHosts(t *testing.T) {
	f, euKey := euFixture()
	srv := sendgridsim.New(f.st, sendgridsim.DefaultConfig())
	h, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(t.Context())
	env := h.Env()
	if env["SENDGRID_API_URL"] != h.URL || env["SENDGRID_API_URL_EU"] != h.EUURL || h.URL == h.EUURL {
		t.Fatalf("env %v", env)
	}
	if r := do(t, hc, h.EUURL, "GET", "/v3/scopes", euKey.Token(), ""); r.status != 200 {
		t.Fatalf("EU host: %d", r.status)
	}
	if r := do(t, hc, h.URL, "GET", "/v3/scopes", euKey.Token(), ""); r.status != 401 {
		t.Fatalf("global host: %d", r.status)
	}
}

func TestOnBehalfOfOnlyWhereDeclared(t *testing.T) {
	f := newFixture()
	f.st.AddVerifiedSender(sendgridsim.VerifiedSender{Subuser: subName, Nickname: "sub", FromEmail: "sub@example.com", Verified: true})
	_, base, _, _ := newHosts(t, f, nil)
	// verified_senders declares no on-behalf-of: the header is ignored, the parent's senders
	// come back (the wrong call gets the parent's data, as on SendGrid).
	var vs struct {
		Results []struct {
			FromEmail string `json:"from_email"`
		}
	}
	do(t, hc, base, "GET", "/v3/verified_senders", f.full.Token(), "", "On-Behalf-Of", subName).json(t, &vs)
	if len(vs.Results) != 1 || vs.Results[0].FromEmail != "ceo@evil.test" {
		t.Fatalf("on-behalf-of on verified_senders was honoured: %+v", vs)
	}
	// Email Activity declares none either: the parent's messages, even for an unknown subuser.
	if r := do(t, hc, base, "GET", "/v3/messages?limit=50&query=msg_id%3D%22other%22", f.full.Token(), "", "On-Behalf-Of", "nobody"); r.status != 200 || !strings.Contains(string(r.body), `"other"`) {
		t.Fatalf("on-behalf-of on messages: %d %s", r.status, r.body)
	}
	// GET /v3/subusers neither: a parent key with the header still lists its subusers.
	if r := do(t, hc, base, "GET", "/v3/subusers", f.full.Token(), "", "On-Behalf-Of", subName); r.status != 200 || !strings.Contains(string(r.body), subName) {
		t.Fatalf("on-behalf-of on subusers: %d %s", r.status, r.body)
	}
	// Where it is declared it still acts for the subuser.
	if r := do(t, hc, base, "GET", "/v3/api_keys", f.full.Token(), "", "On-Behalf-Of", subName); r.status != 200 || !strings.Contains(string(r.body), f.subK.ID) {
		t.Fatalf("on-behalf-of on api_keys: %d %s", r.status, r.body)
	}
}

func TestUndeclaredQueryIgnoredAndLastSeenIDPaging(t *testing.T) {
	f := newFixture()
	for i := range 5 {
		f.st.AddVerifiedSender(sendgridsim.VerifiedSender{Nickname: fmt.Sprint("s", i), FromEmail: fmt.Sprintf("s%d@example.com", i)})
	}
	_, base, _, _ := newHosts(t, f, nil)
	type page struct {
		Results []struct {
			ID int `json:"id"`
		}
	}
	get := func(q string) []int {
		var p page
		do(t, hc, base, "GET", "/v3/verified_senders?"+q, f.full.Token(), "").json(t, &p)
		var ids []int
		for _, r := range p.Results {
			ids = append(ids, r.ID)
		}
		return ids
	}
	first := get("limit=2")
	if len(first) != 2 {
		t.Fatalf("limit=2: %v", first)
	}
	// offset is not in the spec: ignored, so it returns the same page forever.
	if again := get("limit=2&offset=2"); !slices.Equal(again, first) {
		t.Fatalf("offset honoured: %v vs %v", again, first)
	}
	var all []int
	last := 0
	for range 10 {
		p := get(fmt.Sprintf("limit=2&lastSeenID=%d", last))
		all = append(all, p...)
		if len(p) < 2 {
			break
		}
		last = p[len(p)-1]
	}
	if len(all) != 6 || !slices.IsSorted(all) {
		t.Fatalf("lastSeenID paging: %v", all)
	}
	if one := get(fmt.Sprintf("id=%d", all[3])); !slices.Equal(one, all[3:4]) {
		t.Fatalf("id=: %v", one)
	}
}

func TestLimitAboveDocumentedMaximum(t *testing.T) {
	f := newFixture()
	_, base, _, _ := newHosts(t, f, nil)
	for _, c := range []struct {
		path string
		want int
	}{
		{"/v3/suppression/bounces?limit=500", 200},
		{"/v3/suppression/bounces?limit=501", 400},
		{"/v3/suppression/spam_reports?limit=501", 400},
		{"/v3/teammates?limit=500", 200},
		{"/v3/teammates?limit=501", 400},
		{"/v3/messages?limit=1001&query=status%3D%22delivered%22", 400},
		{"/v3/messages?limit=0&query=status%3D%22delivered%22", 400},
		{"/v3/api_keys?limit=5000", 200}, // the spec gives no maximum
	} {
		r := do(t, hc, base, "GET", c.path, f.full.Token(), "", "Accept", "application/json")
		if r.status != c.want {
			t.Errorf("%s: %d, want %d (%s)", c.path, r.status, c.want, r.body)
		}
		if c.want == 400 && !strings.Contains(string(r.body), `"field":"limit"`) {
			t.Errorf("%s: %s", c.path, r.body)
		}
	}
}

func TestKeyWithoutScopesIsFullAccess(t *testing.T) {
	f := newFixture()
	restricted := sendgridsim.NewKey(rand.New(rand.NewPCG(5, 5)), "creator", []string{"api_keys.create", "mail.send"})
	f.st.AddKey(restricted)
	_, base, _, _ := newHosts(t, f, nil)
	var created struct {
		APIKeyID string   `json:"api_key_id"`
		Scopes   []string `json:"scopes"`
	}
	r := do(t, hc, base, "POST", "/v3/api_keys", restricted.Token(), `{"name":"no-scopes"}`, "Content-Type", "application/json")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	r.json(t, &created)
	k, _ := f.st.Key(created.APIKeyID)
	if !k.FullAccess() || !slices.Equal(created.Scopes, sendgridsim.FullAccessScopes()) {
		t.Fatalf("a key created without scopes got %v", created.Scopes)
	}
}

func TestSubusersIncludeRegionAndPaging(t *testing.T) {
	f, _ := euFixture()
	for i := range 120 {
		f.st.AddSubuser(sendgridsim.Subuser{Username: fmt.Sprintf("bulk%03d", i), Email: fmt.Sprintf("b%d@example.com", i)})
	}
	_, base, _, _ := newHosts(t, f, nil)
	type row struct {
		Username string  `json:"username"`
		Region   *string `json:"region"`
	}
	list := func(q string) []row {
		var rows []row
		do(t, hc, base, "GET", "/v3/subusers?"+q, f.full.Token(), "").json(t, &rows)
		return rows
	}
	if rows := list(""); len(rows) != sendgridsim.SubusersPageSize || rows[0].Region != nil {
		t.Fatalf("default page: %d rows, region %v", len(rows), rows[0].Region)
	}
	rows := list("include_region=true&limit=500")
	if len(rows) != 122 {
		t.Fatalf("limit=500: %d", len(rows))
	}
	regions := map[string]string{}
	for _, r := range rows {
		if r.Region == nil {
			t.Fatalf("%s without region", r.Username)
		}
		regions[r.Username] = *r.Region
	}
	if regions["eu-shop"] != "eu" || regions[subName] != "global" {
		t.Fatalf("regions %v", regions)
	}
	if eu := list("region=eu&include_region=true"); len(eu) != 1 || eu[0].Username != "eu-shop" {
		t.Fatalf("region=eu: %+v", eu)
	}
	if p := list("limit=50&offset=100"); len(p) != 22 {
		t.Fatalf("offset paging: %d", len(p))
	}
}

// TestRouteTableMatchesSpec ties the simulator's route table (declared query parameters and
// headers, on-behalf-of, EU host, limit bounds) to the official spec files.
func TestRouteTableMatchesSpec(t *testing.T) {
	type param struct {
		Name     string         `json:"name"`
		In       string         `json:"in"`
		Ref      string         `json:"$ref"`
		Schema   map[string]any `json:"schema"`
		Required bool           `json:"required"`
	}
	type opJSON struct {
		Parameters []param `json:"parameters"`
	}
	files, _ := filepath.Glob(filepath.Join(specDir, "tsg_*_v3.json"))
	type found struct {
		params  []param
		servers []string
		file    string
	}
	ops := map[string]found{}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Servers []struct {
				URL string `json:"url"`
			} `json:"servers"`
			Paths      map[string]map[string]json.RawMessage `json:"paths"`
			Components struct {
				Parameters map[string]param `json:"parameters"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		var servers []string
		for _, s := range doc.Servers {
			servers = append(servers, s.URL)
		}
		for path, item := range doc.Paths {
			var common []param
			if raw, ok := item["parameters"]; ok {
				_ = json.Unmarshal(raw, &common)
			}
			for method, raw := range item {
				if method == "parameters" || strings.HasPrefix(method, "x-") {
					continue
				}
				var o opJSON
				if json.Unmarshal(raw, &o) != nil {
					continue
				}
				var ps []param
				for _, p := range append(common, o.Parameters...) {
					if p.Ref != "" {
						p = doc.Components.Parameters[p.Ref[strings.LastIndex(p.Ref, "/")+1:]]
					}
					ps = append(ps, p)
				}
				ops[strings.ToUpper(method)+" "+path] = found{ps, servers, filepath.Base(file)}
			}
		}
	}
	num := func(v any) int {
		f, _ := v.(float64)
		return int(f)
	}
	for _, rt := range sendgridsim.Routes() {
		o, ok := ops[rt.Name]
		if !ok {
			t.Errorf("%s: not in the spec", rt.Name)
			continue
		}
		var query, headers []string
		min, max := 0, 0
		for _, p := range o.params {
			switch p.In {
			case "query":
				query = append(query, p.Name)
				if p.Name == "limit" {
					min, max = num(p.Schema["minimum"]), num(p.Schema["maximum"])
				}
			case "header":
				headers = append(headers, strings.ToLower(p.Name))
			}
		}
		sort.Strings(query)
		sort.Strings(headers)
		gotQ, gotH := slices.Sorted(slices.Values(rt.Query)), slices.Sorted(slices.Values(rt.Headers))
		if !slices.Equal(gotQ, query) {
			t.Errorf("%s: query %v, spec %s declares %v", rt.Name, gotQ, o.file, query)
		}
		if !slices.Equal(gotH, headers) {
			t.Errorf("%s: headers %v, spec %s declares %v", rt.Name, gotH, o.file, headers)
		}
		if rt.OnBehalfOf != slices.Contains(headers, "on-behalf-of") {
			t.Errorf("%s: OnBehalfOf %v", rt.Name, rt.OnBehalfOf)
		}
		if eu := slices.Contains(o.servers, "https://api.eu.sendgrid.com"); rt.EU != eu {
			t.Errorf("%s: EU %v, spec servers %v", rt.Name, rt.EU, o.servers)
		}
		if max != 0 && (rt.LimitMin != min || rt.LimitMax != max) || max == 0 && rt.LimitMax != 0 {
			t.Errorf("%s: limit bounds [%d,%d], spec [%d,%d]", rt.Name, rt.LimitMin, rt.LimitMax, min, max)
		}
	}
}
