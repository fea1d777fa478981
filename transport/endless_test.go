package transport

import "net/http"
import "net/http/httptest"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"

// TestEndlessAnswerIsRefused: the guard read an answer whole, without a
// bound, so an endless body grew in memory until the timeout (900 MB in
// 8 s from a loopback server). It now stops past MaxAnswer with an error.
func TestEndlessAnswerIsRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := NewClient(Options{Step: "s", Redactor: redact.New(), Timeout: time.Minute})
	start := time.Now()
	resp, err := c.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("an endless answer was read")
	}
	if !strings.Contains(err.Error(), "larger than") {
		t.Errorf("want the answer refused as too large, got %v after %s", err, time.Since(start))
	}
}
