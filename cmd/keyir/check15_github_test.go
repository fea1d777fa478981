package main

import "context"
import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/sim/githubsim"

// check15GitHub serves scenario github-pat-leak (without its propagation
// delay), as github.com or as an Enterprise Server.
func check15GitHub(t *testing.T, enterprise bool) (map[string]string, *githubsim.Server, *githubsim.Fixture) {
	t.Helper()
	sc, _ := githubsim.LookupScenario("github-pat-leak")
	fx := sc.Build(time.Now())
	cfg := fx.Config
	cfg.PropagationDelay = 0
	cfg.Enterprise = enterprise
	srv := githubsim.New(fx.State, cfg)
	u, stop, err := githubsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(context.Background()) })
	return map[string]string{"GITHUB_API_URL": u, "GITHUB_TOKEN": fx.ResponderToken}, srv, fx
}

// TestCheck15GitHubDryRunSendsNoWrite: respond --dry-run on a live GitHub
// token sends only reads (the simulator's request log has no POST or
// DELETE), the token stays live, and the JSON says the revoke was planned.
func TestCheck15GitHubDryRunSendsNoWrite(t *testing.T) {
	envv, srv, fx := check15GitHub(t, false)
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, fx.LeakedToken+"\n", envv, "respond", "--key", "-", "--input", "org=acme-corp", "--dry-run", "--output", "json", "--reports", reports)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout: %v", err)
	}
	for _, req := range srv.Requests() {
		if req.Method != "GET" {
			t.Errorf("a dry run sent %s %s", req.Method, req.Path)
		}
	}
	if !srv.Authenticates(fx.LeakedToken) {
		t.Error("a dry run revoked the token")
	}
	planned := false
	for _, s := range out.Report.Steps {
		if s.ID == "revoke" && strings.Contains(string(s.Status), "planned") {
			planned = true
		}
	}
	if !planned {
		t.Errorf("the revoke step is not recorded as planned: %+v", out.Report.Steps)
	}
	notifytest.AssertLeaksNoSecret(t, []string{fx.LeakedToken, fx.ResponderToken}, everyOutput(r, reports)...)
}

// TestCheck15GitHubRevocationIsNotRetriedPastTheLimit: POST
// /credentials/revoke refused by GitHub's limit (403 with Retry-After, 422
// "spammed") is sent once; one failing with 500 every time is sent at most
// 1+3 times (the pacer's bound) and the step is not rerun by the playbook.
// Each run ends 4 (the token may be live) with the token live.
func TestCheck15GitHubRevocationIsNotRetriedPastTheLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		f    githubsim.Fault
		max  int
	}{
		{"secondary limit", githubsim.Fault{Kind: githubsim.FaultSecondary, RetryAfter: 1}, 1},
		{"422", githubsim.Fault{Kind: githubsim.FaultStatus, Status: 422}, 1},
		{"500", githubsim.Fault{Kind: githubsim.FaultStatus, Status: 500}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			envv, srv, fx := check15GitHub(t, false)
			c.f.Method, c.f.Route = "POST", "POST /credentials/revoke"
			srv.InjectFault(c.f)
			reports := filepath.Join(t.TempDir(), "reports")
			r := keyir(t, fx.LeakedToken+"\n", envv, "respond", "--key", "-", "--output", "json", "--reports", reports)
			if r.code != 4 {
				t.Errorf("exit %d, want 4\n%s", r.code, r.stderr)
			}
			if n := srv.Count("POST", "POST /credentials/revoke"); n < 1 || n > c.max {
				t.Errorf("%d revocation requests, want 1..%d", n, c.max)
			}
			if !srv.Authenticates(fx.LeakedToken) {
				t.Error("token revoked despite the fault")
			}
			var out runJSON
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Errorf("stdout: %v", err)
			}
			notifytest.AssertLeaksNoSecret(t, []string{fx.LeakedToken, fx.ResponderToken}, everyOutput(r, reports)...)
		})
	}
}

// TestCheck15GitHubTokenOfAnotherGitHubIsNamedRight: a token the server
// does not know answers 401 before anything is revoked: not confirmed
// (exit 4: that 401 is also what another GitHub's token gets), and the
// containment line names the GitHub the token may come from: against
// github.com an Enterprise Server, against an Enterprise Server
// "github.com (or another server)" — not an Enterprise Server when the
// server asked IS one.
func TestCheck15GitHubTokenOfAnotherGitHubIsNamedRight(t *testing.T) {
	rng := seededReader{newChaCha(16)}
	for _, enterprise := range []bool{false, true} {
		envv, _, _ := check15GitHub(t, enterprise)
		tok := mintGitHub(t, rng, "ghp_")
		reports := filepath.Join(t.TempDir(), "reports")
		r := keyir(t, tok+"\n", envv, "respond", "--key", "-", "--reports", reports)
		if r.code != 4 {
			t.Fatalf("enterprise=%v: exit %d, want 4\n%s", enterprise, r.code, r.stderr)
		}
		line := strings.Join(strings.Fields(r.stdout[strings.Index(r.stdout, "Containment:"):]), " ")
		if !strings.Contains(line, "keyir cannot tell which") {
			t.Errorf("enterprise=%v: no caveat: %s", enterprise, line)
		}
		if enterprise && strings.Contains(line, "If it was issued by a GitHub Enterprise Server") {
			t.Errorf("against an Enterprise Server the caveat says the token may be an Enterprise Server's: %.300s", line)
		}
		if !enterprise && !strings.Contains(line, "If it was issued by a GitHub Enterprise Server") {
			t.Errorf("against github.com the caveat does not name an Enterprise Server: %.300s", line)
		}
		notifytest.AssertLeaksNoSecret(t, []string{tok}, everyOutput(r, reports)...)
	}
}

// TestCheck15GitHubInstallationToken: a live ghs_ token (403 on GET /user
// while live) revokes itself with DELETE /installation/token and is proven
// dead; one whose DELETE is refused (403: no right to revoke it) ends exit
// 4 with the DELETE sent once, no POST /credentials/revoke fallback loop,
// and a message naming the refusal — never the token.
func TestCheck15GitHubInstallationToken(t *testing.T) {
	for _, refused := range []bool{false, true} {
		envv, srv, _ := check15GitHub(t, false)
		tok := mintGitHub(t, seededReader{newChaCha(17)}, "ghs_")
		srv.State().AddToken(githubsim.Token{Value: tok, Kind: "github_installation", Org: "acme-corp", InstallationID: 77, CreatedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(time.Hour)})
		if refused {
			srv.InjectFault(githubsim.Fault{Method: "DELETE", Route: "DELETE /installation/token", Kind: githubsim.FaultStatus, Status: 403})
		}
		reports := filepath.Join(t.TempDir(), "reports")
		r := keyir(t, tok+"\n", envv, "respond", "--key", "-", "--reports", reports)
		deletes := srv.Count("DELETE", "DELETE /installation/token")
		switch {
		case !refused && (r.code != 0 && r.code != 5 || srv.Authenticates(tok) || deletes != 1):
			t.Errorf("live ghs_: exit %d, live %v, %d DELETEs\n%s\n%s", r.code, srv.Authenticates(tok), deletes, r.stdout, r.stderr)
		case refused && (r.code != 4 || !srv.Authenticates(tok) || deletes != 1 || !strings.Contains(r.stdout+r.stderr, "403")):
			t.Errorf("refused ghs_: exit %d, live %v, %d DELETEs\n%s\n%s", r.code, srv.Authenticates(tok), deletes, r.stdout, r.stderr)
		}
		notifytest.AssertLeaksNoSecret(t, []string{tok}, everyOutput(r, reports)...)
	}
}

// TestCheck15FromGitHubBatchAndDuplicates: a gitleaks report holding the
// same GitHub token twice, two more live tokens and an AWS secret: the
// three tokens go to GitHub in ONE POST /credentials/revoke naming each
// once, all three are proven dead in one incident, and the AWS secret is
// listed by rule and location, never by value.
func TestCheck15FromGitHubBatchAndDuplicates(t *testing.T) {
	envv, srv, fx := check15GitHub(t, false)
	rng := seededReader{newChaCha(18)}
	toks := []string{fx.LeakedToken}
	for range 2 {
		tok := mintGitHub(t, rng, "ghp_")
		srv.State().AddToken(githubsim.Token{Value: tok, Kind: "github_classic_pat", Login: "devon", Scopes: []string{"repo"}, CreatedAt: time.Now().Add(-time.Hour)})
		toks = append(toks, tok)
	}
	aws := "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY7"
	fs := []glFinding{
		{"github-pat", toks[0], toks[0], "a.env", "abc123", 1},
		{"github-pat", toks[1], toks[1], "b.env", "abc123", 2},
		{"aws-secret", aws, aws, "infra/creds", "abc123", 3},
		{"github-pat", toks[0], toks[0], "c.env", "abc123", 4},
		{"github-pat", toks[2], toks[2], "d.env", "abc123", 5},
	}
	dir := t.TempDir()
	from := gitleaksFile(t, dir, fs)
	reports := filepath.Join(dir, "reports")
	r := keyir(t, "", envv, "respond", "--from", from, "--output", "json", "--reports", reports)
	if r.code != 0 && r.code != 5 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout: %v", err)
	}
	if len(out.Report.Keys) != 3 || len(dirsIn(reports)) != 1 {
		t.Errorf("%d keys, %d run directories", len(out.Report.Keys), len(dirsIn(reports)))
	}
	var posts []string
	for _, req := range srv.Requests() {
		if req.Route == "POST /credentials/revoke" {
			posts = append(posts, string(req.Body))
		}
	}
	if len(posts) != 1 {
		t.Fatalf("%d revocation requests, want one batch", len(posts))
	}
	for _, tok := range toks {
		if n := strings.Count(posts[0], tok); n != 1 {
			t.Errorf("a token is named %d times in the batch", n)
		}
		if srv.Authenticates(tok) {
			t.Error("a token is still live")
		}
	}
	if !strings.Contains(r.stderr, "not handled: aws-secret at infra/creds:3") {
		t.Errorf("stderr: %s", r.stderr)
	}
	notifytest.AssertLeaksNoSecret(t, append(toks, aws), everyOutput(r, reports)...)
}

// gitleaksFile writes findings as a gitleaks JSON report in dir.
func gitleaksFile(t *testing.T, dir string, fs []glFinding) string {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "gitleaks.json", string(b))
}

// TestCheck15From61GitHubTokensAreAllRevoked: 61 live GitHub tokens in one
// scanner report (the limit of one incident is 100). GitHub takes 60
// revocation requests an hour per address and up to 1,000 tokens a
// request: one batch revokes them all (one request per key would run out of
// the hour's budget at the 61st key, which would stay live). Proving them
// dead is another limit: each dead token's 401 counts against the address's
// 60 requests an hour without valid credentials, so the 61st proof is
// refused by the limit. The honest outcome is every token revoked, 60
// proven, the 61st not proven with the limit and its reset named (exit 4,
// resumable), never "takes a moment to propagate".
func TestCheck15From61GitHubTokensAreAllRevoked(t *testing.T) {
	envv, srv, _ := check15GitHub(t, false)
	rng := seededReader{newChaCha(19)}
	var fs []glFinding
	var toks []string
	for i := range 61 {
		tok := mintGitHub(t, rng, "ghp_")
		srv.State().AddToken(githubsim.Token{Value: tok, Kind: "github_classic_pat", Login: "devon", Scopes: []string{"repo"}, CreatedAt: time.Now().Add(-time.Hour)})
		toks = append(toks, tok)
		fs = append(fs, glFinding{"github-pat", tok, tok, "leak.txt", "abc123", i + 1})
	}
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	r := keyir(t, "", envv, "respond", "--from", gitleaksFile(t, dir, fs), "--reports", reports)
	live := 0
	for _, tok := range toks {
		if srv.Authenticates(tok) {
			live++
		}
	}
	revokes := srv.Count("POST", "POST /credentials/revoke")
	if live != 0 || revokes != 1 {
		t.Errorf("%d of 61 tokens still live, %d revocation requests (want 0 live, 1 batch request)\n…%s", live, revokes, r.stderr[max(0, len(r.stderr)-3000):])
	}
	out := r.stdout + r.stderr
	// The step list clips the detail; the report holds it whole.
	mds, _ := filepath.Glob(filepath.Join(reports, "*", "report.md"))
	for _, md := range mds {
		if b, err := os.ReadFile(md); err == nil {
			out += string(b)
		}
	}
	if r.code != 4 || !strings.Contains(out, "rate limit for requests without valid credentials is spent until") || strings.Contains(out, "answered 403") {
		t.Errorf("exit %d (want 4: the 61st token cannot be proven dead within the hour's limit), and the limit must be named, not a 403 read as propagation\n…%s", r.code, out[max(0, len(out)-3000):])
	}
	notifytest.AssertLeaksNoSecret(t, toks, []byte(r.stdout), []byte(r.stderr))
}
