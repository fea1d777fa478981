package redact

import "encoding/json"
import "fmt"
import "testing"
import "time"

// activityAnswer is an Email Activity answer of 1,000 messages, shaped as
// the simulator writes it (about 180 KB): the text the transport redacts
// most often in a large run.
func activityAnswer() string {
	type msg struct {
		FromEmail     string `json:"from_email"`
		MsgID         string `json:"msg_id"`
		Subject       string `json:"subject"`
		ToEmail       string `json:"to_email"`
		Status        string `json:"status"`
		OpensCount    int    `json:"opens_count"`
		ClicksCount   int    `json:"clicks_count"`
		LastEventTime string `json:"last_event_time"`
	}
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var page struct {
		Messages []msg `json:"messages"`
	}
	for i := range 1000 {
		page.Messages = append(page.Messages, msg{FromEmail: "a@example.com", MsgID: fmt.Sprintf("m%07d", i),
			Subject: fmt.Sprintf("subject %d", i%40), ToEmail: fmt.Sprintf("user%06d@example.net", i), Status: "delivered",
			LastEventTime: end.Add(-time.Duration(i) * 2591 * time.Millisecond).Format(time.RFC3339)})
	}
	b, _ := json.Marshal(page)
	return string(b)
}

// BenchmarkRedactActivityAnswer: the transport's one redaction of an
// Email Activity answer, four secrets registered.
func BenchmarkRedactActivityAnswer(b *testing.B) {
	r := New(sgKey, plain, "xoxb-1111111111-2222222222-CANARYbotTOKEN", "CANARY-webhook-signing-secret-0123456789")
	text := activityAnswer()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if r.String(text) != text {
			b.Fatal("ordinary answer changed")
		}
	}
}
