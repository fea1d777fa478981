package main

import "context"
import "encoding/json"
import "math/rand/v2"
import "net"
import "net/http"
import "net/http/httptest"
import "path/filepath"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/slacksim"

// doctorWorld is a SendGrid simulator whose answers carry a Date offset by
// skew, and a Slack simulator.
func doctorWorld(t *testing.T, skew time.Duration) map[string]string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	st := sendgridsim.NewState()
	responder := sendgridsim.NewKey(rng, "responder", sendgridsim.ResponderScopes())
	notifyKey := sendgridsim.NewKey(rng, "notify", []string{"mail.send"})
	readOnly := sendgridsim.NewKey(rng, "read-only", []string{"stats.read"})
	st.AddKey(responder)
	st.AddKey(notifyKey)
	st.AddKey(readOnly)
	sim := sendgridsim.New(st, sendgridsim.DefaultConfig())
	base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", time.Now().Add(skew).UTC().Format(http.TimeFormat))
		sim.ServeHTTP(w, r)
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(context.Background()) })
	slack := slacksim.New(slacksim.Options{BotToken: "xoxb-doctor-token", RateLimit: slacksim.RateLimit{Off: true}})
	hs := httptest.NewServer(slack)
	t.Cleanup(hs.Close)
	return map[string]string{
		"SENDGRID_API_URL": base, "SENDGRID_API_KEY": responder.Token(),
		"SENDGRID_NOTIFY_API_KEY": notifyKey.Token(), "READ_ONLY_KEY": readOnly.Token(),
		"SLACK_API_URL": hs.URL + "/api/", "SLACK_BOT_TOKEN": "xoxb-doctor-token",
		"KEYIR_WEBHOOK_SECRET": "a-webhook-secret-long-enough-0123456789",
	}
}

func doctorDoc(t *testing.T, r result) doctorJSON {
	t.Helper()
	var doc doctorJSON
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not doctor's JSON document: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one document:\n%s", r.stdout)
	}
	return doc
}

func checkOf(doc doctorJSON, name string) doctorCheck {
	for _, c := range doc.Checks {
		if c.Name == name {
			return c
		}
	}
	return doctorCheck{}
}

func TestDoctorChecksEverythingConfigured(t *testing.T) {
	envv := doctorWorld(t, 0)
	// A listener that accepts connections stands for the webhook receiver.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	args := []string{"doctor", "--reports", filepath.Join(t.TempDir(), "r"), "--slack-channel", "C0INCIDENT", "--slack-drill-channel", "C0DRILL",
		"--webhook-url", "http://" + ln.Addr().String() + "/hook", "--email-to", "sec@example.com", "--email-from", "keyir@example.com"}
	r := keyir(t, "", envv, append(args, "--output", "json")...)
	doc := doctorDoc(t, r)
	if r.code != 0 || !doc.OK {
		t.Fatalf("exit %d, ok %v: %+v\n%s", r.code, doc.OK, doc.Checks, r.stderr)
	}
	for _, name := range []string{"reports", "sendgrid_api", "clock", "responder_key", "slack", "webhook", "email"} {
		if c := checkOf(doc, name); c.Status != "ok" {
			t.Errorf("check %s: %+v", name, c)
		}
	}
	// The text form at 80 columns: one check a line, no line over 80.
	envv["COLUMNS"] = "80"
	r = keyir(t, "", envv, args...)
	if r.code != 0 {
		t.Fatalf("text: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("line of %d columns: %q", n, line)
		}
	}
	if !strings.Contains(r.stdout, "ok      slack         Slack accepts SLACK_BOT_TOKEN and the bot sees C0INCIDENT") {
		t.Errorf("no slack line:\n%s", r.stdout)
	}
}

func TestDoctorNamesEachBrokenPiece(t *testing.T) {
	envv := doctorWorld(t, 2*time.Minute)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()
	envv["SLACK_BOT_TOKEN"] = "xoxb-not-the-token"
	envv["SENDGRID_NOTIFY_API_KEY"] = envv["READ_ONLY_KEY"]
	dir := t.TempDir()
	aFile := writeFile(t, dir, "f", "x")
	r := keyir(t, "", envv, "doctor", "--output", "json", "--reports", aFile, "--slack-channel", "C0INCIDENT",
		"--webhook-url", "http://"+deadAddr+"/hook", "--email-to", "sec@example.com", "--email-from", "keyir@example.com")
	doc := doctorDoc(t, r)
	if r.code != 1 || doc.OK {
		t.Fatalf("exit %d ok %v, want 1 and false", r.code, doc.OK)
	}
	want := map[string][2]string{
		"reports": {"fail", "is a file"},
		"clock":   {"warn", "behind SendGrid's"},
		"slack":   {"fail", "Slack refused the bot token (SLACK_BOT_TOKEN): invalid_auth"},
		"webhook": {"fail", "does not accept a connection"},
		"email":   {"fail", "the notify key (SENDGRID_NOTIFY_API_KEY) lacks the mail.send scope"},
	}
	for name, w := range want {
		if c := checkOf(doc, name); c.Status != w[0] || !strings.Contains(c.Detail, w[1]) {
			t.Errorf("check %s: %+v, want %s with %q", name, c, w[0], w[1])
		}
	}

	// A refused responder key: named as the responder's, and its scopes are
	// not read (there is nothing to read them with).
	envv["SENDGRID_API_KEY"] = sendgridsim.NewKey(rand.New(rand.NewPCG(7, 7)), "stale", nil).Token()
	r = keyir(t, "", envv, "doctor", "--output", "json")
	doc = doctorDoc(t, r)
	if c := checkOf(doc, "responder_key"); r.code != 1 || c.Status != "fail" || !strings.Contains(c.Detail, "refused the responder key (SENDGRID_API_KEY") {
		t.Fatalf("exit %d, responder_key %+v", r.code, c)
	}
	r = keyir(t, "", envv, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL    responder_key") || strings.Contains(r.stdout, "needs") {
		t.Fatalf("text: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
