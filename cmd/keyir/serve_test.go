package main

import "bytes"
import "context"
import "crypto/hmac"
import "crypto/sha256"
import "encoding/hex"
import "io"
import "net/http"
import "net/url"
import "os"
import "path/filepath"
import "strconv"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/slacksim"

func serveConfig(dir string) string {
	return "team_id: " + slacksim.DefaultTeamID + "\napi_app_id: " + slacksim.DefaultAppID +
		"\nallowed_users: [U0ALICE]\nallowed_channels: [C0INCIDENT]\nreports_dir: " + filepath.Join(dir, "reports") +
		"\ndata_dir: " + filepath.Join(dir, "data") + "\n"
}

func TestServeBadConfigExitsTwo(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "serve.yaml", "team_id: T0SIMTEAM\napi_app_id: A0KEYIR\nallowed_users: [alice]\nallowed_channels: [C0INCIDENT]\ndata_dir: d\ntwo_person: maybe\nextra: 1\n")
	r := keyir(t, "", map[string]string{"SLACK_BOT_TOKEN": slacksim.DefaultBotToken, "SLACK_SIGNING_SECRET": "s3cr3t-signing"}, "serve", "--config", bad)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{bad + ":3:17: allowed_users", bad + ":6:13: two_person", bad + `:7:1: unknown field "extra"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r := keyir(t, "", nil, "serve"); r.code != 2 {
		t.Errorf("no --config: exit %d", r.code)
	}
	good := writeFile(t, dir, "good.yaml", serveConfig(dir))
	if r := keyir(t, "", map[string]string{"SLACK_BOT_TOKEN": slacksim.DefaultBotToken}, "serve", "--config", good); r.code != 2 || !strings.Contains(r.stderr, "SLACK_SIGNING_SECRET") {
		t.Errorf("no signing secret: exit %d %q", r.code, r.stderr)
	}
	if r := keyir(t, "", map[string]string{"SLACK_BOT_TOKEN": slacksim.DefaultBotToken}, "serve", "--config", good, "--socket-mode"); r.code != 2 || !strings.Contains(r.stderr, "SLACK_APP_TOKEN") {
		t.Errorf("no app token: exit %d %q", r.code, r.stderr)
	}
}

// keyir serve over HTTP, credentials from _FILE variables: a signed command
// is answered, a forged one is 401, and cancelling (SIGTERM) stops it cleanly.
func TestServeHTTPAnswersAndStops(t *testing.T) {
	sim := slacksim.New(slacksim.Options{RateLimit: slacksim.RateLimit{Off: true}})
	api, err := sim.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	cfg := writeFile(t, dir, "serve.yaml", serveConfig(dir))
	const signing = "0123456789abcdef-signing"
	secretFile := writeFile(t, dir, "signing", signing+"\n")
	envv := map[string]string{"SLACK_BOT_TOKEN": sim.BotToken(), "SLACK_SIGNING_SECRET_FILE": secretFile}
	var errb bytes.Buffer
	a := newApp(env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, getenv: func(k string) string { return envv[k] }, readFile: os.ReadFile})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.serve(ctx, serveOptions{config: cfg, listen: "127.0.0.1:0", slackAPIURL: api, ready: func(addr string) { ready <- addr }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve ended: %v; %s", err, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	body := url.Values{"team_id": {slacksim.DefaultTeamID}, "api_app_id": {slacksim.DefaultAppID}, "user_id": {"U0ALICE"},
		"channel_id": {"C0INCIDENT"}, "command": {"/keyir"}, "text": {"help"}}.Encode()
	post := func(key string) (int, string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte("v0:" + ts + ":" + body))
		req, _ := http.NewRequest("POST", "http://"+addr+"/slack/commands", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := post(signing); code != 200 || !strings.Contains(b, "/keyir revoke") {
		t.Errorf("signed help: %d %s", code, b)
	}
	if code, _ := post("forged"); code != 401 {
		t.Errorf("forged: %d", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if strings.Contains(errb.String(), signing) {
		t.Error("the signing secret reached stderr")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "audit.jsonl")); err != nil {
		t.Error(err)
	}
}
