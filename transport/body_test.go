package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/keyir/keyir/redact"
)

// readBody sizes its buffer from the Content-Length or the last body: a
// body longer or shorter than the hint, chunked or not, reaches the caller
// and the record whole (as io.ReadAll did).
func TestBodiesOfEverySizeReadWhole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		body := strings.Repeat("0123456789abcdef", n/16+1)[:n]
		if r.URL.Query().Get("cl") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		if f, ok := w.(http.Flusher); ok && n > 3 {
			io.WriteString(w, body[:3]) // chunked: no Content-Length
			f.Flush()
			body = body[3:]
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	rec := &sink{}
	c := NewClient(Options{Step: "s", Recorder: rec, Redactor: redact.New()})
	sizes := []int{0, 1, 700, 180000, 200, 500000, 511, 512, 513, 180000, 180001, 179999}
	for i, n := range sizes {
		for _, cl := range []string{"", "&cl=1"} {
			resp, err := c.Get(srv.URL + "/?n=" + strconv.Itoa(n) + cl)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := strings.Repeat("0123456789abcdef", n/16+1)[:n]
			if string(b) != want {
				t.Fatalf("size %d (%d): the caller read %d bytes", n, i, len(b))
			}
			if got := rec.evidence[len(rec.evidence)-1].RespBody; got != want {
				t.Fatalf("size %d: recorded %d bytes", n, len(got))
			}
		}
	}
}
