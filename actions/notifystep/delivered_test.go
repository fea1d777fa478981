package notifystep

import "context"
import "io"
import "net/http"
import "net/http/httptest"
import "slices"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/actions"
import "github.com/keyir/keyir/notify"
import "github.com/keyir/keyir/notify/email"
import "github.com/keyir/keyir/notify/notifytest"
import "github.com/keyir/keyir/redact"
import "github.com/keyir/keyir/render"
import "github.com/keyir/keyir/report"

// notes keeps what a step notes; the rest of a recorder is not asked for.
type notes struct {
	actions.Recorder
	mu   sync.Mutex
	text []string
}

func (n *notes) Note(s string) { n.mu.Lock(); n.text = append(n.text, s); n.mu.Unlock() }

// TestDryRunEmailIsNotCountedAsDelivered: a dry run's mail goes with
// SendGrid's sandbox_mode, which checks it and delivers nothing. The step
// used to list email among the channels that were told, so the dry run's
// banner said "Only notifications went out, marked DRY RUN: email" and its
// note "incident closed: delivered to email" while nobody got a mail.
func TestDryRunEmailIsNotCountedAsDelivered(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	for _, mode := range []report.Mode{report.ModeDryRun, report.ModeLive} {
		red := redact.New()
		cfg := email.DefaultConfig
		cfg.To, cfg.From, cfg.APIURL = []string{"oncall@example.com"}, "keyir@example.com", srv.URL
		n, err := email.New(cfg, email.Options{Redactor: red, Retry: notify.Policy{MaxAttempts: 1},
			Getenv: func(k string) string {
				if k == "SENDGRID_NOTIFY_API_KEY" {
					return notifytest.NotifyKey
				}
				return ""
			}})
		if err != nil {
			t.Fatal(err)
		}
		hub := notify.NewHubWith(map[string]notify.Notifier{"email": n}, red)
		rep := &report.Report{Run: report.Run{ID: "run-1", Incident: "INC-1", Mode: mode, Started: time.Now()}}
		rec := &notes{}
		env := &actions.Env{Step: "notify_close", Mode: mode, Redactor: red, Recorder: rec,
			Services: map[string]any{ServiceName: hub}, Report: func() (*report.Report, error) { return rep, nil }}
		before := len(bodies)
		out, err := (&Notify{Event: "closed", channel: "all"}).Run(context.Background(), env)
		hub.Close()
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if len(bodies) != before+1 {
			t.Fatalf("%s: want one mail send, got %d", mode, len(bodies)-before)
		}
		chans, _ := out["channels"].([]string)
		rep.Steps = []report.Step{{ID: "notify_close", Action: "notify.all", Outputs: map[string]any(out)}}
		banner := render.Banner(rep)
		switch mode {
		case report.ModeDryRun:
			if !strings.Contains(bodies[len(bodies)-1], `"sandbox_mode":{"enable":true}`) {
				t.Fatalf("dry-run mail not sandboxed: %s", bodies[len(bodies)-1])
			}
			if len(chans) != 0 || out["sent"] != false || strings.Contains(banner, "email") {
				t.Errorf("dry run: a sandboxed mail counted as delivered: %v; banner %q", out, banner)
			}
			if slices.ContainsFunc(rec.text, func(s string) bool { return strings.Contains(s, "delivered to email") }) {
				t.Errorf("dry run: a note says the mail was delivered: %q", rec.text)
			}
		case report.ModeLive:
			if !slices.Equal(chans, []string{"email"}) || out["sent"] != true {
				t.Errorf("live: the delivered mail is not counted: %v", out)
			}
		}
	}
}
