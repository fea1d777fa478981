package actions

import "context"
import "testing"
import "time"

type pollAction struct {
	Key string `param:"key"`
	Poll
}

func (*pollAction) Run(context.Context, *Env) (Outputs, error) { return nil, nil }

// TestPollDefaultsAreTheEmbeddersOwn: Poll's intervals carry no default
// tag; each action's New sets its own, and that is the default the listing
// shows and Decode applies (SendGrid polls every 5s, Slack every 2s).
func TestPollDefaultsAreTheEmbeddersOwn(t *testing.T) {
	info := Info{Name: "polltest.confirm", New: func() Action {
		return &pollAction{Poll: Poll{Timeout: 5 * time.Minute, Interval: 2 * time.Second, MaxInterval: 15 * time.Second}}
	}}
	got := map[string]string{}
	for _, p := range info.Params() {
		got[p.Name] = p.Default
	}
	want := map[string]string{"key": "", "timeout": "5m", "interval": "2s", "max_interval": "15s"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("default of %s = %q, want %q", k, got[k], v)
		}
	}
	a, err := Decode(info, map[string]any{"interval": "100ms"})
	if err != nil {
		t.Fatal(err)
	}
	if p := a.(*pollAction).Poll; p.Interval != 100*time.Millisecond || p.MaxInterval != 15*time.Second || p.Timeout != 5*time.Minute {
		t.Errorf("decoded %+v", p)
	}
	if err := (Poll{Timeout: time.Second}).CheckPoll(); err == nil {
		t.Error("a zero interval was accepted")
	}
}

// TestPollBacksOff: the waits grow 1.5x per poll up to the cap, the probe's
// true ends the polls, and the timeout ends them too.
func TestPollBacksOff(t *testing.T) {
	p := Poll{Timeout: time.Minute, Interval: 10 * time.Millisecond, MaxInterval: 20 * time.Millisecond}
	var waits []time.Duration
	n := p.Until(context.Background(), func(poll int) bool { return poll == 4 }, func(poll int, wait time.Duration) {
		waits = append(waits, wait)
	})
	if n != 4 || len(waits) != 3 || waits[0] != 10*time.Millisecond || waits[1] != 15*time.Millisecond || waits[2] != 20*time.Millisecond {
		t.Errorf("polls %d, waits %v; want 4 polls, waits 10ms 15ms 20ms", n, waits)
	}
	p = Poll{Timeout: 50 * time.Millisecond, Interval: 10 * time.Millisecond, MaxInterval: 10 * time.Millisecond}
	start := time.Now()
	n = p.Until(context.Background(), func(int) bool { return false }, nil)
	if took := time.Since(start); n < 2 || took > 2*time.Second {
		t.Errorf("timeout: %d polls in %s", n, took)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n = (Poll{Timeout: time.Minute, Interval: time.Minute}).Until(ctx, func(int) bool { return false }, nil); n != 1 {
		t.Errorf("a cancelled context: %d polls, want 1", n)
	}
}

// TestSleepStopsWithTheRun: a wait ends with the run's context, with its
// error; an elapsed wait is nil.
func TestSleepStopsWithTheRun(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("an elapsed wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); err != context.Canceled || time.Since(start) > time.Second {
		t.Errorf("a cancelled wait: %v after %s", err, time.Since(start))
	}
	if err := Sleep(ctx, 0); err != context.Canceled {
		t.Errorf("no wait on an ended context: %v", err)
	}
}
