package main

import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// The closing notification is built before its own delivery: when the
// webhook refuses it, the closing step fails and the run ends exit 3
// (degraded), but Slack's anchor kept "succeeded (exit code 0)". The hub
// now tells every channel whose closing message named another outcome the
// run's final one, once the run is sealed: the anchor ends saying exit
// code 3, which is the process's exit code and the report's.
func TestClosingMessageEndsWithTheRunsExitCode(t *testing.T) {
	envv, _, leaked := simAccount(t, sendgridsim.ResponderScopes())
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	url, refused := refusingReceiver(t, func(ev string) bool { return ev == "closed" })
	envv["SLACK_API_URL"], envv["SLACK_BOT_TOKEN"], envv["KEYIR_WEBHOOK_SECRET"] = api, notifytest.BotToken, "whsec-close-exit-test-0123456789"
	reports := filepath.Join(t.TempDir(), "reports")
	r := keyir(t, leaked.Token()+"\n", envv, "run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-9", "--reports", reports,
		"--window-start", time.Now().Add(-24*time.Hour).UTC().Format(time.RFC3339), "--slack-channel", "C0INCIDENT", "--webhook-url", url)
	if refused() == 0 {
		t.Fatalf("the receiver refused nothing\n%s", r.stderr)
	}
	if r.code != report.ExitDegraded {
		t.Fatalf("run: exit %d, want %d (the closing notification failed)\n%s", r.code, report.ExitDegraded, r.stderr)
	}
	msgs := sim.Messages("incidents")
	if len(msgs) == 0 {
		t.Fatal("no Slack message")
	}
	anchor := string(msgs[0].Blocks)
	if !strings.Contains(anchor, "degraded (exit code 3)") || strings.Contains(anchor, "check_mark: succeeded (exit code 0)") || !strings.Contains(anchor, "the run ended degraded (exit code 3)") {
		t.Errorf("the anchor does not end with the run's exit code 3:\n%s", sim.Transcript("incidents"))
	}
}
