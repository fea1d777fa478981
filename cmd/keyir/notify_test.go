package main

import "encoding/json"
import "github.com/keyir/keyir/report"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// keyir drill always posts to its built-in Slack simulator and shows the
// drill channel as a person would read it; --output json counts it.
func TestDrillShowsWhatSlackWouldShow(t *testing.T) {
	reports := t.TempDir()
	r := keyir(t, "", nil, "drill", "--scenario", "persistence", "--reports", reports)
	if r.code != report.ExitFootholdsOpen { // contained, footholds open

		t.Fatalf("drill: exit %d\n%s", r.code, r.stderr)
	}
	// Slack's markup is shown as text: "Outcome:", not "*Outcome:*".
	for _, want := range []string{"What #keyir-drill would show", "[DRILL] Leaked SendGrid API key — DRILL-persistence", "Outcome:", "[DRILL] Progress:", "[DRILL] Findings (", "report.md"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("drill output lacks %q", want)
		}
	}
	for _, raw := range []string{"*Outcome:*", "*Progress:*", ":white_check_mark:", ":test_tube:"} {
		if strings.Contains(r.stdout, raw) {
			t.Errorf("drill output shows Slack markup %q", raw)
		}
	}
	r = keyir(t, "", nil, "drill", "--scenario", "persistence", "--reports", reports, "--output", "json")
	var out drillJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != report.ExitFootholdsOpen {
		t.Fatalf("exit %d, %v\n%s", r.code, err, r.stdout)
	}
	if out.SlackMessages != 5 || out.SlackCalls < 6 || out.StepsTotal != 10 || len(out.NotifyErrors) > 0 {
		t.Errorf("slack_messages %d, slack_calls %d, steps %d, errors %v", out.SlackMessages, out.SlackCalls, out.StepsTotal, out.NotifyErrors)
	}
}

// keyir run with --slack-channel opens the incident in that channel before
// the revoke and closes it after the assessment; SLACK_API_URL points it at
// the simulator. A missing token is a usage error before anything runs.
func TestRunNotifiesSlack(t *testing.T) {
	envv, _, leaked := simAccount(t, sendgridsim.ResponderScopes())
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	envv["SLACK_API_URL"] = api
	reports := filepath.Join(t.TempDir(), "reports")
	args := []string{"run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-9", "--reports", reports,
		"--window-start", time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339), "--slack-channel", "C0INCIDENT", "--output", "json"}

	if r := keyir(t, leaked.Token()+"\n", envv, args...); r.code != 2 || !strings.Contains(r.stderr, "SLACK_BOT_TOKEN") {
		t.Fatalf("without a token: exit %d %s", r.code, r.stderr)
	}
	if n := len(sim.Calls()); n != 0 {
		t.Fatalf("%d Slack calls without a token", n)
	}

	envv["SLACK_BOT_TOKEN"] = notifytest.BotToken
	r := keyir(t, leaked.Token()+"\n", envv, args...)
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	msgs := sim.Messages("incidents")
	if len(msgs) != 5 || !msgs[0].Edited() || len(sim.Files()) != 1 {
		t.Fatalf("%d messages, %d files:\n%s", len(msgs), len(sim.Files()), sim.Transcript("incidents"))
	}
	if strings.Contains(string(msgs[0].Blocks), "DRILL") || strings.Contains(string(msgs[0].Blocks), "DRY RUN") {
		t.Errorf("a live run's anchor carries a rehearsal label: %s", msgs[0].Blocks)
	}
	var outputs [][]byte
	for _, c := range sim.Calls() {
		outputs = append(outputs, c.Content())
	}
	notifytest.AssertLeaksNoSecret(t, []string{leaked.Token(), envv["SENDGRID_API_KEY"], notifytest.BotToken}, append(outputs, []byte(r.stdout+r.stderr))...)
}
