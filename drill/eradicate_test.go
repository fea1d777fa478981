package drill_test

import "context"
import "testing"

import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/provider"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"

// A drill with --eradicate carries out the sealed run's plan against the
// simulator: every foothold of the scenario's ground truth is in the plan and
// gone afterwards, every legitimate item is still there, the eradication run
// ends 0, and every response is checked against the official spec. The
// subuser scenarios remove a key on behalf of a subuser, one of them on the
// EU host.
func TestDrillEradicateRemovesFootholdsAndKeepsLegitimateItems(t *testing.T) {
	for _, name := range []string{"persistence", "subuser-key", "eu-subuser"} {
		t.Run(name, func(t *testing.T) {
			res, err := drill.Run(context.Background(), drill.Options{
				Scenario: name, ReportsRoot: t.TempDir(), Operator: "drill-test", Redactor: redact.New(), Eradicate: true,
				OnResponse: observe(t),
			})
			if err != nil {
				t.Fatal(err)
			}
			e := res.Eradication
			if e == nil || e.Run == nil {
				t.Fatalf("no eradication: %+v", res.Score)
			}
			sc, _ := sendgridsim.LookupScenario(name)
			want := len(sc.Build(res.Run.Report.Run.Started).Footholds)
			if want == 0 || len(e.Found) != want || len(e.Removed) != want || len(e.Open) != 0 {
				t.Errorf("footholds: %d in the ground truth, found %v, removed %v, open %v", want, e.Found, e.Removed, e.Open)
			}
			if len(e.LegitimateRemoved) != 0 {
				t.Errorf("legitimate items removed: %v", e.LegitimateRemoved)
			}
			if e.Run.ExitCode != report.ExitDone || res.Run.ExitCode != report.ExitFootholdsOpen {
				t.Errorf("exit: run %d (want 5), eradication %d (want 0)", res.Run.ExitCode, e.Run.ExitCode)
			}
			if !res.Score.Passed() {
				t.Errorf("scorecard not passed: %+v", res.Score)
			}
		})
	}
}

// A drill whose eradication removed a legitimate item, or left a foothold,
// does not pass.
func TestEradicationScoreFailsOnLegitimateRemoved(t *testing.T) {
	clean := &drill.Eradication{Run: &playbook.Result{ExitCode: 0}, Removed: []provider.Item{{Kind: "teammate", Subject: "mallory"}}}
	if sc := (drill.Scorecard{Eradicated: true, Eradication: clean}); !sc.Passed() {
		t.Fatal("a clean eradication did not pass")
	}
	bad := *clean
	bad.LegitimateRemoved = []provider.Item{{Kind: "teammate", Subject: "alice"}}
	if sc := (drill.Scorecard{Eradicated: true, Eradication: &bad}); sc.Passed() {
		t.Error("a drill that removed a legitimate item passed")
	}
	open := *clean
	open.Open = []provider.Item{{Kind: "teammate", Subject: "mallory"}}
	if sc := (drill.Scorecard{Eradicated: true, Eradication: &open}); sc.Passed() {
		t.Error("a drill that left a foothold passed")
	}
	if sc := (drill.Scorecard{Eradicated: true}); sc.Passed() {
		t.Error("a drill whose eradication never ran passed")
	}
}
