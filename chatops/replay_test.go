package chatops_test

import "bytes"
import "io"
import "net/http"
import "os"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"

// postWithSignature posts body with the given timestamp and signature text.
func (w *world) postWithSignature(path string, body []byte, ts, sig string) int {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.http.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func mixedCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%2 == 0 && b[i] >= 'a' && b[i] <= 'f' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

// A signature's hex is case-insensitive for the verifier, so the same
// request with its signature in upper or mixed case is the same request: a
// replay, refused, and the command runs once.
func TestServeReplayWithRecasedSignatureIsRefused(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	body := commandForm(w, alice, channel, "revoke "+id+" --dry-run", reqOpt{})
	ts, sig := sign(body, time.Now(), secret)
	hexPart := strings.TrimPrefix(sig, "v0=")
	if !strings.ContainsAny(hexPart, "abcdef") {
		t.Skip("signature without a letter: nothing to re-case")
	}
	// The verifier is canonical: a fresh request signed in upper case
	// verifies (so the re-cased replays below are refused as replays, not
	// as bad signatures).
	fresh := commandForm(w, alice, channel, "status", reqOpt{})
	fts, fsig := sign(fresh, time.Now(), secret)
	if code := w.postWithSignature("/slack/commands", fresh, fts, "v0="+strings.ToUpper(strings.TrimPrefix(fsig, "v0="))); code != 200 {
		t.Fatalf("upper-case signature of a fresh request: %d", code)
	}
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 200 {
		t.Fatalf("first: %d", code)
	}
	for _, s := range []string{"v0=" + strings.ToUpper(hexPart), "v0=" + mixedCase(hexPart), sig} {
		if code := w.postWithSignature("/slack/commands", body, ts, s); code != 401 {
			t.Errorf("replay with signature %.12s…: %d, want 401", s, code)
		}
	}
	w.request(id, chatops.StatePending)
	if n := len(w.srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if n := w.countAudit(chatops.AuditCommand, ""); n != 2 { // status + revoke
		t.Errorf("commands reaching the core: %d, want 2", n)
	}
	if n := w.countAudit(chatops.AuditVerificationFailed, "replayed request"); n != 3 {
		t.Errorf("replays audited: %d, want 3", n)
	}
}

// The record survives a restart: the identical request replayed to the
// restarted server (same data directory) is refused and does not run.
func TestServeReplayAfterRestartIsRefused(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
	body := commandForm(w, alice, channel, "revoke "+id+" --dry-run", reqOpt{})
	ts, sig := sign(body, time.Now(), secret)
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 200 {
		t.Fatalf("first: %d", code)
	}
	r := w.request(id, chatops.StatePending)
	w.click(alice, chatops.ActionCancel, r)
	w.request(id, chatops.StateCancelled)
	w.stop()
	w.start()
	// The key's slot is free (cancelled): only the replay record stands
	// between the replay and a second request.
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 401 {
		t.Errorf("replay after restart: %d, want 401", code)
	}
	if code := w.postWithSignature("/slack/commands", body, ts, "v0="+strings.ToUpper(strings.TrimPrefix(sig, "v0="))); code != 401 {
		t.Errorf("re-cased replay after restart: %d, want 401", code)
	}
	if n := len(w.srv.Requests()); n != 1 {
		t.Errorf("%d requests after the replays, want 1", n)
	}
	if n := w.countAudit(chatops.AuditCommand, ""); n != 1 {
		t.Errorf("commands reaching the core: %d, want 1", n)
	}
	checkModes(t, w.dataDir)
}

// An unreadable replay record at start: requests signed before the start
// are refused as possible replays (audited), later ones are served.
func TestServeCorruptReplayRecordRefusesEarlierRequests(t *testing.T) {
	w := newWorld(t)
	before := commandForm(w, alice, channel, "help", reqOpt{})
	ts, sig := sign(before, time.Now().Add(-2*time.Second), secret)
	w.stop()
	if err := os.WriteFile(filepath.Join(w.dataDir, chatops.ReplayFile), []byte("\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	w.start()
	if n := w.countAudit(chatops.AuditReplayRecordLost, ""); n != 1 {
		t.Errorf("record loss audited %d times", n)
	}
	if code := w.postWithSignature("/slack/commands", before, ts, sig); code != 401 {
		t.Errorf("request signed before the restart: %d, want 401", code)
	}
	after := commandForm(w, alice, channel, "status", reqOpt{})
	ats, asig := sign(after, time.Now().Add(2*time.Second), secret)
	if code := w.postWithSignature("/slack/commands", after, ats, asig); code != 200 {
		t.Errorf("request signed after the restart: %d, want 200", code)
	}
	if !strings.Contains(w.log.String(), "replay record") && !strings.Contains(w.log.String(), chatops.ReplayFile) {
		t.Errorf("log does not say what happened: %s", w.log.String())
	}
}

// A request that cannot be recorded is not run: 503. Its replay record
// shares a commit with the command's own writes, so the core has seen it:
// the request it recorded is failed at once (never pending, no plan
// posted); once the record can be written, the same request is accepted
// (it was never acted on).
func TestServeUnrecordableRequestIsNotRun(t *testing.T) {
	w := newWorld(t)
	id := keyIDOf(w.fx.LeakedKey)
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
	body := commandForm(w, alice, channel, "revoke "+id+" --dry-run", reqOpt{})
	ts, sig := sign(body, time.Now(), secret)
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 503 {
		t.Fatalf("unrecordable: %d, want 503", code)
	}
	for _, r := range w.srv.Requests() {
		if r.State != chatops.StateFailed {
			t.Fatalf("a request from an unrecorded command is %s, want failed", r.State)
		}
	}
	if n := w.countAudit(chatops.AuditVerificationFailed, "replay record unavailable"); n != 1 {
		t.Fatalf("%d audit lines for the unrecorded command, want 1", n)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 200 {
		t.Fatalf("after the record is writable again: %d", code)
	}
	if code := w.postWithSignature("/slack/commands", body, ts, sig); code != 401 {
		t.Fatalf("and then a replay: %d", code)
	}
	w.request(id, chatops.StatePending)
	if n := len(w.slack.Messages(channel)); n != 1 {
		t.Fatalf("%d messages posted, want the one plan of the recorded command", n)
	}
}
