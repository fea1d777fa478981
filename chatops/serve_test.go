package chatops_test

import "bytes"
import "context"
import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/playbook"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/sim/slacksim"

func TestServeConfigErrorsHavePositions(t *testing.T) {
	src := "team_id: T0SIMTEAM\napi_app_id: nope\nallowed_channels: [\"#incidents\"]\ntwo_persons: true\napproval_expiry: 2h\nplaybooks:\n  revoke: no-such-playbook\n  rotate: x\ndata_dir: /tmp/x\n"
	_, err := chatops.ParseConfig("serve.yaml", []byte(src))
	probs, ok := err.(playbook.Problems)
	if !ok {
		t.Fatalf("want Problems, got %v", err)
	}
	got := probs.Error()
	for _, want := range []string{
		"serve.yaml:2:13: api_app_id",
		"serve.yaml:3:20: allowed_channels",
		`serve.yaml:4:1: unknown field "two_persons"`,
		"serve.yaml:5:18: approval_expiry: 2h0m0s is out of range",
		"serve.yaml:7:11: playbooks.revoke",
		`serve.yaml:8:3: playbooks: unknown command "rotate"`,
		"allowed_users or allowed_user_groups is required",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	cfg, err := chatops.ParseConfig("ok.yaml", []byte("team_id: T1\napi_app_id: A1\nallowed_users: [U1]\nallowed_channels: [C1]\ndata_dir: d\n"))
	if err == nil || !strings.Contains(err.Error(), "team_id") {
		t.Fatalf("short ids should be refused: %v %v", cfg, err)
	}
	cfg, err = chatops.ParseConfig("ok.yaml", []byte("team_id: T01\napi_app_id: A01\nallowed_users: [U01]\nallowed_channels: [C01]\ndata_dir: d\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TwoPerson || cfg.ApprovalExpiry != 15*time.Minute || cfg.Playbooks["revoke"] != chatops.DefaultPlaybook {
		t.Fatalf("defaults: %+v", cfg)
	}
}

func TestServeParseArgsNeverEchoesKeyMaterial(t *testing.T) {
	key := "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	red := redact.New()
	a, err := chatops.ParseArgs("revoke "+key+" INC-42 --dry-run", red)
	if err != nil || a.Info.ID != "abcdefghijklmnopqrstuv" || a.Incident != "INC-42" || !a.DryRun || a.Key != key {
		t.Fatalf("%+v %v", a, err)
	}
	if !red.Contains(key) {
		t.Fatal("key not registered with the redactor")
	}
	for _, text := range []string{
		"revoke " + key[:40],                   // truncated key
		"revoke " + key + " <!here>",           // a mention as incident
		"revoke " + key + " INC-1 extra",       // too many
		"revoke abcdefghijklmnopqrstu",         // 21 chars
		"revoke ../../v3/teammates?x=abcdefgh", // path injection
		key,                                    // key without a verb
	} {
		red := redact.New()
		_, err := chatops.ParseArgs(text, red)
		if err == nil {
			t.Errorf("%q: accepted", text)
			continue
		}
		for _, tok := range strings.Fields(text) {
			if len(tok) >= 6 && tok != "revoke" && strings.Contains(err.Error(), tok) {
				t.Errorf("%q: error echoes %q: %v", text, tok, err)
			}
		}
	}
}

// A request that fails verification is a bare 401 (413 when oversized),
// is audited, and reaches neither the core nor Slack.
func TestServeHTTPRefusesForgedUnsignedExpiredReplayedOversized(t *testing.T) {
	w := newWorld(t)
	body := commandForm(w, alice, channel, "help", reqOpt{})
	cases := []struct {
		name string
		body []byte
		o    reqOpt
		want int
	}{
		{"forged", body, reqOpt{key: "not-the-signing-secret"}, 401},
		{"unsigned", body, reqOpt{unsigned: true}, 401},
		{"expired", body, reqOpt{ts: time.Now().Add(-6 * time.Minute)}, 401},
		{"future", body, reqOpt{ts: time.Now().Add(6 * time.Minute)}, 401},
		{"oversized", append(body, bytes.Repeat([]byte("x"), chatops.MaxCommandBody)...), reqOpt{}, 413},
		{"wrong team", commandForm(w, alice, channel, "help", reqOpt{team: "T0EVIL"}), reqOpt{}, 401},
		{"wrong app", commandForm(w, alice, channel, "help", reqOpt{app: "A0EVIL"}), reqOpt{}, 401},
	}
	for _, c := range cases {
		resp, b := w.postSigned("/slack/commands", c.body, c.o)
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d", c.name, resp.StatusCode, c.want)
		}
		if c.want == 401 && strings.TrimSpace(string(b)) != "unauthorized" {
			t.Errorf("%s: body %q gives detail", c.name, b)
		}
	}
	// Same for interactions.
	ib := interactionForm(w, alice, channel, "1.1", chatops.ActionApprove, "req_000000000000000000000000", reqOpt{})
	for name, o := range map[string]reqOpt{"forged": {key: "x"}, "unsigned": {unsigned: true}, "expired": {ts: time.Now().Add(-10 * time.Minute)}} {
		if resp, _ := w.postSigned("/slack/interactions", ib, o); resp.StatusCode != 401 {
			t.Errorf("interaction %s: %d", name, resp.StatusCode)
		}
	}
	// A valid request once is fine; the identical request again is a replay.
	ok := commandForm(w, alice, channel, "help", reqOpt{})
	ts := time.Now()
	if resp, _ := w.postSigned("/slack/commands", ok, reqOpt{ts: ts}); resp.StatusCode != 200 {
		t.Fatalf("valid: %d", resp.StatusCode)
	}
	if resp, _ := w.postSigned("/slack/commands", ok, reqOpt{ts: ts}); resp.StatusCode != 401 {
		t.Errorf("replay: %d", resp.StatusCode)
	}
	if n := w.countAudit(chatops.AuditVerificationFailed, ""); n != len(cases)+3+1 {
		t.Errorf("verification failures audited: %d, want %d", n, len(cases)+4)
	}
	if n := w.countAudit(chatops.AuditCommand, ""); n != 1 {
		t.Errorf("commands reaching the core: %d, want 1", n)
	}
	for _, c := range w.slack.Calls() {
		if c.Method == "chat.postMessage" || c.Method == "chat.update" {
			t.Errorf("refused requests posted to Slack: %s", c.Method)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := w.http.Client().Get(w.http.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s: %v %v", p, resp, err)
		}
	}
}

func TestServeRefusesUnauthorizedUsersAndChannels(t *testing.T) {
	w := newWorld(t)
	leaked := w.fx.LeakedKey
	if got := w.command(mallory, channel, "revoke "+leaked); !strings.Contains(got, "not allowed") {
		t.Errorf("mallory: %q", got)
	}
	if got := w.command(alice, "C0DRILL", "revoke "+leaked); !strings.Contains(got, "does not act in this channel") {
		t.Errorf("other channel: %q", got)
	}
	// A user group member is allowed (one lookup, then cached).
	if got := w.command(carol, channel, "status"); strings.Contains(got, "not allowed") {
		t.Errorf("carol (group member): %q", got)
	}
	w.command(carol, channel, "help")
	if n := len(w.slack.CallsTo("usergroups.users.list")); n != 1 {
		t.Errorf("usergroups.users.list called %d times, want 1 (cached)", n)
	}
	denies := 0
	for _, a := range w.audit() {
		if a.Event == chatops.AuditAuthorization && a.Decision == "deny" {
			denies++
		}
	}
	if denies != 2 {
		t.Errorf("denials audited: %d, want 2", denies)
	}
	if len(w.srv.Requests()) != 0 {
		t.Errorf("a refused command created a request")
	}
	w.assertNoLeak(leaked)
}

func TestServeDeniesWhenTheUserGroupLookupFails(t *testing.T) {
	w := newWorld(t)
	w.slack.Inject(slacksim.Fault{Method: "usergroups.users.list", Error: "internal_error"})
	if got := w.command(carol, channel, "status"); !strings.Contains(got, "You are not allowed") || strings.Contains(strings.ToLower(got), "try again") {
		t.Errorf("lookup failure should deny, saying so: %q", got)
	}
	if got := w.command(carol, channel, "status"); strings.Contains(got, "not allowed") {
		t.Errorf("after the fault the member is allowed: %q", got)
	}
}

// The whole path over HTTP: revoke with the leaked key, the plan with the
// key's real name and scopes, self-approval refused, a second person
// approves, a double click starts nothing, the simulator's key is revoked,
// the thread has progress and report.md, and the key is nowhere.
func TestServeApprovedLiveRevokeEndToEndHTTP(t *testing.T) {
	w := newWorld(t)
	leaked := w.fx.LeakedKey
	id := keyIDOf(leaked)
	reply := w.command(alice, channel, "revoke "+leaked+" INC-7")
	if !strings.Contains(reply, id) || strings.Contains(reply, leaked) {
		t.Fatalf("reply: %q", reply)
	}
	r := w.request(id, chatops.StatePending)
	plan := findMessage(t, w.slack.Messages(channel), r.MessageTS)
	for _, want := range []string{"web-app-prod", "mail.send", "stats.read", "revoke", "keyir_approve", r.ID, "INC-7"} {
		if !strings.Contains(string(plan.Blocks)+plan.Text, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	// The requester cannot approve their own live run.
	if st := w.click(alice, chatops.ActionApprove, r); st != 200 {
		t.Fatalf("click: %d", st)
	}
	waitFor(t, 5*time.Second, "self-approval refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "self-approval") == 1 })
	if got := w.srv.Requests()[0].State; got != chatops.StatePending {
		t.Fatalf("self-approval changed the state to %s", got)
	}
	// Someone not allowed cannot approve, whatever the payload says.
	w.click(mallory, chatops.ActionApprove, r)
	waitFor(t, 5*time.Second, "mallory's refusal", func() bool {
		for _, a := range w.audit() {
			if a.Event == chatops.AuditAuthorization && a.User == mallory && a.Verb == "approve" && a.Decision == "deny" {
				return true
			}
		}
		return false
	})
	// Bob approves; a second click (a double click, or a replayed payload
	// with a fresh signature) starts nothing.
	w.click(bob, chatops.ActionApprove, r)
	w.click(bob, chatops.ActionApprove, r)
	w.click(carol, chatops.ActionCancel, r)
	done := w.request(id, chatops.StateFinished)
	if done.ExitCode == nil || *done.ExitCode != 0 && *done.ExitCode != 3 {
		t.Fatalf("run ended %+v (exit %v)", done, done.ExitCode)
	}
	if w.sg.Authenticates(id) {
		t.Error("the leaked key still authenticates")
	}
	if n := w.sg.Count("DELETE", "DELETE /v3/api_keys/{api_key_id}"); n > 1 {
		t.Errorf("revoked %d times", n)
	}
	if n := w.countAudit(chatops.AuditApproval, ""); n != 1 {
		t.Errorf("approvals: %d", n)
	}
	if n := w.countAudit(chatops.AuditRunStarted, ""); n != 1 {
		t.Errorf("runs started: %d, want 1", n)
	}
	if n := w.countAudit(chatops.AuditApprovalRefused, "already approved") + w.countAudit(chatops.AuditApprovalRefused, "already finished"); n != 2 {
		t.Errorf("late clicks refused: %d, want 2", n)
	}
	// The thread: approval line, progress, findings, report.md and the
	// closing summary (posted just after the state changes).
	var text string
	var files int
	waitFor(t, 10*time.Second, "the closing summary", func() bool {
		text, files = "", 0
		for _, m := range w.slack.Messages(channel) {
			if m.ThreadTS != r.MessageTS {
				continue
			}
			text += m.Text + string(m.Blocks) + "\n"
			for _, f := range m.Files {
				if f.Name == "report.md" {
					files++
				}
			}
		}
		return strings.Contains(text, "Run "+done.RunID+" finished")
	})
	for _, want := range []string{"Approved by <@" + bob + ">", "revoke", done.RunID, "finished"} {
		if !strings.Contains(text, want) {
			t.Errorf("thread lacks %q:\n%s", want, w.slack.Transcript(channel))
		}
	}
	if files != 1 {
		t.Errorf("report.md attached %d times", files)
	}
	if got := w.command(carol, channel, "status "+done.RunID); !strings.Contains(got, "`confirm` ok") {
		t.Errorf("status: %q", got)
	}
	if _, err := os.Stat(filepath.Join(done.RunDir, "MANIFEST")); err != nil {
		t.Errorf("run dir: %v", err)
	}
	t.Log(w.slack.Transcript(channel))
	w.assertNoLeak(leaked, w.fx.ResponderKey, w.slack.BotToken(), secret)
	checkModes(t, w.dataDir)
}

func findMessage(t *testing.T, ms []slacksim.Message, ts string) slacksim.Message {
	t.Helper()
	for _, m := range ms {
		if m.TS == ts {
			return m
		}
	}
	t.Fatalf("no message %s", ts)
	return slacksim.Message{}
}

func TestServeSecondTriggerForOneKeyPointsAtTheFirst(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+id)
	r := w.request(id, chatops.StatePending)
	got := w.command(bob, channel, "revoke "+w.fx.LeakedKey+" INC-9")
	if !strings.Contains(got, r.ID) || !strings.Contains(got, "already") {
		t.Errorf("second trigger: %q", got)
	}
	if n := len(w.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	w.assertNoLeak(w.fx.LeakedKey)
}

func TestServeApprovalAfterExpiryIsRefused(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	// Restart with an expiry loop that never ticks during the test, so it is
	// the click itself that must notice the expiry (with the loop's 20 ms tick
	// the loop could win the race under load and the test would be flaky).
	w.srv.Shutdown(context.Background())
	w.mods = func(o *chatops.Options) { o.ExpiryTick = time.Hour }
	w.start()
	w.command(alice, channel, "revoke "+id+" --dry-run")
	r := w.request(id, chatops.StatePending)
	w.clock.Add(16 * time.Minute)
	w.click(bob, chatops.ActionApprove, r)
	got := w.request(id, chatops.StateExpired)
	if got.RunID != "" {
		t.Fatal("an expired request ran")
	}
	if w.countAudit(chatops.AuditExpiry, "") != 1 || w.countAudit(chatops.AuditApprovalRefused, "expired") != 1 {
		t.Errorf("audit: %+v", w.audit())
	}
	waitFor(t, 5*time.Second, "the plan to say expired", func() bool {
		m := findMessage(t, w.slack.Messages(channel), r.MessageTS)
		return strings.Contains(string(m.Blocks), "Expired") && !strings.Contains(string(m.Blocks), chatops.ActionApprove)
	})
	// The key's slot is free again.
	if got := w.command(alice, channel, "revoke "+id); strings.Contains(got, "already") {
		t.Errorf("after expiry: %q", got)
	}
}

// A restart restores an unexpired approval (which can then be approved and
// runs) and expires the other cleanly, updating its message.
func TestServeRestartRestoresPendingAndExpiresTheRest(t *testing.T) {
	w := newWorld(t)
	idA := keyIDOf(w.fx.LeakedKey)
	idB := "bbbbbbbbbbbbbbbbbbbbbb"
	w.command(alice, channel, "revoke "+w.fx.LeakedKey+" INC-1")
	a := w.request(idA, chatops.StatePending)
	w.clock.Add(10 * time.Minute)
	w.command(alice, channel, "revoke "+idB+" INC-2 --dry-run")
	b := w.request(idB, chatops.StatePending)
	w.stop()

	w.clock.Add(6 * time.Minute) // A is now past 15 min, B is not
	w.start()
	if got := w.request(idA, chatops.StateExpired); got.ID != a.ID {
		t.Fatal("A not expired")
	}
	rb := w.request(idB, chatops.StatePending)
	if rb.ID != b.ID {
		t.Fatal("B not restored")
	}
	waitFor(t, 5*time.Second, "A's message to say expired", func() bool {
		return strings.Contains(string(findMessage(t, w.slack.Messages(channel), a.MessageTS).Blocks), "Expired")
	})
	// B: a dry run, so the requester may approve it.
	w.click(alice, chatops.ActionApprove, rb)
	done := w.request(idB, chatops.StateFinished, chatops.StateFailed)
	if done.State != chatops.StateFinished {
		t.Fatalf("B: %+v", done)
	}
	w.assertNoLeak(w.fx.LeakedKey)
}

// SIGTERM during a run: the run is interrupted and journaled, the request
// says how to resume, and playbook.Resume finishes it.
func TestServeShutdownInterruptsRunForResume(t *testing.T) {
	w := newWorld(t, func(w *world) {})
	id := keyIDOf(w.fx.LeakedKey)
	block := make(chan struct{})
	w.mods = func(o *chatops.Options) {
		o.RunOptions = func(po *playbook.Options) {
			po.Observer = playbook.Observers{po.Observer, stepGate{step: "revoke", ch: block, stopped: func() bool { return !w.srv.Ready() }}}
		}
	}
	w.stop()
	w.start()
	w.command(alice, channel, "revoke "+id)
	r := w.request(id, chatops.StatePending)
	w.click(bob, chatops.ActionApprove, r)
	<-block // the revoke step is about to run
	w.stop()
	got := w.request(id, chatops.StateInterrupted)
	if got.RunDir == "" || !strings.Contains(got.Detail, "keyir resume "+got.RunDir) {
		t.Fatalf("interrupted request: %+v", got)
	}
	res, err := playbook.Resume(context.Background(), got.RunDir, playbook.Options{Getenv: w.getenv,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Report.Run.Status == "interrupted" || w.sg.Authenticates(id) {
		t.Fatalf("resume: %s, key live %v", res.Report.Run.Status, w.sg.Authenticates(id))
	}
}

// stepGate holds the run at the start of step until the server is
// stopping, so the step runs with its context cancelled.
type stepGate struct {
	step    string
	ch      chan struct{}
	stopped func() bool
}

func (g stepGate) RunStarted(*report.Report, string) {}
func (g stepGate) StepStarted(s report.Step) {
	if s.ID != g.step {
		return
	}
	close(g.ch)
	for !g.stopped() {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
}
func (g stepGate) StepProgress(report.Step, string)   {}
func (g stepGate) StepFinished(report.Step)           {}
func (g stepGate) RunFinished(*report.Report, string) {}

func TestServeSocketModeFullFlow(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.srv.RunSocketMode(ctx, w.slack.AppToken())
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := w.slack.WaitSocket(wctx); err != nil {
		t.Fatal(err)
	}
	leaked := w.fx.LeakedKey
	id := keyIDOf(leaked)
	push := func(typ string, payload map[string]any) slacksim.Ack {
		t.Helper()
		start := time.Now()
		env, err := w.slack.Push(slacksim.Envelope{Type: typ, Payload: payload, AcceptsResponsePayload: typ == "slash_commands"})
		if err != nil {
			t.Fatal(err)
		}
		actx, acancel := context.WithTimeout(ctx, 3*time.Second)
		defer acancel()
		ack, err := w.slack.WaitAck(actx, env)
		if err != nil {
			t.Fatalf("no ack within 3 s: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("ack after %s", d)
		}
		return ack
	}
	slash := func(user, tm, text string) slacksim.Ack {
		return push("slash_commands", map[string]any{"team_id": tm, "api_app_id": appID, "user_id": user, "channel_id": channel,
			"command": "/keyir", "text": text, "response_url": w.slack.NewResponseURL("", channel, user)})
	}
	// Wrong team: acked with nothing, audited, no request.
	if ack := slash(alice, "T0EVIL", "revoke "+leaked); len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		t.Errorf("wrong team got a reply: %s", ack.Payload)
	}
	if ack := slash(mallory, team, "revoke "+leaked); !strings.Contains(string(ack.Payload), "not allowed") {
		t.Errorf("mallory: %s", ack.Payload)
	}
	if ack := push("slash_commands", map[string]any{"team_id": team, "api_app_id": "A0EVIL", "user_id": alice, "channel_id": channel,
		"command": "/keyir", "text": "help"}); len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		t.Errorf("wrong app got a reply: %s", ack.Payload)
	}
	if ack := slash(alice, team, "revoke "+leaked+" <!here>"); !strings.Contains(string(ack.Payload), "incident id") || strings.Contains(string(ack.Payload), "!here") {
		t.Errorf("bad incident: %s", ack.Payload)
	}
	// The first trigger, then the same envelope redelivered: handled once.
	payload := map[string]any{"team_id": team, "api_app_id": appID, "user_id": alice, "channel_id": channel,
		"command": "/keyir", "text": "revoke " + leaked + " INC-S", "response_url": w.slack.NewResponseURL("", channel, alice)}
	envID, err := w.slack.Push(slacksim.Envelope{Type: "slash_commands", EnvelopeID: "env-replay", Payload: payload, AcceptsResponsePayload: true})
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithTimeout(ctx, 3*time.Second)
	ack, err := w.slack.WaitAck(actx, envID)
	acancel()
	if err != nil {
		t.Fatal(err)
	}
	w.slack.Push(slacksim.Envelope{Type: "slash_commands", EnvelopeID: "env-replay", Payload: payload, AcceptsResponsePayload: true, RetryAttempt: 1, RetryReason: "timeout"})
	waitFor(t, 5*time.Second, "the replay to be refused", func() bool { return w.countAudit(chatops.AuditVerificationFailed, "replayed envelope") == 1 })
	// A second trigger (a new envelope) points at the first.
	if a2 := slash(bob, team, "revoke "+id); !strings.Contains(string(a2.Payload), "already") {
		t.Errorf("second trigger: %s", a2.Payload)
	}
	if n := len(w.srv.Requests()); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	var reply chatops.Reply
	json.Unmarshal(ack.Payload, &reply)
	if !strings.Contains(reply.Text, id) {
		t.Fatalf("ack payload is not the reply: %s", ack.Payload)
	}
	r := w.request(id, chatops.StatePending)
	click := func(user string) {
		push("interactive", map[string]any{"type": "block_actions", "team": map[string]any{"id": team}, "api_app_id": appID,
			"user": map[string]any{"id": user}, "channel": map[string]any{"id": channel},
			"container": map[string]any{"message_ts": r.MessageTS}, "response_url": w.slack.NewResponseURL("", channel, user),
			"actions": []map[string]any{{"action_id": chatops.ActionApprove, "block_id": "keyir_approval", "value": r.ID, "type": "button"}}})
	}
	click(alice) // self-approval
	waitFor(t, 5*time.Second, "self-approval refusal", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "self-approval") == 1 })
	click(bob)
	click(bob) // double click
	done := w.request(id, chatops.StateFinished)
	if w.sg.Authenticates(id) {
		t.Error("key still live")
	}
	if n := w.countAudit(chatops.AuditRunStarted, ""); n != 1 {
		t.Errorf("runs: %d", n)
	}
	if done.RunDir == "" {
		t.Error("no run dir")
	}
	w.assertNoLeak(leaked, w.fx.ResponderKey, w.slack.AppToken())
}

func TestServeExpiryLoopExpiresAndUpdatesTheMessage(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+w.fx.LeakedKey)
	r := w.request(id, chatops.StatePending)
	w.clock.Add(15*time.Minute + time.Second)
	w.request(id, chatops.StateExpired)
	waitFor(t, 5*time.Second, "the plan to say expired", func() bool {
		m := findMessage(t, w.slack.Messages(channel), r.MessageTS)
		return strings.Contains(string(m.Blocks), "Expired") && !strings.Contains(string(m.Blocks), chatops.ActionApprove)
	})
	w.click(bob, chatops.ActionApprove, r)
	waitFor(t, 5*time.Second, "late approval refused", func() bool { return w.countAudit(chatops.AuditApprovalRefused, "already expired") == 1 })
	if w.countAudit(chatops.AuditRunStarted, "") != 0 || !w.sg.Authenticates(id) {
		t.Error("an expired request ran")
	}
	w.assertNoLeak(w.fx.LeakedKey)
}

func TestServeDrillCommandRunsAndReports(t *testing.T) {
	w := newWorld(t)
	if got := w.command(alice, channel, "drill no-such"); !strings.Contains(got, "no such drill scenario") {
		t.Errorf("bad scenario: %q", got)
	}
	if got := w.command(alice, channel, "drill spam-burst"); !strings.Contains(got, "DRILL") {
		t.Fatalf("drill: %q", got)
	}
	waitFor(t, 60*time.Second, "the drill's result", func() bool {
		for _, m := range w.slack.Messages(channel) {
			if m.Ephemeral && strings.Contains(m.Text, "[DRILL] spam-burst finished") {
				return true
			}
		}
		return false
	})
	if len(w.slack.Messages("C0DRILL")) == 0 {
		t.Error("the drill posted nothing in the drill channel")
	}
}

// The leaked key is never written to disk: after a restart, a restored
// request says so and runs by key id.
func TestServeRestartedRequestWithKeyRunsByID(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	w.command(alice, channel, "revoke "+w.fx.LeakedKey)
	w.request(id, chatops.StatePending)
	w.stop()
	w.assertNoLeak(w.fx.LeakedKey)
	w.start()
	r := w.request(id, chatops.StatePending)
	if !r.SecretLost {
		t.Fatalf("restored request: %+v", r)
	}
	waitFor(t, 5*time.Second, "the plan to note the restart", func() bool {
		return strings.Contains(string(findMessage(t, w.slack.Messages(channel), r.MessageTS).Blocks), "restarted")
	})
	w.click(bob, chatops.ActionApprove, r)
	done := w.request(id, chatops.StateFinished)
	if w.sg.Authenticates(id) || done.ExitCode == nil || *done.ExitCode == 4 {
		t.Fatalf("run by id: exit %v, key live %v", done.ExitCode, w.sg.Authenticates(id))
	}
	w.assertNoLeak(w.fx.LeakedKey)
}

// TestServeConfigSyntaxErrorPositions: a YAML mistake in serve.yaml is
// placed where the text goes wrong, not at the line the enclosing block
// starts on.
func TestServeConfigSyntaxErrorPositions(t *testing.T) {
	head := "team_id: T0SIMTEAM\napi_app_id: A0KEYIR\n"
	for _, c := range []struct{ name, src, want string }{
		{"unclosed bracket", head + "allowed_users: [U0ALICE\ndata_dir: d\n", "serve.yaml:4:9: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence that starts at line 3, column 16)"},
		{"bad indentation", head + "playbooks:\n    revoke: sendgrid-key-compromise\n  drill: x\n", "serve.yaml:5:3: YAML syntax error: did not find expected key"},
		{"tab", head + "playbooks:\n\trevoke: x\n", "serve.yaml:4:1: YAML syntax error: found character that cannot start any token (a tab: indent with spaces)"},
		{"stray mapping key", head + "allowed_channels: C0INCIDENT: C0DRILL\n", "serve.yaml:3:29: YAML syntax error: mapping values are not allowed in this context"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := chatops.ParseConfig("serve.yaml", []byte(c.src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
		})
	}
}
