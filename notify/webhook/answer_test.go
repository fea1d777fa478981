package webhook

import "context"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"

// TestErrorBodyRedactedBeforeItIsCut: a receiver's error body was cut at
// 512 bytes and then redacted, so a secret it echoed across the cut kept
// its first bytes in the error, too few for the redactor to recognise.
func TestErrorBodyRedactedBeforeItIsCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(strings.Repeat("e", 501) + notifytest.LeakedKey))
	}))
	defer srv.Close()
	err := newNotifier(t, srv.URL).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil {
		t.Fatal("a 400 was taken as delivered")
	}
	if strings.Contains(err.Error(), notifytest.LeakedKey[:11]) {
		t.Errorf("the error keeps the start of the leaked key: %v", err)
	}
}
