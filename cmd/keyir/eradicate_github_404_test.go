package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"

import "github.com/keyir/keyir/sim/githubsim"

// GitHub answers 404 to a token that may not see a repository as to a
// resource that is gone. A GITHUB_TOKEN of a user who is no owner of the
// organization (on the same GitHub, so the host check passes) got 404 to
// the deploy key's DELETE and to its read-back listing, and keyir reported
// the deploy key "already gone", exit 0 for it, while it was still there.
// Now a 404 counts as gone only when the listing the assessment read
// answers the same token (it can see the repository, and the item is not
// in it); otherwise the item stays open, "not verifiable", exit 5.
func TestEradicateGitHub404IsGoneOnlyWhenTheResponderCanSee(t *testing.T) {
	fx, _, envv, dir := githubFootholdRun(t)
	ids := planIDs(t, dir)
	deploy := githubsim.Item{Kind: "deploy_key", Subject: "880002"}
	outsider := fx.State.AddToken(githubsim.Token{Value: fx.ResponderToken[:len(fx.ResponderToken)-6] + "Yy0000", Kind: "github_classic_pat", Login: "outsider-1",
		Scopes: append(githubsim.ResponderScopes(), "admin:org")})
	envv["GITHUB_TOKEN"] = outsider.Value

	var doc struct {
		ExitCode    int    `json:"exit_code"`
		ReportDir   string `json:"report_dir"`
		Eradication struct {
			Removed     int      `json:"removed"`
			AlreadyGone int      `json:"already_gone"`
			Open        []string `json:"open"`
		} `json:"eradication"`
	}
	r := keyir(t, "", envv, "eradicate", dir, "--yes", "--only", ids["github_deploy_key_added"], "--output", "json")
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if !fx.State.Present(deploy) {
		t.Fatal("the outsider's token removed the deploy key")
	}
	if r.code != 5 || doc.Eradication.AlreadyGone != 0 || strings.Join(doc.Eradication.Open, ",") != ids["github_deploy_key_added"] {
		t.Errorf("a deploy key the token cannot see: exit %d, %+v (want 5, open, never already gone)\n%s", r.code, doc, r.stderr)
	}
	if md, _ := os.ReadFile(filepath.Join(doc.ReportDir, "report.md")); !strings.Contains(string(md), "not verifiable") || !strings.Contains(string(md), "cannot see the repository acme-corp/api") {
		t.Errorf("the report does not say why the deploy key is open:\n%s", md)
	}
}
