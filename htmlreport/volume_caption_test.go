package htmlreport_test

import "bytes"
import "strings"
import "testing"

import "github.com/keyir/keyir/htmlreport"
import "github.com/keyir/keyir/report"

// TestVolumeCaptionNamesTheStepsProvider: the send volume section's
// caption names the provider of the step whose "daily" output it draws (a
// run of several keys has each key's steps, k2-…), and a step of no
// registered provider gets a caption without a provider's name, never
// SendGrid's by default.
func TestVolumeCaptionNamesTheStepsProvider(t *testing.T) {
	for _, c := range []struct{ action, id, want string }{
		{"sendgrid.stats", "k2-stats", "Daily SendGrid statistics (step k2-stats) over"},
		{"slack.assess", "k1-logs", "Daily Slack statistics (step k1-logs) over"},
		{"core.http", "my-stats", "Daily statistics of step my-stats over"},
	} {
		rep := &report.Report{Run: report.Run{ID: "r1", Playbook: "p", Mode: report.ModeLive, Status: report.RunSucceeded},
			Steps: []report.Step{{Index: 1, ID: c.id, Action: c.action, Status: report.StepOK, Outputs: map[string]any{
				"daily": []any{map[string]any{"date": "2025-03-01", "requests": 5, "in_window": true}, map[string]any{"date": "2025-03-02", "requests": 9}},
			}}}}
		var b bytes.Buffer
		if err := htmlreport.RenderHTML(&b, rep, t.TempDir()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%s: the caption is not %q", c.action, c.want)
		}
		if c.action != "sendgrid.stats" && strings.Contains(b.String(), "SendGrid statistics") {
			t.Errorf("%s: captioned as SendGrid's", c.action)
		}
	}
}
