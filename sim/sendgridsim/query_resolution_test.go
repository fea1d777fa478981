package sendgridsim_test

import "fmt"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

// A row's last_event_time is listed in whole seconds, so BETWEEN matches at
// that resolution: windows that meet at a second (start … T, T+1s … end)
// together cover every row, as a client reading the listed times expects.
// Before, a row at T+0.5s was listed as T but matched by neither window.
func TestMessagesBetweenMatchesTheListedSecond(t *testing.T) {
	f := newFixture()
	at := t0.Add(-time.Minute).Add(500 * time.Millisecond)
	f.st.AddMessages(sendgridsim.Message{ID: "half", APIKeyID: "HALF", From: "a@example.com", To: "b@example.com", Subject: "s", Status: "delivered", LastEventTime: at})
	_, base, _ := newServer(t, f, nil)
	count := func(from, to time.Time) (int, string) {
		q := fmt.Sprintf(`api_key_id="HALF" AND last_event_time BETWEEN TIMESTAMP "%s" AND TIMESTAMP "%s"`, from.Format(time.RFC3339), to.Format(time.RFC3339))
		r := do(t, hc, base, "GET", "/v3/messages?limit=10&query="+qEscape(q), f.full.Token(), "")
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		var m struct {
			Messages []struct {
				LastEventTime string `json:"last_event_time"`
			}
		}
		r.json(t, &m)
		if len(m.Messages) == 0 {
			return 0, ""
		}
		return len(m.Messages), m.Messages[0].LastEventTime
	}
	sec := at.Truncate(time.Second)
	n, listed := count(sec, sec)
	if n != 1 || listed != sec.UTC().Format(time.RFC3339) {
		t.Fatalf("BETWEEN %s AND %s: %d rows listed at %q, want the row listed at that second", sec, sec, n, listed)
	}
	before, _ := count(sec.Add(-time.Hour), sec)
	after, _ := count(sec.Add(time.Second), sec.Add(time.Hour))
	if before+after != 1 {
		t.Fatalf("windows meeting at %s hold %d+%d rows, want 1 in all", sec, before, after)
	}
}
