package ghtoken

import "context"
import "testing"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/sim/githubsim"

// TestDrillsScore: keyir drill runs each GitHub scenario in its world
// (baseline before the attack) and the scorecard passes: every expected
// finding, containment confirmed, the truth's exit code; and neither the
// leaked nor the responder token reaches any file of the drill.
func TestDrillsScore(t *testing.T) {
	if testing.Short() {
		t.Skip("three drills")
	}
	for _, name := range []string{"github-pat-leak", "github-fine-grained-leak", "github-pat-leak-flaky"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			res, err := drill.Run(context.Background(), drill.Options{Scenario: name, ReportsRoot: root, Operator: "test", Redactor: redact.New()})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Score.Passed() {
				t.Fatalf("scorecard %+v", res.Score)
			}
			w, ok := res.World.(*DrillWorld)
			if !ok {
				t.Fatalf("world %T", res.World)
			}
			if w.Sim().Authenticates(w.LeakedKey()) {
				t.Fatal("the leaked token still authenticates after a passed drill")
			}
			notifytest.AssertLeaksNoSecret(t, w.Secrets(), everything(t, root)...)
		})
	}
}

// TestDrillEradicateGitHub: keyir drill --eradicate on the GitHub scenarios
// carries out the sealed run's plan against the simulator with an owner's
// token: every foothold keyir can remove (deploy keys, webhooks,
// invitations, a repository made public back to private) is in the plan
// and gone, the eradication run ends 0, nothing the organization had is
// removed, and devon's SSH key (by hand) is still there.
func TestDrillEradicateGitHub(t *testing.T) {
	for name, want := range map[string]int{"github-pat-leak": 3, "github-fine-grained-leak": 2} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			res, err := drill.Run(context.Background(), drill.Options{Scenario: name, ReportsRoot: root, Operator: "test", Redactor: redact.New(), Eradicate: true})
			if err != nil {
				t.Fatal(err)
			}
			e := res.Eradication
			if e == nil || e.Run == nil || !res.Score.Passed() {
				t.Fatalf("eradication %+v, scorecard %+v", e, res.Score)
			}
			if len(e.Found) != want || len(e.Removed) != want || len(e.Open) != 0 || len(e.LegitimateRemoved) != 0 || e.Run.ExitCode != 0 {
				t.Errorf("found %v removed %v open %v legitimate removed %v, exit %d", e.Found, e.Removed, e.Open, e.LegitimateRemoved, e.Run.ExitCode)
			}
			w := res.World.(*DrillWorld)
			if name == "github-pat-leak" && !w.fx.State.Present(githubsim.Item{Kind: "ssh_key", Subject: "880001"}) {
				t.Error("the SSH key keyir cannot remove is gone")
			}
			notifytest.AssertLeaksNoSecret(t, w.Secrets(), everything(t, root)...)
		})
	}
}
