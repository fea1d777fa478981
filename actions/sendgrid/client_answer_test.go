package sendgrid

import "bytes"
import "context"
import "errors"
import "net/http"
import "net/http/httptest"
import "runtime"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/safefile"
import "github.com/keyir/keyir/transport"

// answerClient is a Client of srv through the guarded client (guarded) or
// a plain http.Client.
func answerClient(srv *httptest.Server, guarded bool) *Client {
	red := redact.New()
	hc := &http.Client{Timeout: 5 * time.Second}
	if guarded {
		hc = transport.NewClient(transport.Options{Step: "test", Redactor: red, Timeout: 5 * time.Second})
	}
	env := &actions.Env{Step: "test", HTTP: hc, Now: time.Now, Redactor: red}
	return &Client{env: env, host: srv.URL, region: RegionGlobal, key: "SG.responder", who: "responder key", pacer: newPacer()}
}

// The answer is read once: the guard's read is handed over, not read again
// and copied (the rest library's io.ReadAll from 512 bytes, then a string
// and bytes again: about ten times the body in garbage).
func TestAnswerReadOnceThroughTheGuard(t *testing.T) {
	body := []byte(`{"messages":[` + strings.Repeat(`{"msg_id":"m0000001","to_email":"user000001@example.net","subject":"subject 1","status":"delivered"},`, 1800) + `{}]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	for _, guarded := range []bool{true, false} {
		c := answerClient(srv, guarded)
		r, err := c.get(context.Background(), "/v3/messages", nil)
		if err != nil || !bytes.Equal(r.Body, body) {
			t.Fatalf("guarded %v: body of %d bytes (want %d), %v", guarded, len(r.Body), len(body), err)
		}
	}
	c := answerClient(srv, true)
	var before, after runtime.MemStats
	const calls = 8
	runtime.ReadMemStats(&before)
	for range calls {
		if _, err := c.get(context.Background(), "/v3/messages", nil); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// The guard's one buffer (the body and a little), the server's and the
	// connection's small buffers; the old reads allocated ten times the body.
	if per := (after.TotalAlloc - before.TotalAlloc) / calls; per > 3*uint64(len(body)) {
		t.Fatalf("%d bytes allocated a call for a %d-byte answer: read more than once", per, len(body))
	}
}

// An answer over maxAnswer is refused, read by the guard or here.
func TestAnswerOverTheBoundRefused(t *testing.T) {
	old := maxAnswer
	maxAnswer = 1000
	defer func() { maxAnswer = old }()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1001))
	}))
	defer srv.Close()
	for _, guarded := range []bool{true, false} {
		_, err := answerClient(srv, guarded).get(context.Background(), "/v3/scopes", nil)
		if !errors.Is(err, safefile.ErrTooLarge) || !strings.Contains(err.Error(), "GET /v3/scopes") {
			t.Fatalf("guarded %v: %v, want a too-large error naming the request", guarded, err)
		}
	}
	maxAnswer = 1001
	for _, guarded := range []bool{true, false} {
		if r, err := answerClient(srv, guarded).get(context.Background(), "/v3/scopes", nil); err != nil || len(r.Body) != 1001 {
			t.Fatalf("guarded %v: an answer of exactly the bound: %v", guarded, err)
		}
	}
}
