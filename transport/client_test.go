package transport

import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync/atomic"
import "testing"
import "time"

// TestHTTPClientRules: the one client constructor never follows a redirect
// and refuses plain http to a host that is not loopback before sending.
func TestHTTPClientRules(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := HTTPClient(5*time.Second, nil)

	resp, err := c.Get(srv.URL + "/redirect")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits.Load() != 1 {
		t.Errorf("redirect followed: status %d after %d requests", resp.StatusCode, hits.Load())
	}

	// A base transport that would answer anything: the refusal must come first.
	var sent atomic.Int32
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	c = HTTPClient(5*time.Second, base)
	for _, u := range []string{"http://example.com/x", "ftp://127.0.0.1/x", "http://10.0.0.1/x"} {
		if _, err := c.Post(u, "text/plain", strings.NewReader("secret")); err == nil || !strings.Contains(err.Error(), "refusing") {
			t.Errorf("%s: got %v, want a refusal", u, err)
		}
	}
	if sent.Load() != 0 {
		t.Errorf("%d refused requests reached the transport", sent.Load())
	}
	for _, u := range []string{"https://example.com/x", "http://127.0.0.1:1/x", "http://localhost/x", "http://[::1]/x"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		resp.Body.Close()
	}
	if sent.Load() != 4 {
		t.Errorf("%d allowed requests reached the transport, want 4", sent.Load())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
