package render

import "strings"
import "testing"

import "github.com/keyir/keyir/report"

// A drill given --webhook-url posts its deliveries to that receiver, which
// is no simulator: the banner of its report said "nothing real was touched".
func TestDrillBannerNamesTheWebhookReceiver(t *testing.T) {
	rep := &report.Report{Run: report.Run{Mode: report.ModeDrill}}
	if b := Banner(rep); !strings.Contains(b, "nothing real was touched.") {
		t.Fatalf("a sealed drill: %q", b)
	}
	rep.Steps = []report.Step{{ID: "notify_open", Action: "notify.all", Outputs: map[string]any{"channels": []any{"slack", "webhook"}, "sent": true}}}
	b := Banner(rep)
	if strings.Contains(b, "nothing real was touched.") || !strings.Contains(b, "webhook") {
		t.Fatalf("a drill that posted to a real webhook receiver: %q", b)
	}
	// Slack and email of a drill go to its simulators.
	rep.Steps[0].Outputs["channels"] = []any{"slack", "email"}
	if b := Banner(rep); !strings.Contains(b, "nothing real was touched.") {
		t.Fatalf("slack and email only: %q", b)
	}
}

// A notify step that failed (its deliveries did not all arrive) is said in
// the banner of a drill and of a dry run: "sent deliveries" or
// "notifications went out" claimed what the report shows failed.
func TestBannerSaysANotificationFailed(t *testing.T) {
	for _, mode := range []report.Mode{report.ModeDrill, report.ModeDryRun} {
		rep := &report.Report{Run: report.Run{Mode: mode}, Steps: []report.Step{
			{ID: "notify_open", Status: report.StepOK, Outputs: map[string]any{"channels": []any{"slack", "webhook"}, "sent": true}},
			{ID: "notify_close", Status: report.StepFailed, Error: "notifications failed", Outputs: map[string]any{"channels": []any{"slack", "webhook"}, "sent": false}},
		}}
		b := Banner(rep)
		if !strings.Contains(b, "Not every notification was delivered") || strings.Contains(b, "sent deliveries") || strings.Contains(b, "went out") {
			t.Errorf("%s, a notify step failed: %q", mode, b)
		}
		rep.Steps[1].Status, rep.Steps[1].Error = report.StepOK, ""
		if b := Banner(rep); strings.Contains(b, "Not every") || strings.Contains(b, "sent deliveries") {
			t.Errorf("%s, every notify step ok: %q", mode, b)
		}
	}
}
