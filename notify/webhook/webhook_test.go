package webhook

import "context"
import "encoding/json"
import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	fail   []int // statuses to answer first
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.bodies, rc.heads = append(rc.bodies, b), append(rc.heads, r.Header.Clone())
	var status int
	if len(rc.fail) > 0 {
		status, rc.fail = rc.fail[0], rc.fail[1:]
	}
	rc.mu.Unlock()
	if status != 0 {
		if status == 429 {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		return
	}
	if err := Verify(notifytest.WebhookSecret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), b, time.Now(), 5*time.Minute); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	w.WriteHeader(204)
}

func newNotifier(t *testing.T, url string) *Notifier {
	t.Helper()
	n, err := New(Config{URL: url, Timeout: time.Second, SecretEnv: "KEYIR_WEBHOOK_SECRET"}, Options{
		Redactor: redact.New(notifytest.LeakedKey),
		Retry:    notify.Policy{MaxAttempts: 3, Initial: 10 * time.Millisecond},
		Getenv: func(k string) string {
			if k == "KEYIR_WEBHOOK_SECRET" {
				return notifytest.WebhookSecret
			}
			return ""
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignedDeliveryAndRetryAfter(t *testing.T) {
	rc := &receiver{fail: []int{429}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	n := newNotifier(t, srv.URL)
	start := time.Now()
	err := n.Notify(context.Background(), notifytest.Event(notify.Closed, report.ModeDrill))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 900*time.Millisecond || len(rc.bodies) != 2 {
		t.Fatalf("want a retry after Retry-After 1s; %d deliveries in %s", len(rc.bodies), time.Since(start))
	}
	if rc.heads[0].Get(HeaderDelivery) != rc.heads[1].Get(HeaderDelivery) {
		t.Error("delivery id changed between retries")
	}
	var p Payload
	if err := json.Unmarshal(rc.bodies[1], &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != notify.Closed || p.Label != "DRILL" || p.Key.ID != notifytest.LeakedKeyID || p.Counts["critical"] != 1 || len(p.Steps) != 4 {
		t.Errorf("payload %+v", p)
	}
	var outs [][]byte
	for i := range rc.bodies {
		h, _ := json.Marshal(rc.heads[i])
		outs = append(outs, rc.bodies[i], h)
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), outs...)
}

func TestPermanentFailureNotRetried(t *testing.T) {
	rc := &receiver{fail: []int{400, 400}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	err := newNotifier(t, srv.URL).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || len(rc.bodies) != 1 {
		t.Fatalf("err %v after %d deliveries", err, len(rc.bodies))
	}
}

func TestDeadEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := newNotifier(t, url).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
	notifytest.AssertLeaksNoSecret(t, notifytest.Secrets(), []byte(err.Error()))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"a":1}`)
	now := time.Unix(1_800_000_000, 0)
	ts := "1800000000"
	sig := Sign([]byte("0123456789abcdef"), ts, body)
	if err := Verify("0123456789abcdef", ts, "v1=old,"+sig, body, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if Verify("0123456789abcdef", ts, sig, []byte(`{"a":2}`), now, time.Minute) != ErrBadSignature {
		t.Error("tampered body accepted")
	}
	if Verify("0123456789abcdef", ts, sig, body, now.Add(2*time.Minute), time.Minute) != ErrStale {
		t.Error("replay outside the window accepted")
	}
	if Verify("0123456789abcdef", "x", sig, body, now, time.Minute) != ErrBadTimestamp {
		t.Error("bad timestamp accepted")
	}
}

func TestConfig(t *testing.T) {
	if _, err := Decode(map[string]any{"url": "https://hooks.example/keyir", "secret": "x"}); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := Decode(map[string]any{"url": "http://hooks.example/keyir"}); err == nil {
		t.Error("plain http to a remote host accepted")
	}
	if _, err := New(Config{URL: "https://h.example", Timeout: time.Second, SecretEnv: "S"}, Options{
		Redactor: redact.New(), Getenv: func(string) string { return "short" }}); err == nil {
		t.Error("short secret accepted")
	}
}
