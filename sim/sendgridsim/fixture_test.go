package sendgridsim_test

import "context"
import "encoding/json"
import "io"
import "math/rand/v2"
import "net/http"
import "strings"
import "sync"
import "testing"
import "time"

import "github.com/keyir/keyir/sim/sendgridsim"

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// clock is an injectable, settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// fixture is a populated account and its keys.
type fixture struct {
	st                                *sendgridsim.State
	full, ro, statsOnly, victim, subK sendgridsim.Key
}

const subName = "acme-eu"

func newFixture() *fixture {
	rng := rand.New(rand.NewPCG(7, 7))
	f := &fixture{st: sendgridsim.NewState()}
	f.full = sendgridsim.NewKey(rng, "ops-full", sendgridsim.FullAccessScopes())
	f.ro = sendgridsim.NewKey(rng, "mailer", []string{"mail.send"})
	f.statsOnly = sendgridsim.NewKey(rng, "stats", []string{"stats.read"})
	f.victim = sendgridsim.NewKey(rng, "leaked", []string{"mail.send", "api_keys.read"})
	f.subK = sendgridsim.NewKey(rng, "sub-full", sendgridsim.FullAccessScopes())
	f.subK.Subuser = subName
	st := f.st
	st.AddSubuser(sendgridsim.Subuser{Username: subName, Email: "eu@example.com"})
	for _, k := range []sendgridsim.Key{f.full, f.ro, f.statsOnly, f.victim, f.subK} {
		st.AddKey(k)
	}
	st.AddTeammate(sendgridsim.Teammate{Username: "alice", Email: "alice@example.com", FirstName: "Alice", UserType: "admin", IsAdmin: true})
	st.AddTeammate(sendgridsim.Teammate{Username: "mallory", Email: "mallory@evil.test"})
	st.AddInvite(sendgridsim.Invite{Email: "eve@evil.test", Scopes: []string{"api_keys.create"}, Token: "tok1", Expiration: t0.Add(72 * time.Hour)})
	for i := range 30 {
		st.AddMessages(sendgridsim.Message{
			ID: "msg" + string(rune('A'+i%26)) + strings.Repeat("x", i/26), APIKeyID: f.victim.ID,
			From: "billing@example.com", To: "user@example.org", Subject: "Invoice", Status: "delivered",
			LastEventTime: t0.Add(-time.Duration(i) * time.Hour),
		})
	}
	st.AddMessages(sendgridsim.Message{ID: "other", APIKeyID: f.full.ID, From: "ops@example.com", To: "x@example.org", Subject: "Hi", Status: "processed", LastEventTime: t0})
	st.SetStats("", sendgridsim.DayStats{Date: "2026-03-09", Requests: 4210, Delivered: 4000, Bounces: 50})
	st.SetStats(subName, sendgridsim.DayStats{Date: "2026-03-09", Requests: 7})
	st.AddAccessAttempt(sendgridsim.AccessAttempt{IP: "203.0.113.9", Allowed: true, AuthMethod: "basic", FirstAt: t0.Add(-time.Hour), LastAt: t0, Location: "Nowhere"})
	st.AddAllowListIP(sendgridsim.AllowListIP{IP: "198.51.100.1/32", CreatedAt: t0, UpdatedAt: t0})
	st.AddEventWebhook(sendgridsim.EventWebhook{URL: "https://hooks.evil.test/e", Enabled: true, Events: []string{"delivered"}, Updated: t0})
	st.AddParseSetting(sendgridsim.ParseSetting{Hostname: "parse.example.com", URL: "https://evil.test/parse"})
	st.SetForwardBounce("", sendgridsim.Forward{Email: "drop@evil.test", Enabled: true})
	st.SetForwardSpam("", sendgridsim.Forward{})
	st.AddAlert(sendgridsim.Alert{Type: "usage_limit", EmailTo: "ops@example.com", Percentage: 90, CreatedAt: t0, UpdatedAt: t0})
	st.AddVerifiedSender(sendgridsim.VerifiedSender{Nickname: "n", FromEmail: "ceo@evil.test", FromName: "CEO", Verified: true})
	st.AddBounce(sendgridsim.Bounce{Email: "b@example.org", Reason: "550", Status: "5.1.1", Created: t0.Add(-time.Hour)})
	st.AddSpamReport(sendgridsim.SpamReport{Email: "s@example.org", IP: "192.0.2.1", Created: t0.Add(-2 * time.Hour)})
	return f
}

// serve starts srv on a real loopback listener.
func serve(t testing.TB, srv http.Handler) string {
	t.Helper()
	base, shutdown, err := sendgridsim.Listen("127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	})
	return base
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends one request; token "" sends no Authorization; hdr adds headers (name, value, …).
func do(t testing.TB, hc *http.Client, base, method, path, token, body string, hdr ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}
