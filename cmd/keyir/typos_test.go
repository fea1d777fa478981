package main

import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

// Each typo exits 2, says so once, and suggests the near miss.
func TestTyposExitTwoWithOneSuggestion(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"dril"}, `unknown command "dril" (did you mean "drill"?)`},
		{[]string{"report", "shw", "x"}, `unknown report command "shw" (did you mean "show"?)`},
		{[]string{"sim", "sendgrd"}, `unknown sim command "sendgrd" (did you mean "sendgrid"?)`},
		{[]string{"drill", "--scenaro", "x"}, `unknown flag --scenaro (did you mean "--scenario"?)`},
		{[]string{"run", "x", "--incidnet", "INC-1"}, `unknown flag --incidnet (did you mean "--incident"?)`},
		{[]string{"--verison"}, `unknown flag --verison (did you mean "--version"?)`},
		{[]string{"help", "dril"}, `unknown command "dril" (did you mean "drill"?)`},
		{[]string{"xyzzy"}, `unknown command "xyzzy"; keyir has: respond, run, drill`},
	}
	for _, c := range cases {
		r := keyir(t, "", nil, c.args...)
		if r.code != 2 {
			t.Errorf("keyir %v: exit %d, want 2; stderr %q", c.args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("keyir %v: stderr lacks %q:\n%s", c.args, c.want, r.stderr)
		}
		if n := strings.Count(r.stderr, "keyir: "); n != 1 {
			t.Errorf("keyir %v: the error is printed %d times:\n%s", c.args, n, r.stderr)
		}
	}
}

func TestScenarioNamesArePlain(t *testing.T) {
	r := keyir(t, "", nil, "drill", "--scenario", "spam-brust", "--reports", t.TempDir())
	if r.code != 2 || strings.Contains(r.stderr, "[") || !strings.Contains(r.stderr, "persistence, rate-limited, ") || !strings.Contains(r.stderr, ", spam-burst, ") || !strings.Contains(r.stderr, `did you mean "spam-burst"`) {
		t.Errorf("exit %d, stderr %q: want exit 2, the names comma-separated and a suggestion", r.code, r.stderr)
	}
}

func TestAKeyOfAnotherKindIsNamedNeverPrinted(t *testing.T) {
	reports := filepath.Join(t.TempDir(), "r")
	for key, kind := range map[string]string{
		"ghp_abcdefghijklmnopqrstuvwxyz0123456789": "this is a GitHub personal access token",
		"xoxb-1234567890-abcdefghijklmnop":         "this is a Slack bot token",
	} {
		r := keyir(t, key+"\n", nil, "run", "sendgrid-key-compromise", "--key", "-", "--dry-run", "--reports", reports)
		if r.code != 2 || !strings.Contains(r.stderr, kind) {
			t.Errorf("exit %d, stderr %q: want 2 and %q", r.code, r.stderr, kind)
		}
		if strings.Contains(r.stderr+r.stdout, key) || strings.Contains(r.stderr, `SG\.`) {
			t.Errorf("the message quotes the key or the pattern: %q", r.stderr)
		}
	}
	if _, err := os.Stat(reports); err == nil {
		t.Error("a refused key left a reports directory")
	}
}

// timesPlaybook records its window inputs in run.json, so a test sees what
// the forms were read as.
const timesPlaybook = `name: times
description: records the window
inputs:
  window_start: {type: time}
  window_end: {type: time}
steps:
  - id: n
    action: core.note
    with: {text: "{{ .inputs.window_start }} to {{ .inputs.window_end }}"}
`

func TestWindowTimesAcceptDatesAndDurations(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", timesPlaybook)
	cases := []struct {
		flags      []string
		start, end string
	}{
		{[]string{"--window-start", "2026-01-05T10:00:00Z", "--window-end", "2026-01-06T10:00:00Z"}, "2026-01-05T10:00:00Z", "2026-01-06T10:00:00Z"},
		{[]string{"--window-start", "2026-01-05", "--window-end", "2026-01-07"}, "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"},
		{[]string{"--window-start", "72h", "--window-end", "2026-01-07"}, "2026-01-04T00:00:00Z", "2026-01-07T00:00:00Z"},
		{[]string{"--window-start", "7d", "--window-end", "2026-01-07T12:00:00Z"}, "2025-12-31T12:00:00Z", "2026-01-07T12:00:00Z"},
		{[]string{"--input", "window_start=2d", "--input", "window_end=2026-01-07"}, "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"},
	}
	for i, c := range cases {
		reports := filepath.Join(dir, "r", string(rune('a'+i)))
		args := append([]string{"run", pb, "--reports", reports}, c.flags...)
		r := keyir(t, "", nil, args...)
		if r.code != 0 {
			t.Errorf("%v: exit %d: %s", c.flags, r.code, r.stderr)
			continue
		}
		b, err := os.ReadFile(filepath.Join(onlyRunDir(t, reports), "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var run struct{ Inputs map[string]string }
		if err := json.Unmarshal(b, &run); err != nil {
			t.Fatal(err)
		}
		if run.Inputs["window_start"] != c.start || run.Inputs["window_end"] != c.end {
			t.Errorf("%v: recorded %s to %s, want %s to %s", c.flags, run.Inputs["window_start"], run.Inputs["window_end"], c.start, c.end)
		}
	}
}

func TestWindowEndDurationCountsBackFromNow(t *testing.T) {
	reports := filepath.Join(t.TempDir(), "r")
	pb := writeFile(t, t.TempDir(), "pb.yaml", timesPlaybook)
	before := time.Now()
	if r := keyir(t, "", nil, "run", pb, "--reports", reports, "--window-end", "1h", "--window-start", "2h"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(onlyRunDir(t, reports), "run.json"))
	var run struct{ Inputs map[string]string }
	json.Unmarshal(b, &run)
	end, err := time.Parse(time.RFC3339, run.Inputs["window_end"])
	if err != nil {
		t.Fatal(err)
	}
	start, _ := time.Parse(time.RFC3339, run.Inputs["window_start"])
	if d := before.Sub(end); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("window_end %s is %v before now, want 1h", end, d)
	}
	if end.Sub(start) != 2*time.Hour {
		t.Errorf("window_start %s is %v before window_end, want 2h (a duration counts back from the end)", start, end.Sub(start))
	}
}

// A window in the future, reversed, or unreadable is refused before the run
// directory exists.
func TestBadWindowsAreRefusedBeforeAnythingRuns(t *testing.T) {
	dir := t.TempDir()
	pb := writeFile(t, dir, "pb.yaml", timesPlaybook)
	future := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02")
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"--window-start", future}, "is in the future"},
		{[]string{"--window-end", time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, "is in the future"},
		{[]string{"--window-start", "2026-01-07", "--window-end", "2026-01-05"}, "reversed"},
		{[]string{"--window-start", "yesterday"}, "a date (2026-11-25, midnight UTC), or a duration"},
		{[]string{"--window-start", "2026-02-30"}, "not a date"},
		{[]string{"--window-start", "-3h"}, "must be positive"},
	}
	for _, c := range cases {
		reports := filepath.Join(dir, "r")
		for _, p := range []string{pb, "sendgrid-key-compromise"} {
			args := append([]string{"run", p, "--key-id", "AbCdEfGhIjKlMnOpQrStUv", "--reports", reports}, c.flags...)
			if p == pb {
				args = append([]string{"run", p, "--reports", reports}, c.flags...)
			}
			r := keyir(t, "", nil, args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("%s %v: exit %d, stderr %q; want 2 and %q", p, c.flags, r.code, r.stderr, c.want)
			}
			if _, err := os.Stat(reports); err == nil {
				t.Fatalf("%v: a refused window left %s", c.flags, reports)
			}
		}
	}
}
