package slacktoken

import "context"
import "testing"
import "time"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim/slackspec"

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

// Under faults the drill never claims more than was proven: a failed
// revoke (500, a reset) leaves the token live and the run ends 4, never
// "confirmed"; faults that pass (latency, truncated polls the confirm step
// polls through) still end contained, and a failed log read only fails its
// step (3).
func TestDrillUnderFaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		fault provider.Fault
		exit  int
	}{
		{"revoke 500", provider.Fault{Route: "auth.revoke", Kind: provider.FaultStatus, Status: 500}, 4},
		{"revoke reset", provider.Fault{Route: "auth.revoke", Kind: provider.FaultReset}, 4},
		{"truncated polls", provider.Fault{Route: "auth.test", After: 1, Times: 2, Kind: provider.FaultTruncate}, 0},
		{"slow revoke", provider.Fault{Route: "auth.revoke", Kind: provider.FaultLatency, Latency: 200 * time.Millisecond}, 0},
		{"access logs 500", provider.Fault{Route: "team.accessLogs", Method: "GET", Kind: provider.FaultStatus, Status: 503}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := drill.Run(context.Background(), drill.Options{Scenario: "slack-user-token-leak", ReportsRoot: t.TempDir(), Incident: "DRILL-F", Operator: "test",
				Faults: []provider.Fault{c.fault}})
			if err != nil {
				t.Fatal(err)
			}
			w := res.World.(*DrillWorld)
			confirmed := res.Run.Report.Run.Containment.Status == report.ContainmentConfirmed
			if res.Run.ExitCode != c.exit || (confirmed && w.LeakedKeyLive()) || (c.exit == 4 && !w.LeakedKeyLive()) {
				t.Fatalf("exit %d (want %d), containment %+v, token live %v", res.Run.ExitCode, c.exit, res.Run.Report.Run.Containment, w.LeakedKeyLive())
			}
		})
	}
}
