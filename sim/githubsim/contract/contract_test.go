package contract

import "bytes"
import "context"
import "encoding/json"
import "fmt"
import "io"
import "net/http"
import "net/url"
import "slices"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/githubsim"

type sim struct {
	t   *testing.T
	url string
	srv *githubsim.Server
	fx  *githubsim.Fixture
}

func serve(t *testing.T, scenario string, tune func(*githubsim.Config)) *sim {
	t.Helper()
	sc, _ := githubsim.LookupScenario(scenario)
	fx := sc.Build(time.Now())
	fx.Attack(fx.State)
	cfg := fx.Config
	cfg.PropagationDelay = 0
	if tune != nil {
		tune(&cfg)
	}
	Observe(t, &cfg)
	srv := githubsim.New(fx.State, cfg)
	u, stop, err := githubsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop(context.Background()) })
	return &sim{t, u, srv, fx}
}

func (s *sim) do(method, path, token string, body any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Every answer of the covered operations, including each exempted status,
// matches the description; the allow-list has no entry nothing needs.
func TestSimulatorAnswersMatchTheDescription(t *testing.T) {
	chk, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range githubsim.Scenarios() {
		if strings.HasSuffix(sc.Name, "-flaky") {
			continue // faults bypass OnResponse
		}
		s := serve(t, sc.Name, nil)
		r, leaked := s.fx.ResponderToken, s.fx.LeakedToken
		phrase := url.Values{"phrase": {fmt.Sprintf(`hashed_token:"%s" created:>=%s`, githubsim.HashedToken(leaked), s.fx.WindowStart.Format("2006-01-02"))}, "include": {"all"}, "per_page": {"2"}}
		want := []struct {
			method, path, token string
			body                any
			status              int
		}{
			{"GET", "/orgs/acme-corp/audit-log?" + phrase.Encode(), r, nil, 200},
			{"GET", "/orgs/acme-corp/audit-log?order=asc", r, nil, 200},
			{"GET", "/orgs/acme-corp/audit-log", leaked + "x", nil, 401},
			{"GET", "/orgs/nope/audit-log", r, nil, 404},
			{"GET", "/orgs/acme-corp/audit-log?" + url.Values{"phrase": {`created:>=soon`}}.Encode(), r, nil, 422},
			{"POST", "/credentials/revoke", r, map[string]any{"credentials": []string{leaked}}, 403},
			{"POST", "/credentials/revoke", "", map[string]any{"credentials": []string{leaked}}, 202},
			{"DELETE", "/installation/token", r, nil, 403},
			{"DELETE", "/installation/token", leaked, nil, 401}, // revoked above, no delay
			{"GET", "/orgs/acme-corp/audit-log", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/members?role=admin&per_page=1", r, nil, 200},
			{"GET", "/orgs/acme-corp/members?filter=2fa_disabled", r, nil, 200},
			{"GET", "/orgs/acme-corp/members", leaked, nil, 401},
			{"GET", "/orgs/nope/members", r, nil, 404},
			{"GET", "/users/devon/keys?per_page=1", "", nil, 200},
			{"GET", "/users/devon/keys", r, nil, 200},
			{"GET", "/users/nobody-here/keys", r, nil, 404},
			{"GET", "/users/devon/keys", leaked, nil, 401},
			{"GET", "/repos/acme-corp/api/keys?per_page=5", r, nil, 200},
			{"GET", "/repos/acme-corp/nope/keys", r, nil, 404},
			{"GET", "/repos/acme-corp/api/keys", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/invitations?role=all&invitation_source=member&per_page=3", r, nil, 200},
			{"GET", "/orgs/nope/invitations", r, nil, 404},
			{"GET", "/orgs/acme-corp/invitations?role=owner", r, nil, 422},
			{"GET", "/orgs/acme-corp/invitations", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/hooks?per_page=2", r, nil, 200},
			{"GET", "/orgs/nope/hooks", r, nil, 404},
			{"GET", "/orgs/acme-corp/hooks", leaked, nil, 401},
			{"GET", "/repos/acme-corp/web/hooks?per_page=2", r, nil, 200}, // web has a hook in every scenario
			{"GET", "/repos/acme-corp/nope/hooks", r, nil, 404},
			{"GET", "/repos/acme-corp/api/hooks", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/credential-authorizations?per_page=1&page=1", r, nil, 200},
			{"GET", "/orgs/acme-corp/credential-authorizations?login=devon", r, nil, 200},
			{"GET", "/orgs/nope/credential-authorizations", r, nil, 404},
			{"GET", "/orgs/acme-corp/credential-authorizations", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/repos?type=all&sort=full_name&direction=asc&per_page=2", r, nil, 200},
			{"GET", "/orgs/acme-corp/repos?type=internal", r, nil, 200},
			{"GET", "/orgs/acme-corp/repos?type=public", r, nil, 422},
			{"GET", "/orgs/nope/repos", r, nil, 404},
			{"GET", "/orgs/acme-corp/repos", leaked, nil, 401},
			{"GET", "/orgs/acme-corp/installations?per_page=1&page=1", r, nil, 200},
			{"GET", "/orgs/nope/installations", r, nil, 404},
			{"GET", "/orgs/acme-corp/installations", leaked, nil, 401},
		}
		for _, w := range want {
			if got := s.do(w.method, w.path, w.token, w.body); got != w.status {
				t.Errorf("%s: %s %s: %d, want %d", sc.Name, w.method, w.path, got, w.status)
			}
		}
		// The removals keyir eradicate makes: 204, then 404 (already gone), a dead token's 401, and
		// 403 for an invitation without admin:org (the responder's scopes lack it).
		dk := s.fx.State.AddDeployKey(githubsim.DeployKey{Repo: "acme-corp/api", Title: "c", Key: "ssh-ed25519 AAAAC3"})
		rh := s.fx.State.AddHook(githubsim.Hook{Repo: "acme-corp/web", URL: "https://x.example/h", Active: true})
		oh := s.fx.State.AddHook(githubsim.Hook{Org: "acme-corp", URL: "https://y.example/h", Active: true})
		inv := s.fx.State.AddInvitation(githubsim.Invitation{Org: "acme-corp", Login: "zed", Role: "direct_member", Inviter: "alice"})
		owner := s.fx.State.AddToken(githubsim.Token{Value: "ghp_" + strings.Repeat("O", 30) + "000000", Kind: "github_classic_pat", Login: "alice", Scopes: append(githubsim.ResponderScopes(), "admin:org")})
		for _, w := range []struct {
			path, token string
			status      int
		}{
			{fmt.Sprintf("/repos/acme-corp/api/keys/%d", dk.ID), r, 204}, {fmt.Sprintf("/repos/acme-corp/api/keys/%d", dk.ID), r, 404},
			{fmt.Sprintf("/repos/acme-corp/api/keys/%d", dk.ID), leaked, 401},
			{fmt.Sprintf("/repos/acme-corp/web/hooks/%d", rh.ID), r, 204}, {fmt.Sprintf("/repos/acme-corp/web/hooks/%d", rh.ID), r, 404},
			{fmt.Sprintf("/repos/acme-corp/web/hooks/%d", rh.ID), leaked, 401},
			{fmt.Sprintf("/orgs/acme-corp/hooks/%d", oh.ID), r, 204}, {fmt.Sprintf("/orgs/acme-corp/hooks/%d", oh.ID), r, 404},
			{fmt.Sprintf("/orgs/acme-corp/hooks/%d", oh.ID), leaked, 401},
			{fmt.Sprintf("/orgs/acme-corp/invitations/%d", inv.ID), r, 403}, {fmt.Sprintf("/orgs/acme-corp/invitations/%d", inv.ID), owner.Value, 204},
			{fmt.Sprintf("/orgs/acme-corp/invitations/%d", inv.ID), owner.Value, 404}, {fmt.Sprintf("/orgs/acme-corp/invitations/%d", inv.ID), leaked, 401},
		} {
			if got := s.do("DELETE", w.path, w.token, nil); got != w.status {
				t.Errorf("%s: DELETE %s: %d, want %d", sc.Name, w.path, got, w.status)
			}
		}
		// GET /user: the public view, the private view (read:user), an installation token, a dead token.
		reader := s.fx.State.AddToken(githubsim.Token{Value: "gho_" + strings.Repeat("R", 30) + "000000", Kind: "github_oauth", Login: "devon", Scopes: []string{"read:user"}})
		inst := s.fx.State.AddToken(githubsim.Token{Value: "ghs_" + strings.Repeat("I", 36), Kind: "github_installation", Org: "acme-corp"})
		weak := s.fx.State.AddToken(githubsim.Token{Value: "ghp_" + strings.Repeat("W", 30) + "000000", Kind: "github_classic_pat", Login: "devon", Scopes: []string{"repo"}})
		for _, w := range []struct {
			path, token string
			status      int
		}{{"/user", r, 200}, {"/user", reader.Value, 200}, {"/user", inst.Value, 403}, {"/user", leaked, 401},
			{"/installation/repositories?per_page=1", inst.Value, 200}, {"/installation/repositories", r, 403}, {"/installation/repositories", leaked, 401},
			{"/user/keys?per_page=1", r, 200}, {"/user/keys", weak.Value, 403}, {"/user/keys", leaked, 401}} {
			if got := s.do("GET", w.path, w.token, nil); got != w.status {
				t.Errorf("%s: GET %s: %d, want %d", sc.Name, w.path, got, w.status)
			}
		}
		// A non-owner with the scope: 403.
		s.fx.State.AddUser(githubsim.User{Login: "outsider"})
		out := s.fx.State.AddToken(githubsim.Token{Value: "ghp_" + strings.Repeat("Q", 30) + "000000", Kind: "github_classic_pat", Login: "outsider", Scopes: []string{"read:audit_log"}})
		if got := s.do("GET", "/orgs/acme-corp/audit-log", out.Value, nil); got != 403 {
			t.Errorf("non-owner audit log: %d", got)
		}
		if got := s.do("GET", "/orgs/acme-corp/installations", out.Value, nil); got != 403 {
			t.Errorf("non-owner installations: %d", got)
		}
		if got := s.do("GET", "/orgs/acme-corp/credential-authorizations", out.Value, nil); got != 403 {
			t.Errorf("non-owner credential authorizations: %d", got)
		}
	}
	// The revocation's hourly limit, and Enterprise Server's authenticated revocation.
	s := serve(t, "github-pat-leak", func(c *githubsim.Config) { c.Revoke = githubsim.Limit{Requests: 1, Window: time.Hour} })
	s.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{"ghp_x"}})
	if got := s.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{"ghp_x"}}); got != 429 {
		t.Errorf("past the limit: %d", got)
	}
	e := serve(t, "github-pat-leak", func(c *githubsim.Config) { c.Enterprise = true })
	if got := e.do("POST", "/credentials/revoke", "", map[string]any{"credentials": []string{"ghp_x"}}); got != 401 {
		t.Errorf("GHES anonymous revoke: %d", got)
	}
	ghs := s.fx.State.AddToken(githubsim.Token{Value: "ghs_" + strings.Repeat("S", 36), Kind: "github_installation", Org: "acme-corp"})
	if got := s.do("DELETE", "/installation/token", ghs.Value, nil); got != 204 {
		t.Errorf("installation token self-revoke: %d", got)
	}
	if u := chk.Unused(); len(u) > 0 {
		t.Errorf("allow-list entries no response needed (remove them or exercise them): %v", u)
	}
}

// The checker is not a rubber stamp: answers the description does not allow fail.
func TestCheckerRefusesWhatTheDescriptionDoesNot(t *testing.T) {
	chk, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	js := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	req := func(method, path string) *http.Request {
		r, _ := http.NewRequest(method, "http://x"+path, nil)
		return r
	}
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
		body   string
	}{
		{"422 without documentation_url", req("POST", "/credentials/revoke"), 422, `{"message":"bad"}`},
		{"202 with an array", req("POST", "/credentials/revoke"), 202, `[]`},
		{"undocumented 418", req("POST", "/credentials/revoke"), 418, `{"message":"teapot","documentation_url":"x"}`},
		{"exempt 403 with a bare body", req("POST", "/credentials/revoke"), 403, `"forbidden"`},
		{"audit log entry with a string timestamp", req("GET", "/orgs/o/audit-log"), 200, `[{"@timestamp":"yesterday","action":"x"}]`},
		{"audit log as an object", req("GET", "/orgs/o/audit-log"), 200, `{"entries":[]}`},
		{"audit log hook.create with config as an object", req("GET", "/orgs/o/audit-log"), 200, `[{"@timestamp":1,"action":"hook.create","config":{"url":"https://x"}}]`},
		{"204 undocumented on the audit log", req("GET", "/orgs/o/audit-log"), 204, ``},
		{"credential authorization of an unknown type", req("GET", "/orgs/o/credential-authorizations"), 200,
			`[{"login":"a","credential_id":1,"credential_type":"deploy key","credential_authorized_at":"2020-01-01T00:00:00Z","credential_accessed_at":null,"authorized_credential_id":1}]`},
		{"credential authorization without credential_accessed_at", req("GET", "/orgs/o/credential-authorizations"), 200,
			`[{"login":"a","credential_id":1,"credential_type":"SSH key","credential_authorized_at":"2020-01-01T00:00:00Z","authorized_credential_id":1}]`},
		{"minimal repository without hooks_url", req("GET", "/orgs/o/repos"), 200,
			`[{"id":1,"node_id":"n","name":"r","full_name":"o/r","private":false,"fork":false,"url":"https://x/r","html_url":"https://x/h","description":null}]`},
		{"installation with a permission level the description does not list", req("GET", "/orgs/o/installations"), 200,
			`{"total_count":1,"installations":[{"id":1,"app_id":2,"app_slug":"a","target_id":3,"target_type":"Organization","single_file_name":null,"repository_selection":"all","access_tokens_url":"https://x/t","html_url":"https://x/h","repositories_url":"https://x/r","events":[],"account":null,"permissions":{"contents":"admin"},"created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z","suspended_by":null,"suspended_at":null}]}`},
		{"installations as a bare array", req("GET", "/orgs/o/installations"), 200, `[]`},
		{"installation repository without the full repository's counts", req("GET", "/installation/repositories"), 200,
			`{"total_count":0,"repositories":[{"id":1,"node_id":"n","name":"r","full_name":"o/r","private":false,"fork":false,"url":"https://x/r","html_url":"https://x/h","description":null}]}`},
		{"repository hook without last_response and test_url", req("GET", "/repos/o/r/hooks"), 200,
			`[{"type":"Repository","id":1,"name":"web","active":true,"events":["push"],"config":{},"url":"https://x/h","ping_url":"https://x/p","created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z"}]`},
		{"repository hook with a numeric last_response status", req("GET", "/repos/o/r/hooks"), 200,
			`[{"type":"Repository","id":1,"name":"web","active":true,"events":["push"],"config":{},"url":"https://x/h","ping_url":"https://x/p","test_url":"https://x/t","created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z","last_response":{"code":null,"status":200,"message":null}}]`},
	} {
		if err := chk.Check(c.r, c.status, js, []byte(c.body)); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if err := chk.Check(req("GET", "/api/v3/orgs/o/audit-log"), 200, js, []byte(`[{"@timestamp":1,"action":"hook.create"}]`)); err != nil {
		t.Errorf("a good answer under the Enterprise Server root: %v", err)
	}
	if chk.Covered("GET", "/orgs/acme-corp/teams") || chk.Covered("POST", "/user") || !chk.Covered("GET", "/user") {
		t.Error("coverage: GET /orgs/{org}/teams and POST /user are not in the subset, GET /user is")
	}
	private := `{"login":"a","id":1,"node_id":"n","avatar_url":"https://x/a","gravatar_id":"","url":"https://x/u","html_url":"https://x/h",` +
		`"followers_url":"https://x/f","following_url":"x","gists_url":"x","starred_url":"x","subscriptions_url":"https://x/s",` +
		`"organizations_url":"https://x/o","repos_url":"https://x/r","events_url":"x","received_events_url":"https://x/e","type":"User","site_admin":false`
	if err := chk.Check(req("GET", "/user"), 200, js, []byte(private+`,"user_view_type":"private"}`)); err == nil {
		t.Error("a private view without the private fields accepted")
	}
	profile := `,"name":null,"company":null,"blog":"","location":null,"email":null,"hireable":null,"bio":null,"public_repos":0,"public_gists":0,` +
		`"followers":0,"following":0,"created_at":"2020-01-01T00:00:00Z","updated_at":"2020-01-01T00:00:00Z"`
	if err := chk.Check(req("GET", "/user"), 200, js, []byte(private+profile+`,"user_view_type":"public"}`)); err != nil {
		t.Errorf("a public view refused: %v", err)
	}
	// public-user is closed and requires the profile fields (as read; the reconstruction accepted both).
	if err := chk.Check(req("GET", "/user"), 200, js, []byte(private+`,"user_view_type":"public"}`)); err == nil {
		t.Error("a public view without the profile fields accepted")
	}
	if err := chk.Check(req("GET", "/user"), 200, js, []byte(private+profile+`,"two_factor_authentication":true,"user_view_type":"public"}`)); err == nil {
		t.Error("a public view with a private-only field accepted")
	}
}

// Requests a test sends are checked against the description: a body or a
// parameter value it does not accept is recorded as a violation (and the
// simulator answers as GitHub would: 422).
func TestRequestsAreCheckedAgainstTheDescription(t *testing.T) {
	if err := Install(); err != nil {
		t.Fatal(err)
	}
	defer githubsim.SetRequestValidator(nil)
	githubsim.ResetContractViolations()
	defer githubsim.ResetContractViolations()
	s := serve(t, "github-pat-leak", nil)
	r := s.fx.ResponderToken
	if got := s.do("GET", "/orgs/acme-corp/audit-log?include=all&order=asc&per_page=5", r, nil); got != 200 {
		t.Fatalf("good request: %d", got)
	}
	if vs := githubsim.ContractViolations(); len(vs) != 0 {
		t.Fatalf("a request the description accepts was flagged: %v", vs)
	}
	bad := []struct {
		method, path string
		body         any
		status       int
		problem      string
	}{
		{"POST", "/credentials/revoke", map[string]any{"credentials": []string{}}, 422, "credentials"},
		{"POST", "/credentials/revoke", map[string]any{"tokens": []string{"ghp_x"}}, 422, "credentials"},
		{"GET", "/orgs/acme-corp/audit-log?order=sideways", nil, 422, "order"},
		{"GET", "/orgs/acme-corp/audit-log?include=everything", nil, 422, "include"},
		{"GET", "/orgs/acme-corp/members?role=owner", nil, 422, "role"},
		{"GET", "/orgs/acme-corp/members?filter=2fa", nil, 422, "filter"},
		{"GET", "/users/devon/keys?per_page=many", nil, 200, "per_page"},
		{"GET", "/orgs/acme-corp/invitations?invitation_source=email", nil, 422, "invitation_source"},
		{"GET", "/orgs/acme-corp/repos?type=public", nil, 422, "type"},
	}
	for _, b := range bad {
		githubsim.ResetContractViolations()
		tok := r
		if b.method == "POST" {
			tok = ""
		}
		if got := s.do(b.method, b.path, tok, b.body); got != b.status {
			t.Errorf("%s %s: answered %d, want %d", b.method, b.path, got, b.status)
		}
		vs := githubsim.ContractViolations()
		if len(vs) == 0 || !strings.Contains(strings.ToLower(fmt.Sprint(vs)), b.problem) {
			t.Errorf("%s %s: violations %v, want one naming %q", b.method, b.path, vs, b.problem)
		}
	}
}

// notYetCovered are the simulator's operations whose answers the subset does
// not describe yet (their schemas not read from GitHub's description); the
// list may only shrink.
//
// PATCH /repos/{owner}/{repo} (keyir eradicate making a repository private
// again) answers the full-repository schema, whose many references were not
// read in time: its request and answer are not yet checked against the
// description (gherad, #15).
var notYetCovered = []string{"PATCH /repos/{owner}/{repo}"}

func TestEveryRouteIsCovered(t *testing.T) {
	chk, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range githubsim.Routes() {
		method, tmpl, _ := strings.Cut(rt, " ")
		path := strings.NewReplacer("{org}", "acme-corp", "{owner}", "acme-corp", "{repo}", "api", "{username}", "devon").Replace(tmpl)
		switch covered, listed := chk.Covered(method, path), slices.Contains(notYetCovered, rt); {
		case covered && listed:
			t.Errorf("%s is covered now: remove it from notYetCovered", rt)
		case !covered && !listed:
			t.Errorf("%s is served by the simulator but not described by the subset", rt)
		}
	}
}
