package ghtoken

import "context"
import "fmt"
import "net/http"
import "net/http/httptest"
import "net/url"
import "strings"
import "testing"
import "time"

import "github.com/google/go-github/v84/github"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/githubsim"

// TestPersistenceReadsEveryPage: an organization with more than one page
// (100) of invitations, deploy keys and webhooks. The attacker's items come
// last, on the second page: a reading of the first page alone would report
// no foothold where there are three.
func TestPersistenceReadsEveryPage(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	old := f.fx.WindowStart.AddDate(0, -3, 0)
	for i := range 100 {
		f.fx.State.AddInvitation(githubsim.Invitation{Org: f.fx.Org, Email: fmt.Sprintf("new-hire-%d@acme.example", i), Role: "direct_member", Inviter: "alice", CreatedAt: old})
		f.fx.State.AddDeployKey(githubsim.DeployKey{Repo: f.fx.Org + "/api", Title: fmt.Sprintf("ci-%d", i), Key: "ssh-ed25519 AAAA" + fmt.Sprint(i), ReadOnly: true, AddedBy: "alice", CreatedAt: old})
		f.fx.State.AddHook(githubsim.Hook{Repo: f.fx.Org + "/api", URL: fmt.Sprintf("https://ci.acme.example/%d", i), Events: []string{"push"}, Active: true, CreatedAt: old, UpdatedAt: old})
	}
	f.fx.Attack(f.fx.State)
	env, rec := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": f.fx.LeakedLogin})
	if err != nil || out["assessed"] != true {
		t.Fatalf("persistence: %v, %v", out, err)
	}
	k := rec.kinds()
	for _, kind := range []string{"github_deploy_key_added", "github_webhook_added", "github_member_invited"} {
		if len(k[kind]) != 1 {
			t.Errorf("%s: %d findings, want the attacker's one (on the second page)", kind, len(k[kind]))
		}
	}
}

// TestPersistenceRefusesAPageLoop: a Link header whose next page is the
// page just read (a hostile or broken server) ends the reading; the
// surface is not assessable, and the step does not loop until its timeout.
func TestPersistenceRefusesAPageLoop(t *testing.T) {
	f := newFixture(t, "github-pat-leak", true, nil)
	f.srv.InjectFault(githubsim.Fault{Method: "GET", Route: "GET /orgs/{org}/invitations", Kind: githubsim.FaultLinkLoop})
	env, rec := f.newEnv(report.ModeLive)
	start := time.Now()
	out, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": f.fx.LeakedLogin})
	if err != nil {
		t.Fatalf("persistence: %v", err)
	}
	if time.Since(start) > 4*time.Second {
		t.Errorf("a page loop took %s", time.Since(start))
	}
	na := false
	for _, fd := range rec.kinds()["assessment.not_assessable"] {
		na = na || fd.Subject == surfInvitations
	}
	if !na {
		t.Errorf("a looping invitation list is not reported not assessable: %v, %+v", out, rec.findings)
	}
}

// TestReadBackOfAListNotReadInFullProvesNothing: eradication's read-back
// of a listing whose next page is named by a cursor (which the page
// numbers keyir follows cannot reach) is an error, not "gone".
func TestReadBackOfAListNotReadInFullProvesNothing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Link", `<`+"http://"+r.Host+r.URL.Path+`?per_page=100&after=Y3Vyc29y>; rel="next"`)
		fmt.Fprint(w, `[{"id":1,"config":{"url":"https://ci.acme.example/"}}]`)
	}))
	defer srv.Close()
	c := github.NewClient(srv.Client())
	c.BaseURL, _ = url.Parse(srv.URL + "/")
	present, err := listed("the organization acme-corp", func(o *github.ListOptions) ([]*github.Hook, *github.Response, error) {
		return c.Organizations.ListHooks(context.Background(), "acme-corp", o)
	}, func(h *github.Hook) bool { return h.GetID() == 880003 })
	if err == nil || present {
		t.Fatalf("read-back of a list not read in full: present %v, err %v (want an error)", present, err)
	}
}

// TestActivityNotReadToItsEndIsNoAllClear: an audit log answer whose next
// page keyir cannot follow (a page number where GitHub pages the audit log
// by cursor), or that holds no list at all (200 null), is not "no event by
// the token".
func TestActivityNotReadToItsEndIsNoAllClear(t *testing.T) {
	for name, fault := range map[string]githubsim.Fault{
		"page-numbered next": {Method: "GET", Route: "GET /orgs/{org}/audit-log", Kind: githubsim.FaultLinkLoop},
		"null body":          {Method: "GET", Route: "GET /orgs/{org}/audit-log", Kind: githubsim.FaultNull},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "github-pat-leak", true, nil)
			f.srv.InjectFault(fault)
			env, rec := f.newEnv(report.ModeLive)
			out, err := run(t, env, "github.activity", map[string]any{"org": f.fx.Org, "hashed_token": HashedToken(f.fx.LeakedToken)})
			if out["assessed"] == true || (err == nil && len(rec.kinds()["assessment.not_assessable"]) == 0) {
				t.Fatalf("activity: %v, %v, notes %v: an audit log not read to its end taken for no events", out, err, rec.notes)
			}
		})
	}
}

// TestPersistenceListWithoutItsListIsNoAllClear: a 200 whose body holds no
// list (null, or {} for installations) is not an empty surface.
func TestPersistenceListWithoutItsListIsNoAllClear(t *testing.T) {
	for _, route := range []string{"GET /orgs/{org}/invitations", "GET /orgs/{org}/installations"} {
		f := newFixture(t, "github-pat-leak", true, nil)
		f.srv.InjectFault(githubsim.Fault{Method: "GET", Route: route, Kind: githubsim.FaultNull})
		env, rec := f.newEnv(report.ModeLive)
		out, err := run(t, env, "github.persistence", map[string]any{"org": f.fx.Org, "login": f.fx.LeakedLogin})
		if err == nil || !strings.Contains(err.Error(), "holds no list") {
			t.Errorf("%s answering null: %v, %+v: taken for an empty surface", route, out, rec.findings)
		}
	}
}

// TestSnapshotReadsEveryPageOfTheTokensKeys: the creation time of the SSH
// key the attacker added (the newest, past the first 100) is read, so the
// persistence step can judge it by the window.
func TestSnapshotReadsEveryPageOfTheTokensKeys(t *testing.T) {
	f := newFixture(t, "github-pat-leak", false, nil)
	old := f.fx.WindowStart.AddDate(0, -3, 0)
	for i := range 100 {
		f.fx.State.AddSSHKey(githubsim.SSHKey{Login: f.fx.LeakedLogin, Title: fmt.Sprintf("laptop-%d", i), Key: "ssh-ed25519 AAAA" + fmt.Sprint(i), CreatedAt: old})
	}
	f.fx.Attack(f.fx.State)
	env, _ := f.newEnv(report.ModeLive)
	out, err := run(t, env, "github.snapshot_token", map[string]any{"key": f.fx.LeakedToken})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := out["ssh_keys_created"].(map[string]string)
	if _, ok := keys["880001"]; !ok || len(keys) <= 100 {
		t.Errorf("%d SSH key creation times read, the attacker's (880001) %v", len(keys), ok)
	}
}
