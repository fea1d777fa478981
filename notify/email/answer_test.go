package email

import "context"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"

// TestEndlessAnswerIsCut: the mail send's answer is read whole by the rest
// library; a host that answers 202 and never ends the body held the
// notification (and memory, growing) until the timeout, then failed a mail
// that had been accepted.
func TestEndlessAnswerIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	n := newNotifier(t, srv.URL)
	n.cfg.Timeout = 20 * time.Second
	start := time.Now()
	err := n.Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err != nil || time.Since(start) > 10*time.Second {
		t.Fatalf("an accepted mail with an endless answer: %v after %s", err, time.Since(start))
	}
}

// TestErrorDetailRedactedBeforeItIsCut: an error body that echoes a secret
// across the point where the detail is cut left the secret's first bytes
// in the message, too few for the redactor to recognise.
func TestErrorDetailRedactedBeforeItIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(strings.Repeat("e", 189) + notifytest.LeakedKey + " (not JSON)"))
	}))
	defer srv.Close()
	err := newNotifier(t, srv.URL).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil {
		t.Fatal("a 400 was taken as sent")
	}
	if strings.Contains(err.Error(), notifytest.LeakedKey[:11]) {
		t.Errorf("the error keeps the start of the leaked key: %v", err)
	}
}
