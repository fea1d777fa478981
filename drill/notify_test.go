package drill_test

import "bytes"
import "context"
import "encoding/json"
import "io"
import "math/rand/v2"
import "net"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync"
import "testing"
import "time"

import _ "github.com/keyir/keyir/actions/all"
import "github.com/keyir/keyir/drill"
import "github.com/keyir/keyir/notify"
import _ "github.com/keyir/keyir/notify/all"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/notify/webhook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// fast keeps a failing channel's retries short; the bounds are what matters.
var fast = notify.Policy{MaxAttempts: 3, MaxElapsed: 3 * time.Second, Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond}

func startSlack(t testing.TB) (*slacksim.Server, string) {
	t.Helper()
	sim := slacksim.New(slacksim.Options{BotToken: notifytest.BotToken})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, api
}

func slackOnly(api string) *notify.HubConfig {
	return &notify.HubConfig{Retry: fast, Channels: map[string]map[string]any{
		"slack": {"channel": "#incidents", "drill_channel": "#keyir-drill", "api_url": api},
	}}
}

func runDrill(t testing.TB, scenario string, cfg *notify.HubConfig, env map[string]string) *drill.Result {
	t.Helper()
	res, err := drill.Run(context.Background(), drill.Options{
		Scenario: scenario, ReportsRoot: t.TempDir(), Operator: "drill-test",
		Redactor: redact.New(), Notify: cfg, Env: env,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func step(t testing.TB, rep *report.Report, id string) report.Step {
	t.Helper()
	for _, s := range rep.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no step %s", id)
	return report.Step{}
}

// A drill with Slack configured leaves the whole incident thread in the
// drill channel: the anchor, edited to the outcome; one progress message;
// the findings; report.md attached to the thread; the evidence's manifest
// head, once sealed. Every message says DRILL.
func TestDrillPostsTheIncidentThread(t *testing.T) {
	sim, api := startSlack(t)
	res := runDrill(t, "persistence", slackOnly(api), map[string]string{"SLACK_BOT_TOKEN": notifytest.BotToken})
	// Contained, five footholds open: exit 5, and the thread says what next.
	if res.Run.ExitCode != report.ExitFootholdsOpen || res.NotifyErr != nil {
		t.Fatalf("exit %d, notify errors %v", res.Run.ExitCode, res.NotifyErr)
	}
	if tr := sim.Transcript("keyir-drill"); !strings.Contains(tr, "contained; 5 footholds open") || !strings.Contains(tr, "keyir eradicate "+res.Run.Dir) {
		t.Errorf("the closed anchor does not name the open footholds and keyir eradicate:\n%s", tr)
	}
	if n := len(sim.Messages("incidents")); n != 0 {
		t.Errorf("a drill posted %d messages to the incident channel", n)
	}
	msgs := sim.Messages("keyir-drill")
	if len(msgs) != 5 {
		t.Fatalf("want anchor, progress, findings, report, seal; got %d messages:\n%s", len(msgs), sim.Transcript("keyir-drill"))
	}
	if seal := msgs[4]; !strings.Contains(seal.Text, "Evidence sealed") || !strings.Contains(seal.Text, res.Run.Head) {
		t.Errorf("the last reply must carry the sealed manifest head %s: %q", res.Run.Head, seal.Text)
	}
	anchor := msgs[0]
	if anchor.ThreadTS != "" || !anchor.Edited() {
		t.Errorf("anchor: thread %q, edited %v", anchor.ThreadTS, anchor.Edited())
	}
	keyID, _ := step(t, res.Run.Report, "identify").Outputs["key_id"].(string)
	for _, want := range []string{"[DRILL]", "Outcome:", "succeeded", "Containment confirmed", keyID, "full access", "DRILL-persistence"} {
		if !strings.Contains(string(anchor.Blocks)+anchor.Text, want) {
			t.Errorf("anchor lacks %q: %s", want, anchor.Blocks)
		}
	}
	if !strings.Contains(string(anchor.Versions[0].Blocks), "running") {
		t.Errorf("the first version of the anchor is not the opened message: %s", anchor.Versions[0].Blocks)
	}
	for _, m := range msgs[1:] {
		if m.ThreadTS != anchor.TS {
			t.Errorf("message %s is not in the anchor's thread", m.TS)
		}
	}
	if b := string(msgs[1].Blocks); !strings.Contains(b, "Progress:") || !strings.Contains(b, "inventory") || !strings.Contains(b, "revoke") {
		t.Errorf("progress message: %s", b)
	}
	if b := string(msgs[2].Blocks); !strings.Contains(b, "Findings") || !strings.Contains(b, "persistence.") && !strings.Contains(b, "critical") {
		t.Errorf("findings message: %s", b)
	}
	files := sim.Files()
	if len(files) != 1 || files[0].Name != "report.md" || files[0].Thread != anchor.TS || !files[0].Shared {
		t.Fatalf("report upload: %+v", files)
	}
	md := string(files[0].Content)
	for _, want := range []string{"> **DRILL**", "# Incident report: DRILL-persistence", "confirmed"} {
		if !strings.Contains(md, want) {
			t.Errorf("uploaded report.md lacks %q", want)
		}
	}
	for _, m := range msgs {
		all := m.Text + string(m.Blocks)
		for _, f := range m.Files {
			all += f.Title
		}
		if !strings.Contains(all, "DRILL") {
			t.Errorf("message %s is not labelled DRILL: %q %s", m.TS, m.Text, m.Blocks)
		}
	}
	// The run directory holds only what the runner wrote (report.md was
	// rendered elsewhere for the upload), so the MANIFEST still verifies.
	if v, err := runstore.Verify(res.Run.Dir); err != nil || !v.OK() {
		t.Errorf("report verify: %+v %v", v, err)
	}
}

// Without any notification configuration the notify steps succeed and say
// why nothing was sent.
func TestNotifyStepsWithoutConfig(t *testing.T) {
	res := runDrill(t, "spam-burst", nil, nil)
	if res.Run.ExitCode != report.ExitDone {
		t.Fatalf("exit %d", res.Run.ExitCode)
	}
	for _, id := range []string{"notify_open", "notify_close"} {
		s := step(t, res.Run.Report, id)
		if s.Status != report.StepOK || s.Outputs["sent"] != false || s.Outputs["reason"] != "no notification channel configured" {
			t.Errorf("%s: %s %v", id, s.Status, s.Outputs)
		}
	}
}

// Slack dead or failing never holds up containment: the revoke and the
// confirmation succeed, the closing notification is a failed non-critical
// step, and the run ends degraded (exit 3).
func TestSlackFailureNeverBlocksContainment(t *testing.T) {
	dead := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr + "/api/"
	}
	cases := map[string]func(t *testing.T) string{
		"dead": dead,
		"ok-false": func(t *testing.T) string {
			sim, api := startSlack(t)
			sim.Inject(slacksim.Fault{Method: "*", Times: 1 << 20, Error: "internal_error"})
			return api
		},
		"500": func(t *testing.T) string {
			sim, api := startSlack(t)
			sim.Inject(slacksim.Fault{Method: "*", Times: 1 << 20, Status: http.StatusInternalServerError})
			return api
		},
		"channel_not_found": func(t *testing.T) string {
			sim, api := startSlack(t)
			sim.Inject(slacksim.Fault{Method: "chat.postMessage", Times: 1 << 20, Error: "channel_not_found"})
			return api
		},
	}
	for name, api := range cases {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			res := runDrill(t, "spam-burst", slackOnly(api(t)), map[string]string{"SLACK_BOT_TOKEN": notifytest.BotToken})
			rep := res.Run.Report
			for _, id := range []string{"revoke", "confirm", "notify_open"} {
				if s := step(t, rep, id); s.Status != report.StepOK {
					t.Errorf("%s: %s %s", id, s.Status, s.Error)
				}
			}
			if c := rep.Run.Containment.Status; c != report.ContainmentConfirmed {
				t.Errorf("containment %s", c)
			}
			s := step(t, rep, "notify_close")
			if s.Status != report.StepFailed || s.Critical || !strings.Contains(s.Error, "slack") {
				t.Errorf("notify_close: %s critical=%v %q", s.Status, s.Critical, s.Error)
			}
			if res.Run.ExitCode != report.ExitDegraded || rep.Run.Status != report.RunDegraded {
				t.Errorf("exit %d, status %s; want 3, degraded", res.Run.ExitCode, rep.Run.Status)
			}
			if strings.Contains(s.Error, notifytest.BotToken) {
				t.Error("the step error holds the bot token")
			}
			t.Logf("%s: %s, notify_close %s: %s", name, time.Since(start).Round(time.Millisecond), s.Duration.Round(time.Millisecond), s.Error)
		})
	}
}

// webhookReceiver records every delivery after checking its signature.
type webhookReceiver struct {
	mu   sync.Mutex
	got  [][]byte
	bad  int
	kind []string
}

func (w *webhookReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(http.MaxBytesReader(rw, r.Body, 1<<20))
	err := webhook.Verify(notifytest.WebhookSecret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute)
	w.mu.Lock()
	defer w.mu.Unlock()
	var h bytes.Buffer
	r.Header.Write(&h)
	w.got = append(w.got, append(h.Bytes(), body...))
	w.kind = append(w.kind, r.Header.Get(webhook.HeaderEvent))
	if err != nil {
		w.bad++
		http.Error(rw, "bad signature", http.StatusUnauthorized)
	}
}

// No credential and not the leaked key ever reaches Slack, the mail-send
// API or a webhook receiver: every byte each of them received is searched,
// in every encoding.
func TestNotificationsLeakNoSecret(t *testing.T) {
	slack, api := startSlack(t)

	// The caller's mail provider and notification key: a drill must not use
	// them (its mail goes to its own simulator, with the simulator's mail.send
	// key), so this one must receive nothing.
	notifyKey := sendgridsim.NewKey(rand.New(rand.NewPCG(7, 7)), "keyir-notify", []string{"mail.send"})
	mailSim := sendgridsim.New(nil, sendgridsim.Config{})
	mailSim.State().AddKey(notifyKey)
	mailURL, shutdown, err := sendgridsim.Listen("127.0.0.1:0", mailSim)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown(context.Background())

	hook := &webhookReceiver{}
	hookSrv := httptest.NewServer(hook)
	defer hookSrv.Close()

	cfg := &notify.HubConfig{Retry: fast, Channels: map[string]map[string]any{
		"slack":   {"channel": "#incidents", "drill_channel": "#keyir-drill", "api_url": api},
		"email":   {"to": []string{"oncall@example.com"}, "from": "keyir@example.com", "api_url": mailURL},
		"webhook": {"url": hookSrv.URL},
	}}
	res := runDrill(t, "spam-burst", cfg, map[string]string{
		"SLACK_BOT_TOKEN":         notifytest.BotToken,
		"SENDGRID_NOTIFY_API_KEY": notifyKey.Token(),
		"KEYIR_WEBHOOK_SECRET":    notifytest.WebhookSecret,
	})
	if res.Run.ExitCode != report.ExitDone || res.NotifyErr != nil {
		t.Fatalf("exit %d, notify errors %v", res.Run.ExitCode, res.NotifyErr)
	}

	keyID, _ := step(t, res.Run.Report, "identify").Outputs["key_id"].(string)
	leaked, ok := sim(t, res).State().Key(keyID)
	if !ok {
		t.Fatal("the leaked key is not in the simulator")
	}
	var responder string
	for _, r := range sim(t, res).Requests() {
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && a != "Bearer "+leaked.Token() && r.Route != "POST /v3/mail/send" {
			responder = strings.TrimPrefix(a, "Bearer ")
		}
	}
	if responder == "" {
		t.Fatal("no responder key seen")
	}
	canaries := []string{leaked.Token(), leaked.Secret, responder, notifytest.BotToken, notifyKey.Token(), notifyKey.Secret, notifytest.WebhookSecret}

	var outputs [][]byte
	for _, c := range slack.Calls() {
		outputs = append(outputs, c.Content())
	}
	for _, f := range slack.Files() {
		outputs = append(outputs, f.Content)
	}
	if len(slack.Calls()) < 6 {
		t.Errorf("Slack got only %d calls", len(slack.Calls()))
	}
	if n := len(mailSim.Requests()); n != 0 {
		t.Errorf("the caller's mail provider got %d requests from a drill", n)
	}
	mails := 0
	for _, r := range sim(t, res).Requests() {
		if r.Route != "POST /v3/mail/send" {
			continue
		}
		mails++
		h := r.Header.Clone()
		if got := h.Get("Authorization"); got == "Bearer "+leaked.Token() || got == "Bearer "+responder || got == "Bearer "+notifyKey.Token() {
			t.Errorf("mail send authenticated with the leaked, responder or caller's key")
		}
		h.Del("Authorization") // the one place the (simulator's) notification key belongs
		var b bytes.Buffer
		h.Write(&b)
		outputs = append(outputs, append(b.Bytes(), r.Body...))
	}
	out := sim(t, res).State().Outbox()
	if len(out) == 2 && !strings.Contains(string(out[1].Body), res.Run.Dir) {
		t.Errorf("the closing mail does not name the evidence directory %s", res.Run.Dir)
	}
	if len(out) != 2 || mails != 2 {
		t.Errorf("mail: %d requests, %d accepted by the drill's simulator; want opened and closed", mails, len(out))
	}
	hook.mu.Lock()
	outputs = append(outputs, hook.got...)
	// The last two deliveries close the incident and then seal its evidence.
	if n := len(hook.kind); hook.bad > 0 || n < 3 || hook.kind[0] != "opened" || hook.kind[n-2] != "closed" || hook.kind[n-1] != "sealed" {
		t.Errorf("webhook: %d deliveries %v, %d badly signed", len(hook.got), hook.kind, hook.bad)
	}
	hook.mu.Unlock()
	notifytest.AssertLeaksNoSecret(t, canaries, outputs...)

	// The SendGrid the run assessed saw none of the notification credentials.
	var sgOut [][]byte
	for _, r := range sim(t, res).Requests() {
		if r.Route == "POST /v3/mail/send" {
			continue // the drill's own mail, checked above
		}
		b, _ := json.Marshal(r)
		sgOut = append(sgOut, b)
	}
	notifytest.AssertLeaksNoSecret(t, []string{notifytest.BotToken, notifyKey.Token(), notifytest.WebhookSecret}, sgOut...)
}

// TestNotificationCost measures, per scenario, how many Slack Web API calls
// a drill makes and what the notifications cost the run: the time spent in
// the notify steps (the only part on the run's path: opened only queues,
// closed waits for delivery), the hub's background delivery time, and the
// drill's wall time with and without Slack. Run with -v to see the figures.
func TestNotificationCost(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario twice")
	}
	for _, sc := range sendgridsim.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			start := time.Now()
			plain := runDrill(t, sc.Name, nil, nil)
			without := time.Since(start)

			sim, api := startSlack(t)
			start = time.Now()
			res := runDrill(t, sc.Name, slackOnly(api), map[string]string{"SLACK_BOT_TOKEN": notifytest.BotToken})
			with := time.Since(start)
			if res.NotifyErr != nil || res.Run.ExitCode != plain.Run.ExitCode {
				t.Fatalf("exit %d (without Slack %d), notify errors %v", res.Run.ExitCode, plain.Run.ExitCode, res.NotifyErr)
			}
			byMethod := map[string]int{}
			for _, c := range sim.Calls() {
				byMethod[c.Method]++
			}
			open, closing := step(t, res.Run.Report, "notify_open").Duration, step(t, res.Run.Report, "notify_close").Duration
			if open > 100*time.Millisecond {
				t.Errorf("notify_open took %s: it must only queue", open)
			}
			if n := len(sim.Calls()); n > 12 {
				t.Errorf("%d Slack calls for one drill", n)
			}
			t.Logf("slack calls %d %v; messages %d; in-run: notify_open %s + notify_close %s; hub delivery %s; wall %s with Slack, %s without",
				len(sim.Calls()), byMethod, len(sim.Messages("keyir-drill")), open.Round(10*time.Microsecond), closing.Round(10*time.Microsecond),
				res.Notify["slack"].Time.Round(10*time.Microsecond), with.Round(time.Millisecond), without.Round(time.Millisecond))
		})
	}
}
