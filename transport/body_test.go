package transport

import "io"
import "net/http"
import "net/http/httptest"
import "runtime"
import "strconv"
import "strings"
import "testing"

import "github.com/keyir/keyir/redact"

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

// An answer a little longer than the last is read into the buffer sized
// for it, not one that bytes.Buffer doubles and copies on its last bytes
// (half of an Email Activity run's answers were).
func TestBodyALittleLongerThanTheLastReadWithoutRegrowing(t *testing.T) {
	bodies := map[string][]byte{"a": []byte(strings.Repeat("ab, ", 45000)), "b": []byte(strings.Repeat("cd, ", 46000))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bodies[r.URL.Query().Get("b")]) // chunked: no Content-Length
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Options{Step: "s", Redactor: redact.New()})
	get := func(b string) {
		resp, err := c.Get(srv.URL + "/?b=" + b)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ContentLength >= 0 {
			t.Fatalf("Content-Length %d: want a chunked answer", resp.ContentLength)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for range 3 {
		get("a")
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		get("b")
		runtime.ReadMemStats(&after)
		if n := after.TotalAlloc - before.TotalAlloc; n > 2*uint64(len(bodies["b"])) {
			t.Fatalf("%d bytes allocated to read a %d-byte answer after a %d-byte one", n, len(bodies["b"]), len(bodies["a"]))
		}
	}
}
