package console

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keyir/keyir/report"
)

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
