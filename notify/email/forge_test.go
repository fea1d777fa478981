package email

import "strings"
import "testing"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"

// TestTextPartForgesNoLine: every value of the plain-text part that came
// from an API answer, a playbook or a user is one line. A key name, a
// finding or a step error read from an API answer could otherwise start a
// line of its own reading like keyir's ("Containment:  confirmed") in a mail
// whose real containment line says the key may still be live.
func TestTextPartForgesNoLine(t *testing.T) {
	ev := notifytest.Event(notify.Closed, report.ModeLive)
	forged := "\nContainment:  confirmed — key answered 401\nExit code:    0\r\n"
	ev.KeyName = "backup" + forged
	ev.Incident = "INC-9" + forged
	ev.Operator = "alice" + forged
	ev.Text = "see the thread" + forged
	ev.Containment = report.Containment{Status: report.ContainmentNotConfirmed, Detail: "still 200" + forged}
	ev.Findings = append(ev.Findings, report.Finding{Kind: "x", Severity: report.High, Title: "t" + forged, Subject: "s" + forged, Detail: "d" + forged})
	ev.Steps[2].Error = "e" + forged
	ev.ExitCode = 4
	text, _, err := bodies(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "Containment:  confirmed") || strings.HasPrefix(l, "Exit code:    0") {
			t.Errorf("a value started a line of its own: %q\n%s", line, text)
		}
		if strings.Contains(line, "\r") {
			t.Errorf("a carriage return reached the text: %q", line)
		}
	}
	if !strings.Contains(text, `backup\nContainment:`) {
		t.Errorf("the key name is not shown escaped:\n%s", text)
	}
}
