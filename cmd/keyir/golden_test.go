package main

import "bytes"
import "encoding/json"
import "flag"
import "os"
import "path/filepath"
import "regexp"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

// go test ./cmd/keyir -run Golden -update rewrites the golden files; the
// diff is then reviewed like code.
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden")

var sgrRE = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// golden compares got with testdata/golden/name, and checks the screen's
// promises: no line wider than cols (escapes aside), escapes only with
// colour, and the same text with colour stripped as without.
func golden(t *testing.T, name, got string, cols int, color bool) {
	t.Helper()
	for _, line := range strings.Split(got, "\n") {
		if n := len([]rune(sgrRE.ReplaceAllString(line, ""))); n > cols {
			t.Errorf("%s: a line of %d columns at %d: %q", name, n, cols, line)
		}
	}
	if !color && strings.Contains(got, "\x1b") {
		t.Errorf("%s: escapes without colour", name)
	}
	if color && !sgrRE.MatchString(got) {
		t.Errorf("%s: no colour on a terminal", name)
	}
	p := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -run Golden -update, then review the diff):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// goldenApp is an app on a terminal of cols columns, with or without
// colour (NO_COLOR), writing stdout to out.
func goldenApp(out *bytes.Buffer, cols int, color bool) *app {
	envv := map[string]string{"COLUMNS": strconv.Itoa(cols)}
	if !color {
		envv["NO_COLOR"] = "1"
	}
	return newApp(env{stdout: out, stderr: &bytes.Buffer{}, getenv: func(k string) string { return envv[k] }, tty: true, outTTY: true})
}

// goldenReport is a finished live run with a failed non-critical step and
// findings of every severity, one with a long title from an API.
func goldenReport() *report.Report {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	steps := []report.Step{
		{Index: 1, ID: "identify", Action: "sendgrid.identify_key", Status: report.StepOK, Critical: true, Attempts: 1, Duration: 200 * time.Microsecond},
		{Index: 2, ID: "revoke", Action: "sendgrid.revoke_key", Status: report.StepOK, Critical: true, Attempts: 1, Duration: 12 * time.Millisecond},
		{Index: 3, ID: "confirm", Action: "sendgrid.confirm_revoked", Status: report.StepOK, Critical: true, Attempts: 1, Duration: 15 * time.Millisecond},
		{Index: 4, ID: "stats", Action: "sendgrid.stats", Status: report.StepFailed, Attempts: 3, Duration: 2 * time.Second,
			Error: "SendGrid GET /v3/stats: 403 access forbidden: the responder key (SENDGRID_API_KEY) lacks stats.read, so daily volume cannot be compared with the baseline"},
	}
	return &report.Report{
		Run: report.Run{ID: "0123456789ab", Incident: "INC-42", Playbook: "builtin:sendgrid-key-compromise", Mode: report.ModeLive,
			Started: start, Finished: start.Add(2300 * time.Millisecond), Status: report.RunDegraded,
			Containment: report.Containment{Status: "confirmed", Detail: "the leaked key itself answered 401 on GET /v3/scopes after 1 poll", TimeToContainment: 101 * time.Millisecond}},
		Steps: steps,
		Findings: []report.Finding{
			{Kind: "k", Severity: report.Critical, Title: `Leaked key "ci-deploy": full access, critical blast radius`, Subject: "V586eSxe3GlNmv4HUtizkd"},
			{Kind: "k", Severity: report.High, Title: "Event webhook to https://collect.hooks-relay.example/sg (enabled): every event of the account is sent there", Subject: "collect.hooks-relay.example"},
			{Kind: "k", Severity: report.Medium, Title: "Bounces spiked in the exposure window", Subject: ""},
			{Kind: "k", Severity: report.Low, Title: "Pending teammate invite to ops-helper@mailbox.example", Subject: "ops-helper@mailbox.example"},
			{Kind: "k", Severity: report.Info, Title: "4,210 messages sent with the leaked key", Subject: "V586eSxe3GlNmv4HUtizkd"},
		},
		ExitCode:     3,
		ManifestHead: strings.Repeat("ab", 32),
	}
}

// The run summary after a live step list: no second step table, the failed
// step's error in full, findings laid out for the width, severity and
// containment coloured only with colour.
func TestGoldenRunSummary(t *testing.T) {
	for _, cols := range []int{80, 120} {
		for _, color := range []bool{false, true} {
			var out bytes.Buffer
			a := goldenApp(&out, cols, color)
			if err := a.renderRunSummary(a.out, goldenReport(), "reports/20261201T090000Z_INC-42_0123456789ab"); err != nil {
				t.Fatal(err)
			}
			a.out.Flush()
			got := out.String()
			name := "summary-" + strconv.Itoa(cols) + map[bool]string{false: "", true: "-color"}[color] + ".txt"
			golden(t, name, got, cols, color)
			if strings.Contains(got, "ATTEMPTS") {
				t.Errorf("%s: the step table is printed again after the live list", name)
			}
			if !strings.Contains(strings.Join(strings.Fields(sgrRE.ReplaceAllString(got, "")), " "), "lacks stats.read, so daily volume cannot be compared with the baseline") {
				t.Errorf("%s: the failed step's error is not printed in full", name)
			}
		}
	}
	// Without colour, the coloured screen's text.
	var plain, colored bytes.Buffer
	a, b := goldenApp(&plain, 80, false), goldenApp(&colored, 80, true)
	a.renderRunSummary(a.out, goldenReport(), "d")
	b.renderRunSummary(b.out, goldenReport(), "d")
	a.out.Flush()
	b.out.Flush()
	if sgrRE.ReplaceAllString(colored.String(), "") != plain.String() {
		t.Error("colour changes more than colour")
	}
}

// Off a terminal (a pipe), the step table is the step list, laid out for
// the width.
func TestGoldenRunSummaryPiped(t *testing.T) {
	var out bytes.Buffer
	a := newApp(env{stdout: &out, stderr: &bytes.Buffer{}, getenv: func(k string) string { return map[string]string{"COLUMNS": "80"}[k] }})
	if err := a.renderRunSummary(a.out, goldenReport(), "reports/x"); err != nil {
		t.Fatal(err)
	}
	a.out.Flush()
	golden(t, "summary-80-piped.txt", out.String(), 80, false)
}

// doctor's screen: one check a line, wrapped under its detail column.
func TestGoldenDoctor(t *testing.T) {
	checks := []doctorCheck{
		{"reports", "ok", "runs can be written under /var/lib/keyir/reports"},
		{"sendgrid_api", "ok", "SendGrid at https://api.sendgrid.com answered in 85ms"},
		{"clock", "warn", "this machine's clock is 2m5s behind SendGrid's: exposure windows and evidence times are off by as much; synchronise it (NTP)"},
		{"responder_key", "ok", "SendGrid accepts the responder key (SENDGRID_API_KEY)"},
		{"slack", "fail", `Slack found no channel "incidents": Slack looks channels up by id; give the channel's id (C…, from the channel's details) instead of its name`},
		{"webhook", "skip", "no webhook configured (--webhook-url or KEYIR_WEBHOOK_URL)"},
	}
	for _, cols := range []int{80, 120} {
		for _, color := range []bool{false, true} {
			var out bytes.Buffer
			a := goldenApp(&out, cols, color)
			if !a.printDoctorChecks(checks) {
				t.Error("a failed check not reported")
			}
			a.out.Flush()
			golden(t, "doctor-"+strconv.Itoa(cols)+map[bool]string{false: "", true: "-color"}[color]+".txt", out.String(), cols, color)
		}
	}
}

// A notify action is labelled as notifying, not as a read; a revoke as
// mutating.
func TestActionsLabelNotifyingActions(t *testing.T) {
	r := keyir(t, "", map[string]string{"COLUMNS": "200"}, "actions")
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "notify.") && !strings.Contains(line, "(notifies: sends messages, changes nothing)") {
			t.Errorf("%q", line)
		}
		if strings.HasPrefix(line, "sendgrid.revoke_key ") && !strings.Contains(line, "MUTATES") {
			t.Errorf("%q", line)
		}
	}
	r = keyir(t, "", nil, "actions", "--output", "json")
	var list []actionJSON
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if want := map[bool]string{true: "notifies", false: a.Effect}[strings.HasPrefix(a.Name, "notify.")]; a.Effect != want || a.Effect == "" {
			t.Errorf("%s: effect %q", a.Name, a.Effect)
		}
	}
}
