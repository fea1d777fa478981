package main

import "bytes"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/hex"
import "encoding/json"
import "github.com/keyir/keyir/report"
import "io"
import "net"
import "net/http"
import "net/url"
import "os"
import "os/exec"
import "path/filepath"
import "strconv"
import "strings"
import "sync"
import "syscall"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/runstore"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

const serveSigning = "crash-test-signing-secret-0123"

// serveCrashWorld: the SendGrid and Slack simulators in this process, a
// `keyir serve` subprocess that the test kills and restarts.
type serveCrashWorld struct {
	t        *testing.T
	dir      string
	cfg      string
	sg       *sendgridsim.Server
	slack    *slacksim.Server
	api      string
	env      []string
	leaked   string
	leakedID string
	others   []string
	addr     string
	cmd      *exec.Cmd
	// holdDelete, when set, holds DELETEs until closed.
	mu         sync.Mutex
	holdDelete chan struct{}
	deleteSeen chan struct{}
}

func newServeCrashWorld(t *testing.T) *serveCrashWorld {
	sc, _ := sendgridsim.LookupScenario("persistence")
	fx := sc.Build(time.Now())
	fx.Attack(fx.State)
	fx.Config.Limits = nil
	w := &serveCrashWorld{t: t, dir: t.TempDir(), sg: sendgridsim.New(fx.State, fx.Config), leaked: fx.LeakedKey}
	w.leakedID = strings.Split(fx.LeakedKey, ".")[1]
	for _, sub := range []string{"", "marketing"} {
		for _, k := range fx.State.Keys(sub) {
			if k.ID != w.leakedID {
				w.others = append(w.others, k.ID)
			}
		}
	}
	gate := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		hold, seen := w.holdDelete, w.deleteSeen
		w.mu.Unlock()
		if r.Method == http.MethodDelete && hold != nil {
			close(seen)
			<-hold
		}
		w.sg.ServeHTTP(rw, r)
	})
	base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", gate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(context.Background()) })
	w.slack = slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	if w.api, err = w.slack.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.slack.Close() })
	w.cfg = writeFile(t, w.dir, "serve.yaml", "team_id: "+slacksim.DefaultTeamID+"\napi_app_id: "+slacksim.DefaultAppID+
		"\nallowed_users: [U0ALICE, U0BOB]\nallowed_channels: [C0INCIDENT]\ntwo_person: true\nreports_dir: "+filepath.Join(w.dir, "reports")+
		"\ndata_dir: "+filepath.Join(w.dir, "data")+"\n")
	w.env = []string{"SLACK_BOT_TOKEN=" + w.slack.BotToken(), "SLACK_SIGNING_SECRET=" + serveSigning,
		"SENDGRID_API_URL=" + base, "SENDGRID_API_KEY=" + fx.ResponderKey}
	return w
}

// start runs keyir serve and waits for /healthz.
func (w *serveCrashWorld) start() {
	t := w.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w.addr = ln.Addr().String()
	ln.Close()
	w.cmd = keyirProcess(t, "serve", "--config", w.cfg, "--listen", w.addr, "--slack-api-url", w.api)
	w.cmd.Env = append(w.cmd.Env, w.env...)
	w.cmd.Stdout, w.cmd.Stderr = io.Discard, io.Discard
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + w.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			w.cmd.Process.Kill()
			t.Fatalf("keyir serve did not come up on %s", w.addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *serveCrashWorld) kill() {
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

func (w *serveCrashWorld) post(path string, body string) (int, string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return w.postSigned(path, body, ts, serveSignature(ts, body))
}

func serveSignature(ts, body string) string {
	m := hmac.New(sha256.New, []byte(serveSigning))
	m.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// postSigned posts body with the given timestamp and signature headers.
func (w *serveCrashWorld) postSigned(path, body, ts, sig string) (int, string) {
	req, _ := http.NewRequest("POST", "http://"+w.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// command posts a slash command and returns the reply's text.
func (w *serveCrashWorld) command(user, text string) string {
	body := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {user},
		"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {text},
		"response_url": {w.slack.NewResponseURL("", "C0INCIDENT", user)}}.Encode()
	code, b := w.post("/slack/commands", body)
	if code != 200 {
		w.t.Fatalf("command: %d %s", code, b)
	}
	var reply chatops.Reply
	if err := json.Unmarshal([]byte(b), &reply); err != nil {
		w.t.Fatalf("reply %q: %v", b, err)
	}
	return reply.Text
}

func (w *serveCrashWorld) approve(user string, r chatops.Request) {
	p, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacksim.DefaultTeamID}, "api_app_id": slacksim.DefaultAppID,
		"user": map[string]any{"id": user}, "channel": map[string]any{"id": r.Channel},
		"container":    map[string]any{"type": "message", "message_ts": r.MessageTS, "channel_id": r.Channel},
		"response_url": w.slack.NewResponseURL("", r.Channel, user), "trigger_id": "1.2.3",
		"actions": []map[string]any{{"action_id": chatops.ActionApprove, "block_id": "keyir_approval", "value": r.ID, "type": "button", "action_ts": "1"}},
	})
	if code, b := w.post("/slack/interactions", url.Values{"payload": {string(p)}}.Encode()); code != 200 {
		w.t.Fatalf("approve: %d %s", code, b)
	}
}

// request waits for the request on the leaked key to reach one of states,
// reading the persisted DATA_DIR/requests files (the server's own record).
func (w *serveCrashWorld) request(states ...chatops.State) chatops.Request {
	w.t.Helper()
	return w.requestIn(filepath.Join(w.dir, "data"), states...)
}

func (w *serveCrashWorld) requestIn(dataDir string, states ...chatops.State) chatops.Request {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last chatops.Request
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(dataDir, "requests", "*.json"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			var r chatops.Request
			if err != nil || json.Unmarshal(b, &r) != nil || r.KeyID != w.leakedID {
				continue
			}
			last = r
			for _, s := range states {
				if r.State == s && (s != chatops.StatePending || r.MessageTS != "") {
					return r
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("request never reached %v; last %+v", states, last)
	return last
}

func (w *serveCrashWorld) checkOnce(label string) {
	t := w.t
	effective := 0
	for _, r := range w.sg.Requests() {
		if r.Method != http.MethodDelete {
			continue
		}
		if r.Path != "/v3/api_keys/"+w.leakedID {
			t.Errorf("%s: DELETE %s is not the leaked key", label, r.Path)
		}
		if r.Status/100 == 2 {
			effective++
		}
	}
	if effective != 1 {
		t.Errorf("%s: %d effective revocations, want 1", label, effective)
	}
	for _, id := range w.others {
		if !w.sg.State().KeyLive(id, time.Now()) {
			t.Errorf("%s: innocent key %s revoked", label, id)
		}
	}
	seen := map[string]bool{}
	for _, c := range w.slack.Calls() {
		if c.Method != "chat.postMessage" || c.Status != 200 || c.Error != "" {
			continue
		}
		k := c.Fields.Get("thread_ts") + "|" + c.Fields.Get("text") + "|" + c.Fields.Get("blocks")
		if seen[k] {
			t.Errorf("%s: Slack message posted twice: %.100q", label, c.Fields.Get("text"))
		}
		seen[k] = true
	}
}

// TestServeSIGKILLWithPendingApproval: keyir serve is killed while a
// revoke waits for its second person. Restarted, it still has the request
// (the leaked key itself was only in memory: the run goes by key id); the
// approval runs it once; the evidence verifies.
func TestServeSIGKILLWithPendingApproval(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	w := newServeCrashWorld(t)
	w.start()
	w.command("U0ALICE", "revoke "+w.leaked+" INC-SERVE-1")
	pending := w.request(chatops.StatePending)
	w.kill()
	if got := w.sg.Count(http.MethodDelete, ""); got != 0 {
		t.Fatalf("%d DELETEs before approval", got)
	}
	w.start()
	defer w.kill()
	r := w.request(chatops.StatePending)
	if r.ID != pending.ID {
		t.Fatalf("restored request %s, want %s", r.ID, pending.ID)
	}
	w.approve("U0BOB", r)
	done := w.request(chatops.StateFinished, chatops.StateFailed, chatops.StateInterrupted)
	if done.State != chatops.StateFinished || done.RunDir == "" {
		t.Fatalf("after approval: %+v", done)
	}
	if v := keyir(t, "", nil, "report", "verify", done.RunDir); v.code != 0 {
		t.Fatalf("verify: %+v", v)
	}
	w.checkOnce("pending+SIGKILL")
	if w.sg.State().KeyLive(w.leakedID, time.Now()) {
		t.Fatal("the leaked key is live")
	}
}

// TestServeSIGKILLWithRunInFlight: keyir serve is killed while its run's
// DELETE is in flight (held by the simulator, which then carries it out).
// Restarted, the request is marked interrupted with the run directory; the
// directory is unsealed (Verify says so); `keyir resume` finishes it
// without a second effective revoke, and the evidence verifies.
func TestServeSIGKILLWithRunInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	w := newServeCrashWorld(t)
	hold, seen := make(chan struct{}), make(chan struct{})
	w.mu.Lock()
	w.holdDelete, w.deleteSeen = hold, seen
	w.mu.Unlock()
	w.start()
	w.command("U0ALICE", "revoke "+w.leaked+" INC-SERVE-2")
	w.approve("U0BOB", w.request(chatops.StatePending))
	select {
	case <-seen:
	case <-time.After(60 * time.Second):
		t.Fatal("the run's DELETE never came")
	}
	w.kill()
	w.mu.Lock()
	w.holdDelete = nil
	w.mu.Unlock()
	close(hold) // the server carries out the DELETE it had received
	w.start()
	defer w.kill()
	r := w.request(chatops.StateInterrupted)
	if r.RunDir == "" || !strings.Contains(r.Detail, "keyir resume") {
		t.Fatalf("interrupted request: %+v", r)
	}
	if v, err := runstore.Verify(r.RunDir); err == nil && v.OK() {
		t.Fatalf("an unsealed run directory verified: %+v", v)
	}
	// A second revoke of the key, after the crash, points at the interrupted
	// run and starts nothing.
	reply := w.command("U0ALICE", "revoke "+w.leaked+" INC-SERVE-3")
	if !strings.Contains(reply, r.ID) || !strings.Contains(reply, "keyir resume "+r.RunDir) || !strings.Contains(reply, "/keyir abandon "+r.ID) {
		t.Errorf("second revoke after the crash: %q", reply)
	}
	if files, _ := filepath.Glob(filepath.Join(w.dir, "data", "requests", "*.json")); len(files) != 1 {
		t.Errorf("%d request files after the second revoke, want 1", len(files))
	}
	keyFile := writeFile(t, w.dir, "leaked.key", w.leaked+"\n")
	envv := map[string]string{}
	for _, kv := range w.env {
		k, v, _ := strings.Cut(kv, "=")
		envv[k] = v
	}
	res := keyir(t, "", envv, "resume", r.RunDir, "--key-file", keyFile)
	if res.code != 0 && res.code != report.ExitFootholdsOpen { // the scenario's footholds may stay open
		t.Fatalf("resume: %d\n%s", res.code, res.stderr)
	}
	if v := keyir(t, "", nil, "report", "verify", r.RunDir); v.code != 0 {
		t.Fatalf("verify after resume: %+v", v)
	}
	w.checkOnce("in-flight+SIGKILL")
}

// keyirWithin runs keyir in-process; its context ends after d (a server that
// did start stops then), and a command still running at 3d fails the test:
// a FIFO must not block it.
func keyirWithin(t *testing.T, d time.Duration, envv map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- newApp(e).run(ctx, append([]string{"keyir"}, args...)) }()
	select {
	case code := <-done:
		return result{out.String(), errb.String(), code}
	case <-time.After(3 * d):
		t.Fatalf("keyir %s still running after %s (blocked?)", strings.Join(args, " "), 3*d)
		return result{}
	}
}

// A serve config or data file that is a link, a FIFO, a device or huge is
// refused at start with exit 2 and a message naming it and what it is,
// within a second or two, without blocking and without reading it.
func TestServeRefusesLinkedSpecialOrHugeFiles(t *testing.T) {
	envv := map[string]string{"SLACK_BOT_TOKEN": slacksim.DefaultBotToken, "SLACK_SIGNING_SECRET": "s3cr3t-signing"}
	fifo := func(p string) {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	huge := func(p string) {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(10 << 30); err != nil { // sparse: 10 GiB, no disk used
			t.Fatal(err)
		}
	}
	link := func(to string) func(string) {
		return func(p string) {
			if err := os.Symlink(to, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	outside := writeFile(t, t.TempDir(), "outside.json", `{"id":"req_000000000000000000000000","state":"pending"}`)
	cases := []struct {
		name string
		file string // relative to the case's directory; "serve.yaml" is the config
		make func(string)
		want string
	}{
		{"config FIFO", "serve.yaml", fifo, "named pipe"},
		{"config symlink", "serve.yaml", nil, "symbolic link"}, // made below: a link to a good config
		{"config 10 GiB", "serve.yaml", huge, "too large"},
		{"config /dev/zero", "/dev/zero", nil, "character device"},
		{"request file symlink", "data/requests/req_000000000000000000000000.json", link(outside), "symbolic link"},
		{"request file FIFO", "data/requests/req_000000000000000000000000.json", fifo, "named pipe"},
		{"request file huge", "data/requests/req_000000000000000000000000.json", huge, "too large"},
		{"replay record symlink", "data/" + chatops.ReplayFile, link(outside), "symbolic link"},
		{"replay record FIFO", "data/" + chatops.ReplayFile, fifo, "named pipe"},
		{"replay record huge", "data/" + chatops.ReplayFile, huge, "too large"},
		{"audit log FIFO", "data/audit.jsonl", fifo, "named pipe"},
		{"audit log symlink", "data/audit.jsonl", link(outside), "symbolic link"},
		{"requests dir symlink", "data/requests", nil, "symbolic link"}, // made below: a link to another directory
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "data", "requests"), 0o700); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "serve.yaml")
			target := filepath.Join(dir, c.file)
			switch {
			case c.file == "/dev/zero":
				cfg, target = c.file, c.file
			case c.name == "config symlink":
				good := writeFile(t, dir, "real.yaml", serveConfig(dir))
				if err := os.Symlink(good, cfg); err != nil {
					t.Fatal(err)
				}
			case c.name == "requests dir symlink":
				writeFile(t, dir, "serve.yaml", serveConfig(dir))
				if err := os.Remove(target); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(t.TempDir(), target); err != nil {
					t.Fatal(err)
				}
			case c.file == "serve.yaml":
				c.make(cfg)
			default:
				writeFile(t, dir, "serve.yaml", serveConfig(dir))
				c.make(target)
			}
			start := time.Now()
			r := keyirWithin(t, 3*time.Second, envv, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
			if r.code != 2 {
				t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, target) || !strings.Contains(r.stderr, c.want) {
				t.Errorf("stderr does not name %s as %q: %q", target, c.want, r.stderr)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %s", d)
			}
			if strings.Contains(r.stderr, "listening") {
				t.Errorf("serve started: %q", r.stderr)
			}
		})
	}
	// The link's target was not touched.
	if b, _ := os.ReadFile(outside); !strings.Contains(string(b), "pending") {
		t.Errorf("the link's target changed: %q", b)
	}
}

// TestServeSIGKILLThenReplayIsRefused: keyir serve answers a /keyir revoke
// and is killed at once (SIGKILL: no shutdown code runs). The identical
// request sent to the restarted server, and again with its signature in
// upper case, is refused: the record of it was on disk before the answer.
// The key's first request is cancelled first, so only the replay record can
// stop a second one.
func TestServeSIGKILLThenReplayIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	w := newServeCrashWorld(t)
	w.start()
	body := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {"U0ALICE"},
		"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {"revoke " + w.leakedID + " --dry-run"},
		"response_url": {w.slack.NewResponseURL("", "C0INCIDENT", "U0ALICE")}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := serveSignature(ts, body)
	if code, b := w.postSigned("/slack/commands", body, ts, sig); code != 200 {
		t.Fatalf("first: %d %s", code, b)
	}
	w.request(chatops.StatePending) // its plan posted
	w.kill()
	w.start()
	defer w.kill()
	r := w.request(chatops.StatePending)
	// Cancel it (dry run: the requester may), freeing the key.
	p, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": slacksim.DefaultTeamID}, "api_app_id": slacksim.DefaultAppID,
		"user": map[string]any{"id": "U0ALICE"}, "channel": map[string]any{"id": r.Channel},
		"container":    map[string]any{"type": "message", "message_ts": r.MessageTS, "channel_id": r.Channel},
		"response_url": w.slack.NewResponseURL("", r.Channel, "U0ALICE"), "trigger_id": "1.2.3",
		"actions": []map[string]any{{"action_id": chatops.ActionCancel, "block_id": "keyir_approval", "value": r.ID, "type": "button", "action_ts": "1"}},
	})
	if code, b := w.post("/slack/interactions", url.Values{"payload": {string(p)}}.Encode()); code != 200 {
		t.Fatalf("cancel: %d %s", code, b)
	}
	w.request(chatops.StateCancelled)
	for _, s := range []string{sig, "v0=" + strings.ToUpper(strings.TrimPrefix(sig, "v0="))} {
		if code, _ := w.postSigned("/slack/commands", body, ts, s); code != 401 {
			t.Errorf("replay after SIGKILL (signature %.10s…): %d, want 401", s, code)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if files, _ := filepath.Glob(filepath.Join(w.dir, "data", "requests", "*.json")); len(files) != 1 {
		t.Errorf("%d request files, want 1: the replay ran", len(files))
	}
}
