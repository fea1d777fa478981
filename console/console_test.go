package console

import "bytes"
import "regexp"
import "strings"
import "testing"
import "time"
import "unicode/utf8"

import "github.com/keyir/keyir/report"

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func steps() []report.Step {
	return []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.identify_key", Status: report.StepPending},
		{Index: 2, ID: "activity", Action: "sendgrid.activity", Status: report.StepPending},
	}
}

// Every redrawn line must fit the terminal: one that wraps makes the next
// cursor-up short by a row and smears the list down the screen.
func TestLiveLinesFitTheTerminal(t *testing.T) {
	var out bytes.Buffer
	c := New(&out, true, 40)
	rep := &report.Report{Run: report.Run{ID: "r1", Mode: report.ModeLive}, Steps: steps()}
	c.RunStarted(rep, "reports/x")
	s := rep.Steps[1]
	s.Status = report.StepRunning
	c.StepStarted(s)
	c.StepProgress(s, strings.Repeat("a very long progress message ", 10))
	s.Status, s.Duration = report.StepOK, 1500*time.Millisecond
	c.StepFinished(s)
	rep.Steps[1] = s
	c.RunFinished(rep, "reports/x")
	body := out.String()
	start := strings.Index(body, "\x1b[")
	if start < 0 {
		t.Fatal("no live redraw on a terminal")
	}
	for _, line := range strings.Split(ansi.ReplaceAllString(body[start:], ""), "\n") {
		if n := utf8.RuneCountInString(line); n > 39 {
			t.Errorf("line of %d runes on a 40-column terminal: %q", n, line)
		}
	}
	if !strings.Contains(body, "✓ activity") {
		t.Errorf("final list lacks the finished step:\n%s", body)
	}
}

func TestPlainOutputIsOneLinePerEvent(t *testing.T) {
	var out bytes.Buffer
	c := New(&out, false, 0)
	rep := &report.Report{Run: report.Run{ID: "r1", Mode: report.ModeDryRun}, Steps: steps()}
	c.RunStarted(rep, "reports/x")
	s := rep.Steps[0]
	s.Status = report.StepRunning
	c.StepStarted(s)
	s.Status = report.StepPlanned
	c.StepFinished(s)
	c.RunFinished(rep, "reports/x")
	body := out.String()
	if strings.Contains(body, "\x1b") {
		t.Fatalf("escape codes in plain output: %q", body)
	}
	if !strings.HasPrefix(body, "DRY RUN") {
		t.Fatalf("a dry run must say DRY RUN first:\n%s", body)
	}
	if !strings.Contains(body, "[planned] identify") || !strings.Contains(body, "DRY RUN: planned, not made") {
		t.Fatalf("plain step line missing:\n%s", body)
	}
}

// runLive draws a run with one failed and one finished step.
func runLive(color bool) string {
	var out bytes.Buffer
	c := New(&out, true, 80)
	c.SetColor(color)
	rep := &report.Report{Run: report.Run{ID: "r1", Mode: report.ModeLive}, Steps: steps()}
	c.RunStarted(rep, "reports/x")
	a, b := rep.Steps[0], rep.Steps[1]
	a.Status, b.Status = report.StepOK, report.StepFailed
	c.StepFinished(a)
	c.StepFinished(b)
	rep.Steps = []report.Step{a, b}
	c.RunFinished(rep, "reports/x")
	return out.String()
}

// Colour marks status on a terminal; NO_COLOR (SetColor(false)) removes the
// colour and nothing else: the live list is still redrawn in place.
func TestColourIsForStatusOnlyAndNoColorKeepsTheLiveList(t *testing.T) {
	colored := runLive(true)
	if !strings.Contains(colored, "\x1b[32m✓\x1b[0m identify") || !strings.Contains(colored, "\x1b[31m✗\x1b[0m activity") {
		t.Errorf("status marks are not coloured:\n%q", colored)
	}
	plain := runLive(false)
	if regexp.MustCompile(`\x1b\[[0-9;]*m`).MatchString(plain) {
		t.Errorf("colour without colour:\n%q", plain)
	}
	if !strings.Contains(plain, "\x1b[2A") || !strings.Contains(plain, "✗ activity") {
		t.Errorf("without colour the live list must still be redrawn:\n%q", plain)
	}
	if ansi.ReplaceAllString(colored, "") != ansi.ReplaceAllString(plain, "") {
		t.Errorf("colour changed the text:\n%q\n%q", ansi.ReplaceAllString(colored, ""), ansi.ReplaceAllString(plain, ""))
	}
}
