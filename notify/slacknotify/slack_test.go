package slacknotify

import "context"
import "encoding/json"
import "errors"
import "flag"
import "net"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fast keeps retries quick; Retry-After from the simulator still applies.
var fast = notify.Policy{MaxAttempts: 3, MaxElapsed: 10 * time.Second, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}

func setup(t *testing.T, ro slacksim.RateLimit, mutate func(*Config)) (*slacksim.Server, *Notifier, *redact.Redactor) {
	t.Helper()
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken, RateLimit: ro})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg := DefaultConfig
	cfg.Channel, cfg.DrillChannel, cfg.APIURL, cfg.Timeout = "C0INCIDENT", "keyir-drill", api, 2*time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	red := redact.New(notifytest.LeakedKey)
	n, err := New(cfg, Options{Redactor: red, Retry: fast, MinUpdateInterval: time.Nanosecond,
		Getenv: func(k string) string {
			if k == "SLACK_BOT_TOKEN" {
				return notifytest.BotToken
			}
			return ""
		}})
	if err != nil {
		t.Fatal(err)
	}
	return sim, n, red
}

// assertNoLeak searches every recorded request (minus the credential it
// authenticated with) and the given errors for every canary.
func assertNoLeak(t *testing.T, sim *slacksim.Server, errs ...error) {
	t.Helper()
	var outs [][]byte
	for _, c := range sim.Calls() {
		outs = append(outs, c.Content())
	}
	for _, e := range errs {
		if e != nil {
			outs = append(outs, []byte(e.Error()))
		}
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), outs...)
}

func writeReport(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "report.md")
	// The report would be redacted already; this one is not, to prove the
	// notifier redacts again before upload.
	if err := os.WriteFile(p, []byte("# keyir report\n\nkey "+notifytest.LeakedKey+" revoked\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLifecycle(t *testing.T) {
	sim, n, _ := setup(t, slacksim.RateLimit{}, nil)
	ctx := context.Background()
	if err := n.Notify(ctx, notifytest.Event(notify.Opened, report.ModeLive)); err != nil {
		t.Fatal(err)
	}
	for range 3 { // a burst of progress is coalesced into edits of one message
		if err := n.Notify(ctx, notifytest.Event(notify.Progress, report.ModeLive)); err != nil {
			t.Fatal(err)
		}
	}
	closed := notifytest.Event(notify.Closed, report.ModeLive)
	closed.ReportPath = writeReport(t)
	if err := n.Notify(ctx, closed); err != nil {
		t.Fatal(err)
	}

	msgs := sim.Messages("C0INCIDENT")
	if len(msgs) != 4 {
		t.Fatalf("want anchor + status + findings + file, got %d:\n%s", len(msgs), sim.Transcript("C0INCIDENT"))
	}
	anchor := msgs[0]
	if anchor.ThreadTS != "" || !anchor.Edited() || !strings.Contains(string(anchor.Blocks), "Outcome") {
		t.Errorf("anchor not updated with the outcome: %+v", anchor)
	}
	for _, m := range msgs[1:] {
		if m.ThreadTS != anchor.TS {
			t.Errorf("message %s not in the thread", m.TS)
		}
	}
	if got := len(sim.CallsTo("chat.postMessage")); got != 3 {
		t.Errorf("chat.postMessage called %d times, want 3 (anchor, status, findings)", got)
	}
	if !msgs[1].Edited() {
		t.Error("status message never edited")
	}
	files := sim.Files()
	if len(files) != 1 || files[0].Thread != anchor.TS || files[0].Name != "report.md" || !files[0].Shared {
		t.Fatalf("report not attached to the thread: %+v", files)
	}
	if strings.Contains(string(files[0].Content), notifytest.LeakedKey) || !strings.Contains(string(files[0].Content), "# keyir report") {
		t.Errorf("uploaded report: %q", files[0].Content)
	}
	if ch, ts := n.Thread(); ch != "C0INCIDENT" || ts != anchor.TS {
		t.Errorf("Thread() = %s %s", ch, ts)
	}
	tr := sim.Transcript("C0INCIDENT")
	for _, want := range []string{"Leaked SendGrid API key — INC-42", "Containment confirmed", "Findings", "📎", "    │ "} {
		if !strings.Contains(tr, want) {
			t.Errorf("transcript lacks %q:\n%s", want, tr)
		}
	}
	assertNoLeak(t, sim)
}

// The key name is attacker-controlled: it must not ping, link or format.
func TestEscaping(t *testing.T) {
	sim, n, _ := setup(t, slacksim.RateLimit{}, nil)
	if err := n.Notify(context.Background(), notifytest.Event(notify.Closed, report.ModeLive)); err != nil {
		t.Fatal(err)
	}
	for _, c := range sim.CallsTo("chat.postMessage") {
		for _, f := range []string{"text", "blocks"} {
			v := c.Fields.Get(f)
			for _, bad := range []string{"<!channel>", "<!here>", "<@U123>", "<https://evil", "<script>"} {
				if strings.Contains(v, bad) {
					t.Errorf("%s carries %q unescaped: %s", f, bad, v)
				}
			}
		}
	}
	blocks := strings.ReplaceAll(string(sim.Messages("C0INCIDENT")[0].Blocks), `\u0026`, "&")
	if !strings.Contains(blocks, "`prod &lt;!channel&gt; &lt;@U123&gt; *bold*") {
		t.Errorf("key name not rendered as escaped inline code: %s", blocks)
	}
}

func TestDrillChannelAndLabel(t *testing.T) {
	for _, mode := range []report.Mode{report.ModeDryRun, report.ModeDrill} {
		sim, n, _ := setup(t, slacksim.RateLimit{}, nil)
		if err := n.Notify(context.Background(), notifytest.Event(notify.Opened, mode)); err != nil {
			t.Fatal(err)
		}
		if len(sim.Messages("C0INCIDENT")) != 0 {
			t.Errorf("%s posted to the incident channel", mode)
		}
		m := sim.Messages("keyir-drill")
		label := map[report.Mode]string{report.ModeDryRun: "[DRY RUN]", report.ModeDrill: "[DRILL]"}[mode]
		if len(m) != 1 || !strings.HasPrefix(m[0].Text, label) || !strings.Contains(string(m[0].Blocks), label) {
			t.Errorf("%s: message not labelled %s: %+v", mode, label, m)
		}
	}
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	// Burst 1: the status reply right after the anchor gets a 429.
	sim, n, _ := setup(t, slacksim.RateLimit{Burst: 1, Interval: time.Second}, nil)
	var waits []time.Duration
	n.o.Retry.OnRetry = func(_ int, w time.Duration, _ error) { waits = append(waits, w) }
	ctx := context.Background()
	if err := n.Notify(ctx, notifytest.Event(notify.Opened, report.ModeLive)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := n.Notify(ctx, notifytest.Event(notify.Progress, report.ModeLive)); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != time.Second || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("want one retry after the 1s Retry-After, got waits %v in %s", waits, time.Since(start))
	}
	var throttled int
	for _, c := range sim.CallsTo("chat.postMessage") {
		if c.Status == 429 {
			throttled++
		}
	}
	if throttled != 1 || len(sim.Messages("C0INCIDENT")) != 2 {
		t.Errorf("throttled %d, messages %d", throttled, len(sim.Messages("C0INCIDENT")))
	}
}

func TestErrorClassification(t *testing.T) {
	cases := []struct {
		name  string
		fault slacksim.Fault
		ok    bool
		calls int
	}{
		{"channel_not_found is permanent", slacksim.Fault{Method: "chat.postMessage", Error: "channel_not_found"}, false, 1},
		{"internal_error is retried", slacksim.Fault{Method: "chat.postMessage", Error: "internal_error"}, true, 2},
		{"ratelimited is retried", slacksim.Fault{Method: "chat.postMessage", Error: "ratelimited"}, true, 2},
		{"500 is retried", slacksim.Fault{Method: "chat.postMessage", Status: 500}, true, 2},
		{"reset is retried", slacksim.Fault{Method: "chat.postMessage", Reset: true}, true, 2},
		{"persistent 500 gives up", slacksim.Fault{Method: "chat.postMessage", Status: 500, Times: 10}, false, 3},
		{"invalid_auth is permanent", slacksim.Fault{Method: "chat.postMessage", Error: "invalid_auth"}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, n, _ := setup(t, slacksim.RateLimit{Off: true}, nil)
			sim.Inject(tc.fault)
			err := n.Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if got := len(sim.CallsTo("chat.postMessage")); got != tc.calls {
				t.Errorf("%d calls, want %d", got, tc.calls)
			}
			assertNoLeak(t, sim, err)
		})
	}
}

func TestTimeout(t *testing.T) {
	sim, n, _ := setup(t, slacksim.RateLimit{Off: true}, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	sim.Inject(slacksim.Fault{Method: "chat.postMessage", Hang: true, Times: 10})
	start := time.Now()
	err := n.Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	assertNoLeak(t, sim, err)
}

func TestDeadEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, n, _ := setup(t, slacksim.RateLimit{}, func(c *Config) { c.APIURL = "http://" + addr + "/api/" })
	err = n.Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || !notify.Retryable(err) {
		t.Fatalf("want a retryable connection error after retries, got %v", err)
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), []byte(err.Error()))
}

func TestCanceledContextStopsRetrying(t *testing.T) {
	sim, n, _ := setup(t, slacksim.RateLimit{Off: true}, nil)
	sim.Inject(slacksim.Fault{Method: "chat.postMessage", Hang: true, Times: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := n.Notify(ctx, notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("err = %v", err)
	}
	if got := len(sim.CallsTo("chat.postMessage")); got != 1 {
		t.Errorf("%d attempts after the context ended", got)
	}
}

func TestConfigDecode(t *testing.T) {
	c, err := Decode(map[string]any{"channel": "C1", "timeout": "3s"})
	if err != nil || c.Timeout != 3*time.Second || c.TokenEnv != "SLACK_BOT_TOKEN" || c.APIURL != DefaultConfig.APIURL {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []map[string]any{
		{"chanel": "C1"},
		{"channel": "C1", "api_url": "https://slack.com/api"},
		{"channel": "C1", "api_url": "http://example.com/api/"},
		{"channel": "C1", "timeout": 5},
		{},
	} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%v) accepted", bad)
		}
	}
}

func TestGolden(t *testing.T) {
	red := redact.New(notifytest.LeakedKey)
	closed := notifytest.Event(notify.Closed, report.ModeDryRun).Redact(red)
	closed.ReportPath = "/runs/x/report.md"
	cases := map[string]any{
		"opened":   openedBlocks(notifytest.Event(notify.Opened, report.ModeLive).Redact(red)),
		"progress": progressBlocks(notifytest.Event(notify.Progress, report.ModeLive).Redact(red)),
		"closed":   closedBlocks(closed),
		"findings": findingsBlocks(closed),
	}
	for name, blocks := range cases {
		got, err := json.MarshalIndent(blocks, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", name+".golden")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if string(got) != string(want) {
			t.Errorf("%s blocks differ from %s (run go test -update and review the diff):\n%s", name, path, got)
		}
		notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), got)
	}
}

// {"ok":false} without an error is success to slack-go, with no ts: the
// anchor was not posted, and Notify says so instead of keeping an empty
// thread (on the old code it returned nil and later posts went unthreaded).
// It is not retried: Slack said not ok.
func TestOkFalseWithoutErrorIsNotPosted(t *testing.T) {
	sim, n, _ := setup(t, slacksim.RateLimit{}, nil)
	sim.Inject(slacksim.Fault{Method: "chat.postMessage", BareNotOK: true})
	err := n.Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || !strings.Contains(err.Error(), "not_posted") {
		t.Fatalf("Opened answered ok:false without an error: %v", err)
	}
	if _, ts := n.Thread(); ts != "" {
		t.Errorf("thread anchored on %q", ts)
	}
	if got := len(sim.CallsTo("chat.postMessage")); got != 1 {
		t.Errorf("chat.postMessage called %d times, want 1", got)
	}
}
