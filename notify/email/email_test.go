package email

import "context"
import "encoding/json"
import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// fakeMailSend validates requests like SendGrid's POST /v3/mail/send.
type fakeMailSend struct {
	reqs   []*http.Request
	bodies [][]byte
	fail   []int
}

func (f *fakeMailSend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.reqs, f.bodies = append(f.reqs, r), append(f.bodies, b)
	if r.Method != "POST" || r.URL.Path != "/v3/mail/send" {
		http.Error(w, `{"errors":[{"message":"not found"}]}`, 404)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+notifytest.NotifyKey {
		http.Error(w, `{"errors":[{"field":null,"message":"authorization required"}]}`, http.StatusUnauthorized)
		return
	}
	if len(f.fail) > 0 {
		s := f.fail[0]
		f.fail = f.fail[1:]
		w.WriteHeader(s)
		w.Write([]byte(`{"errors":[{"message":"too many requests"}]}`))
		return
	}
	var m struct {
		Personalizations []struct {
			To []struct{ Email string } `json:"to"`
		} `json:"personalizations"`
		From    struct{ Email string } `json:"from"`
		Subject string                 `json:"subject"`
		Content []struct{ Type, Value string }
	}
	if json.Unmarshal(b, &m) != nil || len(m.Personalizations) == 0 || m.From.Email == "" || m.Subject == "" || len(m.Content) != 2 {
		http.Error(w, `{"errors":[{"field":"body","message":"invalid"}]}`, 400)
		return
	}
	w.Header().Set("X-Message-Id", "msg-1")
	w.WriteHeader(202)
}

func env(extra map[string]string) func(string) string {
	return func(k string) string {
		if k == "SENDGRID_NOTIFY_API_KEY" {
			return notifytest.NotifyKey
		}
		return extra[k]
	}
}

func newNotifier(t *testing.T, url string) *Notifier {
	t.Helper()
	cfg := DefaultConfig
	cfg.To, cfg.From, cfg.APIURL = []string{"oncall@example.com"}, "keyir@example.com", url
	n, err := New(cfg, Options{Redactor: redact.New(notifytest.LeakedKey), LeakedKey: notifytest.LeakedKey,
		Getenv: env(map[string]string{"SENDGRID_API_KEY": notifytest.ResponderKey}),
		Retry:  notify.Policy{MaxAttempts: 3, Initial: 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendDryRunSandboxed(t *testing.T) {
	f := &fakeMailSend{fail: []int{503}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	n := newNotifier(t, srv.URL)
	if err := n.Notify(context.Background(), notifytest.Event(notify.Progress, report.ModeDryRun)); err != nil || len(f.reqs) != 0 {
		t.Fatalf("progress must not email: %v, %d", err, len(f.reqs))
	}
	if err := n.Notify(context.Background(), notifytest.Event(notify.Closed, report.ModeDryRun)); err != nil {
		t.Fatal(err)
	}
	if len(f.reqs) != 2 {
		t.Fatalf("want a retry after the 503, got %d requests", len(f.reqs))
	}
	body := string(f.bodies[1])
	for _, want := range []string{`"sandbox_mode":{"enable":true}`, `[DRY RUN] keyir INC-42`, "oncall@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	// html/template escaped the hostile key name in the HTML part.
	var m struct {
		Content []struct{ Type, Value string }
	}
	json.Unmarshal(f.bodies[1], &m)
	if !strings.Contains(m.Content[1].Value, "&lt;script&gt;") || strings.Contains(m.Content[1].Value, "<script>") {
		t.Errorf("HTML part not escaped: %s", m.Content[1].Value)
	}
	var outs [][]byte
	outs = append(outs, f.bodies...)
	notifytest.AssertLeaksNoSecret(t, []string{notifytest.LeakedKey, notifytest.BotToken, notifytest.ResponderKey, notifytest.WebhookSecret}, outs...)
}

func TestLiveNotSandboxed(t *testing.T) {
	f := &fakeMailSend{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	if err := newNotifier(t, srv.URL).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(f.bodies[0]), "sandbox_mode") {
		t.Error("live mail sandboxed")
	}
}

func TestPermanentErrorRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		w.Write([]byte(`{"errors":[{"field":"content","message":"bad content near ` + notifytest.LeakedKey + `"}]}`))
	}))
	defer srv.Close()
	err := newNotifier(t, srv.URL).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || notify.Retryable(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), []byte(err.Error()))
}

func TestRefusesWrongKeys(t *testing.T) {
	cfg := DefaultConfig
	cfg.To, cfg.From = []string{"a@example.com"}, "b@example.com"
	if _, err := New(cfg, Options{Redactor: redact.New(), LeakedKey: notifytest.NotifyKey, Getenv: env(nil)}); err == nil {
		t.Error("leaked key accepted as the notification key")
	}
	if _, err := New(cfg, Options{Redactor: redact.New(), Getenv: env(map[string]string{"SENDGRID_API_KEY": notifytest.NotifyKey})}); err == nil {
		t.Error("responder key accepted as the notification key")
	} else {
		notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), []byte(err.Error()))
	}
	cfg.KeyEnv = "SENDGRID_API_KEY"
	if cfg.Validate() == nil {
		t.Error("key_env SENDGRID_API_KEY accepted")
	}
	if _, err := Decode(map[string]any{"to": []any{"a@example.com"}, "from": "b@example.com", "region": "mars"}); err == nil {
		t.Error("bad region accepted")
	}
}
