package githubsim

import "bytes"
import "context"
import "encoding/json"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/tokenfmt"

// clock is a settable time for propagation and rate-limit windows.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t   *testing.T
	srv *Server
	url string
	fx  *Fixture
	clk *clock
}

// start serves a scenario (attack applied unless noAttack) on loopback.
func start(t *testing.T, scenario string, attack bool, tune func(*Config)) *harness {
	t.Helper()
	sc, ok := LookupScenario(scenario)
	if !ok {
		t.Fatalf("no scenario %s", scenario)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	fx := sc.Build(now)
	if attack && fx.Attack != nil {
		fx.Attack(fx.State)
	}
	clk := &clock{t: now}
	cfg := fx.Config
	cfg.Now = clk.Now
	if tune != nil {
		tune(&cfg)
	}
	srv := New(fx.State, cfg)
	u, stop, err := Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	return &harness{t: t, srv: srv, url: u, fx: fx, clk: clk}
}

type answer struct {
	status int
	h      http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
}

func (h *harness) do(method, path, token string, body any) answer {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = h.url + path
	}
	req, _ := http.NewRequest(method, u, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func TestUserLiveThenRevokedAfterPropagation(t *testing.T) {
	h := start(t, "github-pat-leak", true, nil)
	leaked := h.fx.LeakedToken
	a := h.do("GET", "/user", leaked, nil)
	if a.status != 200 {
		t.Fatalf("live token: %d %s", a.status, a.body)
	}
	var u map[string]any
	a.json(t, &u)
	if u["login"] != "devon" || a.h.Get("X-OAuth-Scopes") != "repo, admin:org, admin:public_key, admin:repo_hook, admin:org_hook" {
		t.Fatalf("login %v scopes %q", u["login"], a.h.Get("X-OAuth-Scopes"))
	}
	if u["user_view_type"] != "public" || u["two_factor_authentication"] != nil {
		t.Fatalf("a token without read:user gets the public view: %v", u)
	}
	reader := h.fx.State.AddToken(Token{Value: mint(t, "gho_"), Kind: "github_oauth", Login: "devon", Scopes: []string{"user"}})
	var pu map[string]any
	h.do("GET", "/user", reader.Value, nil).json(t, &pu)
	if pu["user_view_type"] != "private" || pu["two_factor_authentication"] != true || pu["login"] != "devon" {
		t.Fatalf("a token with user gets the private view: %v", pu)
	}
	if got := a.h.Get("GitHub-Authentication-Token-Expiration"); got != "2027-01-20 12:00:00 UTC" {
		t.Fatalf("expiration header %q", got)
	}
	if a.h.Get("X-RateLimit-Limit") != "5000" || a.h.Get("X-RateLimit-Remaining") != "4999" || a.h.Get("X-RateLimit-Used") != "1" || a.h.Get("X-RateLimit-Reset") == "" {
		t.Fatalf("rate limit headers %v", a.h)
	}
	// Anonymous revocation: 202, nothing said about the token.
	r := h.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{leaked}})
	if r.status != 202 || strings.Contains(string(r.body), leaked[:10]) {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	// Within the propagation delay the token still works: the 202 proves nothing.
	if a := h.do("GET", "/user", leaked, nil); a.status != 200 {
		t.Fatalf("within propagation delay: %d", a.status)
	}
	h.clk.Add(h.fx.Config.PropagationDelay)
	a = h.do("GET", "/user", leaked, nil)
	var e map[string]string
	a.json(t, &e)
	if a.status != 401 || e["message"] != "Bad credentials" || e["status"] != "401" {
		t.Fatalf("after propagation: %d %s", a.status, a.body)
	}
	if h.srv.Authenticates(leaked) || !h.srv.Authenticates(h.fx.ResponderToken) {
		t.Fatal("Authenticates disagrees")
	}
}

func TestRevokeRules(t *testing.T) {
	h := start(t, "github-pat-leak", false, nil)
	leaked := h.fx.LeakedToken
	if a := h.do("POST", "/credentials/revoke", h.fx.ResponderToken, map[string]any{"credentials": []string{leaked}}); a.status != 403 {
		t.Fatalf("authenticated revoke: %d", a.status)
	}
	for name, body := range map[string]any{
		"empty list":     map[string]any{"credentials": []string{}},
		"not a list":     map[string]any{"credentials": leaked},
		"unknown field":  map[string]any{"credentials": []string{leaked}, "reason": "x"},
		"over 1000":      map[string]any{"credentials": make([]string, 1001)},
		"not an object":  []string{leaked},
		"missing member": map[string]any{},
	} {
		if a := h.do("POST", "/credentials/revoke", "", body); a.status != 422 {
			t.Errorf("%s: %d %s", name, a.status, a.body)
		}
	}
	if !h.srv.Authenticates(leaked) {
		t.Fatal("a refused request revoked the token")
	}
	many := make([]string, 1000)
	for i := range many {
		many[i] = fmt.Sprintf("ghp_%036d", i)
	}
	many[999] = leaked
	if a := h.do("POST", "/credentials/revoke", "", map[string]any{"credentials": many}); a.status != 202 {
		t.Fatalf("1000 credentials: %d %s", a.status, a.body)
	}
	h.clk.Add(h.fx.Config.PropagationDelay)
	if h.srv.Authenticates(leaked) {
		t.Fatal("the 1000th credential was not revoked")
	}
}

func TestRevokeIsLimitedTo60AnHour(t *testing.T) {
	h := start(t, "github-pat-leak", false, nil)
	body := map[string]any{"credentials": []string{"ghp_" + strings.Repeat("a", 36)}}
	for i := 1; i <= 60; i++ {
		if a := h.do("POST", "/credentials/revoke", "", body); a.status != 202 || a.h.Get("X-RateLimit-Remaining") != fmt.Sprint(60-i) {
			t.Fatalf("request %d: %d remaining %q", i, a.status, a.h.Get("X-RateLimit-Remaining"))
		}
	}
	a := h.do("POST", "/credentials/revoke", body["credentials"].([]string)[0], nil)
	if a.status != 403 { // authenticated: refused before the limit is counted
		t.Fatalf("authenticated: %d", a.status)
	}
	a = h.do("POST", "/credentials/revoke", "", body)
	if a.status != 429 || a.h.Get("Retry-After") == "" || a.h.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("61st: %d %v", a.status, a.h)
	}
	h.clk.Add(time.Hour)
	if a := h.do("POST", "/credentials/revoke", "", body); a.status != 202 {
		t.Fatalf("next hour: %d", a.status)
	}
}

func TestFineGrainedTokenHasNoScopesHeader(t *testing.T) {
	h := start(t, "github-fine-grained-leak", true, nil)
	if !strings.HasPrefix(h.fx.LeakedToken, "github_pat_") || !tokenfmt.GitHubChecksumOK(h.fx.LeakedToken) {
		t.Fatalf("leaked token %q", h.fx.LeakedToken)
	}
	a := h.do("GET", "/user", h.fx.LeakedToken, nil)
	if a.status != 200 || len(a.h.Values("X-OAuth-Scopes")) != 0 || a.h.Get("GitHub-Authentication-Token-Expiration") == "" {
		t.Fatalf("fine-grained /user: %d %v", a.status, a.h)
	}
	// Its permissions do not include the audit log.
	if a := h.do("GET", "/orgs/acme-corp/audit-log", h.fx.LeakedToken, nil); a.status != 403 {
		t.Fatalf("audit log with the fine-grained token: %d", a.status)
	}
}

func TestInstallationAndRefreshTokens(t *testing.T) {
	h := start(t, "github-pat-leak", false, nil)
	st := h.fx.State
	ghs := st.AddToken(Token{Value: mint(t, "ghs_"), Kind: "github_installation", Org: "acme-corp", InstallationID: 1, Permissions: map[string]string{"organization_hooks": "read"}})
	ghr := st.AddToken(Token{Value: mint(t, "ghr_"), Kind: "github_refresh", Login: "devon"})
	if a := h.do("GET", "/user", ghs.Value, nil); a.status != 403 {
		t.Fatalf("ghs_ on /user while live: %d", a.status)
	}
	if a := h.do("GET", "/orgs/acme-corp/hooks", ghs.Value, nil); a.status != 200 {
		t.Fatalf("ghs_ with organization_hooks: %d %s", a.status, a.body)
	}
	var ir struct {
		TotalCount   int              `json:"total_count"`
		Repositories []map[string]any `json:"repositories"`
	}
	h.do("GET", "/installation/repositories", ghs.Value, nil).json(t, &ir)
	if ir.TotalCount != 3 || len(ir.Repositories) != 3 {
		t.Fatalf("installation repositories: %+v", ir)
	}
	if a := h.do("GET", "/installation/repositories", h.fx.ResponderToken, nil); a.status != 403 {
		t.Fatalf("installation repositories with a PAT: %d", a.status)
	}
	if a := h.do("GET", "/user", ghr.Value, nil); a.status != 401 || !h.srv.Authenticates(ghr.Value) {
		t.Fatalf("refresh token on the API: %d", a.status)
	}
	// credentials/revoke does not take installation tokens.
	h.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{ghs.Value}})
	h.clk.Add(time.Minute)
	if !h.srv.Authenticates(ghs.Value) {
		t.Fatal("credentials/revoke revoked an installation token")
	}
	if a := h.do("DELETE", "/installation/token", h.fx.ResponderToken, nil); a.status != 403 {
		t.Fatalf("DELETE /installation/token with a PAT: %d", a.status)
	}
	if a := h.do("DELETE", "/installation/token", ghs.Value, nil); a.status != 204 || len(a.body) != 0 {
		t.Fatalf("self-revoke: %d %s", a.status, a.body)
	}
	h.clk.Add(h.fx.Config.PropagationDelay)
	if a := h.do("GET", "/user", ghs.Value, nil); a.status != 401 {
		t.Fatalf("revoked ghs_: %d", a.status)
	}
}

func mint(t *testing.T, prefix string) string {
	t.Helper()
	v, err := tokenfmt.MintGitHub(prefix, strings.NewReader(strings.Repeat("k3y1r-seed-bytes", 40)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEnterpriseServer(t *testing.T) {
	h := start(t, "github-pat-leak", false, func(c *Config) { c.Enterprise = true })
	if !strings.HasSuffix(h.url, "/api/v3") {
		t.Fatalf("GHES API root %q", h.url)
	}
	root := strings.TrimSuffix(h.url, "/api/v3")
	if a := h.do("GET", root+"/user", h.fx.LeakedToken, nil); a.status != 404 {
		t.Fatalf("github.com path on GHES: %d", a.status)
	}
	if a := h.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{h.fx.LeakedToken}}); a.status != 401 {
		t.Fatalf("anonymous revoke on GHES: %d", a.status)
	}
	gho := h.fx.State.AddToken(Token{Value: mint(t, "gho_"), Kind: "github_oauth", Login: "devon", Scopes: []string{"repo"}})
	if a := h.do("POST", "/credentials/revoke", h.fx.ResponderToken, map[string]any{"credentials": []string{h.fx.LeakedToken, gho.Value}}); a.status != 202 {
		t.Fatalf("authenticated revoke on GHES: %d %s", a.status, a.body)
	}
	h.clk.Add(h.fx.Config.PropagationDelay)
	if h.srv.Authenticates(h.fx.LeakedToken) || !h.srv.Authenticates(gho.Value) {
		t.Fatal("GHES revokes ghp_ and github_pat_ only")
	}
	// A github.com token is unknown to the Enterprise Server.
	other := start(t, "github-fine-grained-leak", false, nil)
	if a := h.do("GET", "/user", other.fx.LeakedToken, nil); a.status != 401 {
		t.Fatalf("foreign token: %d", a.status)
	}
}

func TestAuditLogByHashedTokenAndWindow(t *testing.T) {
	h := start(t, "github-pat-leak", true, nil)
	q := url.Values{}
	q.Set("phrase", fmt.Sprintf(`hashed_token:"%s" created:>=%s`, HashedToken(h.fx.LeakedToken), h.fx.WindowStart.Format("2006-01-02")))
	var web []map[string]any
	h.do("GET", "/orgs/acme-corp/audit-log?"+q.Encode(), h.fx.ResponderToken, nil).json(t, &web)
	var actions []string
	for _, e := range web {
		actions = append(actions, e["action"].(string))
		if e["hashed_token"] != HashedToken(h.fx.LeakedToken) {
			t.Fatalf("entry of another token: %v", e)
		}
	}
	if strings.Join(actions, ",") != "org.invite_member,hook.create,public_key.create" {
		t.Fatalf("web events newest first: %v", actions)
	}
	q.Set("include", "all")
	q.Set("per_page", "2")
	next := "/orgs/acme-corp/audit-log?" + q.Encode()
	var all []string
	for pages := 0; next != ""; pages++ {
		a := h.do("GET", next, h.fx.ResponderToken, nil)
		var es []map[string]any
		a.json(t, &es)
		for _, e := range es {
			all = append(all, e["action"].(string))
		}
		next = linkRel(a.h.Get("Link"), "next")
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 5 || all[4] != "git.clone" {
		t.Fatalf("every event over pages: %v", all)
	}
	// Before the window: nothing of the leaked token.
	q = url.Values{"phrase": {fmt.Sprintf(`hashed_token:"%s" created:<%s`, HashedToken(h.fx.LeakedToken), h.fx.WindowStart.Format("2006-01-02"))}, "include": {"all"}}
	var none []map[string]any
	h.do("GET", "/orgs/acme-corp/audit-log?"+q.Encode(), h.fx.ResponderToken, nil).json(t, &none)
	if len(none) != 0 {
		t.Fatalf("events before the window: %v", none)
	}
	for _, bad := range []string{`hashed_token:"abc`, `created:>=yesterday`, `justaword`, `created:2026-02-01..2026-01-01`} {
		if a := h.do("GET", "/orgs/acme-corp/audit-log?"+url.Values{"phrase": {bad}}.Encode(), h.fx.ResponderToken, nil); a.status != 422 {
			t.Errorf("phrase %q: %d", bad, a.status)
		}
	}
	if a := h.do("GET", "/orgs/acme-corp/audit-log?order=sideways", h.fx.ResponderToken, nil); a.status != 422 {
		t.Errorf("order=sideways: %d", a.status)
	}
}

func linkRel(link, rel string) string {
	for _, part := range strings.Split(link, ",") {
		u, r, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok && strings.TrimSpace(r) == `rel="`+rel+`"` {
			return strings.Trim(u, "<>")
		}
	}
	return ""
}

// The baseline taken before the attack lacks exactly what the attack adds.
func TestPersistenceListsBeforeAndAfterAttack(t *testing.T) {
	before := start(t, "github-pat-leak", false, nil)
	after := start(t, "github-pat-leak", true, nil)
	count := func(h *harness, path, token string) int {
		a := h.do("GET", path, token, nil)
		if a.status != 200 {
			t.Fatalf("%s: %d %s", path, a.status, a.body)
		}
		var xs []any
		a.json(t, &xs)
		return len(xs)
	}
	for _, c := range []struct {
		path  string
		added int
	}{
		{"/users/devon/keys", 1}, {"/repos/acme-corp/api/keys", 1}, {"/repos/acme-corp/api/hooks", 1},
		{"/orgs/acme-corp/hooks", 0}, {"/orgs/acme-corp/invitations", 1}, {"/orgs/acme-corp/credential-authorizations", 0},
	} {
		tok := before.fx.ResponderToken
		b, a := count(before, c.path, tok), count(after, c.path, after.fx.ResponderToken)
		if a-b != c.added {
			t.Errorf("%s: %d before, %d after, want +%d", c.path, b, a, c.added)
		}
	}
	// The leaked token itself sees its owner's keys with their titles.
	var keys []map[string]any
	after.do("GET", "/user/keys", after.fx.LeakedToken, nil).json(t, &keys)
	if len(keys) != 2 || keys[1]["title"] != "build-runner" {
		t.Fatalf("GET /user/keys with the leaked token: %v", keys)
	}
	var inst struct {
		TotalCount    int              `json:"total_count"`
		Installations []map[string]any `json:"installations"`
	}
	after.do("GET", "/orgs/acme-corp/installations", after.fx.ResponderToken, nil).json(t, &inst)
	if inst.TotalCount != 1 || inst.Installations[0]["app_slug"] != "acme-ci" {
		t.Fatalf("installations %+v", inst)
	}
	for _, it := range after.fx.Footholds {
		if !after.fx.State.Present(it) || before.fx.State.Present(it) {
			t.Errorf("foothold %v: present after %v, before %v", it, after.fx.State.Present(it), before.fx.State.Present(it))
		}
	}
	for _, it := range after.fx.Legitimate {
		if !after.fx.State.Present(it) {
			t.Errorf("legitimate %v missing", it)
		}
	}
}

func TestScopeAndOwnerRules(t *testing.T) {
	h := start(t, "github-pat-leak", true, nil)
	weak := h.fx.State.AddToken(Token{Value: mint(t, "ghp_"), Kind: "github_classic_pat", Login: "alice", Scopes: []string{"read:org"}})
	if a := h.do("GET", "/orgs/acme-corp/audit-log", weak.Value, nil); a.status != 403 || a.h.Get("X-Accepted-OAuth-Scopes") != "read:audit_log" {
		t.Fatalf("audit log without read:audit_log: %d %v", a.status, a.h)
	}
	if a := h.do("GET", "/repos/acme-corp/api/keys", weak.Value, nil); a.status != 404 {
		t.Fatalf("deploy keys without repo: %d", a.status)
	}
	h.fx.State.AddUser(User{Login: "erin"})
	member := h.fx.State.AddToken(Token{Value: mint(t, "gho_"), Kind: "github_oauth", Login: "erin", Scopes: ResponderScopes()})
	if a := h.do("GET", "/orgs/acme-corp/hooks", member.Value, nil); a.status != 403 {
		t.Fatalf("org hooks by a non-owner: %d", a.status)
	}
	var ms []map[string]any
	h.do("GET", "/orgs/acme-corp/members", member.Value, nil).json(t, &ms)
	var owners []map[string]any
	h.do("GET", "/orgs/acme-corp/members?role=admin", h.fx.ResponderToken, nil).json(t, &owners)
	if len(ms) != 0 || len(owners) != 2 || owners[0]["login"] != "alice" {
		t.Fatalf("members seen by an outsider %v, owners %v", ms, owners)
	}
	if a := h.do("GET", "/orgs/nope/hooks", h.fx.ResponderToken, nil); a.status != 404 {
		t.Fatalf("unknown org: %d", a.status)
	}
	if a := h.do("GET", "/user", "", nil); a.status != 401 || !strings.Contains(string(a.body), "Requires authentication") {
		t.Fatalf("anonymous /user: %d %s", a.status, a.body)
	}
}

func TestUnknownRouteAndParameter(t *testing.T) {
	h := start(t, "github-pat-leak", false, nil)
	defer ResetContractViolations()
	if a := h.do("GET", "/user/emails", h.fx.ResponderToken, nil); a.status != 404 {
		t.Fatalf("unknown route: %d", a.status)
	}
	if a := h.do("GET", "/user/keys?since=2020", h.fx.ResponderToken, nil); a.status != 200 {
		t.Fatalf("undeclared parameter is ignored, as GitHub does: %d", a.status)
	}
	vs := h.srv.ContractViolations()
	if len(vs) != 2 || !strings.Contains(vs[0].Problem, "no such operation") || !strings.Contains(vs[1].Problem, `"since"`) {
		t.Fatalf("violations %v", vs)
	}
}

func TestFaultsAndSecondaryLimit(t *testing.T) {
	h := start(t, "github-pat-leak-flaky", true, nil)
	for _, f := range h.fx.Faults {
		h.srv.InjectFault(f)
	}
	if a := h.do("GET", "/user", h.fx.LeakedToken, nil); a.status != 502 {
		t.Fatalf("first /user: %d", a.status)
	}
	if a := h.do("GET", "/user", h.fx.LeakedToken, nil); a.status != 200 {
		t.Fatalf("second /user: %d", a.status)
	}
	a := h.do("GET", "/orgs/acme-corp/audit-log", h.fx.ResponderToken, nil)
	if a.status != 403 || a.h.Get("Retry-After") != "1" || !strings.Contains(string(a.body), "secondary rate limit") {
		t.Fatalf("secondary limit: %d %v %s", a.status, a.h, a.body)
	}
	h.srv.InjectFault(Fault{Kind: FaultStatus, Status: 503, RetryAfter: 30})
	if a := h.do("GET", "/user", h.fx.LeakedToken, nil); a.status != 503 || a.h.Get("Retry-After") != "30" {
		t.Fatalf("injected 503: %d, Retry-After %q", a.status, a.h.Get("Retry-After"))
	}
	h.srv.ClearFaults()
	if a := h.do("GET", "/user", h.fx.LeakedToken, nil); a.status != 200 {
		t.Fatalf("after ClearFaults: %d", a.status)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	h := start(t, "github-pat-leak", false, func(c *Config) { c.Core = Limit{Requests: 2, Window: time.Minute} })
	for i := 0; i < 2; i++ {
		h.do("GET", "/user", h.fx.ResponderToken, nil)
	}
	a := h.do("GET", "/user", h.fx.ResponderToken, nil)
	if a.status != 403 || a.h.Get("X-RateLimit-Remaining") != "0" || a.h.Get("X-RateLimit-Used") != "2" {
		t.Fatalf("spent limit: %d %v", a.status, a.h)
	}
}

func TestAuditLogHasItsOwnLimit(t *testing.T) {
	h := start(t, "github-pat-leak", false, func(c *Config) { c.AuditLog = Limit{Requests: 1, Window: time.Hour} })
	if a := h.do("GET", "/orgs/acme-corp/audit-log", h.fx.ResponderToken, nil); a.status != 200 {
		t.Fatalf("first: %d", a.status)
	}
	if a := h.do("GET", "/orgs/acme-corp/audit-log", h.fx.ResponderToken, nil); a.status != 403 || a.h.Get("X-RateLimit-Resource") != "audit_log" || a.h.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("second: %d %v", a.status, a.h)
	}
	if a := h.do("GET", "/orgs/acme-corp/hooks", h.fx.ResponderToken, nil); a.status != 200 {
		t.Fatalf("other routes are not limited by it: %d", a.status)
	}
}

func TestStandalone(t *testing.T) {
	var out bytes.Buffer
	stop, err := Standalone(StandaloneOptions{Listen: "127.0.0.1:0", Scenario: "github-pat-leak"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer stop(context.Background())
	env := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = strings.Fields(v)[0]
		}
	}
	req, _ := http.NewRequest("GET", env["GITHUB_API_URL"]+"/user", nil)
	req.Header.Set("Authorization", "token "+env["LEAKED_TOKEN"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || env["GITHUB_ORG"] != "acme-corp" || !tokenfmt.GitHubChecksumOK(env["GITHUB_TOKEN"]) {
		t.Fatalf("standalone: %d %v", resp.StatusCode, env)
	}
	if _, err := Standalone(StandaloneOptions{Scenario: "nope"}, io.Discard); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}
