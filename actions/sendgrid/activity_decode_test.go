package sendgrid

import "encoding/json"
import "fmt"
import "reflect"
import "strings"
import "testing"
import "time"

// simPage is an answer as the simulator writes one (its field order).
func simPage(n int) []byte {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString(`{"messages":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"from_email":"a@example.com","msg_id":"m%07d","subject":"subject %d ✓","to_email":"User%06d@Example.net",`+
			`"status":"delivered","opens_count":%d,"clicks_count":%d,"last_event_time":"%s"}`,
			i, i%40, i, i%3, -(i % 2), t0.Add(-time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// decodeBoth decodes b with decodeBody and with encoding/json (the
// decoder before scanPage) and fails unless both give the same messages,
// or both an error.
func decodeBoth(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	var got activityPage
	gerr := got.decodeBody(b)
	var want struct {
		Messages []message `json:"messages"`
	}
	werr := json.Unmarshal(b, &want)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("%.200q: error %v, encoding/json %v", b, gerr, werr)
	}
	if !reflect.DeepEqual(got.Messages, want.Messages) {
		t.Fatalf("%.200q:\n got %+v\nwant %+v", b, got.Messages, want.Messages)
	}
	_, fast = scanPage(b, nil)
	return fast
}

// The simulator's answers take the fast path and decode as encoding/json
// decodes them; every other shape falls back to encoding/json, with its
// result or its error.
func TestScanPageEqualsJSON(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		if !decodeBoth(t, simPage(n)) {
			t.Fatalf("a simulator answer of %d messages missed the fast path", n)
		}
	}
	fast := []string{
		` { "messages" : [ { } , {"msg_id":"a","opens_count":0} ] } ` + "\n",
		"{\"messages\":[{\"subject\":\"é ✓ \x7f\",\"opens_count\":-0,\"clicks_count\":123456789012345678}]}",
	}
	slow := []string{
		`{"messages":[{"subject":"a\"b"}]}`, `{"messages":[{"subject":"a\u00e9"}]}`, `{"messages":[{"subject":"a\/b"}]}`,
		`{"messages":[{"Subject":"x"}]}`, `{"messages":[{"api_key_id":"x"}]}`, `{"messages":[{"msg_id":null}]}`,
		`{"messages":[{"msg_id":"a","msg_id":"b"}]}`, `{"messages":null}`, `{"messages":[],"other":1}`,
		`{"messages":[{"opens_count":1.0}]}`, `{"messages":[{"opens_count":1e2}]}`, `{"messages":[{"opens_count":01}]}`,
		`{"messages":[{"opens_count":1234567890123456789}]}`, `{"messages":[{"opens_count":"1"}]}`, `{"messages":[{"msg_id":1}]}`,
		"{\"messages\":[{\"subject\":\"\xff\"}]}", "{\"messages\":[{\"subject\":\"a\tb\"}]}", `{"messages":[{"msg_id":"a"}]} x`,
		`{"messages":[{"msg_id":"a"},]}`, `{"messages":[{"msg_id":"a"}`, `{"messages":[{"msg_id":"a}]}`, `{"messages":[`, ``, `[]`,
		`{"Messages":[{"msg_id":"a"}]}`, `{"messages":[{"msg_id":"a"}],"messages":[{"msg_id":"b"}]}`, `{"messages":[{"opens_count":-}]}`,
		`{"messages":[1]}`, `{"messages":{}}`, `{"messages":[{"msg_id":"a"}}]}`,
	}
	for _, s := range fast {
		if !decodeBoth(t, []byte(s)) {
			t.Errorf("%s: missed the fast path", s)
		}
	}
	for _, s := range slow {
		if decodeBoth(t, []byte(s)) {
			t.Errorf("%s: took the fast path", s)
		}
	}
	// One page reused from answer to answer (as Activity.Run does) holds
	// each answer's messages alone.
	var reused activityPage
	for _, b := range [][]byte{simPage(5), simPage(2), []byte(slow[0]), simPage(0), []byte(fast[0]), simPage(3)} {
		var fresh activityPage
		if err := fresh.decodeBody(b); err != nil {
			t.Fatal(err)
		}
		if err := reused.decodeBody(b); err != nil || !reflect.DeepEqual(reused.Messages, fresh.Messages) {
			t.Fatalf("%.100q: reused page %+v (%v), want %+v", b, reused.Messages, err, fresh.Messages)
		}
	}
}

// What outlives a page (the tally's names, the msg_ids a span skips) is
// copied out of its body: the run's memory stays flat however many pages
// are read, and a body reused afterwards changes nothing counted.
func TestActivityTallyKeepsNoViewOfTheBody(t *testing.T) {
	body := simPage(50)
	var page activityPage
	if err := page.decodeBody(body); err != nil {
		t.Fatal(err)
	}
	tl := newTally()
	for _, m := range page.Messages {
		tl.add(m)
	}
	sw := newSweep(page.Messages, make([]time.Time, len(page.Messages)), 50)
	before := fmt.Sprint(top(tl.domains, 0), top(tl.subjects, 0), top(tl.statuses, 0))
	for i := range body {
		body[i] = 'x'
	}
	if after := fmt.Sprint(top(tl.domains, 0), top(tl.subjects, 0), top(tl.statuses, 0)); after != before {
		t.Fatalf("the tally changed with the body:\n%s\n%s", before, after)
	}
	for id := range sw.topIDs {
		if strings.Contains(id, "x") {
			t.Fatalf("the sweep's msg_ids changed with the body: %q", id)
		}
	}
	if tl.messages != 50 || tl.recipients.len() != 50 || tl.domains.get("example.net") != 50 {
		t.Fatalf("tally %d messages, %d recipients, %v", tl.messages, tl.recipients.len(), top(tl.domains, 0))
	}
}

// FuzzScanPageEqualsJSON: whatever an answer holds, decodeBody gives the
// messages, or the error, encoding/json gives (scanPage only reads what it
// can read exactly; the rest falls back).
func FuzzScanPageEqualsJSON(f *testing.F) {
	f.Add(simPage(3))
	for _, s := range []string{`{"messages":[{"msg_id":"a","opens_count":7}]}`, `{"messages":[{"subject":"a\"b"}]}`,
		`{"messages":[{"opens_count":1.5}]}`, `{"messages":[]}`, "{\"messages\":[{\"to_email\":\"\xc3\xa9\"}]}", `{"messages":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeBoth(t, b)
	})
}
