package slackspec

import "context"
import "encoding/json"
import "net/http"
import "net/url"
import "strings"
import "testing"
import "time"

import "github.com/slack-go/slack"

import "github.com/keyir/keyir/sim/slacksim"

// The checker finds departures both ways: an undeclared argument, a missing
// token, an answer its schema refuses.
func TestProblemsAreFound(t *testing.T) {
	calls := []slacksim.Call{
		{Method: "auth.test", Token: "xoxb-x", Fields: url.Values{"verbose": {"1"}}, Status: 200,
			Reply: []byte(`{"ok":true,"url":"u","team":"t","user":"u","team_id":"T0SIM","user_id":"U0X","bot_id":"B0SHORT"}`)},
		{Method: "team.accessLogs", Fields: url.Values{"cursor": {"abc"}}, Status: 200, Reply: []byte(`{"ok":false,"error":"made_up"}`)},
		{Method: "auth.revoke", Token: "xoxp-x", Status: 200, Reply: []byte(`{"ok":true,"revoked":true}`)},
	}
	got, err := Problems(calls)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{`argument "verbose" is not declared`, "answer of auth.test", `argument "cursor" is not declared`, "request team.accessLogs: no token", "answer of team.accessLogs"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if len(got) != 5 {
		t.Errorf("want 5 problems (auth.revoke conforms), got %d:\n%s", len(got), all)
	}
}

// The simulator's answers to slack-go's own calls conform, every exemption
// is exercised, and paging and throttling look as Slack's.
func TestSimulatorConforms(t *testing.T) {
	sc, _ := slacksim.LookupScenario("slack-user-token-leak")
	w := sc.Build(timeNow())
	w.Options.MethodLimits = map[string]int{"team.integrationLogs": 2}
	w.Options.Tokens = append(w.Options.Tokens, slacksim.Token{Value: "xoxp-1-2-3-noscope", UserID: "U0NOSCOPE", Scopes: []string{"identify"}})
	sim := slacksim.New(w.Options)
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	leaked := slack.New(w.Leaked, slack.OptionAPIURL(api))
	if r, err := leaked.AuthTestContext(ctx); err != nil || r.UserID != slacksim.AliceUser {
		t.Fatal(r, err)
	}
	if _, err := slack.New(sim.BotToken(), slack.OptionAPIURL(api)).AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	body, _ := get(t, api, "team.integrationLogs", w.Admin, "count=1&page=2")
	if p := body["paging"].(map[string]any); len(body["logs"].([]any)) != 1 || p["pages"] != 2.0 || p["total"] != 2.0 {
		t.Fatalf("%v", body)
	}
	if body, _ := get(t, api, "team.integrationLogs", w.Admin, "user=U0NOBODY"); len(body["logs"].([]any)) != 0 {
		t.Fatal(body)
	}
	if body, _ := get(t, api, "team.accessLogs", w.Admin, "before=1"); len(body["logins"].([]any)) != 0 {
		t.Fatal(body)
	}
	if body, _ := get(t, api, "team.accessLogs", w.Admin, "page=101"); body["error"] != "over_pagination_limit" {
		t.Fatal(body)
	}
	if _, resp := get(t, api, "team.integrationLogs", w.Admin, ""); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("want 429 with Retry-After, got %d", resp.StatusCode)
	}
	if body, _ := get(t, api, "team.accessLogs", "xoxp-1-2-3-noscope", ""); body["error"] != "missing_scope" || body["needed"] != "admin" {
		t.Fatal(body)
	}
	if body, _ := get(t, api, "team.accessLogs", sim.BotToken(), ""); body["error"] != "user_is_bot" {
		t.Fatal(body)
	}
	if _, resp := get(t, api, "auth.test", w.Leaked, ""); resp.Header.Get("X-OAuth-Scopes") != "channels:history,channels:read,chat:write,files:read,files:write,users:read" {
		t.Fatalf("scopes header %q", resp.Header.Get("X-OAuth-Scopes"))
	}
	if body, _ := get(t, api, "auth.revoke", w.Leaked, "test=1"); body["revoked"] != false || sim.Dead(w.Leaked) {
		t.Fatal("test=1 revoked the token", body)
	}
	if r, err := leaked.SendAuthRevokeContext(ctx, ""); err != nil || !r.Revoked {
		t.Fatal(r, err)
	}
	if _, err := leaked.AuthTestContext(ctx); err == nil || err.Error() != "token_revoked" {
		t.Fatalf("want token_revoked, got %v", err)
	}
	Check(t, sim.Calls())
}

func timeNow() time.Time { return time.Now() }

// get calls a method with GET and the token as a Bearer header.
func get(t *testing.T, api, method, token, query string) (map[string]any, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", api+method+"?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return body, resp
}

// The notification channel's and keyir serve's methods, as slack-go sends
// them, and the simulator's answers conform too.
func TestNotificationMethodsConform(t *testing.T) {
	sim := slacksim.New(slacksim.Options{UserGroups: map[string][]string{"S0ONCALL": {"U0ALICE01", "W0BOB0001"}}})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	c := slack.New(sim.BotToken(), slack.OptionAPIURL(api))
	ctx := context.Background()
	ch, ts, err := c.PostMessageContext(ctx, "C0INCIDENT", slack.MsgOptionText("anchor", false))
	if err != nil {
		t.Fatal(err)
	}
	steps := []error{
		func() error {
			_, _, err := c.PostMessageContext(ctx, ch, slack.MsgOptionTS(ts), slack.MsgOptionText("reply", false))
			return err
		}(),
		func() error {
			_, _, _, err := c.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("anchor v2", false))
			return err
		}(),
		func() error {
			_, err := c.PostEphemeralContext(ctx, ch, "U0ALICE01", slack.MsgOptionText("only you", false))
			return err
		}(),
		func() error {
			_, err := c.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: ch})
			return err
		}(),
		func() error { _, err := c.GetUserGroupMembersContext(ctx, "S0ONCALL"); return err }(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if _, _, err := c.PostMessageContext(ctx, "C0NOWHERE", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("want channel_not_found, got %v", err)
	}
	if n := len(sim.Calls()); n != 7 {
		t.Fatalf("%d calls recorded", n)
	}
	Check(t, sim.Calls())
}
