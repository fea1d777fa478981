package htmlreport

import "bytes"
import "html"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// An id-only run says in one sentence what was done and what could not be
// proven, in every rendering, and never presents a time to containment or
// the word "confirmed" as its outcome; a key no account holds says so.
func TestUnprovenContainmentIsNeverPresentedAsProven(t *testing.T) {
	for _, c := range []report.Containment{
		{Status: report.ContainmentRevokedUnproven, Detail: "key id X was deleted from subuser s1. Without the key's secret keyir cannot prove the key no longer authenticates.", At: time.Now()},
		{Status: report.ContainmentNotFound, Detail: "key id X was not found in the parent or any of its 3 subusers: nothing was revoked.", At: time.Now()},
	} {
		rep := &report.Report{Run: testrun.Run(report.ModeLive), ExitCode: 0}
		rep.Run.Status = report.RunSucceeded
		rep.Run.Finished = rep.Run.Started.Add(time.Second)
		rep.Run.Containment = c
		var md, sum, page bytes.Buffer
		if err := render.RenderMarkdown(&md, rep); err != nil {
			t.Fatal(err)
		}
		if err := render.RenderSummary(&sum, rep, ""); err != nil {
			t.Fatal(err)
		}
		if err := RenderHTML(&page, rep, ""); err != nil {
			t.Fatal(err)
		}
		for name, out := range map[string]string{"report.md": md.String(), "summary": sum.String(), "report.html": page.String()} {
			if strings.Contains(strings.ToLower(out), "time to containment") && !strings.Contains(out, "time to containment, from") {
				t.Errorf("%s %s presents a time to containment:\n%s", c.Status, name, out)
			}
			label, detail := report.ContainmentLabel(c.Status), c.Detail[:40]
			if name == "report.html" {
				label, detail = html.EscapeString(label), html.EscapeString(detail)
			}
			if !strings.Contains(out, label) || !strings.Contains(out, detail) {
				t.Errorf("%s %s does not say what was and was not done:\n%s", c.Status, name, out)
			}
		}
		if strings.Contains(page.String(), `class="big"`) {
			t.Errorf("%s: report.html shows a time to containment", c.Status)
		}
		if strings.Contains(sum.String(), "Containment: confirmed") {
			t.Errorf("%s: summary says confirmed", c.Status)
		}
	}
}
