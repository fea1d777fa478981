package transport

import "io"
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

// TestEveryClientBoundsItsAnswers: serve's Slack calls and the
// notifications use HTTPClient as is, through libraries that read an answer
// whole; an endless body is cut at MaxAnswer there too, and an answer of
// exactly MaxAnswer bytes is still read whole.
func TestEveryClientBoundsItsAnswers(t *testing.T) {
	exact := strings.Repeat("y", MaxAnswer)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exact" {
			w.Write([]byte(exact))
			return
		}
		chunk := []byte(strings.Repeat("x", 64<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := HTTPClient(time.Minute, nil)
	resp, err := c.Get(srv.URL + "/endless")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil || !strings.Contains(err.Error(), "larger than") || n > MaxAnswer {
		t.Errorf("endless answer: read %d bytes, err %v", n, err)
	}
	resp, err = c.Get(srv.URL + "/exact")
	if err != nil {
		t.Fatal(err)
	}
	n, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != MaxAnswer {
		t.Errorf("an answer of exactly MaxAnswer: read %d bytes, err %v", n, err)
	}
}
