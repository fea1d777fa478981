package transport

import "context"
import "encoding/base64"
import "fmt"
import "io"
import "net/http"
import "net/http/httptest"
import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/report"

// gatedSink is a sink whose Evidence waits for the test to open its gate.
type gatedSink struct {
	sink
	gate chan struct{}
}

func (s *gatedSink) Evidence(kind string, v any) (string, error) {
	<-s.gate
	return s.sink.Evidence(kind, v)
}

func (s *gatedSink) Planned(c report.PlannedChange) { s.sink.Planned(c) }

// TestPipelinedHandsTheAnswerOverBeforeItsRecord: under Pipelined, over
// HTTP, the caller reads each answer while its record is still being
// written; the next answer waits for that record (one outstanding);
// settle returns only when the last is written; the records keep the
// order of the exchanges and are redacted as without Pipelined (the key,
// raw and in base64, never in a record).
func TestPipelinedHandsTheAnswerOverBeforeItsRecord(t *testing.T) {
	const key = "SG.pipelineCANARYkeyid0000.pipelineCANARYsecret0000000000000000000000"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"q":%q,"echo":%q,"b64":%q}`, r.URL.Query().Get("q"), key, base64.StdEncoding.EncodeToString([]byte("u:"+key)))
	}))
	t.Cleanup(srv.Close)
	rec := &gatedSink{gate: make(chan struct{})}
	c := NewClient(Options{Step: "activity", Recorder: rec, Redactor: redact.New(key)})
	ctx, settle := Pipelined(context.Background())
	get := func(q string) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v3/messages?q="+q, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	// The first answer reaches the caller, unredacted as always, while its
	// record is held at the gate.
	if body := get("1"); !strings.Contains(body, `"q":"1"`) || !strings.Contains(body, key) {
		t.Fatalf("first answer %q", body)
	}
	// The second waits for the first record: it returns once the gate opens.
	got := make(chan string)
	go func() { got <- get("2") }()
	select {
	case b := <-got:
		t.Fatalf("second answer %q returned while the first record was outstanding", b)
	case <-time.After(200 * time.Millisecond):
	}
	close(rec.gate)
	if b := <-got; !strings.Contains(b, `"q":"2"`) {
		t.Fatalf("second answer %q", b)
	}
	get("3")
	settle()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.evidence) != 3 {
		t.Fatalf("%d records after settle, want 3", len(rec.evidence))
	}
	for i, ex := range rec.evidence {
		if !strings.Contains(ex.URL, fmt.Sprintf("q=%d", i+1)) || !strings.Contains(ex.RespBody, fmt.Sprintf(`"q":"%d"`, i+1)) {
			t.Fatalf("record %d is of %s: out of order", i, ex.URL)
		}
		if strings.Contains(ex.RespBody, "pipelineCANARY") || !strings.Contains(ex.RespBody, redact.Token(key)) || ex.Status != 200 {
			t.Fatalf("record %d not redacted: %s", i, ex.RespBody)
		}
		if _, ok := ex.RespHeads["Content-Type"]; !ok {
			t.Fatalf("record %d lost its headers: %v", i, ex.RespHeads)
		}
		if ex.RedactedBy() == (redact.Proof{}) {
			t.Fatalf("record %d carries no proof", i)
		}
	}
}

// TestWithoutPipelinedTheRecordComesFirst: any other context is recorded
// before RoundTrip returns, as before.
func TestWithoutPipelinedTheRecordComesFirst(t *testing.T) {
	srv, _ := server(t)
	rec := &sink{}
	c := NewClient(Options{Step: "revoke", Recorder: rec, Redactor: redact.New()})
	resp, err := c.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.evidence) != 1 {
		t.Fatalf("%d records when the answer returned", len(rec.evidence))
	}
}

// panicSink panics on its first record, as a broken recorder would.
type panicSink struct{ sink }

func (s *panicSink) Evidence(kind string, v any) (string, error) { panic("recorder broke") }

// TestPipelinedRecordPanicReachesTheCaller: a record that panics in the
// background panics again in the caller's goroutine at settle, where the
// step's recover sees it (as when the record was written synchronously),
// instead of killing the process from a goroutine nobody recovers.
func TestPipelinedRecordPanicReachesTheCaller(t *testing.T) {
	srv, _ := server(t)
	c := NewClient(Options{Step: "activity", Recorder: &panicSink{}, Redactor: redact.New()})
	ctx, settle := Pipelined(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	defer func() {
		if v := recover(); v != "recorder broke" {
			t.Fatalf("recovered %v", v)
		}
	}()
	settle()
	t.Fatal("settle returned")
}
