package webhook

import "context"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"

import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/report"

// Many receivers carry their credential in the URL (a chat service's
// incoming-webhook path, a ?token= query, user:password@). A delivery that
// could not connect used to quote the whole URL in its error, which reaches
// the terminal, the journal, report.md/json/html and the Slack thread.
func TestDeliveryErrorNamesOnlyTheHost(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	u := strings.Replace(base, "http://", "http://hook:PASSWORDinURL@", 1) + "/services/T0/B0/PATHSECRETinURL?token=QUERYSECRETinURL"
	err := newNotifier(t, u).Notify(context.Background(), notifytest.Event(notify.Opened, report.ModeLive))
	if err == nil {
		t.Fatal("a dead endpoint delivered")
	}
	for _, s := range []string{"PASSWORDinURL", "PATHSECRETinURL", "QUERYSECRETinURL", "/services/"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error quotes %s of the URL: %v", s, err)
		}
	}
	if host := strings.TrimPrefix(base, "http://"); !strings.Contains(err.Error(), host) {
		t.Errorf("the error does not name the host %s: %v", host, err)
	}
}
