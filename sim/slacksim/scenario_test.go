package slacksim

import "bytes"
import "context"
import "strings"
import "testing"
import "time"

import "github.com/slack-go/slack"

// `keyir sim slack --scenario`: the lines printed are what a responder's
// shell needs, and they work: the leaked token authenticates at the URL, is
// refused once revoked (after the propagation delay), and the admin token
// may read the access logs.
func TestStandaloneScenario(t *testing.T) {
	var out bytes.Buffer
	sim, err := Standalone(StandaloneOptions{Listen: "127.0.0.1:0", Scenario: "slack-bot-token-leak"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	vars := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.ToUpper(k) == k && !strings.Contains(k, " ") {
			vars[k] = v
		}
	}
	if vars["LEAKED_TOKEN"] != LeakedBotToken || vars["SLACK_ADMIN_TOKEN"] != AdminToken || vars["SLACK_BOT_TOKEN"] != DefaultBotToken || vars["SLACK_API_URL"] == "" {
		t.Fatalf("printed %q", out.String())
	}
	ctx := context.Background()
	leaked := slack.New(vars["LEAKED_TOKEN"], slack.OptionAPIURL(vars["SLACK_API_URL"]))
	if r, err := leaked.AuthTestContext(ctx); err != nil || r.BotID != LeakedBot {
		t.Fatal(r, err)
	}
	if _, _, err := slack.New(vars["SLACK_ADMIN_TOKEN"], slack.OptionAPIURL(vars["SLACK_API_URL"])).GetAccessLogsContext(ctx, slack.AccessLogParameters{}); err != nil {
		t.Fatal(err)
	}
	if _, err := leaked.SendAuthRevokeContext(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := leaked.AuthTestContext(ctx); err != nil {
		t.Fatalf("refused before the 2s propagation delay: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !sim.Dead(LeakedBotToken) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := leaked.AuthTestContext(ctx); err == nil || err.Error() != "token_revoked" {
		t.Fatalf("want token_revoked after propagation, got %v", err)
	}
	if _, err := Standalone(StandaloneOptions{Listen: "127.0.0.1:0", Scenario: "nope"}, &out); err == nil || !strings.Contains(err.Error(), "slack-user-token-leak") {
		t.Fatalf("want the known scenarios named, got %v", err)
	}
}

// keyir's own bot token is in the token model: once revoked (its own leak,
// contained), chat.postMessage refuses it too.
func TestRevokedBotTokenStopsPosting(t *testing.T) {
	s, api := start(t, Options{})
	ctx := context.Background()
	if r, err := api.SendAuthRevokeContext(ctx, ""); err != nil || !r.Revoked {
		t.Fatal(r, err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C0INCIDENT", slack.MsgOptionText("x", false)); err == nil || err.Error() != "token_revoked" {
		t.Fatalf("want token_revoked, got %v", err)
	}
	if len(s.Messages("C0INCIDENT")) != 0 {
		t.Fatal("posted with a revoked token")
	}
}
