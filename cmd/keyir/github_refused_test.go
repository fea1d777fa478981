package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

// A GitHub token refused (401 Bad credentials) before keyir acted was
// reported as contained, "confirmed", with a caveat: GitHub gives the same
// 401 to a token it revoked and to one another GitHub issued, and keyir saw
// neither its own revocation take effect nor the token accepted. By the
// rule Slack's invalid_auth already follows (actions.SeenAccepted), that
// refusal is not proof: containment not confirmed (exit 4), saying what was
// and was not proven, and the finding says "refused before keyir acted",
// never "already revoked". Both a token this GitHub revoked before the run
// and one it never issued; a token seen live and then revoked stays
// confirmed.
func TestGitHubTokenRefusedBeforeKeyirActedIsNotConfirmed(t *testing.T) {
	rng := seededReader{newChaCha(21)}
	for _, tc := range []string{"revoked before the run", "another GitHub's"} {
		t.Run(tc, func(t *testing.T) {
			envv, _, fx := check15GitHub(t, false)
			tok := fx.LeakedToken
			if tc == "another GitHub's" {
				tok = mintGitHub(t, rng, "ghp_")
			} else {
				fx.State.RevokeToken(tok, time.Now().Add(-time.Hour))
			}
			reports := filepath.Join(t.TempDir(), "reports")
			r := keyir(t, tok+"\n", envv, "respond", "--key", "-", "--reports", reports, "--output", "json")
			var out runJSON
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("exit %d: %v\n%s", r.code, err, r.stderr)
			}
			c := out.Report.Run.Containment
			if r.code != report.ExitNotContained || c.Status != report.ContainmentNotConfirmed {
				t.Errorf("exit %d, containment %s: %s", r.code, c.Status, c.Detail)
			}
			if !strings.Contains(c.Detail, "keyir cannot tell which") || !strings.Contains(c.Detail, "no step of this run saw it accept the token") {
				t.Errorf("the detail does not say what was not proven: %s", c.Detail)
			}
			var kinds []string
			for _, f := range out.Report.Findings {
				kinds = append(kinds, f.Kind)
			}
			if k := strings.Join(kinds, " "); strings.Contains(k, "already_revoked") || !strings.Contains(k, "token.refused_before_revoke") {
				t.Errorf("findings %s", k)
			}
			md, _ := os.ReadFile(filepath.Join(out.ReportDir, "report.md"))
			if strings.Contains(string(md), "Containment: confirmed") || strings.Contains(strings.ToLower(string(md)), "already revoked") {
				t.Errorf("report.md claims more than was proven:\n%s", md)
			}
		})
	}
	// Seen live, revoked by keyir, refused: confirmed.
	envv, _, fx := check15GitHub(t, false)
	r := keyir(t, fx.LeakedToken+"\n", envv, "respond", "--key", "-", "--reports", filepath.Join(t.TempDir(), "reports"), "--output", "json")
	var out runJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Report.Run.Containment.Status != report.ContainmentConfirmed {
		t.Fatalf("a live token keyir revoked: exit %d, %v, %+v", r.code, err, out.Report.Run.Containment)
	}
}
