package ghtoken

import (
	"context"
	"testing"

	"github.com/keyir/keyir/drill"
	"github.com/keyir/keyir/notify/notifytest"
	"github.com/keyir/keyir/redact"
)

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
