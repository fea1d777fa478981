package chatops_test

import "context"
import "encoding/json"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"

// While no commit can finish, no command is answered, over HTTP or Socket
// Mode: an answer before the fsync of its replay record, audit lines and
// request record would fail here. Once commits run again, both are
// answered, and what they answered for is in the audit log.
func TestServeAcksOnlyAfterTheirCommit(t *testing.T) {
	w := newWorld(t)
	ctx := w.socketMode()
	httpKey, socketKey := randomKeyID(), randomKeyID()

	release := chatops.HoldCommits()
	held := true
	defer func() {
		if held {
			release()
		}
	}()
	answered := make(chan []byte, 1)
	go func() {
		resp, b := w.postSigned("/slack/commands", commandForm(w, alice, channel, "revoke "+httpKey+" INC-DURABLE", reqOpt{}), reqOpt{})
		if resp.StatusCode != 200 {
			t.Errorf("status %d: %s", resp.StatusCode, b)
		}
		answered <- b
	}()
	envID, err := w.slack.Push(slashEnvelope(w, bob, "revoke "+socketKey+" INC-DURABLE"))
	if err != nil {
		t.Fatal(err)
	}
	acked := make(chan []byte, 1)
	go func() {
		actx, acancel := context.WithTimeout(ctx, 30*time.Second)
		defer acancel()
		a, err := w.slack.WaitAck(actx, envID)
		if err != nil {
			t.Error(err)
		}
		acked <- a.Payload
	}()
	select {
	case b := <-answered:
		t.Fatalf("HTTP answered while nothing could be synced: %s", b)
	case p := <-acked:
		t.Fatalf("Socket Mode acked while nothing could be synced: %s", p)
	case <-time.After(500 * time.Millisecond):
	}
	held = false
	release()
	for what, c := range map[string]chan []byte{"http": answered, "socket": acked} {
		select {
		case b := <-c:
			var rep chatops.Reply
			if json.Unmarshal(b, &rep) != nil || !strings.Contains(rep.Text, "Request req_") {
				t.Errorf("%s reply: %s", what, b)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s never answered after the commits resumed", what)
		}
	}
	for _, key := range []string{httpKey, socketKey} {
		if n := countWhere(w.audit(), func(a auditLine) bool { return a.Event == chatops.AuditCommand && a.KeyID == key }); n != 1 {
			t.Errorf("%d command audit lines for %s, want 1", n, key)
		}
	}
}

func countWhere(lines []auditLine, f func(auditLine) bool) int {
	n := 0
	for _, l := range lines {
		if f(l) {
			n++
		}
	}
	return n
}

// Over Socket Mode, a slash command whose replay record cannot be written
// is not acked (Slack delivers it again) and starts nothing: the request
// recorded meanwhile is failed, no plan is posted. Redelivered once the
// record can be written, it is handled as new.
func TestSocketUnrecordableEnvelopeIsNotAcked(t *testing.T) {
	w := newWorld(t)
	ctx := w.socketMode()
	// A directory where the record goes, and its rewrite due: the atomic
	// rename over the directory fails, and goes on failing.
	blocker := filepath.Join(w.dataDir, chatops.ReplayFile)
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(blocker, 0o700); err != nil {
		t.Fatal(err)
	}
	w.srv.RewriteReplayRecord()
	env := slashEnvelope(w, alice, "revoke "+keyIDOf(w.fx.LeakedKey)+" INC-UNREC")
	env.EnvelopeID = "env-unrecorded"
	if _, err := w.slack.Push(env); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the unrecorded envelope to be audited", func() bool {
		return w.countAudit(chatops.AuditVerificationFailed, "replay record unavailable") == 1
	})
	time.Sleep(100 * time.Millisecond)
	for _, a := range w.slack.Acks() {
		if a.EnvelopeID == env.EnvelopeID {
			t.Fatalf("acked without its replay record: %s", a.Payload)
		}
	}
	for _, r := range w.srv.Requests() {
		if r.State != chatops.StateFailed {
			t.Fatalf("a request from an unrecorded envelope is %s, want failed", r.State)
		}
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	env.RetryAttempt, env.RetryReason = 1, "timeout"
	if _, err := w.slack.Push(env); err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithTimeout(ctx, 10*time.Second)
	defer acancel()
	ack, err := w.slack.WaitAck(actx, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), "Request req_") {
		t.Fatalf("redelivered: %s", ack.Payload)
	}
	w.request(keyIDOf(w.fx.LeakedKey), chatops.StatePending)
	if n := len(w.slack.Messages(channel)); n != 1 {
		t.Fatalf("%d messages posted, want the one plan of the recorded envelope", n)
	}
}

// socketMode runs keyir serve's Socket Mode adapter against the simulator
// until the test ends, once the simulator has its connection.
func (w *world) socketMode() context.Context {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w.t.Cleanup(cancel)
	go w.srv.RunSocketMode(ctx, w.slack.AppToken())
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := w.slack.WaitSocket(wctx); err != nil {
		w.t.Fatal(err)
	}
	return ctx
}
