package slacksim

import "context"
import "encoding/json"
import "errors"
import "strings"
import "testing"
import "time"

import "github.com/gorilla/websocket"
import "github.com/slack-go/slack"

func start(t *testing.T, o Options) (*Server, *slack.Client) {
	t.Helper()
	s := New(o)
	api, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, slack.New(s.BotToken(), slack.OptionAPIURL(api), slack.OptionAppLevelToken(s.AppToken()))
}

func TestAuthAndChannels(t *testing.T) {
	s, api := start(t, Options{UserGroups: map[string][]string{"S1": {"U1", "W2"}}})
	ctx := context.Background()
	if r, err := api.AuthTestContext(ctx); err != nil || r.TeamID != DefaultTeamID {
		t.Fatalf("%+v %v", r, err)
	}
	bad := slack.New("xoxb-wrong", slack.OptionAPIURL(s.URL()+"/api/"))
	if _, err := bad.AuthTestContext(ctx); err == nil || err.Error() != "invalid_auth" {
		t.Fatalf("want invalid_auth, got %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C404", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Fatalf("want channel_not_found, got %v", err)
	}
	users, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || len(users) != 2 {
		t.Fatalf("%v %v", users, err)
	}
	if ch, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: "C0INCIDENT"}); err != nil || ch.Name != "incidents" {
		t.Fatalf("%+v %v", ch, err)
	}
}

func TestThreadUploadTranscriptAndRateLimit(t *testing.T) {
	s, api := start(t, Options{RateLimit: RateLimit{Burst: 2, Interval: time.Hour}})
	ctx := context.Background()
	ch, ts, err := api.PostMessageContext(ctx, "#incidents", slack.MsgOptionText("anchor &lt;!here&gt;", false))
	if err != nil || ch != "C0INCIDENT" {
		t.Fatal(ch, err)
	}
	if _, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionTS(ts), slack.MsgOptionText("reply", false)); err != nil {
		t.Fatal(err)
	}
	_, _, err = api.PostMessageContext(ctx, ch, slack.MsgOptionText("third", false))
	var rl *slack.RateLimitedError
	if !errorsAs(err, &rl) || rl.RetryAfter < time.Second {
		t.Fatalf("want 429 with Retry-After, got %v", err)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionText("anchor v2", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "report.md", FileSize: 5,
		Reader: strings.NewReader("hello"), Channel: ch, ThreadTimestamp: ts, Title: "Report"}); err != nil {
		t.Fatal(err)
	}
	if f := s.Files(); len(f) != 1 || string(f[0].Content) != "hello" || f[0].Thread != ts {
		t.Fatalf("%+v", f)
	}
	tr := s.Transcript("incidents")
	for _, want := range []string{"(edited)", "anchor v2", "    │   reply", "📎 Report (report.md, 5 bytes)"} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	for _, c := range s.Calls() {
		if strings.Contains(string(c.Content()), s.BotToken()) {
			t.Errorf("token recorded in content of %s", c.Method)
		}
	}
}

func TestResponseURLLimit(t *testing.T) {
	s, _ := start(t, Options{})
	u := s.NewResponseURL("", "C0INCIDENT", "U1")
	for i := range ResponseURLLimit + 1 {
		err := slack.PostWebhookContext(context.Background(), u, &slack.WebhookMessage{Text: "hi"})
		if (err == nil) != (i < ResponseURLLimit) {
			t.Fatalf("post %d: %v", i, err)
		}
	}
}

func TestSocketMode(t *testing.T) {
	s, api := start(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil || !strings.HasPrefix(wsURL, "ws://") {
		t.Fatal(wsURL, err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, map[string][]string{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hello map[string]any
	if err := conn.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
		t.Fatal(hello, err)
	}
	id, err := s.Push(Envelope{Type: "slash_commands", Payload: map[string]string{"command": "/keyir"}, AcceptsResponsePayload: true})
	if err != nil {
		t.Fatal(err)
	}
	var env Envelope
	if err := conn.ReadJSON(&env); err != nil || env.EnvelopeID != id {
		t.Fatal(env, err)
	}
	conn.WriteJSON(map[string]any{"envelope_id": id, "payload": map[string]string{"text": "ok"}})
	ack, err := s.WaitAck(ctx, id)
	if err != nil || !json.Valid(ack.Payload) {
		t.Fatal(ack, err)
	}
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
