package render

import "bytes"
import "encoding/json"
import "path/filepath"
import "strings"
import "testing"
import "time"
import "unicode/utf8"

import "github.com/keyir/keyir/internal/testrun"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"

func TestMarkdownGolden(t *testing.T) {
	cases := []struct {
		name   string
		mode   report.Mode
		script func(*testing.T, *runstore.Store)
		banner string
	}{
		{"live", report.ModeLive, testrun.ScriptLive, ""},
		{"dryrun", report.ModeDryRun, testrun.ScriptDryRun, "> **DRY RUN** — no changes were made; 2 writes were refused and are listed as planned changes.\n"},
		{"drill", report.ModeDrill, testrun.ScriptDrill, "> **DRILL** — run against the built-in simulator; nothing real was touched.\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := testrun.Run(c.mode)
			if c.mode == report.ModeDrill {
				run.Incident = ""
			}
			s := testrun.NewStore(t, run)
			c.script(t, s)
			if _, err := s.Finish(nil, mdRenderer{}); err != nil {
				t.Fatal(err)
			}
			got := testrun.ReadFile(t, filepath.Join(s.Dir(), runstore.ReportMD))
			if c.banner != "" && !strings.HasPrefix(got, c.banner) {
				t.Errorf("report.md does not start with the banner %q:\n%s", c.banner, got)
			}
			if c.banner == "" && strings.HasPrefix(got, ">") {
				t.Errorf("live report has a banner:\n%s", got)
			}
			testrun.CheckGolden(t, "report-"+c.name+".md", got)
		})
	}
}

func TestMarkdownLiveContent(t *testing.T) {
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	testrun.ScriptLive(t, s)
	rep, err := s.Report()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# Incident report: INC-42",
		"- **Exit code:** 3 — finished with failed non-critical steps",
		"- **Containment:** confirmed — key answered 401 after 3 polls",
		"- **Time to containment:**",
		"### Critical (1)",
		"### High (1)",
		"evidence/001-identify.jsonl#1",
		"slack: channel_not_found",
		"3 findings: 1 critical, 1 high, 1 medium.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report.md lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "### Critical") > strings.Index(out, "### High") || strings.Index(out, "### High") > strings.Index(out, "### Medium") {
		t.Errorf("severities out of order:\n%s", out)
	}
	if strings.Contains(out, "## Planned changes") {
		t.Errorf("live run without planned changes shows the section")
	}
}

func TestMarkdownEscapesUntrustedText(t *testing.T) {
	hostile := "evil | column\nnew row <!here> [link](http://x) `code` <img src=x onerror=alert(1)> www.evil.example"
	rep := &report.Report{
		Run:   report.Run{ID: "r1", Incident: "INC-1 <b>", Mode: report.ModeLive, Status: report.RunSucceeded, Started: testrun.T0, Finished: testrun.T0.Add(time.Second)},
		Steps: []report.Step{{Index: 1, ID: "s", Action: "a.b", Status: report.StepFailed, Error: hostile}},
		Findings: []report.Finding{{Severity: report.High, Title: hostile, Subject: hostile, Detail: hostile,
			Evidence: []string{"evidence/001-s.jsonl#1"}}},
		Planned: []report.PlannedChange{{Step: "s", Method: "POST", URL: "https://h/x|y", Body: hostile}},
		Notes:   []report.Note{{Text: hostile}},
	}
	var b bytes.Buffer
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	// keyir's own lines may use code spans; nothing else may.
	body := strings.ReplaceAll(out, "`keyir report verify DIR`", "")
	for _, ch := range []string{"<", "[", "`", "]"} {
		if i := unescaped(body, ch); i >= 0 {
			t.Errorf("unescaped %q at %d: %q", ch, i, body[max(0, i-30):min(len(body), i+30)])
		}
	}
	for _, bad := range []string{"http://x", "www.evil"} {
		if strings.Contains(out, bad) {
			t.Errorf("report.md contains autolinkable %q:\n%s", bad, out)
		}
	}
	if strings.Contains(out, "new row") && strings.Contains(out, "\nnew row") {
		t.Errorf("a newline in untrusted text started a new line:\n%s", out)
	}
	// Every table row keeps its column count: an unescaped | would add one.
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cols := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if strings.Contains(line, "POST") && cols != 6 {
			t.Errorf("planned-change row has %d separators, want 6: %s", cols, line)
		}
		if strings.Contains(line, "a.b") && cols != 8 {
			t.Errorf("step row has %d separators, want 8: %s", cols, line)
		}
	}
	if !strings.Contains(out, `evil \| column new row \<!here\> \[link\](http\://x) \`+"`code\\`") {
		t.Errorf("escaped title not found as expected:\n%s", out)
	}
}

// unescaped returns the index of the first ch not preceded by an odd number
// of backslashes, or -1.
func unescaped(s, ch string) int {
	for i := 0; i < len(s); i++ {
		if !strings.HasPrefix(s[i:], ch) {
			continue
		}
		n := 0
		for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return i
		}
	}
	return -1
}

func TestMd(t *testing.T) {
	for in, want := range map[string]string{
		"revoke_key":          "revoke_key",
		"_x_":                 `\_x\_`,
		"a|b":                 `a\|b`,
		"line1\nline2\r\n":    "line1 line2",
		"<!channel>":          `\<!channel\>`,
		"[a](https://b.c)":    `\[a\](https\://b.c)`,
		"www.x.com":           `www\.x.com`,
		"esc\x1b[31mred":      `esc\[31mred`,
		"bidi\u202etxt.exe":   "biditxt.exe",
		"back\\slash":         `back\\slash`,
		"**bold** ~~strike~~": `\*\*bold\*\* \~\~strike\~\~`,
	} {
		if got := md(in); got != want {
			t.Errorf("md(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderSummary(t *testing.T) {
	s, dir := finishedDir(t)
	rep, err := runstore.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderSummary(&b, rep, dir); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Run r-20250304-abc123 · INC-42 · sendgrid-key-compromise · live · degraded · exit 3 (finished with failed non-critical steps)",
		"STEP", "revoke", "failed: slack: channel_not_found",
		"Findings: 3 findings: 1 critical, 1 high, 1 medium",
		"Containment: confirmed — key answered 401 after 3 polls (time to containment",
		"Report: " + filepath.Join(dir, runstore.ReportMD),
		"Manifest head: " + rep.ManifestHead,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if rep.ManifestHead == "" || strings.Contains(out, "\x1b") {
		t.Errorf("manifest head %q; summary:\n%s", rep.ManifestHead, out)
	}
	if strings.Contains(out, "DRY RUN") {
		t.Errorf("live summary says DRY RUN")
	}
	_ = s
}

func TestRenderSummaryDryRunStripsControls(t *testing.T) {
	rep := &report.Report{
		Run:      report.Run{ID: "r1", Mode: report.ModeDryRun, Status: report.RunSucceeded, Started: testrun.T0, Finished: testrun.T0.Add(time.Second)},
		Planned:  []report.PlannedChange{{Method: "DELETE", URL: "https://x/y"}},
		Findings: []report.Finding{{Severity: report.Info, Title: "evil\x1b]0;pwned\x07 title\nnext"}},
	}
	var b bytes.Buffer
	if err := RenderSummary(&b, rep, ""); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "DRY RUN — no changes were made; 1 write was refused") {
		t.Errorf("summary does not start with DRY RUN:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters reached the terminal: %q", out)
	}
}

func TestRenderJSONRoundTrip(t *testing.T) {
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	testrun.ScriptLive(t, s)
	rep, err := s.Report()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var back report.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Steps) != 5 || len(back.Findings) != 3 || back.ExitCode != 3 || back.Run.Containment.Status != report.ContainmentConfirmed {
		t.Errorf("round trip lost data: %+v", back)
	}
}

func TestLoadUnfinishedRun(t *testing.T) {
	s := testrun.NewStore(t, testrun.Run(report.ModeLive))
	run := s.Run()
	testrun.MustAppend(t, s,
		report.Event{Type: report.EventRunStarted, Run: &run, Steps: testrun.PlannedSteps()},
		report.Event{Type: report.EventStepStarted, Step: "identify", Index: 1, Attempt: 1},
	)
	rep, err := runstore.Load(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps[0].Status != report.StepInterrupted || len(rep.Notes) == 0 || !strings.Contains(rep.Notes[len(rep.Notes)-1].Text, "did not finish") {
		t.Errorf("unfinished run not reported as such: %+v", rep)
	}
	var b bytes.Buffer
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "> **INCOMPLETE**") || !strings.Contains(b.String(), "none yet") {
		t.Errorf("unfinished report lacks the INCOMPLETE banner:\n%s", b.String())
	}
}

func TestReplayFinalContainmentAndInterruptedExit(t *testing.T) {
	events := []report.Event{
		{Type: report.EventRunStarted, Time: testrun.T0, Steps: testrun.PlannedSteps()[:1]},
		{Type: report.EventStepStarted, Time: testrun.T0.Add(time.Second), Step: "identify", Index: 1},
		{Type: report.EventRunInterrupted, Time: testrun.T0.Add(2 * time.Second), ExitCode: testrun.IntP(report.ExitNotContained),
			Containment: &report.Containment{Status: report.ContainmentNotConfirmed, Detail: "interrupted before revoke"}},
	}
	rep := report.Replay(testrun.Run(report.ModeLive), events)
	if rep.Run.Containment.Status != report.ContainmentNotConfirmed || rep.ExitCode != report.ExitNotContained || rep.Run.Status != report.RunInterrupted {
		t.Fatalf("replay: %+v", rep.Run)
	}
	var b strings.Builder
	if err := RenderMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "> **INCOMPLETE**") || !strings.Contains(out, "**Exit code:** 4 — containment not confirmed") || !strings.Contains(out, "| interrupted |") {
		t.Errorf("interrupted report:\n%s", out)
	}
}

func TestClipWords(t *testing.T) {
	long := strings.Repeat("a", 5000) + "Z"
	got := ClipWords("no scenario \""+long+"\" (did you mean x?)", 60)
	if len(got) > 200 || !strings.HasPrefix(got, "no scenario \"aaa") || !strings.Contains(got, "…[5003 bytes]…") || !strings.HasSuffix(got, "aZ\" (did you mean x?)") {
		t.Errorf("clipped: %q", got)
	}
	for _, s := range []string{"short words stay as they are", strings.Repeat("é", 60) + " " + strings.Repeat("b", 60), ""} {
		if got := ClipWords(s, 60); got != s {
			t.Errorf("ClipWords(%q) = %q, want it unchanged", s, got)
		}
	}
	if got := ClipWords(strings.Repeat("é", 61), 60); !utf8.ValidString(got) || !strings.Contains(got, "[122 bytes]") {
		t.Errorf("a long word of two-byte runes: %q", got)
	}
}

func TestEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"plain path /tmp/x":               "plain path /tmp/x",
		"two\n\tlines":                    "two\n\tlines",
		"run\x1b[1A\rintact":              `run\x1b[1A\rintact`,
		"bidi \u202egnp.exe":              `bidi \u202egnp.exe`,
		"bad \xff byte, real \uFFFD kept": "bad \\xff byte, real \uFFFD kept",
		"bell\a and del\x7f":              `bell\a and del\x7f`,
		"résumé ✓":                        "résumé ✓",
	} {
		if got := Escaped(in); got != want {
			t.Errorf("Escaped(%q) = %q, want %q", in, got, want)
		}
	}
}

// A dry run refuses the provider's writes, but its notifications go out:
// the banner must say where, never "no changes" alone. From a run in memory
// ([]string) and from a report read back from JSON ([]any) alike.
func TestDryRunBannerNamesTheNotificationsSent(t *testing.T) {
	run := report.Run{ID: "r1", Mode: report.ModeDryRun}
	quiet := &report.Report{Run: run, Steps: []report.Step{{ID: "notify_open", Outputs: map[string]any{"sent": false, "channels": []string{}}}}}
	if b := Banner(quiet); strings.Contains(b, "notifications") {
		t.Errorf("a dry run that notified no one: %q", b)
	}
	for _, chans := range []any{[]string{"webhook", "slack"}, []any{"slack", "webhook"}} {
		rep := &report.Report{Run: run, Steps: []report.Step{
			{ID: "notify_open", Outputs: map[string]any{"sent": true, "channels": chans}},
			{ID: "notify_close", Outputs: map[string]any{"sent": true, "channels": chans}},
		}}
		if b := Banner(rep); !strings.HasSuffix(b, "Only notifications went out, marked DRY RUN: slack, webhook.") {
			t.Errorf("channels %v: banner %q", chans, b)
		}
	}
}
