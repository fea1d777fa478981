package sendgridsim_test

import "encoding/json"
import "fmt"
import "net/http"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"
import "github.com/keyir/keyir/sim/sendgridsim/contract"

// TestRemovalRoutes drives every removal request of an eradication plan over
// real HTTP: the first removes the item (the spec's success code), the second
// finds it gone (404 where the spec documents one), a key without the scope
// is refused, and what is not named stays. Every response is checked against
// the official spec.
func TestRemovalRoutes(t *testing.T) {
	chk, err := contract.New(specDir)
	if err != nil {
		t.Fatal(err)
	}
	var vio violations
	f := newFixture()
	st := f.st
	st.AddEventWebhook(sendgridsim.EventWebhook{ID: "wh-keep", URL: "https://hooks.example.com/e", Enabled: true, Updated: t0})
	st.AddEventWebhook(sendgridsim.EventWebhook{ID: "wh-evil", URL: "https://hooks.evil.test/x", Enabled: true, Updated: t0})
	st.AddVerifiedSender(sendgridsim.VerifiedSender{ID: 9001, Nickname: "evil", FromEmail: "x@evil.test", Verified: true})
	st.AddAllowListIP(sendgridsim.AllowListIP{ID: 777, IP: "203.0.113.66", CreatedAt: t0, UpdatedAt: t0})
	st.AddAlert(sendgridsim.Alert{ID: 555, Type: "usage_limit", EmailTo: "x@evil.test", Percentage: 10, CreatedAt: t0, UpdatedAt: t0})
	cfg := sendgridsim.DefaultConfig()
	cfg.Now = newClock().Now
	cfg.Limits = map[string]sendgridsim.Limit{"*": {Requests: 1000, Window: time.Minute}}
	cfg.OnResponse = vio.observer(chk)
	base := serve(t, sendgridsim.New(st, cfg))
	hc := &http.Client{Timeout: 10 * time.Second}
	full, ro := f.full.Token(), f.ro.Token()

	type step struct {
		method, path, body string
		tok                string
		want               int
	}
	steps := []step{
		{"DELETE", "/v3/teammates/mallory", "", full, 204},
		{"DELETE", "/v3/teammates/mallory", "", full, 404},
		{"DELETE", "/v3/teammates/pending/tok1", "", full, 204},
		{"DELETE", "/v3/teammates/pending/tok1", "", full, 404},
		{"DELETE", "/v3/user/webhooks/event/settings/wh-evil", "", full, 204},
		{"DELETE", "/v3/user/webhooks/event/settings/wh-evil", "", full, 404},
		{"DELETE", "/v3/user/webhooks/parse/settings/parse.example.com", "", ro, 403},
		{"DELETE", "/v3/user/webhooks/parse/settings/parse.example.com", "", full, 204},
		{"DELETE", "/v3/user/webhooks/parse/settings/parse.example.com", "", full, 404},
		{"DELETE", "/v3/verified_senders/9001", "", full, 204},
		{"DELETE", "/v3/verified_senders/9001", "", full, 404},
		{"DELETE", "/v3/access_settings/whitelist/777", "", full, 204},
		{"DELETE", "/v3/alerts/555", "", full, 204},
		{"PATCH", "/v3/mail_settings/forward_bounce", `{"enabled":false}`, full, 200},
	}
	for _, s := range steps {
		r := do(t, hc, base, s.method, s.path, s.tok, s.body)
		if r.status != s.want {
			t.Errorf("%s %s: %d, want %d: %s", s.method, s.path, r.status, s.want, r.body)
		}
	}
	// What was not named survives.
	var tm struct{ Result []struct{ Username string } }
	json.Unmarshal(do(t, hc, base, "GET", "/v3/teammates", full, "").body, &tm)
	if len(tm.Result) != 1 || tm.Result[0].Username != "alice" {
		t.Errorf("teammates after removing mallory: %+v, want alice only", tm.Result)
	}
	var wh struct{ Webhooks []struct{ ID string } }
	json.Unmarshal(do(t, hc, base, "GET", "/v3/user/webhooks/event/settings/all", full, "").body, &wh)
	ids := fmt.Sprint(wh.Webhooks)
	if len(wh.Webhooks) != 2 || ids == "" || containsID(wh.Webhooks, "wh-evil") || !containsID(wh.Webhooks, "wh-keep") {
		t.Errorf("webhooks after removing wh-evil: %s", ids)
	}
	var fwd struct {
		Email   string
		Enabled bool
	}
	json.Unmarshal(do(t, hc, base, "GET", "/v3/mail_settings/forward_bounce", full, "").body, &fwd)
	if fwd.Enabled {
		t.Errorf("forward_bounce still enabled after PATCH enabled=false: %+v", fwd)
	}
	vio.mu.Lock()
	defer vio.mu.Unlock()
	for _, e := range vio.errs {
		t.Errorf("contract violation: %s", e)
	}
	if vio.n < len(steps) {
		t.Errorf("checked %d responses, want at least %d", vio.n, len(steps))
	}
}

func containsID(ws []struct{ ID string }, id string) bool {
	for _, w := range ws {
		if w.ID == id {
			return true
		}
	}
	return false
}
