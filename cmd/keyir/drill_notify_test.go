package main

import "encoding/json"
import "net/http"
import "net/http/httptest"
import "strings"
import "sync"
import "testing"

import "github.com/keyir/keyir/notify/webhook"
import "github.com/keyir/keyir/report"

// refusingReceiver is a webhook receiver (a real HTTP server, as an
// organisation's would be) that answers 500 to the events it refuses and
// 204 to the rest.
func refusingReceiver(t *testing.T, refuse func(event string) bool) (url string, refused func() int) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse(r.Header.Get(webhook.HeaderEvent)) {
			mu.Lock()
			n++
			mu.Unlock()
			http.Error(w, "refused", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/hook", func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// What a drill says about its notifications is what happened. A receiver
// that refuses every delivery: the banner said it "sent deliveries". One
// that refuses only the sealed head, delivered after the report is written:
// the drill exited 0 (done) with its scorecard silent and --output json's
// exit_code 0. Now the failed deliveries are counted per channel, the
// banner claims no delivery, and the drill exits 3 (as for a missed
// finding); a drill whose deliveries all arrive still exits 0.
func TestDrillSaysWhichNotificationsFailed(t *testing.T) {
	cases := []struct {
		name   string
		refuse func(string) bool
	}{
		{"every delivery refused", func(string) bool { return true }},
		{"only the sealed head refused", func(ev string) bool { return ev == "sealed" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			url, refused := refusingReceiver(t, tc.refuse)
			r := keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", t.TempDir(), "--webhook-url", url)
			if refused() == 0 {
				t.Fatalf("the receiver refused nothing\n%s", r.stderr)
			}
			if r.code != report.ExitDegraded {
				t.Errorf("exit %d, want %d (a notification failed)", r.code, report.ExitDegraded)
			}
			out := strings.Join(strings.Fields(r.stdout), " ") // the summary wraps at the terminal's width
			if strings.Contains(out, "sent deliveries") || !strings.Contains(out, "nothing real was touched but the --webhook-url receiver") {
				t.Errorf("banner claims deliveries, or does not name the receiver:\n%s", r.stdout)
			}
			if !strings.Contains(out, "│ notifications │") || !strings.Contains(out, "failed)") || !strings.Contains(out, "slack ") {
				t.Errorf("the scorecard does not count the failed deliveries:\n%s", r.stdout)
			}
			if !strings.Contains(out, "Notifications that failed (the drill exits 3)") {
				t.Errorf("the failed deliveries are not listed:\n%s", r.stdout)
			}

			r = keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", t.TempDir(), "--webhook-url", url, "--output", "json")
			var js drillJSON
			if err := json.Unmarshal([]byte(r.stdout), &js); err != nil {
				t.Fatalf("%v\n%s", err, r.stdout)
			}
			wh, sl := js.Notifications["webhook"], js.Notifications["slack"]
			if r.code != report.ExitDegraded || js.ExitCode != report.ExitDegraded || wh.Failed == 0 || len(js.NotifyErrors) == 0 || sl.Failed != 0 || sl.Delivered == 0 {
				t.Errorf("exit %d, exit_code %d, notifications %+v, notify_errors %q", r.code, js.ExitCode, js.Notifications, js.NotifyErrors)
			}
		})
	}
	// The control: every delivery arrives, the drill passes.
	url, _ := refusingReceiver(t, func(string) bool { return false })
	r := keyir(t, "", nil, "drill", "--scenario", "spam-burst", "--reports", t.TempDir(), "--webhook-url", url, "--output", "json")
	var js drillJSON
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || r.code != report.ExitDone || js.Notifications["webhook"].Failed != 0 || js.Notifications["webhook"].Delivered == 0 {
		t.Errorf("exit %d, %v, notifications %+v, errors %q", r.code, err, js.Notifications, js.NotifyErrors)
	}
}
