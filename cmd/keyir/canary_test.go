package main

import "bytes"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/base64"
import "encoding/hex"
import "encoding/json"
import "fmt"
import "io"
import "io/fs"
import "net/http"
import "net/http/httptest"
import "net/url"
import "os"
import "path/filepath"
import "strconv"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/chatops"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

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
	st := sendgridsim.NewState()
	st.AddKey(sendgridsim.Key{ID: canaryResponderID, Secret: canaryResponder[26:], Name: "keyir-responder", Scopes: sendgridsim.ResponderScopes()})
	st.AddKey(sendgridsim.Key{ID: canaryNotifyID, Secret: canaryNotify[26:], Name: "keyir-notify", Scopes: []string{"mail.send"}})
	st.AddKey(sendgridsim.Key{ID: canaryLeakedID, Secret: canaryLeakedSecret, Name: "leaky <!channel>", Scopes: sendgridsim.FullAccessScopes()})
	st.AddKey(sendgridsim.Key{ID: "InnocentKeyIdInnocen01", Secret: strings.Repeat("i", 43), Name: "innocent", Scopes: []string{"mail.send"}})
	now := time.Now().UTC()
	for i := range 5 {
		st.AddMessages(sendgridsim.Message{ID: "msg" + string(rune('a'+i)), APIKeyID: canaryLeakedID, From: "x@example.com", To: "victim@example.net",
			Subject: "reset " + canaryLeaked, Status: "delivered", LastEventTime: now.Add(-time.Duration(i+1) * time.Hour)})
	}
	// The key's holder (or a careless upstream) echoes it back in every
	// encoding the redactor must see through: subjects end up in evidence,
	// findings, every report and the notifications.
	for i, enc := range echoedForms(canaryLeaked) {
		st.AddMessages(sendgridsim.Message{ID: fmt.Sprintf("enc%02d", i), APIKeyID: canaryLeakedID, From: "x@example.com", To: "victim@example.net",
			Subject: enc, Status: "delivered", LastEventTime: now.Add(-time.Duration(i+1) * time.Minute)})
	}
	cfg := sendgridsim.DefaultConfig()
	cfg.Limits = nil
	sg := sendgridsim.New(st, cfg)
	sgHosts, err := sendgridsim.ListenHosts("127.0.0.1:0", "127.0.0.1:0", sg)
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
		// A key pasted as the operator's name is one more field to search.
		"KEYIR_OPERATOR": "oncall " + canaryLeaked,
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
	// The key in every field: refused (exit 2) or recorded as a token, never
	// in clear. Each refused run must leave nothing behind either.
	for _, args := range [][]string{
		{"--incident", canaryLeaked}, {"--incident", canaryLeaked[:41]}, {"--incident", canaryLeakedSecret},
		{"--incident", "INC-" + canaryLeakedSecret[4:18]},
		{"--subuser", canaryLeaked}, {"--key-id", canaryLeaked}, {"--input", "key=" + canaryLeaked},
	} {
		n := len(dirsIn(reports))
		runCmd([]int{2}, canaryLeaked+"\n", append([]string{"run", "sendgrid-key-compromise", "--key", "-", "--reports", reports}, args...)...)
		if len(dirsIn(reports)) != n {
			t.Errorf("a refused run (%s) left a run directory", args[0])
		}
	}
	runCmd([]int{2}, "", "drill", "--reports", reports, "--incident", canaryLeaked)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i, f := range echoedForms(canaryLeaked) {
			w.Header().Add(fmt.Sprintf("X-Echo-%d", i), f)
		}
		json.NewEncoder(w).Encode(map[string]any{"echo": echoedForms(canaryLeaked), "raw": canaryLeaked})
	}))
	defer echo.Close()
	echoPB := filepath.Join(hostileDir, "echo-encodings.yaml")
	runCmd([]int{0}, "", append([]string{"run", echoPB, "--reports", reports, "--input", "base=" + echo.URL, "--input", "label=plain", "--incident", "INC-ECHO"}, notifyArgs...)...)
	runCmd([]int{2}, "", "run", echoPB, "--reports", reports, "--input", "base="+echo.URL, "--input", "label=see "+canaryLeaked)
	dirs := dirsIn(reports)
	if len(dirs) < 4 {
		t.Fatalf("run directories: %v", dirs)
	}
	for _, d := range dirs {
		runCmd([]int{0}, "", "report", "verify", d)
		runCmd([]int{0}, "", "report", "show", d)
		runCmd([]int{0}, "", "report", "show", d, "--format", "json")
	}
	// A real resume: a live run is cut short (its context cancelled, as by
	// SIGTERM) while SendGrid holds its third request, then resumed with
	// the key read again and every notifier; both, and the resumed run's
	// files, are searched. A second resume is refused as sealed (exit 2).
	{
		var mu sync.Mutex
		n, held := 0, make(chan struct{})
		gated, shutGated, err := sendgridsim.Listen("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			n++
			hold := n == 3
			mu.Unlock()
			if hold {
				close(held)
				<-r.Context().Done()
				return
			}
			sg.ServeHTTP(w, r)
		}))
		if err != nil {
			t.Fatal(err)
		}
		genv := map[string]string{}
		for k, v := range envv {
			genv[k] = v
		}
		genv["SENDGRID_API_URL"], genv["SENDGRID_API_URL_EU"] = gated, gated
		ictx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-held:
			case <-time.After(30 * time.Second):
			}
			cancel()
		}()
		before := len(dirsIn(reports))
		r := keyirCtx(t, ictx, genv, append([]string{"run", "sendgrid-key-compromise", "--key-file", keyFile, "--incident", "INC-CUT", "--reports", reports}, notifyArgs...)...)
		cancel()
		outputs = append(outputs, []byte(r.stdout), []byte(r.stderr))
		cut := dirsIn(reports)
		// 4: a key not proven dead outranks the interruption's 1.
		if (r.code != 1 && r.code != 4) || len(cut) != before+1 {
			t.Fatalf("interrupted run: exit %d, %d new run directories\n%s", r.code, len(cut)-before, r.stderr)
		}
		cutDir := cut[len(cut)-1]
		for _, d := range cut {
			if strings.Contains(d, "INC-CUT") {
				cutDir = d
			}
		}
		resume := append([]string{"resume", cutDir, "--key-file", keyFile}, notifyArgs...)
		for i, want := range []int{0, 2} {
			rr := keyir(t, "", genv, resume...)
			outputs = append(outputs, []byte(rr.stdout), []byte(rr.stderr))
			if rr.code != want || (i == 0 && !strings.Contains(rr.stderr, "resumed")) || (i == 1 && !strings.Contains(rr.stderr, "finished and sealed")) {
				t.Errorf("resume %d of the interrupted run: exit %d, want %d\n%s", i+1, rr.code, want, rr.stderr)
			}
		}
		shutGated(context.Background())
	}
	for _, sc := range sendgridsim.Scenarios() {
		// A scenario whose attack leaves footholds ends 5 (contained; footholds open).
		runCmd([]int{sc.Build(time.Now()).ExitCode}, "", "drill", "--scenario", sc.Name, "--reports", reports, "--webhook-url", hs.URL+"/drill", "--output", "json")
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

	// Files: every one under the reports and data directories, their names
	// (a run directory is named after the incident) and their modes.
	nfiles := 0
	for _, dir := range []string{reports, data} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			outputs = append(outputs, []byte(p))
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
	assertNoEncodedLeak(t, outputs)
	t.Logf("searched %d outputs (%d files, %d SendGrid requests, %d Slack calls, %d webhook posts, %d mails) for %d canaries in raw, URL-encoded, JSON-escaped, base64 (any alignment), hex, HTML-entity and \\u forms and 12-character runs",
		len(outputs), nfiles, len(sg.Requests()), len(slack.Calls()), nhook, len(st.Outbox()), len(canaries()))
}

func serveCanary(t *testing.T, envv map[string]string, sg *sendgridsim.Server, slack *slacksim.Server, reports, data string, outputs *[][]byte) {
	t.Helper()
	// A second leaked key for serve: the first one is revoked by now.
	st := sg.State()
	k := sendgridsim.Key{ID: canaryServedID, Secret: canaryServed[26:], Name: "served", Scopes: []string{"mail.send"}}
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
	// The key as the incident id of a /keyir revoke: refused by the same
	// rule as the CLI's; the reply is searched with the rest.
	for _, inc := range []string{canaryServed, canaryServed[:41], "INC-" + canaryServed[30:44]} {
		refused := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {"U0ALICE"},
			"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {"revoke " + k.ID + " " + inc},
			"response_url": {slack.NewResponseURL("", "C0INCIDENT", "U0ALICE")}}.Encode()
		if _, b := post("/slack/commands", refused); !strings.Contains(b, "incident id") {
			t.Errorf("serve did not refuse a key-shaped incident id: %s", b)
		}
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

// dirsIn lists the run directories under reports.
func dirsIn(reports string) []string {
	dirs, _ := filepath.Glob(filepath.Join(reports, "*"))
	return dirs
}

// echoedForms are the encodings of key an upstream may send back: base64
// (both alphabets, padded or not) of the key, of "Bearer key" and of the
// Basic pairs "user:key" and "key:"; hex; HTML entities (decimal, hex,
// named); percent and \u escapes of every character; and a prefix and a
// suffix of its secret segment.
func echoedForms(key string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
		for _, p := range []string{key, "Bearer " + key, "apikey:" + key, "ab:" + key, key + ":"} {
			out = append(out, enc.EncodeToString([]byte(p)))
		}
	}
	every := func(f func(byte) string) string {
		var b strings.Builder
		for i := 0; i < len(key); i++ {
			b.WriteString(f(key[i]))
		}
		return b.String()
	}
	out = append(out,
		hex.EncodeToString([]byte(key)), strings.ToUpper(hex.EncodeToString([]byte("Bearer "+key))),
		every(func(c byte) string { return fmt.Sprintf("&#%d;", c) }),
		every(func(c byte) string { return fmt.Sprintf("&#x%x;", c) }),
		strings.ReplaceAll(key, ".", "&period;"),
		every(func(c byte) string { return fmt.Sprintf("%%%02X", c) }),
		every(func(c byte) string { return fmt.Sprintf(`\u%04x`, c) }),
	)
	secret := key[strings.LastIndexByte(key, '.')+1:]
	return append(out, "starts "+secret[:14], "ends "+secret[len(secret)-14:])
}

// leakForms are the strings whose presence in an output proves a leak of
// secret, whatever the encoding around it: the secret's base64 at each of the
// three alignments (the quanta fully determined by the secret, so it is found
// inside any larger encoded text, a Basic pair for any user included) in both
// alphabets; its hex in both cases; every character as an HTML entity, a
// percent escape and a \u escape; and every 12-character run of it.
func leakForms(secret string) []string {
	var out []string
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for a := 0; a < 3; a++ {
			full := enc.EncodeToString(append(make([]byte, a), secret...))
			skip := 0
			if a > 0 {
				skip = 4
			}
			end := 4 * ((a + len(secret)) / 3)
			if end-skip >= 16 {
				out = append(out, full[skip:end])
			}
		}
	}
	h := hex.EncodeToString([]byte(secret))
	out = append(out, h, strings.ToUpper(h))
	for _, f := range []string{"&#%d;", "&#x%x;", "%%%02X", `\u%04x`} {
		var b strings.Builder
		for i := 0; i < len(secret); i++ {
			fmt.Fprintf(&b, f, secret[i])
		}
		out = append(out, b.String())
	}
	for i := 0; i+12 <= len(secret); i++ {
		out = append(out, secret[i:i+12])
	}
	return out
}

// assertNoEncodedLeak searches every output for every leak form of every
// canary's secret part (a SendGrid key's id is public and may appear).
func assertNoEncodedLeak(t *testing.T, outputs [][]byte) {
	t.Helper()
	secrets := []string{canaryBot, canaryWebhook, canarySigning}
	for _, k := range []string{canaryResponder, canaryNotify, canaryLeaked, canaryServed} {
		secrets = append(secrets, k[strings.LastIndexByte(k, '.')+1:])
	}
	for _, s := range secrets {
		for _, f := range leakForms(s) {
			for i, out := range outputs {
				if at := bytes.Index(out, []byte(f)); at >= 0 {
					lo, hi := max(0, at-40), min(len(out), at+len(f)+40)
					t.Errorf("output %d leaks %.6s… as %.20q near %q", i, s, f, out[lo:hi])
					break
				}
			}
		}
	}
}
