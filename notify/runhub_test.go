package notify_test

import "context"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

// TestStartRunWithoutChannels: no channel, no hub: the run gets no
// service, and finishing it is a no-op, not a panic.
func TestStartRunWithoutChannels(t *testing.T) {
	hub, err := notify.StartRun(notify.HubConfig{}, notify.HubEnv{Redactor: redact.New()})
	if err != nil || hub != nil {
		t.Fatalf("StartRun with no channel = %v, %v; want no hub", hub, err)
	}
	if s := hub.Services(); s != nil {
		t.Errorf("services of no hub: %v", s)
	}
	if err := hub.Finish(context.Background(), time.Second); err != nil {
		t.Errorf("Finish of no hub: %v", err)
	}
}

// TestStartRunServesAndFinishes: a configured hub is the run's "notify"
// service, a missing credential fails before the run, and Finish delivers
// what is queued before it stops the hub.
func TestStartRunServesAndFinishes(t *testing.T) {
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken, RateLimit: slacksim.RateLimit{Off: true}})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := notify.HubConfig{Channels: map[string]map[string]any{"slack": {"channel": "#incidents", "api_url": api}}}
	if _, err := notify.StartRun(cfg, notify.HubEnv{Redactor: redact.New(), Getenv: envMap{}.get}); err == nil {
		t.Fatal("a hub without its token started")
	}
	hub, err := notify.StartRun(cfg, notify.HubEnv{Redactor: redact.New(), Getenv: envMap{"SLACK_BOT_TOKEN": notifytest.BotToken}.get})
	if err != nil || hub == nil {
		t.Fatalf("StartRun = %v, %v", hub, err)
	}
	if got, _ := hub.Services()[notify.ServiceName].(*notify.Hub); got != hub {
		t.Fatalf("services %v do not hold the hub under %q", hub.Services(), notify.ServiceName)
	}
	hub.Enqueue(notifytest.Event(notify.Opened, report.ModeDrill))
	if err := hub.Finish(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(sim.Messages("incidents")) == 0 {
		t.Fatalf("Finish stopped the hub before delivering:\n%s", sim.Transcript("incidents"))
	}
	hub.Enqueue(notifytest.Event(notify.Closed, report.ModeDrill)) // stopped: dropped, no panic
}
