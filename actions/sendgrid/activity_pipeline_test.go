package sendgrid

import "strings"
import "testing"
import "time"

import "github.com/keyir/keyir/report"
import "github.com/keyir/keyir/transport"

// slowRecorder takes 20 ms to write each HTTP exchange, so that an answer's
// record (written in the background under transport.Pipelined) is still
// being written when the activity step has its next answer, or its last.
type slowRecorder struct{ *recorder }

func (r slowRecorder) Evidence(kind string, v any) (string, error) {
	if kind == "http" {
		time.Sleep(20 * time.Millisecond)
	}
	return r.recorder.Evidence(kind, v)
}

// TestActivityRecordsEveryExchangeBeforeItReturns: the activity step
// records its answers in the background (transport.Pipelined) and still
// returns only when every exchange is in its evidence, one record per
// query (a page record may now come before its exchange's record).
func TestActivityRecordsEveryExchangeBeforeItReturns(t *testing.T) {
	f := newFixture(t, nil)
	end := time.Now().UTC().Truncate(time.Second)
	addMessages(f, f.leaked.ID, 3500, end, 6*24*time.Hour)
	env, rec := f.env(report.ModeLive)
	slow := slowRecorder{rec}
	env.Recorder = slow
	env.HTTP = transport.NewClient(transport.Options{Step: "test", Redactor: env.Redactor, Recorder: slow, Timeout: 5 * time.Second})
	out, err := run(t, env, "sendgrid.activity", map[string]any{"key_id": f.leaked.ID, "window_end": end.Format(time.RFC3339)})
	if err != nil || out["messages"] != 3500 {
		t.Fatalf("%v %v", out, err)
	}
	rec.mu.Lock()
	exchanges, pages := 0, 0
	for _, e := range rec.evidence {
		switch {
		case strings.HasPrefix(e, "http ") && strings.Contains(e, "/v3/messages"):
			exchanges++
		case strings.HasPrefix(e, "email_activity_page "):
			pages++
		}
	}
	rec.mu.Unlock()
	if exchanges != out["queries"].(int) || pages == 0 || pages > exchanges {
		t.Fatalf("%d exchanges and %d pages recorded for %v queries", exchanges, pages, out["queries"])
	}
	assertNoSecret(t, rec, out, f.leaked.Token(), f.responder.Token())
}
