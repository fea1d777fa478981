package main

import "net"
import "net/http"
import "strings"
import "sync/atomic"
import "testing"

import "github.com/keyir/keyir/sim/slacksim"

// nonLoopbackListener listens on an address of this machine that is not a
// loopback address, or skips the test.
func nonLoopbackListener(t *testing.T) net.Listener {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLoopback() {
			if ln, err := net.Listen("tcp", ipn.IP.String()+":0"); err == nil {
				return ln
			}
		}
	}
	t.Skip("no non-loopback IPv4 address to listen on")
	return nil
}

// keyir serve never sends the bot token over plain http to a host that is
// not loopback: --slack-api-url http://… is refused (exit 2, naming the
// flag) before anything is sent. On the old code the start check posted
// auth.test, token and all, to it (its HTTP client had none of
// transport.HTTPClient's rules), and the same check behind keyir doctor's
// and the run preflight's SLACK_API_URL did too.
func TestServeRefusesPlainHTTPSlackAPIURL(t *testing.T) {
	ln := nonLoopbackListener(t)
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	cfg := writeFile(t, dir, "serve.yaml", serveConfig(dir))
	r := keyir(t, "", map[string]string{"SLACK_BOT_TOKEN": slacksim.DefaultBotToken, "SLACK_SIGNING_SECRET": "s3cr3t-signing"},
		"serve", "--config", cfg, "--slack-api-url", url, "--listen", "127.0.0.1:0")
	if r.code != 2 || !strings.Contains(r.stderr, "--slack-api-url") || !strings.Contains(r.stderr, "plain http") {
		t.Errorf("serve with a plain http Slack URL: exit %d, stderr %q", r.code, r.stderr)
	}
	if res := checkSlack(t.Context(), url, slacksim.DefaultBotToken, nil); res.TokenErr == nil || !strings.Contains(res.TokenErr.Error(), "plain http") {
		t.Errorf("checkSlack over plain http: %v", res.TokenErr)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the bot token was sent over plain http to %s (%d requests)", url, n)
	}
}
