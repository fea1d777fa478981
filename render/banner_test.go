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
