package sendgrid

import "net/http"
import "net/http/httptest"
import "net/http/httputil"
import "net/url"
import "strings"
import "sync/atomic"
import "testing"
import "time"

import "github.com/keyir/keyir/report"

// TestA401WithoutSendGridsBodyProvesNothing: the simulator's global host
// behind a gateway that answers the leaked key's GET /v3/scopes itself
// with a bare 401 (an HTML page, as an egress gateway or an API proxy in
// SENDGRID_API_URL does). The key is live at SendGrid: liveness must not
// call it dead, and confirm must not claim containment on that 401.
func TestA401WithoutSendGridsBodyProvesNothing(t *testing.T) {
	fastRetries(t)
	f := newFixture(t, nil)
	up, err := url.Parse(f.url)
	if err != nil {
		t.Fatal(err)
	}
	var bare atomic.Bool
	bare.Store(true)
	// Rewrite adds no X-Forwarded-For: the simulator's contract check
	// refuses a header the spec does not declare.
	sim := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(up) }}
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if bare.Load() && r.URL.Path == "/v3/scopes" && strings.Contains(r.Header.Get("Authorization"), f.leaked.Secret) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte("<html><body><h1>401 Authorization Required</h1></body></html>\n"))
			return
		}
		sim.ServeHTTP(w, r)
	}))
	defer gw.Close()
	f.url = gw.URL

	env, rec := f.env(report.ModeLive)
	out, err := run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": f.leaked.Token(), "region": "global", "interval": "20ms", "timeout": "200ms"})
	if err == nil || out["confirmed"] != false || len(rec.containment) != 1 || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("confirm on a bare 401: %v, %v, %+v (the key is live at SendGrid)", out, err, rec.containment)
	}
	env, _ = f.env(report.ModeLive)
	out, err = run(t, env, "sendgrid.key_liveness", map[string]any{"key": f.leaked.Token(), "region": "global"})
	if err != nil || out["status"] != StatusUnknown {
		t.Fatalf("liveness on a bare 401: %v, %v (the key is live at SendGrid)", out, err)
	}
	// The owner unknown, both hosts asked: the EU host's 401 is SendGrid's
	// (the key is not an EU account's), the global one's the gateway's.
	env, rec = f.env(report.ModeLive)
	out, err = run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": f.leaked.Token(), "interval": "20ms", "timeout": "200ms"})
	if err == nil || out["confirmed"] != false || len(rec.containment) != 1 || rec.containment[0].Status != report.ContainmentNotConfirmed {
		t.Fatalf("confirm on a bare 401, owner unknown: %v, %v, %+v", out, err, rec.containment)
	}
	if !strings.Contains(rec.containment[0].Detail, "401") {
		t.Fatalf("the detail does not say what the host answered: %q", rec.containment[0].Detail)
	}

	// SendGrid's own 401, passed on by the gateway, still proves it.
	bare.Store(false)
	f.st.RevokeKey(f.leaked.ID, time.Now().Add(-time.Hour))
	env, rec = f.env(report.ModeLive)
	out, err = run(t, env, "sendgrid.confirm_revoked", map[string]any{"key": f.leaked.Token(), "region": "global", "interval": "20ms", "timeout": "1s"})
	if err != nil || out["confirmed"] != true || rec.containment[0].Status != report.ContainmentConfirmed {
		t.Fatalf("confirm on SendGrid's 401: %v, %v, %+v", out, err, rec.containment)
	}
	assertNoSecret(t, rec, out, f.leaked.Token(), f.responder.Token())
}
