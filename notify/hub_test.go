package notify_test

import "context"
import "errors"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import _ "github.com/keyir/keyir/notify/all"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

func slackHub(t *testing.T) (*slacksim.Server, *notify.Hub) {
	t.Helper()
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken, RateLimit: slacksim.RateLimit{Off: true}})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	hub, err := notify.NewHub(notify.HubConfig{
		Retry:    notify.Policy{MaxAttempts: 2, Initial: 10 * time.Millisecond},
		Channels: map[string]map[string]any{"slack": {"channel": "#incidents", "api_url": api}},
	}, notify.HubEnv{Redactor: redact.New(), Getenv: envMap{"SLACK_BOT_TOKEN": notifytest.BotToken}.get})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	return sim, hub
}

type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }

// Enqueue returns at once even when Slack hangs; Flush is bounded by its
// context and says what is still pending; Close does not wait for Slack.
func TestHubNeverBlocksTheRun(t *testing.T) {
	sim, hub := slackHub(t)
	sim.Inject(slacksim.Fault{Method: "*", Times: 100, Hang: true})
	start := time.Now()
	for _, k := range []notify.Kind{notify.Opened, notify.Progress, notify.Progress, notify.Closed} {
		hub.Enqueue(notifytest.Event(k, report.ModeLive))
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Enqueue took %s", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := hub.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still being delivered") {
		t.Fatalf("Flush: %v", err)
	}
	start = time.Now()
	hub.Close()
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close took %s", d)
	}
	hub.Enqueue(notifytest.Event(notify.Opened, report.ModeLive)) // after Close: dropped, no panic
}

// Events reach Slack in order, queued progress is coalesced, and errors are
// reported per channel and redacted.
func TestHubOrderAndErrors(t *testing.T) {
	sim, hub := slackHub(t)
	if !hub.Has("slack") || hub.Has("email") || strings.Join(hub.Channels(), ",") != "slack" {
		t.Fatalf("channels %v", hub.Channels())
	}
	for _, k := range []notify.Kind{notify.Opened, notify.Progress, notify.Progress, notify.Progress, notify.Closed} {
		hub.Enqueue(notifytest.Event(k, report.ModeDrill))
	}
	if err := hub.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := sim.Messages("incidents")
	if len(msgs) < 3 || msgs[0].ThreadTS != "" || !msgs[0].Edited() {
		t.Fatalf("thread:\n%s", sim.Transcript("incidents"))
	}
	if st := hub.Stats()["slack"]; st.Events > 4 || st.Failures != 0 {
		t.Errorf("stats %+v: queued progress was not coalesced", st)
	}
	sim.Inject(slacksim.Fault{Method: "chat.update", Times: 10, Error: "message_not_found"})
	hub.Enqueue(notifytest.Event(notify.Closed, report.ModeDrill))
	err := hub.Flush(context.Background())
	if err == nil || !strings.Contains(err.Error(), "message_not_found") || hub.Err("email") != nil {
		t.Fatalf("Flush: %v", err)
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), []byte(err.Error()))
}
