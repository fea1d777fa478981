package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyir/keyir/chatops"
	"github.com/keyir/keyir/notify/notifytest"
	sgsim "github.com/keyir/keyir/sim/sendgrid"
	slacksim "github.com/keyir/keyir/sim/slack"
)

// Canary credentials, SendGrid-shaped (SG. + 22 + . + 43) so that shape-based
// redaction is exercised as well as the registered secrets. None works
// anywhere but in the simulator of this test.
const (
	canaryResponderID  = "CanaryResponderKeyId01"
	canaryResponder    = "SG." + canaryResponderID + ".CANARYresponderSECRETpart0123456789abcdefgh"
	canaryNotifyID     = "CanaryNotifyKeyIdNot01"
	canaryNotify       = "SG." + canaryNotifyID + ".CANARYnotifySECRETpart0123456789abcdefghijk"
	canaryLeakedID     = "CanaryLeakedKeyIdLea01"
	canaryLeakedSecret = "CANARYleakedSECRETpart0123456789abcdefghijk"
	canaryLeaked       = "SG." + canaryLeakedID + "." + canaryLeakedSecret
	canaryBot          = notifytest.BotToken
	canaryWebhook      = notifytest.WebhookSecret
	canarySigning      = "CANARY-slack-signing-secret-0123456789"
	canaryServedID     = "CanaryServeKeyIdServ01"
	canaryServed       = "SG." + canaryServedID + ".CANARYserveSECRETpart0123456789abcdefghijkl"
)

// canaries are what must never appear: each whole credential and each
// SendGrid key's secret segment (its id is public and may appear).
func canaries() []string {
	out := []string{canaryResponder, canaryNotify, canaryLeaked, canaryBot, canaryWebhook, canarySigning, canaryServed}
	for _, k := range []string{canaryResponder, canaryNotify, canaryLeaked, canaryServed} {
		out = append(out, k[strings.LastIndexByte(k, '.')+1:])
	}
	return out
}

// recorder is a webhook receiver that keeps every request whole.
type recorder struct {
	mu   sync.Mutex
	reqs [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var b bytes.Buffer
	b.WriteString(req.Method + " " + req.URL.String() + "\n")
	req.Header.Write(&b)
	io.Copy(&b, req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, b.Bytes())
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// keyirCtx is keyir with a context (a server command that runs until
// cancelled).
func keyirCtx(t *testing.T, ctx context.Context, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile}
	code := newApp(e).run(ctx, append([]string{"keyir"}, args...))
	return result{out.String(), errb.String(), code}
}

// TestNoCanaryLeaksAnywhere runs every command, live and dry, every drill
// scenario, keyir serve (a signed, approved /keyir revoke), with canary credentials and a canary leaked key, and searches
// everything keyir wrote or sent for them: terminal output, every file of
// the reports and data directories (serve's requests and audit log
// included), and every request the SendGrid, Slack
// and webhook receivers got (less the Authorization header of SendGrid
// requests made with a credential SendGrid is meant to receive). It also
// checks the evidence's permissions: directories 0700, files 0600.
func TestNoCanaryLeaksAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every command")
	}
	st := sgsim.NewState()
	st.AddKey(sgsim.Key{ID: canaryResponderID, Secret: canaryResponder[26:], Name: "keyir-responder", Scopes: sgsim.ResponderScopes()})
	st.AddKey(sgsim.Key{ID: canaryNotifyID, Secret: canaryNotify[26:], Name: "keyir-notify", Scopes: []string{"mail.send"}})
	st.AddKey(sgsim.Key{ID: canaryLeakedID, Secret: canaryLeakedSecret, Name: "leaky <!channel>", Scopes: sgsim.FullAccessScopes()})
	st.AddKey(sgsim.Key{ID: "InnocentKeyIdInnocen01", Secret: strings.Repeat("i", 43), Name: "innocent", Scopes: []string{"mail.send"}})
	now := time.Now().UTC()
	for i := range 5 {
		st.AddMessages(sgsim.Message{ID: "msg" + string(rune('a'+i)), APIKeyID: canaryLeakedID, From: "x@example.com", To: "victim@example.net",
			Subject: "reset " + canaryLeaked, Status: "delivered", LastEventTime: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	cfg := sgsim.DefaultConfig()
	cfg.Limits = nil
	sg := sgsim.New(st, cfg)
	sgHosts, err := sgsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", sg)
	if err != nil {
		t.Fatal(err)
	}
	defer sgHosts.Shutdown(context.Background())
	sgURL := sgHosts.URL
	slack := slacksim.New(slacksim.Options{BotToken: canaryBot, RateLimit: slacksim.RateLimit{Off: true}})
	slackAPI, err := slack.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer slack.Close()
	hook := &recorder{}
	hs := httptest.NewServer(hook)
	defer hs.Close()

	root := t.TempDir()
	reports, data, inputs := filepath.Join(root, "reports"), filepath.Join(root, "data"), filepath.Join(root, "inputs")
	for _, d := range []string{data, inputs} {
		os.MkdirAll(d, 0o700)
	}
	keyFile := writeFile(t, inputs, "leaked.key", canaryLeaked+"\n")
	pbFile := writeFile(t, inputs, "pb.yaml", "name: canary\ndescription: d\nsteps:\n  - id: n\n    action: core.note\n    with: {text: hello}\n")
	envv := map[string]string{
		"SENDGRID_API_KEY": canaryResponder, "SENDGRID_API_URL": sgURL, "SENDGRID_API_URL_EU": sgHosts.EUURL, "SENDGRID_NOTIFY_API_KEY": canaryNotify,
		"SLACK_BOT_TOKEN": canaryBot, "SLACK_API_URL": slackAPI, "KEYIR_WEBHOOK_SECRET": canaryWebhook,
		"SLACK_SIGNING_SECRET": canarySigning,
	}
	notifyArgs := []string{"--slack-channel", "C0INCIDENT", "--email-to", "ir@example.com", "--email-from", "keyir@example.com", "--webhook-url", hs.URL + "/hook"}
	baseline := filepath.Join(data, "baseline.json")

	var outputs [][]byte
	runCmd := func(wantCodes []int, stdin string, args ...string) result {
		t.Helper()
		r := keyir(t, stdin, envv, args...)
		ok := false
		for _, c := range wantCodes {
			ok = ok || r.code == c
		}
		if !ok {
			t.Errorf("keyir %s: exit %d, want %v\n%s", strings.Join(args, " "), r.code, wantCodes, r.stderr)
		}
		outputs = append(outputs, []byte(r.stdout), []byte(r.stderr))
		return r
	}
	runCmd([]int{0}, "", "version")
	runCmd([]int{0}, "", "playbooks")
	runCmd([]int{0}, "", "actions")
	runCmd([]int{0}, "", "actions", "--output", "json")
	runCmd([]int{0}, "", "validate", pbFile)
	runCmd([]int{0}, "", "doctor")
	runCmd([]int{0}, "", "inventory", "save", baseline)
	live := append([]string{"run", "sendgrid-key-compromise", "--key", "-", "--incident", "INC-CANARY", "--reports", reports, "--baseline", baseline}, notifyArgs...)
	runCmd([]int{0}, canaryLeaked+"\n", append(append([]string{}, live...), "--dry-run")...)
	runCmd([]int{0}, canaryLeaked+"\n", live...)
	runCmd([]int{0}, canaryLeaked+"\n", append(append([]string{}, live...), "--output", "json")...) // already revoked
	dirs, _ := filepath.Glob(filepath.Join(reports, "*"))
	if len(dirs) < 3 {
		t.Fatalf("run directories: %v", dirs)
	}
	for _, d := range dirs {
		runCmd([]int{0}, "", "report", "verify", d)
		runCmd([]int{0}, "", "report", "show", d)
		runCmd([]int{0}, "", "report", "show", d, "--format", "json")
	}
	runCmd([]int{0}, "", append([]string{"resume", dirs[len(dirs)-1], "--key-file", keyFile}, notifyArgs...)...)
	for _, sc := range sgsim.Scenarios() {
		runCmd([]int{0}, "", "drill", "--scenario", sc.Name, "--reports", reports, "--webhook-url", hs.URL+"/drill", "--output", "json")
	}
	runCmd([]int{0}, "", "drill", "--list")
	for _, sim := range [][]string{{"sim", "sendgrid", "--listen", "127.0.0.1:0", "--scenario", "persistence"}, {"sim", "slack", "--listen", "127.0.0.1:0"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		r := keyirCtx(t, ctx, envv, sim...)
		cancel()
		outputs = append(outputs, []byte(r.stdout), []byte(r.stderr))
	}

	// keyir serve: a signed /keyir revoke with the canary key, approved by a
	// second person, run to the end; its data directory (requests, audit
	// log) is searched with the rest.
	serveCanary(t, envv, sg, slack, reports, data, &outputs)

	// Files: every one under the reports and data directories, and their modes.
	nfiles := 0
	for _, dir := range []string{reports, data} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, _ := d.Info()
			if d.IsDir() {
				if fi.Mode().Perm() != 0o700 && p != dir {
					t.Errorf("%s: directory mode %o, want 0700", p, fi.Mode().Perm())
				}
				return nil
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: file mode %o, want 0600", p, fi.Mode().Perm())
			}
			b, _ := os.ReadFile(p)
			outputs = append(outputs, b)
			nfiles++
			return nil
		})
	}
	// What SendGrid received: everything but the legitimate credentials.
	legit := map[string]bool{"Bearer " + canaryResponder: true, "Bearer " + canaryNotify: true, "Bearer " + canaryLeaked: true, "Bearer " + canaryServed: true}
	for _, r := range sg.Requests() {
		h := r.Header.Clone()
		if legit[h.Get("Authorization")] {
			h.Del("Authorization")
		}
		var b bytes.Buffer
		b.WriteString(r.Method + " " + r.Path + "?" + r.RawQuery + "\n")
		h.Write(&b)
		b.Write(r.Body)
		outputs = append(outputs, b.Bytes())
	}
	// What Slack received (the credential is kept apart in Token).
	for _, c := range slack.Calls() {
		if c.Token != "" && c.Token != canaryBot {
			t.Errorf("Slack %s authenticated with something other than the bot token", c.Method)
		}
		outputs = append(outputs, c.Content())
	}
	hook.mu.Lock()
	outputs = append(outputs, hook.reqs...)
	nhook := len(hook.reqs)
	hook.mu.Unlock()
	if nfiles < 20 || len(slack.Calls()) == 0 || nhook == 0 || len(st.Outbox()) == 0 {
		t.Fatalf("too little was searched to mean anything: %d files, %d Slack calls, %d webhook posts, %d mails", nfiles, len(slack.Calls()), nhook, len(st.Outbox()))
	}
	notifytest.AssertLeaksNoSecret(t, canaries(), outputs...)
	t.Logf("searched %d outputs (%d files, %d SendGrid requests, %d Slack calls, %d webhook posts, %d mails) for %d canaries in raw, URL-encoded, JSON-escaped and base64 forms",
		len(outputs), nfiles, len(sg.Requests()), len(slack.Calls()), nhook, len(st.Outbox()), len(canaries()))
}

func serveCanary(t *testing.T, envv map[string]string, sg *sgsim.Server, slack *slacksim.Server, reports, data string, outputs *[][]byte) {
	t.Helper()
	// A second leaked key for serve: the first one is revoked by now.
	st := sg.State()
	k := sgsim.Key{ID: canaryServedID, Secret: canaryServed[26:], Name: "served", Scopes: []string{"mail.send"}}
	st.AddKey(k)
	cfg := writeFile(t, t.TempDir(), "serve.yaml", "team_id: "+slacksim.DefaultTeamID+"\napi_app_id: "+slacksim.DefaultAppID+
		"\nallowed_users: [U0ALICE, U0BOB]\nallowed_channels: [C0INCIDENT]\nreports_dir: "+reports+"\ndata_dir: "+filepath.Join(data, "serve")+"\n")
	var out, errb bytes.Buffer
	a := newApp(env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile})
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() {
		done <- a.serve(ctx, serveOptions{config: cfg, listen: "127.0.0.1:0", slackAPIURL: envv["SLACK_API_URL"], ready: func(addr string) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v %s", err, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	post := func(path, body string) (int, string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(canarySigning))
		m.Write([]byte("v0:" + ts + ":" + body))
		req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		*outputs = append(*outputs, b)
		return resp.StatusCode, string(b)
	}
	body := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {"U0ALICE"},
		"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {"revoke " + k.Token() + " INC-SERVE"},
		"response_url": {slack.NewResponseURL("", "C0INCIDENT", "U0ALICE")}}.Encode()
	if code, b := post("/slack/commands", body); code != 200 {
		t.Fatalf("command: %d %s", code, b)
	}
	r := serveRequest(t, filepath.Join(data, "serve"), k.ID, chatops.StatePending)
	p, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacksim.DefaultTeamID}, "api_app_id": slacksim.DefaultAppID,
		"user": map[string]any{"id": "U0BOB"}, "channel": map[string]any{"id": r.Channel},
		"container":    map[string]any{"type": "message", "message_ts": r.MessageTS, "channel_id": r.Channel},
		"response_url": slack.NewResponseURL("", r.Channel, "U0BOB"), "trigger_id": "1.2.3",
		"actions": []map[string]any{{"action_id": chatops.ActionApprove, "block_id": "keyir_approval", "value": r.ID, "type": "button", "action_ts": "1"}},
	})
	if code, b := post("/slack/interactions", url.Values{"payload": {string(p)}}.Encode()); code != 200 {
		t.Fatalf("approve: %d %s", code, b)
	}
	if got := serveRequest(t, filepath.Join(data, "serve"), k.ID, chatops.StateFinished, chatops.StateFailed); got.State != chatops.StateFinished {
		t.Errorf("serve run: %+v", got)
	}
	cancel()
	<-done
	*outputs = append(*outputs, out.Bytes(), errb.Bytes())
}

// serveRequest waits for the persisted request on keyID to reach a state.
func serveRequest(t *testing.T, dataDir, keyID string, states ...chatops.State) chatops.Request {
	t.Helper()
	return (&serveCrashWorld{t: t, leakedID: keyID}).requestIn(dataDir, states...)
}
