package slacktoken

import (
	"context"
	"testing"

	"github.com/keyir/keyir/drill"
	"github.com/keyir/keyir/sim/slacksim/slackspec"
)

// `keyir drill --scenario slack-…`: each Slack scenario runs in its own
// world and scores against its ground truth; the token ends dead, and the
// leak's workspace saw exactly one revocation.
func TestDrillScores(t *testing.T) {
	for _, name := range []string{"slack-bot-token-leak", "slack-user-token-leak"} {
		t.Run(name, func(t *testing.T) {
			res, err := drill.Run(context.Background(), drill.Options{Scenario: name, ReportsRoot: t.TempDir(), Incident: "DRILL-1", Operator: "test"})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Score.Passed() || len(res.Score.Expected) != 2 {
				t.Fatalf("score %+v", res.Score)
			}
			w, ok := res.World.(*DrillWorld)
			if !ok {
				t.Fatalf("world %T", res.World)
			}
			if w.LeakedKeyLive() || len(w.Sim().CallsTo("auth.revoke")) != 1 || res.Score.TimeToContainment <= 0 {
				t.Fatalf("live %v, revokes %d, ttc %s", w.LeakedKeyLive(), len(w.Sim().CallsTo("auth.revoke")), res.Score.TimeToContainment)
			}
			slackspec.Check(t, w.Sim().Calls())
		})
	}
}
